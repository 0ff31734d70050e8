"""The main gradebook's side of grading: one job's result merged into it (parent process only).

Kept apart from the pool and job machinery in ``grade.py`` so the rules for what a re-grade may
overwrite (manual grades, late penalties) live in one small module.
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import warnings
from dataclasses import dataclass, field

from .course import Course


@dataclass
class Outcome:
    """One submission's line in the summary."""

    student: str
    status: str
    score: float = 0.0
    max_score: float = 0.0
    notes: list[str] = field(default_factory=list)
    wall: float = 0.0
    skipped: bool = False
    execute_seconds: float = 0.0  # of `wall`, the notebooks' own execution


def merge(course: Course, result: dict) -> Outcome:
    """Write one job's result into the main gradebook and autograded/ (parent only)."""
    with warnings.catch_warnings():  # nbgrader's own SQLAlchemy 'not in session' noise
        warnings.simplefilter("ignore")
        return _merge(course, result)


def _merge(course: Course, result: dict) -> Outcome:
    from nbgrader.api import Gradebook

    a, s = result["assignment"], result["student"]
    dest = course.dir("autograded", s, a)
    if dest.exists():
        for p in dest.rglob("*"):
            os.chmod(p, 0o755 if p.is_dir() else 0o644)  # nbgrader leaves them read-only
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for name, text in result.get("files", {}).items():
        tmp = dest / f".{name}.tmp"
        tmp.write_text(text)
        tmp.replace(dest / name)
    ts = dt.datetime.fromisoformat(result["timestamp"]) if result.get("timestamp") else None
    score = max_score = 0.0
    with Gradebook(course.db_url, course.course_id) as gb:
        gb.update_or_create_student(s)
        gb.update_or_create_submission(a, s, **({"timestamp": ts} if ts else {}))
        sub = gb.find_submission(a, s)
        for nb in sub.notebooks:
            data = result.get("notebooks", {}).get(nb.name)
            nb.flagged = bool(data and data["flagged"])
            for g in nb.grades:
                d = (data or {}).get("grades", {}).get(g.name)
                if d is None:  # no result for it (job failed, notebook missing): zero, nothing to grade
                    d = {"auto_score": 0, "manual_score": None, "extra_credit": None,
                         "needs_manual_grade": False}
                for key in ("auto_score", "manual_score", "extra_credit", "needs_manual_grade"):
                    setattr(g, key, d[key])
            for c in nb.comments:
                d = (data or {}).get("comments", {}).get(c.name, {})
                c.auto_comment, c.manual_comment = d.get("auto_comment"), d.get("manual_comment")
        gb.db.commit()
        sub = gb.find_submission(a, s)
        score, max_score = sub.score, sub.max_score
    notes = list(result.get("notes", [])) + list(result.get("incidents", []))
    if result.get("status") != "ok":
        notes += result.get("error", [])
    return Outcome(s, result.get("status", "error"), score, max_score, notes,
                   execute_seconds=result.get("execute_seconds", 0.0))
