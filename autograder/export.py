"""Scores per student and assignment as a CSV an LMS gradebook imports.

Formats: ``plain`` (student_id, one column per assignment, total), ``canvas``
(the Canvas gradebook import layout: Student, ID, SIS User ID, SIS Login ID,
Section, then one column per assignment, with a 'Points Possible' row) and
``moodle`` (an 'ID number' identifier column, then one column per assignment).
A roster (see collect.py) supplies names and LMS ids where the format uses them.
"""
from __future__ import annotations

import csv
from pathlib import Path

from .course import Course


def table(course: Course) -> tuple[list[str], dict[str, dict[str, float]], dict[str, float]]:
    """(assignments, student -> assignment -> score, assignment -> max score)."""
    from nbgrader.api import Gradebook

    scores: dict[str, dict[str, float]] = {}
    with Gradebook(course.db_url, course.course_id) as gb:
        assignments = sorted(a.name for a in gb.assignments)
        maxima = {a.name: a.max_score for a in gb.assignments}
        for student in gb.students:
            scores[student.id] = {}
            for a in assignments:
                try:
                    scores[student.id][a] = gb.find_submission(a, student.id).score
                except Exception:  # MissingEntry: no submission is a 0 in a gradebook
                    scores[student.id][a] = 0.0
    return assignments, scores, maxima


def _roster(path: Path | None) -> dict[str, dict[str, str]]:
    if path is None:
        return {}
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = [{k.strip().lower(): (v or "").strip() for k, v in r.items() if k} for r in csv.DictReader(f)]
    return {r.get("student_id") or r.get("id"): r for r in rows}


def export(course: Course, output: Path, fmt: str = "plain", roster_csv: Path | None = None) -> int:
    """Write the CSV; return the number of student rows."""
    assignments, scores, maxima = table(course)
    roster = _roster(roster_csv)
    with open(output, "w", newline="") as f:
        w = csv.writer(f)
        if fmt == "canvas":
            w.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section"] + assignments)
            w.writerow(["    Points Possible", "", "", "", ""] + [f"{maxima[a]:g}" for a in assignments])
            for sid in sorted(scores):
                r = roster.get(sid, {})
                w.writerow([r.get("name", sid), r.get("lms_id", ""), sid, r.get("email", ""), ""]
                           + [f"{scores[sid][a]:g}" for a in assignments])
        elif fmt == "moodle":
            w.writerow(["ID number", "Email address"] + assignments)
            for sid in sorted(scores):
                w.writerow([sid, roster.get(sid, {}).get("email", "")] + [f"{scores[sid][a]:g}" for a in assignments])
        else:
            w.writerow(["student_id"] + assignments + ["total"])
            for sid in sorted(scores):
                vals = [scores[sid][a] for a in assignments]
                w.writerow([sid] + [f"{v:g}" for v in vals] + [f"{sum(vals):g}"])
    return len(scores)
