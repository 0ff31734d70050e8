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

# What one student's notebook may hold before it is a note instead of part of the comparison: the
# grader's own limits per notebook (grading.job.Limits, not imported: this stage needs nothing of
# grading), and a cap on the code itself, far above any answer (a2's is ~5,000 characters) and low
# enough that one student cannot make the run of a class take minutes (copydetect fingerprints
# ~30,000 characters a second: 100,000 cells took 40 s to read and minutes to fingerprint).
MAX_NOTEBOOK_MB = 50
MAX_CELLS = 2000
MAX_CODE_CHARS = 100_000


@dataclass
class Template:
    """What the release gives every student: its code, its answer cells, its graded functions."""

    code: str                       # every code cell of the release, one after the other
    answer_ids: set[str]            # grade ids of the answer (solution) cells
    functions: dict[str, str]       # the graded functions (defined in the answer cells): their stubs
    cells: set[str] = field(default_factory=set)  # the release's code cells, stripped
    untouched: str = ""             # what read_answer gives for the release itself: all its stubs


@dataclass
class Answer:
    """One student's code in one notebook."""

    code: str                    # all of it, cell after cell, as Python reads it (:func:`canonical`)
    functions: dict[str, str] = field(default_factory=dict)  # graded function name -> its source


def _cells(path: Path) -> list[dict]:
    """The cells of a notebook file (JSON read without validation: a notebook that nbformat would
    refuse still has code worth comparing). Raises ValueError with one line when it is not one."""
    name = Path(path).name
    try:
        size = Path(path).stat().st_size
        if size <= MAX_NOTEBOOK_MB << 20:
            data = json.loads(Path(path).read_text(encoding="utf-8", errors="replace"))
    except (OSError, ValueError, RecursionError) as exc:  # RecursionError: JSON nested too deep
        raise ValueError(f"{name} is not a readable notebook ({type(exc).__name__})") from None
    if size > MAX_NOTEBOOK_MB << 20:
        raise ValueError(f"{name} is {size / 2**20:.0f} MB, over the limit of {MAX_NOTEBOOK_MB} MB")
    cells = data.get("cells") if isinstance(data, dict) else None
    if not isinstance(cells, list):
        raise ValueError(f"{name} has no list of cells")
    if len(cells) > MAX_CELLS:
        raise ValueError(f"{name} has {len(cells)} cells, over the limit of {MAX_CELLS}")
    return [c for c in cells if isinstance(c, dict)]


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(s for s in src if isinstance(s, str)) if isinstance(src, list) else str(src)


def _grade_id(cell: dict) -> str | None:
    meta = cell.get("metadata")
    nbgrader = meta.get("nbgrader") if isinstance(meta, dict) else None
    grade_id = nbgrader.get("grade_id") if isinstance(nbgrader, dict) else None
    return grade_id if isinstance(grade_id, str) else None  # a list here would be unhashable


def _parse(chunk: str) -> ast.Module | None:
    """``chunk`` parsed, or None where Python cannot: a syntax error, a null byte, or an expression
    nested deeper than the parser's stack (RecursionError, or MemoryError from the parser itself on
    e.g. 200,000 unary minuses: a fixed-size stack, not the machine's memory)."""
    try:
        return ast.parse(chunk)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _defined_functions(code: str, stubs: dict[str, str] | None = None) -> dict[str, str]:
    """Top-level functions and classes of ``code`` by name, each with its source. Cell by cell,
    so one cell that does not parse loses only its own functions; a definition identical to the
    release's stub (``stubs``) never hides the student's own of the same name in another cell."""
    stubs = stubs or {}
    found: dict[str, str] = {}
    for chunk in code.split("\n\n# %% cell\n"):
        tree = _parse(chunk)
        if tree is None:
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                source = ast.get_source_segment(chunk, node) or ""
                if node.name not in found or source != stubs.get(node.name):
                    found[node.name] = source
    return found


def _join(sources: list[str]) -> str:
    return "\n\n# %% cell\n".join(sources)


class _WithoutDeadCode(ast.NodeTransformer):
    """Statements that cannot change what the code computes, removed: ``pass``, a bare constant
    (``...``, a string), ``if False:``/``if 0:`` (its ``else`` kept), and inside a function an
    assignment to a name the function never reads. Winnowing finds runs of ~25 filtered characters
    in the same order, so one no-op after every line (``_unused = None``) hid a whole copied
    notebook (0.09, below 60 independent pairs of 40 students); a compiler would drop them too."""

    def _statements(self, body: list) -> list:
        out = []
        for node in body:
            node = self.visit(node)
            if isinstance(node, ast.If) and isinstance(node.test, ast.Constant):
                out += self._statements(node.body if node.test.value else node.orelse)
            elif not isinstance(node, ast.Pass) and not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
                out.append(node)
        return out

    def generic_visit(self, node):
        for name in ("body", "orelse", "finalbody"):
            stmts = getattr(node, name, None)
            if isinstance(stmts, list) and stmts and isinstance(stmts[0], ast.stmt):
                setattr(node, name, self._statements(stmts) or ([] if name != "body" else [ast.Pass()]))
        for name, value in ast.iter_fields(node):
            if name not in ("body", "orelse", "finalbody"):
                if isinstance(value, ast.AST):
                    setattr(node, name, self.visit(value))
                elif isinstance(value, list):
                    setattr(node, name, [self.visit(v) if isinstance(v, ast.AST) else v for v in value])
        return node

    def visit_FunctionDef(self, node):
        node = self.generic_visit(node)
        for _ in range(5):  # a dead store may feed only another dead store
            read = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Store)}
            read |= {name for n in ast.walk(node) if isinstance(n, (ast.Global, ast.Nonlocal)) for name in n.names}
            before = sum(1 for _ in ast.walk(node))
            _DeadStores(read).visit(node)
            if sum(1 for _ in ast.walk(node)) == before:
                break
        return node

    visit_AsyncFunctionDef = visit_FunctionDef


class _DeadStores(ast.NodeTransformer):
    def __init__(self, read: set[str]):
        self.read = read

    def _dead(self, node) -> bool:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return all(isinstance(t, ast.Name) and t.id not in self.read for t in targets)

    def generic_visit(self, node):
        for name in ("body", "orelse", "finalbody"):
            stmts = getattr(node, name, None)
            if isinstance(stmts, list) and stmts and isinstance(stmts[0], ast.stmt):
                kept = [s for s in stmts if not (isinstance(s, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and self._dead(s))]
                setattr(node, name, kept or ([] if name != "body" else [ast.Pass()]))
        return super().generic_visit(node)


def canonical(code: str) -> str:
    """``code`` as Python reads it: parsed and written back (``ast.unparse``), so spacing, line
    breaks, parentheses, quotes and comments are the same for everyone, and without dead code
    (:class:`_WithoutDeadCode`). Cell by cell; a cell that does not parse (or uses IPython magics)
    is kept as written."""
    out = []
    for chunk in code.split("\n\n# %% cell\n"):
        tree = _parse(chunk)
        try:
            out.append(chunk if tree is None else ast.unparse(_WithoutDeadCode().visit(tree)))
        except RecursionError:
            out.append(chunk)
    return _join(out)


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
    untouched = canonical(_join(answers))
    return Template(code=canonical(_join(code)), answer_ids=answer_ids, functions=_defined_functions(untouched),
                    cells={s.strip() for s in code}, untouched=untouched)


def read_answer(notebook: Path, template: Template) -> Answer:
    """The student's own code in ``notebook`` (a ValueError with one line if it is no notebook)."""
    mine = []
    for cell in _cells(notebook):
        if cell.get("cell_type") != "code":
            continue
        src = _source(cell)
        if _grade_id(cell) in template.answer_ids or src.strip() not in template.cells:
            mine.append(src)
    if sum(map(len, mine)) > MAX_CODE_CHARS:
        raise ValueError(f"{Path(notebook).name} holds {sum(map(len, mine)):,} characters of the student's code, "
                         f"over the limit of {MAX_CODE_CHARS:,}")
    code = canonical(_join(mine))
    defined = _defined_functions(code, template.functions)
    return Answer(code=code, functions={name: defined[name] for name in template.functions if name in defined})
