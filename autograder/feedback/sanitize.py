"""Feedback shows a submission as text: nothing a student wrote is rendered as markup or runs.

Feedback HTML is opened by the instructor and by the student, in a browser, from disk. Whatever
in it came from the submission must be inert:

* **outputs** keep only ``text/plain`` and raster images (``image/png``, ``image/jpeg``, shown as
  data URIs); HTML, JavaScript, SVG, Markdown, LaTeX and widget outputs are replaced by their text
  form. Output metadata is dropped (nbconvert writes an image's width and height unquoted into
  the ``<img>`` tag). Streams and tracebacks are escaped by nbconvert itself;
* **markdown cells** are rendered only when their text is the instructor's (identical to a
  markdown cell of the released notebook); any other is shown escaped, as preformatted text
  that MathJax ignores;
* **cell metadata** is reduced to nbgrader's (with a plain grade id): tags and other fields end up
  in attributes of the page.

Used by ``feedback.py`` before nbgrader's own preprocessors; :func:`harden_html` then checks the page.
"""
from __future__ import annotations

import html
import re

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool, List, Unicode

SAFE_MIME = ("text/plain", "image/png", "image/jpeg")
_GRADE_ID = re.compile(r"^[A-Za-z0-9_.\- ]{1,100}$")


class TextOnlyStudentContent(Preprocessor):
    """Make everything a submission contributed to the feedback page plain text."""

    enabled = Bool(True).tag(config=True)
    #: sources of the released notebook's markdown cells: the only markdown rendered as such
    instructor_markdown = List(Unicode()).tag(config=True)

    def preprocess(self, nb, resources):
        self._trusted = {s.strip() for s in self.instructor_markdown}
        nb.metadata = {k: v for k, v in nb.metadata.items() if k in ("kernelspec", "language_info")}
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        meta = cell.get("metadata", {}).get("nbgrader")
        if meta and not _GRADE_ID.match(str(meta.get("grade_id", ""))):
            meta = None
        cell.metadata = {"nbgrader": meta} if meta else {}
        cell.pop("attachments", None)
        if cell.cell_type == "markdown" and cell.source.strip() not in self._trusted:
            cell.source = as_text(cell.source)
        elif cell.cell_type == "raw":
            cell.cell_type, cell.source = "markdown", as_text(cell.source)
        elif cell.cell_type == "code":
            cell.outputs = [text_only(o) for o in cell.get("outputs", [])]
        return cell, resources


def as_text(source: str) -> str:
    """Markdown that shows ``source`` verbatim: escaped, preformatted, ignored by MathJax."""
    return f'<pre class="student-text tex2jax_ignore mathjax_ignore">{html.escape(source)}</pre>'


def text_only(output):
    """An output with only plain text and raster images, and no metadata."""
    if "data" in output:
        data = {k: v for k, v in output["data"].items() if k in SAFE_MIME}
        if "text/plain" not in data:
            dropped = ", ".join(sorted(set(output["data"]) - set(data))) or "nothing"
            data["text/plain"] = f"[output of type {dropped}: not shown in feedback]"
        output["data"] = data
    if "metadata" in output:
        output["metadata"] = {}
    return output


# --------------------------------------------------------------------------- the page


_CDN_SCRIPT = re.compile(r'<script[^>]*\bsrc="https?://[^"]*"[^>]*>\s*</script>', re.I)
_V2_CONFIG = re.compile(r'<script type="text/x-mathjax-config">.*?</script>', re.S)
# MathJax 3 (the v2 configuration nbconvert writes is ignored by it): the same delimiters, and
# only the instructor's markdown is typeset (outputs and code are not: they are the student's).
MATHJAX_CONFIG = """<script>
window.MathJax = {
  tex: {inlineMath: [['$', '$'], ['\\\\(', '\\\\)']], displayMath: [['$$', '$$'], ['\\\\[', '\\\\]']],
        processEscapes: true},
  options: {ignoreHtmlClass: 'tex2jax_ignore|mathjax_ignore|output_area|input_area|input',
            processHtmlClass: 'text_cell_render'},
  svg: {fontCache: 'global'}
};
</script>"""


def harden_html(page: str, mathjax_src: str | None) -> str:
    """Replace every script loaded from the network by the local MathJax (or nothing)."""
    page = _V2_CONFIG.sub("", page)
    local = (MATHJAX_CONFIG + f'\n<script id="MathJax-script" src="{html.escape(mathjax_src)}"></script>'
             if mathjax_src else "")
    page, n = _CDN_SCRIPT.subn(lambda m: local, page, count=1)
    page = _CDN_SCRIPT.sub("", page)  # any other
    if n == 0 and local:
        page = page.replace("</head>", local + "\n</head>", 1)
    return page
