"""The code a student wrote, from a submitted notebook and the notebook it was released as.

What counts as the student's: the source of every answer cell (an nbgrader ``solution`` cell of the
release, found by its grade id, whatever the submission's own metadata says), and every other code
cell whose source is not a cell of the release (cells the student added or changed). The release's
code is the template: identical cells are left out here, and :mod:`.compare` removes what is left
of it (the stubs inside answer cells) by fingerprint.
"""
from __future__ import annotations

import ast
import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Template:
    """What the release gives every student: its code, its answer cells, its graded functions."""

    code: str                       # every code cell of the release, one after the other
    answer_ids: set[str]            # grade ids of the answer (solution) cells
    functions: list[str]            # names defined in the answer cells: the graded functions
    cells: set[str] = field(default_factory=set)  # the release's code cells, stripped


@dataclass
class Answer:
    """One student's code in one notebook."""

    code: str                                            # all of it, cell after cell
    functions: dict[str, str] = field(default_factory=dict)  # graded function name -> its source


def _cells(path: Path) -> list[dict]:
    """The cells of a notebook file (JSON read without validation: a notebook that nbformat would
    refuse still has code worth comparing). Raises ValueError with one line when it is not one."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8", errors="replace"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{Path(path).name} is not a readable notebook ({type(exc).__name__})") from None
    cells = data.get("cells") if isinstance(data, dict) else None
    if not isinstance(cells, list):
        raise ValueError(f"{Path(path).name} has no list of cells")
    return [c for c in cells if isinstance(c, dict)]


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(s for s in src if isinstance(s, str)) if isinstance(src, list) else str(src)


def _grade_id(cell: dict) -> str | None:
    meta = cell.get("metadata")
    nbgrader = meta.get("nbgrader") if isinstance(meta, dict) else None
    return nbgrader.get("grade_id") if isinstance(nbgrader, dict) else None


def _defined_functions(code: str) -> dict[str, str]:
    """Top-level functions and classes of ``code`` by name, each with its source. Cell by cell,
    so one cell that does not parse loses only its own functions."""
    found: dict[str, str] = {}
    for chunk in code.split("\n\n# %% cell\n"):
        try:
            tree = ast.parse(chunk)
        except (SyntaxError, ValueError):
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                found[node.name] = ast.get_source_segment(chunk, node) or ""
    return found


def _join(sources: list[str]) -> str:
    return "\n\n# %% cell\n".join(sources)


def read_template(release_notebook: Path) -> Template:
    """The template of one released notebook."""
    code, answer_ids, answers = [], set(), []
    for cell in _cells(release_notebook):
        if cell.get("cell_type") != "code":
            continue
        src = _source(cell)
        code.append(src)
        meta = (cell.get("metadata") or {}).get("nbgrader") or {}
        if meta.get("solution") and meta.get("grade_id"):
            answer_ids.add(meta["grade_id"])
            answers.append(src)
    functions = list(_defined_functions(_join(answers)))
    return Template(code=_join(code), answer_ids=answer_ids, functions=functions,
                    cells={s.strip() for s in code})


def read_answer(notebook: Path, template: Template) -> Answer:
    """The student's own code in ``notebook`` (a ValueError with one line if it is no notebook)."""
    mine = []
    for cell in _cells(notebook):
        if cell.get("cell_type") != "code":
            continue
        src = _source(cell)
        if _grade_id(cell) in template.answer_ids or src.strip() not in template.cells:
            mine.append(src)
    code = _join(mine)
    defined = _defined_functions(code)
    return Answer(code=code, functions={name: defined[name] for name in template.functions if name in defined})
