"""The main gradebook's side of grading: one job's result merged into it (parent process only).

Kept apart from the pool and job machinery in ``pool.py`` and ``job.py`` so the rules for what a re-grade may
overwrite (manual grades, late penalties) live in one small module.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
import shutil
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from ..course import Course
from ..lms.records import lms_records


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
    secret = _read(dest / "submission_secret.txt")
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
    _write_release_files(course, a, s, dest, ts, secret)
    changed = _submission_changed(course, a, s)
    kept = 0
    with Gradebook(course.db_url, course.course_id) as gb:
        gb.update_or_create_student(s)
        gb.update_or_create_submission(a, s, **({"timestamp": ts} if ts else {}))
        sub = gb.find_submission(a, s)
        for nb in sub.notebooks:
            data = result.get("notebooks", {}).get(nb.name)
            manual_here = False
            for g in nb.grades:
                d = (data or {}).get("grades", {}).get(g.name)
                if d is None:  # no result for it (job failed, notebook missing): zero, nothing to grade
                    d = {"auto_score": 0, "manual_score": None, "extra_credit": None,
                         "needs_manual_grade": False}
                g.auto_score = d["auto_score"]
                if g.manual_score is None and g.extra_credit is None:
                    g.manual_score, g.extra_credit = d["manual_score"], d["extra_credit"]
                    g.needs_manual_grade = d["needs_manual_grade"]
                else:  # a grader's work (formgrader): kept; re-reviewed if the answer changed
                    kept += 1
                    manual_here = True
                    g.needs_manual_grade = bool(g.needs_manual_grade or changed)
            for c in nb.comments:
                d = (data or {}).get("comments", {}).get(c.name, {})
                c.auto_comment = d.get("auto_comment")
                if c.manual_comment:
                    kept += 1
                    manual_here = True
                else:
                    c.manual_comment = d.get("manual_comment")
            nb.flagged = bool(nb.flagged or (data and data["flagged"]) or (manual_here and changed))
        gb.db.commit()
    from .late import apply_penalty

    penalty, late_note = apply_penalty(course, a, s)
    with Gradebook(course.db_url, course.course_id) as gb:
        sub = gb.find_submission(a, s)
        score, max_score = sub.score, sub.max_score
    _remember_submission(course, a, s)
    notes = list(result.get("notes", [])) + list(result.get("incidents", []))
    if kept:
        notes.append(f"kept {kept} manual grade(s)/comment(s)"
                     + ("; the submission changed since: flagged for re-review" if changed else ""))
    if late_note:
        notes.append(late_note)
    elif ts is None:
        if lms_records(course, a).get(s, {}).get("late"):  # Canvas: a flag, no time to compute a penalty from
            notes.append("Canvas marked it LATE; its zip has no submission time, so no penalty was computed")
    if result.get("status") != "ok":
        notes += result.get("error", [])
    return Outcome(s, result.get("status", "error"), score, max_score, notes,
                   execute_seconds=result.get("execute_seconds", 0.0))


# ----------------------------------------------------------------- what nbgrader's other commands need


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None


def _write_release_files(course: Course, a: str, s: str, dest: Path, ts: dt.datetime | None,
                         secret: str | None) -> None:
    """``timestamp.txt`` and ``submission_secret.txt`` beside the autograded notebooks: nbgrader's
    generate_feedback copies them to feedback/ and ``nbgrader release_feedback`` reads both."""
    submitted = course.dir("submitted", s, a)
    stamp = _read(submitted / "timestamp.txt")
    if stamp is None:  # an LMS that gives no submission time (Canvas): the time it was collected
        when = ts or dt.datetime.fromtimestamp(submitted.stat().st_mtime if submitted.exists() else 0)
        stamp = when.strftime("%Y-%m-%d %H:%M:%S.%f")
    (dest / "timestamp.txt").write_text(stamp)
    secret = _read(submitted / "submission_secret.txt") or secret or secrets.token_hex(32)
    (dest / "submission_secret.txt").write_text(secret)


# ----------------------------------------------------------------- has the answer changed?


def content_hash(directory: Path) -> str:
    """Hash of what the student handed in (the files, not the times nbgrader or we add)."""
    h = hashlib.sha256()
    if directory.is_dir():
        for path in sorted(p for p in directory.rglob("*") if p.is_file() and not p.is_symlink()):
            if path.name not in ("timestamp.txt", "submission_secret.txt"):
                h.update(str(path.relative_to(directory)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def _hashes_path(course: Course, a: str) -> Path:
    return course.root / ".autograder" / "graded" / f"{a}.json"


def _submission_changed(course: Course, a: str, s: str) -> bool:
    """True when the submission differs from the one last merged (unknown counts as unchanged:
    keeping a grader's score is the safe side)."""
    path = _hashes_path(course, a)
    old = json.loads(path.read_text()).get(s) if path.exists() else None
    return old is not None and old != content_hash(course.dir("submitted", s, a))


def _remember_submission(course: Course, a: str, s: str) -> None:
    path = _hashes_path(course, a)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.loads(path.read_text()) if path.exists() else {}
    data[s] = content_hash(course.dir("submitted", s, a))
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
    tmp.replace(path)
