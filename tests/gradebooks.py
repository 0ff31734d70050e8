"""A small nbgrader gradebook built with nbgrader's own API, for tests of merge and export that
need no grading run: assignment ``fx`` with one notebook ``fx`` and three graded cells (1 + 2 + 1
points, one written answer needing manual grading), plus an assignment ``never`` nobody submitted."""
from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
import warnings
from pathlib import Path

from autograder.course import Course

CELLS = {"test_square": 1.0, "test_square_hidden": 2.0, "essay": 1.0}


_TEMPLATE: list[Path] = []  # built once per test process: a new gradebook costs an `alembic` run


def make(root) -> Course:
    root.mkdir(parents=True, exist_ok=True)
    course = Course(root=root, config_file=None, checks_dir=root)
    if not _TEMPLATE:
        import tempfile

        template = Course(root=Path(tempfile.mkdtemp(prefix="gradebook-template-")), config_file=None)
        # A new gradebook asks the `alembic` command for its schema version: it is beside this Python.
        path = os.environ.get("PATH", "")
        os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), path])
        try:
            _fill(template)
        finally:
            os.environ["PATH"] = path
        _TEMPLATE.append(template.db_path)
    shutil.copy(_TEMPLATE[0], course.db_path)
    return course


def _fill(course: Course) -> None:
    from nbgrader.api import Gradebook

    with warnings.catch_warnings(), Gradebook(course.db_url, course.course_id) as gb:
        warnings.simplefilter("ignore")
        for a in ("fx", "never"):
            gb.add_assignment(a)
            gb.add_notebook(a, a)
            for name, points in CELLS.items():
                gb.add_grade_cell(name, a, a, max_score=points, cell_type="markdown" if name == "essay" else "code")
            gb.add_solution_cell("essay", a, a)


def result(student: str, scores: dict[str, float], *, timestamp: dt.datetime | None = None) -> dict:
    """What a grading job hands to merge (see job.extract): auto scores, nothing manual."""
    grades = {name: {"auto_score": scores.get(name, 0.0), "manual_score": None, "extra_credit": None,
                     "needs_manual_grade": name == "essay", "max_score": pts} for name, pts in CELLS.items()}
    return {"assignment": "fx", "student": student, "status": "ok", "files": {"fx.ipynb": "{}"},
            "timestamp": timestamp.isoformat() if timestamp else None,
            "notebooks": {"fx": {"flagged": False, "grades": grades,
                                 "comments": {"essay": {"auto_comment": None, "manual_comment": None}}}}}


def submit(course: Course, student: str, content: bytes = b"{}") -> None:
    """A collected submission (merge looks at it to know whether the answer changed)."""
    d = course.dir("submitted", student, "fx")
    d.mkdir(parents=True, exist_ok=True)
    (d / "fx.ipynb").write_bytes(content)
