"""An nbgrader feedback preprocessor: drop hidden-test lines from the outputs of a cell.

``ClearHiddenTests`` removes the hidden tests from a cell's *source*, but a traceback in the
cell's *output* quotes source lines around the failing one: a failed visible assert just above
``### BEGIN HIDDEN TESTS`` shows the hidden call as context. This preprocessor, run before
``ClearHiddenTests`` (see ``nbgrader_config.py``), removes every output line that quotes a
line of the cell's hidden region (markers included).
"""

from __future__ import annotations

import re

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool, Unicode

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class ClearHiddenTestOutputs(Preprocessor):
    enabled = Bool(True).tag(config=True)  # nbconvert preprocessors are off by default
    begin = Unicode("BEGIN HIDDEN TESTS").tag(config=True)
    end = Unicode("END HIDDEN TESTS").tag(config=True)

    def _hidden_lines(self, source: str) -> list[str]:
        lines, inside = [], False
        for line in source.splitlines():
            if self.begin in line:
                inside = True
            if inside and line.strip():
                lines.append(line.strip())
            if self.end in line:
                inside = False
        return lines

    def _clean(self, text: str, hidden: list[str]) -> str:
        kept = [line for line in text.split("\n")
                if not any(h in _ANSI.sub("", line) for h in hidden)]
        return "\n".join(kept)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        hidden = self._hidden_lines(cell.source)
        if not hidden:
            return cell, resources
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                output["traceback"] = [self._clean(t, hidden) for t in output.get("traceback", [])]
                output["evalue"] = self._clean(output.get("evalue", ""), hidden)
            elif output.get("output_type") == "stream":
                output["text"] = self._clean(output.get("text", ""), hidden)
            for mime in ("text/plain", "text/html"):
                if mime in output.get("data", {}):
                    output["data"][mime] = self._clean(output["data"][mime], hidden)
        return cell, resources
