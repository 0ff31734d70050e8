"""Faults stay faults and students cannot manufacture them (issue 25, item 3).

* a cell that hangs, ignoring interrupts, only when it is replayed after a kernel crash: the
  replay's timeout is handled like a dead kernel (it was a grader fault on every run);
* once student cells have run, whatever goes wrong is the student's result, scored, with a note;
* the notebook's cell count, size and attachments are limited when the job is prepared, in the
  grading parent before the job's clock starts (200,000 cells made the tool's own parsing exceed
  the job's hard limit), and attachments are stripped from what is graded (kept in submitted/).
"""
import base64
import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.grading.execute import EXECUTION_FAILED, KERNEL_DIED, ResilientExecute

# Hangs, ignoring SIGINT, only when replayed: a replay runs with store_history=False, so IPython's
# execution counter stays at 1, while a first run of the notebook's second cell sees 2.
HANG_ON_REPLAY = ("import signal, time\n"
                  "if get_ipython().execution_count < 2:\n"
                  "    signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                  "    while True:\n        time.sleep(0.2)\n")


def _run(cells, tmp_path, cls=ResilientExecute):
    nb = new_notebook(cells=[new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    ex = cls(timeout=3, interrupt_grace=2, notebook_timeout=120)
    ex.preprocess(nb, {"metadata": {"path": str(tmp_path)}})
    return nb


def _errors(cell):
    return [o.get("ename") for o in cell.outputs if o.output_type == "error"]


def _text(cell):
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def test_a_cell_that_hangs_when_replayed_after_a_crash_is_dropped_like_a_dead_one(tmp_path):
    nb = _run(["x = 1", HANG_ON_REPLAY + "y = 2", "import os\nos._exit(1)", "print('after', x)"], tmp_path)
    assert _errors(nb.cells[2]) == [KERNEL_DIED]
    assert _text(nb.cells[3]).strip() == "after 1"  # the rest of the notebook ran, x replayed


def test_once_student_cells_ran_a_failure_is_the_students_result(tmp_path):
    class Breaks(ResilientExecute):
        def preprocess_cell(self, cell, resources, index):
            if index == 1:
                raise RuntimeError("a kernel message nbclient did not expect")
            return super().preprocess_cell(cell, resources, index)

    nb = _run(["x = 1", "y = 2", "print(x)"], tmp_path, Breaks)  # no exception: a grade, not a fault
    assert _errors(nb.cells[1]) == [EXECUTION_FAILED] and "RuntimeError" in nb.cells[1].outputs[-1].evalue
    assert not _errors(nb.cells[0]) and _text(nb.cells[2]).strip() == "1"  # a fresh kernel ran the rest


# ----------------------------------------------------------------- end to end, through `grade`


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    from autograder.grading.job import Limits
    from autograder.grading.pool import grade
    from tests import fixture

    course = fixture.make_course(tmp_path_factory.mktemp("hostile") / "course")
    replay = fixture.answered_notebook(course, HANG_ON_REPLAY + fixture.CORRECT_SQUARE, "import os\nos._exit(1)")
    fixture.submit(course, "replay_hang", replay)
    many = fixture.student_notebook(course, "correct")
    many.cells += [new_code_cell("pass") for _ in range(1500)]
    fixture.submit(course, "many_cells", many)
    png = base64.b64encode(b"\x89PNG" + bytes(2 << 20)).decode()
    big = fixture.student_notebook(course, "correct")
    big.cells.append(new_markdown_cell("![x](attachment:x.png)", attachments={"x.png": {"image/png": png}}))
    fixture.submit(course, "big_attachment", big)
    small = fixture.student_notebook(course, "correct")
    small.cells.append(new_markdown_cell("![x](attachment:x.png)",
                                         attachments={"x.png": {"image/png": base64.b64encode(b"tiny").decode()}}))
    fixture.submit(course, "small_attachment", small)
    limits = Limits(cell_timeout=5, notebook_timeout=90, memory_mb=1024, max_cells=1000, attachments_mb=1)
    outcomes = {o.student: o for o in grade(course, fixture.ASSIGNMENT, limits=limits, workers=2, progress=False)}
    return course, outcomes, fixture.scores(course)


@pytest.mark.slow
def test_replay_hang_is_graded_not_a_fault(graded):
    _, outcomes, scores = graded
    assert outcomes["replay_hang"].status == "ok" and scores["replay_hang"] == 3.0


@pytest.mark.slow
@pytest.mark.parametrize("student, word", [("many_cells", "cells"), ("big_attachment", "attachment")])
def test_beyond_the_limits_scores_zero_with_a_note(graded, student, word):
    _, outcomes, scores = graded
    o = outcomes[student]
    assert o.status == "ok" and scores[student] == 0.0
    assert any(word in n for n in o.notes), o.notes


@pytest.mark.slow
def test_attachments_are_stripped_from_what_is_graded_and_kept(graded):
    course, outcomes, scores = graded
    assert scores["small_attachment"] == 4.0
    graded_nb = json.loads((course.dir("autograded", "small_attachment", "fx") / "fx.ipynb").read_text())
    assert not any(c.get("attachments") for c in graded_nb["cells"])
    kept = nbformat.read(course.dir("submitted", "small_attachment", "fx") / "fx.ipynb", as_version=4)
    assert any(c.get("attachments") for c in kept.cells)
