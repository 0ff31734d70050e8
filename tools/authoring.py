"""Build nbgrader notebooks with correct cell metadata, from a script (no Jupyter UI needed).

The notebook in ``solutions/<assignment>/<assignment>.ipynb`` is the source of truth; these
helpers only make writing (or rewriting) one painless. A typical authoring script::

    from tools import authoring as A
    nb = A.notebook([
        A.markdown("# Assignment 2: back-propagation ..."),
        A.colab_setup(),
        A.readonly("helpers", "import numpy as np ..."),            # locked: restored at grading
        A.markdown("## 1. Dense layer, forward ..."),
        A.solution("dense_forward", "def dense_forward(x, W, b):\\n    ### BEGIN SOLUTION\\n ..."),
        A.tests("test_dense_forward", 2, visible="assert ...",
                hidden=A.hidden_call("a2_backprop", "dense_forward")),
    ])
    A.write(nb, "solutions/a2_backprop/a2_backprop.ipynb")

Cell kinds (nbgrader's metadata, schema version 3):

* ``markdown`` / ``code``: ordinary cells, no nbgrader metadata (students may edit them).
* ``readonly``: a locked code cell (helpers, set-up). nbgrader restores it before grading.
* ``solution``: the answer cell of one graded function; the solution goes between
  ``### BEGIN SOLUTION`` and ``### END SOLUTION`` and becomes ``raise NotImplementedError()``.
* ``tests``: the locked, graded test cell of that function, worth all of its points: the visible
  asserts, then ``### BEGIN HIDDEN TESTS`` / one call of ``autograder.checks`` / ``### END HIDDEN TESTS``.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat import v4

# The first lines of every locked set-up cell. nbgrader gives a test cell 0 points when anything
# appears on its stderr, so a correct answer that only triggers a warning would lose its points.
WARNINGS_TO_STDOUT = '''import warnings


# Warnings are printed on stdout: at grading, anything a test cell writes to stderr counts as a failure.
def _show_warning(message, category, filename, lineno, file=None, line=None):
    print(f"{category.__name__}: {message}")


warnings.showwarning = _show_warning

'''

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"


def _nbgrader(grade_id: str, *, grade: bool, solution: bool, locked: bool, points: float | None = None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def markdown(text: str):
    return v4.new_markdown_cell(text.strip("\n"))


def code(text: str):
    return v4.new_code_cell(text.strip("\n"))


def colab_setup():
    """The first code cell of every notebook of the course, as ``tools/colab.py`` writes it."""
    from tools.colab import setup_cell  # the repository root is on sys.path when authoring

    return setup_cell()


def readonly(cell_id: str, text: str):
    """A locked, ungraded code cell: students cannot change what it does at grading time."""
    cell = code(text)
    cell.metadata.update(_nbgrader(cell_id, grade=False, solution=False, locked=True))
    cell.id = cell_id
    return cell


def solution(grade_id: str, text: str):
    """The answer cell of a graded function (must contain the solution markers)."""
    if BEGIN_SOLUTION not in text or END_SOLUTION not in text:
        raise ValueError(f"{grade_id}: a solution cell needs {BEGIN_SOLUTION!r} and {END_SOLUTION!r}")
    cell = code(text)
    cell.metadata.update(_nbgrader(grade_id, grade=False, solution=True, locked=False))
    cell.id = grade_id
    return cell


def hidden_call(assignment: str, name: str, args: str | None = None) -> str:
    """The one line of a hidden test: ``from autograder.checks.<a> import check_<name>; check_<name>(<args>)``."""
    return f"from autograder.checks.{assignment} import check_{name}; check_{name}({args or name})"


def tests(grade_id: str, points: float, visible: str, hidden: str):
    """A locked, graded test cell: visible asserts, then the hidden call between the markers."""
    text = f"{visible.strip()}\n\n{BEGIN_HIDDEN}\n{hidden.strip()}\n{END_HIDDEN}"
    cell = code(text)
    cell.metadata.update(_nbgrader(grade_id, grade=True, solution=False, locked=True, points=points))
    cell.id = grade_id
    return cell


def notebook(cells) -> nbformat.NotebookNode:
    """A notebook with the course's kernelspec and deterministic cell ids."""
    nb = v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    seen = set()
    for i, cell in enumerate(cells):
        if "nbgrader" not in cell.metadata:
            cell.id = f"cell-{i:02d}"
        if cell.id in seen:
            raise ValueError(f"duplicate cell id {cell.id!r}")
        seen.add(cell.id)
    nb.cells = list(cells)
    nbformat.validate(nb)
    return nb


def write(nb, path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


# --------------------------------------------------------------------------- reading notebooks back


def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def graded_cells(nb) -> dict[str, float]:
    """``{grade_id: points}`` of the graded test cells, in notebook order."""
    return {nbgrader_meta(c)["grade_id"]: float(nbgrader_meta(c)["points"])
            for c in nb.cells if nbgrader_meta(c).get("grade")}


def solution_cells(nb) -> dict:
    """``{grade_id: cell}`` of the answer cells."""
    return {nbgrader_meta(c)["grade_id"]: c for c in nb.cells if nbgrader_meta(c).get("solution")}


def strip_solution_markers(text: str) -> str:
    """The solution cell as a student who solved it would write it (markers removed)."""
    return "\n".join(line for line in text.splitlines()
                     if line.strip() not in (BEGIN_SOLUTION, END_SOLUTION))


# --------------------------------------------------------------------------- shared notebook text

#: the visible tests' comparison helper, put in a read-only cell of every NumPy assignment.
ASSERT_CLOSE = '''
def assert_close(name, got, expected, rtol=1e-6):
    """Check that `got` is a NumPy array shaped like `expected`, with relative error below `rtol`.

    The message says which output is wrong, its expected shape, the relative error and the worst entry.
    """
    expected = np.asarray(expected, dtype=np.float64)
    assert isinstance(got, np.ndarray), (
        f"{name}: expected a NumPy array of shape {expected.shape}; got {type(got).__name__}")
    assert got.shape == expected.shape, f"{name}: expected shape {expected.shape}; got shape {got.shape}"
    got64 = got.astype(np.float64)
    err = np.linalg.norm(got64 - expected) / max(np.linalg.norm(got64) + np.linalg.norm(expected), 1e-300)
    if not err < rtol:  # also catches NaN
        i = np.unravel_index(np.argmax(np.nan_to_num(np.abs(got64 - expected), nan=np.inf)), expected.shape)
        raise AssertionError(f"{name}: relative error {err:.3g} > {rtol:g}; worst entry {i}: "
                             f"got {got64[i]:.6g}, expected {expected[i]:.6g}")
    print(f"{name}: OK (relative error {err:.1e})")
'''.strip()


def literal(a, digits: int = 10) -> str:
    """An array (or number) as a Python literal rounded to ``digits`` decimals, for visible tests."""
    import numpy as np

    return repr(np.round(np.asarray(a, dtype=np.float64), digits).tolist())
