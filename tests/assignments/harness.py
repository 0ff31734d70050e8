"""Real nbgrader round trips for the assignment tests: a course in a temp dir, submissions, scores.

Submissions are built from the *released* notebook (what students get, with nbgrader's
checksums) by filling its answer cells: with the solution (markers removed), with a declared
wrong implementation ("mutant"), or with a declared alternative correct one. All submissions of
one assignment go to one ``nbgrader autograde`` call (nbgrader starts once).

Mutant modules ``tests/assignments/mutants_<assignment>.py`` declare, per answer cell grade id::

    MUTANTS = {"dense_backward": [
        ("db averaged instead of summed", ("db = dout.sum(axis=0)", "db = dout.mean(axis=0)")),
        ("dW transposed", "def dense_backward(dout, cache):\\n    ..."),   # a whole cell
    ]}
    CORRECT = {"dense_backward": ["<cell source 1>", "<cell source 2>"]}

A change is a whole cell source, or ``(old, new)``: a replacement in the solution (``old`` must
occur exactly once). The test cell of answer cell ``f`` has grade id ``test_f``.
"""

from __future__ import annotations

import copy
import html
import importlib
import re
import time
from pathlib import Path

import nbformat

from tools import authoring as A
from autograder.release import SOLUTIONS, generate, make_course, nbgrader


def source_notebook(assignment: str):
    return nbformat.read(str(SOLUTIONS / assignment / f"{assignment}.ipynb"), as_version=4)


def mutants(assignment: str):
    """``(MUTANTS, CORRECT)`` of ``tests/assignments/mutants_<assignment>.py``."""
    module = importlib.import_module(f"tests.assignments.mutants_{assignment}")
    return module.MUTANTS, module.CORRECT


def solution_sources(source_nb) -> dict[str, str]:
    """``{grade_id: solution cell as a student would write it}``."""
    return {gid: A.strip_solution_markers(cell.source) for gid, cell in A.solution_cells(source_nb).items()}


def apply_change(solution: str, change) -> str:
    if isinstance(change, str):
        return change
    old, new = change
    if solution.count(old) != 1:
        raise ValueError(f"mutant replacement {old!r} must occur exactly once in the solution:\n{solution}")
    return solution.replace(old, new)


def make_submission(released_nb, answers: dict[str, str]):
    """The released notebook with the answer cells in ``answers`` ({grade_id: source}) filled in."""
    nb = copy.deepcopy(released_nb)
    for cell in nb.cells:
        gid = A.nbgrader_meta(cell).get("grade_id")
        if A.nbgrader_meta(cell).get("solution") and gid in answers:
            cell.source = answers[gid]
    return nb


class Course:
    """A throw-away nbgrader course (own gradebook) in ``root`` with one assignment generated."""

    def __init__(self, root: Path, assignment: str):
        self.root = make_course(root)
        self.assignment = assignment
        self.released = nbformat.read(str(generate(self.root, assignment)), as_version=4)

    def submit(self, student: str, nb) -> None:
        path = self.root / "submitted" / student / self.assignment / f"{self.assignment}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(path))

    def autograde(self) -> float:
        """Autograde every submission in one nbgrader call; returns the wall time in seconds."""
        start = time.perf_counter()
        nbgrader(self.root, "autograde", self.assignment, "--force")
        return time.perf_counter() - start

    def scores(self, student: str) -> dict[str, float]:
        """``{grade_id: score}`` of a graded submission, from the gradebook."""
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{self.root / 'gradebook.db'}") as gb:
            nb = gb.find_submission_notebook(self.assignment, self.assignment, student)
            return {g.name: float(g.score) for g in nb.grades}

    def feedback_html(self, student: str) -> str:
        nbgrader(self.root, "generate_feedback", self.assignment, "--student", student, "--force")
        path = self.root / "feedback" / student / self.assignment / f"{self.assignment}.html"
        return path.read_text()


def visible_text(page: str) -> str:
    """The text of an HTML page with tags removed and entities decoded (syntax highlighting undone)."""
    page = re.sub(r"<style.*?</style>|<script.*?</script>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def region_lines(text: str, begin: str, end: str) -> list[str]:
    """The stripped, non-empty lines between ``begin`` and ``end`` marker lines."""
    lines, inside = [], False
    for line in text.splitlines():
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif inside and line.strip():
            lines.append(line.strip())
    return lines


def hidden_lines(source_nb) -> list[str]:
    return [line for cell in source_nb.cells if cell.cell_type == "code"
            for line in region_lines(cell.source, A.BEGIN_HIDDEN, A.END_HIDDEN)]


def secret_solution_lines(source_nb) -> list[str]:
    """Solution lines that do not also appear outside the solution regions (those are not secret)."""
    inside, outside = set(), set()
    for cell in source_nb.cells:
        sol = set(region_lines(cell.source, A.BEGIN_SOLUTION, A.END_SOLUTION)) if cell.cell_type == "code" else set()
        inside |= sol
        outside |= {line.strip() for line in cell.source.splitlines() if line.strip()} - sol
    return sorted(inside - outside)


# --------------------------------------------------------------------------- visible tests only (no nbgrader)

_RUN_VISIBLE = r'''
import contextlib, io, json, sys, warnings
cells, submissions, out_path = json.load(open(sys.argv[1]))
results = {}
for label, answers in submissions.items():
    ns, failures = {"__name__": "__main__"}, {}
    for kind, gid, source in cells:
        source = answers.get(gid, source) if kind == "answer" else source
        try:
            with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
                exec(compile(source, f"<{gid}>", "exec"), ns)
            if kind == "test":
                failures[gid] = None
        except Exception as e:  # a failing cell does not stop the notebook, as under nbgrader
            failures[gid] = f"{type(e).__name__}: {e}"
    results[label] = failures
json.dump(results, open(out_path, "w"))
'''


def run_visible(assignment: str, submissions: dict[str, dict[str, str]], tmp: Path) -> dict[str, dict[str, str | None]]:
    """Run the set-up cell, the answer cells and the *visible* part of every test cell, as a student's kernel would.

    ``submissions``: {label: {grade_id: answer cell source}} (missing answers: the solution). Returns
    {label: {test grade_id: None if the visible tests pass, else "ExceptionType: message"}}. One fresh
    interpreter for all submissions (each gets a fresh namespace), started in the repository root.
    """
    import json
    import subprocess
    import sys

    source = source_notebook(assignment)
    solution = solution_sources(source)
    cells = []
    for cell in source.cells:
        meta = A.nbgrader_meta(cell)
        gid = meta.get("grade_id")
        if cell.cell_type != "code" or not gid:
            continue
        if meta.get("solution"):
            cells.append(("answer", gid, solution[gid]))
        elif meta.get("grade"):
            cells.append(("test", gid, cell.source.split(A.BEGIN_HIDDEN)[0]))
        else:
            cells.append(("setup", gid, cell.source))
    job, out = tmp / "visible_job.json", tmp / "visible_out.json"
    job.write_text(json.dumps([cells, submissions, str(out)]))
    script = tmp / "run_visible.py"
    script.write_text(_RUN_VISIBLE)
    repo = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, str(script), str(job)], cwd=repo, check=True, timeout=600,
                   env={**__import__("os").environ, "PYTHONPATH": str(repo), "OMP_NUM_THREADS": "1"})
    return json.loads(out.read_text())
