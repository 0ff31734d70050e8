"""What the LMS told us, kept where the later stages read it.

* per assignment, ``<course>/.autograder/lms/<assignment>.json``: student -> what the LMS download
  said (Canvas user id, the LATE flag, the file it came in), written by ``collect.py`` and read by
  the gradebook merge and the exports;
* the roster's names, emails and LMS ids in nbgrader's gradebook (formgrader and ``nbgrader export``
  show them).

Kept apart from ``collect.py`` so that grading and export read these records without importing
the collector.
"""
from __future__ import annotations

import json
import warnings
from pathlib import Path

from ..course import Course


def records_path(course: Course, assignment: str) -> Path:
    return course.root / ".autograder" / "lms" / f"{assignment}.json"


def load_records(course: Course, assignment: str) -> dict:
    path = records_path(course, assignment)
    return json.loads(path.read_text()) if path.exists() else {}


def save_records(course: Course, assignment: str, records: dict) -> None:
    path = records_path(course, assignment)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(records, indent=1, sort_keys=True, ensure_ascii=False))
    tmp.replace(path)


def lms_records(course: Course, assignment: str | None = None) -> dict[str, dict]:
    """student -> what the LMS downloads said (per assignment, or merged over all of them)."""
    if assignment is not None:
        return load_records(course, assignment)
    merged: dict[str, dict] = {}
    for path in sorted((course.root / ".autograder" / "lms").glob("*.json")):
        for student, rec in json.loads(path.read_text()).items():
            merged.setdefault(student, {}).update({k: v for k, v in rec.items() if k == "user_id"})
    return merged


# ----------------------------------------------------------------- the roster


def sync_roster(course: Course, roster) -> int:
    """Put the roster's names, emails and Canvas ids into nbgrader's gradebook (formgrader and
    ``nbgrader export`` show them); return how many students were written."""
    from nbgrader.api import Gradebook

    if not course.db_path.exists():
        return 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Gradebook(course.db_url, course.course_id) as gb:
            for p in roster.people.values():
                fields = {k: v for k, v in (("first_name", p.first_name), ("last_name", p.last_name),
                                            ("email", p.email), ("lms_user_id", p.lms_user_id)) if v}
                gb.update_or_create_student(p.id, **fields)
    return len(roster.people)
