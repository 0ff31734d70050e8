"""Due dates, extensions and the late penalty, all kept where nbgrader keeps them.

* A due date is nbgrader's ``Assignment.duedate`` in the gradebook (formgrader shows it).
* An extension is nbgrader's ``SubmittedAssignment.extension``; a submission only exists once it is
  graded, so extensions are also written to ``.autograder/late.json`` and applied at every merge.
* The penalty is computed by nbgrader's own ``AssignLatePenalties`` preprocessor with a
  late-submission plugin: nbgrader's ``LateSubmissionPlugin`` (``none``, ``zero``) or
  :class:`PerDayPenalty` below. It is stored per notebook in ``late_submission_penalty``, which
  nbgrader's feedback shows and the exports subtract.

Times are compared as nbgrader compares them: naive UTC (``timestamp.txt`` from collect is UTC).
"""
from __future__ import annotations

import datetime as dt
import json
import math
import warnings
from pathlib import Path

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Float

from .course import Course
from .errors import InstructorError

METHODS = ("none", "zero", "per_day")


class PerDayPenalty(LateSubmissionPlugin):
    """``percent_per_day`` of the score for each started day late, after ``grace_minutes``;
    the whole score after ``zero_after_days`` days."""

    percent_per_day = Float(10.0, help="Percent of the score taken per started day late.").tag(config=True)
    grace_minutes = Float(0.0, help="Minutes late that cost nothing.").tag(config=True)
    zero_after_days = Float(None, allow_none=True, help="Days late after which the score is 0.").tag(config=True)

    def late_submission_penalty(self, student_id: str, score: float, total_seconds_late: float) -> float:
        seconds = total_seconds_late - 60 * self.grace_minutes
        if seconds <= 0:
            return 0.0
        days = math.ceil(seconds / 86400)
        if self.zero_after_days is not None and days > self.zero_after_days:
            return score
        return min(score, score * self.percent_per_day * days / 100)


# ----------------------------------------------------------------- the settings file


def _path(course: Course) -> Path:
    return course.root / ".autograder" / "late.json"


def settings(course: Course) -> dict:
    path = _path(course)
    data = json.loads(path.read_text()) if path.exists() else {}
    data.setdefault("policy", {"method": "none"})
    data.setdefault("extensions", {})
    return data


def _save(course: Course, data: dict) -> None:
    path = _path(course)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, sort_keys=True))


def config(course: Course):
    """The traitlets Config that makes nbgrader's AssignLatePenalties use the course's policy."""
    from traitlets.config import Config

    policy = settings(course)["policy"]
    cfg = Config()
    if policy["method"] == "per_day":
        cfg.AssignLatePenalties.plugin_class = PerDayPenalty
        for key in ("percent_per_day", "grace_minutes", "zero_after_days"):
            if key in policy:
                setattr(cfg.PerDayPenalty, key, policy[key])
    else:
        cfg.AssignLatePenalties.plugin_class = LateSubmissionPlugin
        cfg.LateSubmissionPlugin.penalty_method = policy["method"]
    return cfg


def config_lines(course: Course) -> str:
    """The same, as lines of an nbgrader_config.py (so `nbgrader autograde` agrees with the tool)."""
    policy = settings(course)["policy"]
    if policy["method"] == "none":
        return ""
    if policy["method"] == "zero":
        return 'c.LateSubmissionPlugin.penalty_method = "zero"\n'
    lines = 'c.AssignLatePenalties.plugin_class = "autograder.late.PerDayPenalty"\n'
    for key in ("percent_per_day", "grace_minutes", "zero_after_days"):
        if key in policy:
            lines += f"c.PerDayPenalty.{key} = {policy[key]!r}\n"
    return lines


# ----------------------------------------------------------------- setting them


def parse_time(text: str) -> dt.datetime:
    """'2026-12-01 23:59' or ISO 8601 with an offset -> naive UTC."""
    try:
        when = dt.datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise InstructorError(f"cannot read the date {text!r}; write it as 2026-12-01 23:59 "
                              "(UTC) or 2026-12-01T23:59+01:00") from exc
    return when.astimezone(dt.timezone.utc).replace(tzinfo=None) if when.tzinfo else when


def set_due(course: Course, assignment: str, due: dt.datetime | None) -> None:
    from nbgrader.api import Gradebook

    course.notebooks(assignment)  # a clear error if it is not registered
    with warnings.catch_warnings(), Gradebook(course.db_url, course.course_id) as gb:
        warnings.simplefilter("ignore")
        gb.update_or_create_assignment(assignment, duedate=due)


def due(course: Course, assignment: str) -> dt.datetime | None:
    from nbgrader.api import Gradebook

    with warnings.catch_warnings(), Gradebook(course.db_url, course.course_id) as gb:
        warnings.simplefilter("ignore")
        return gb.find_assignment(assignment).duedate


def set_extension(course: Course, assignment: str, student: str, hours: float) -> None:
    from nbgrader.api import Gradebook, MissingEntry

    data = settings(course)
    data["extensions"].setdefault(assignment, {})[student] = hours
    _save(course, data)
    with warnings.catch_warnings(), Gradebook(course.db_url, course.course_id) as gb:
        warnings.simplefilter("ignore")
        try:
            gb.grant_extension(assignment, student, hours=hours)
        except MissingEntry:
            pass  # not graded yet: applied when it is merged


def set_policy(course: Course, method: str, **options) -> None:
    if method not in METHODS:
        raise InstructorError(f"unknown penalty {method!r}; use one of {', '.join(METHODS)}")
    data = settings(course)
    data["policy"] = {"method": method, **{k: v for k, v in options.items() if v is not None}}
    _save(course, data)
    course.write_root_config()


# ----------------------------------------------------------------- applying them


def apply_penalty(course: Course, assignment: str, student: str) -> tuple[float, str | None]:
    """Set the submission's extension and each notebook's penalty with nbgrader's own
    AssignLatePenalties; return (total penalty, a note for the summary or None)."""
    import nbformat
    from nbgrader.api import Gradebook
    from nbgrader.preprocessors import AssignLatePenalties

    hours = settings(course)["extensions"].get(assignment, {}).get(student)
    with warnings.catch_warnings(), Gradebook(course.db_url, course.course_id) as gb:
        warnings.simplefilter("ignore")
        if hours is not None:
            gb.grant_extension(assignment, student, hours=hours)
        sub = gb.find_submission(assignment, student)
        late, notebooks = sub.total_seconds_late, [nb.name for nb in sub.notebooks]
    pre = AssignLatePenalties(config=config(course))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in notebooks:
            resources = {"nbgrader": {"notebook": name, "assignment": assignment, "student": student,
                                      "db_url": course.db_url}}
            pre.preprocess(nbformat.v4.new_notebook(), resources)
        with Gradebook(course.db_url, course.course_id) as gb:
            penalty = sum(nb.late_submission_penalty or 0 for nb in gb.find_submission(assignment, student).notebooks)
    if late <= 0:
        return 0.0, None
    return penalty, f"late by {late / 3600:.1f} h: penalty {penalty:g}"


def reapply(course: Course, assignment: str) -> dict[str, float]:
    """Apply the current settings to every graded submission of `assignment` (no re-grading
    needed: the penalty depends only on times and scores); return student -> penalty."""
    from nbgrader.api import Gradebook

    with warnings.catch_warnings(), Gradebook(course.db_url, course.course_id) as gb:
        warnings.simplefilter("ignore")
        students = [sub.student.id for sub in gb.assignment_submissions(assignment)]
    return {s: apply_penalty(course, assignment, s)[0] for s in students}
