"""Due dates, extensions and the late penalty, all kept where nbgrader keeps them.

* A due date is nbgrader's ``Assignment.duedate`` in the gradebook (formgrader shows it).
* An extension is nbgrader's ``SubmittedAssignment.extension``; a submission only exists once it is
  graded, so extensions are also written to ``.autograder/late.json`` and applied at every merge.
* The penalty is computed by nbgrader's own ``AssignLatePenalties`` preprocessor with a
  late-submission plugin: nbgrader's ``LateSubmissionPlugin`` (``none``, ``zero``) or
  :class:`~autograder.late_policy.PerDayPenalty`. It is stored per notebook in ``late_submission_penalty``, which
  nbgrader's feedback shows and the exports subtract.

Times are compared as nbgrader compares them: naive UTC (``timestamp.txt`` from collect is UTC).
"""
from __future__ import annotations

import datetime as dt
import warnings

from ..course import Course
from ..errors import InstructorError
from ..late_policy import METHODS, save_extension, save_policy
from ..late_policy import settings as _stored


def settings(course: Course) -> dict:
    """The course's stored late policy and extensions (``late_policy.py``)."""
    return _stored(course.root)


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

    save_extension(course.root, assignment, student, hours)
    with warnings.catch_warnings(), Gradebook(course.db_url, course.course_id) as gb:
        warnings.simplefilter("ignore")
        try:
            gb.grant_extension(assignment, student, hours=hours)
        except MissingEntry:
            pass  # not graded yet: applied when it is merged


def set_policy(course: Course, method: str, **options) -> None:
    if method not in METHODS:
        raise InstructorError(f"unknown penalty {method!r}; use one of {', '.join(METHODS)}")
    save_policy(course.root, {"method": method, **{k: v for k, v in options.items() if v is not None}})
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
    pre = AssignLatePenalties(config=course.config())  # the course's nbgrader config, then the tool's policy
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
    conflict = policy_conflict(course)
    return penalty, f"late by {late / 3600:.1f} h: penalty {penalty:g}" + (f" ({conflict})" if conflict else "")


def policy_conflict(course: Course) -> str | None:
    """A sentence when the tool's late policy and the course's nbgrader_config.py both set one and
    they differ (the tool's applies; nothing is resolved silently)."""
    from ..late_policy import is_set

    if course.config_file is None or not course.config_file.exists() or not is_set(course.root):
        return None
    from traitlets.config.loader import PyFileConfigLoader

    own = PyFileConfigLoader(course.config_file.name, path=str(course.config_file.parent)).load_config()
    theirs = {"plugin": str(own.AssignLatePenalties.get("plugin_class", "")) or None,
              "method": own.LateSubmissionPlugin.get("penalty_method")}
    if theirs == {"plugin": None, "method": None}:
        return None
    mine = settings(course)["policy"]["method"]
    if theirs["method"] == mine and theirs["plugin"] in (None, "nbgrader.plugins.LateSubmissionPlugin"):
        return None
    said = (f"LateSubmissionPlugin.penalty_method = {theirs['method']!r}" if theirs["method"]
            else f"AssignLatePenalties.plugin_class = {theirs['plugin']!r}")
    return (f"the tool's late policy '{mine}' applies, not {said} of {course.config_file.name}; "
            f"`python -m autograder late {{assignment}} --penalty ...` changes it")


def reapply(course: Course, assignment: str) -> dict[str, float]:
    """Apply the current settings to every graded submission of `assignment` (no re-grading
    needed: the penalty depends only on times and scores); return student -> penalty."""
    from nbgrader.api import Gradebook

    with warnings.catch_warnings(), Gradebook(course.db_url, course.course_id) as gb:
        warnings.simplefilter("ignore")
        students = [sub.student.id for sub in gb.assignment_submissions(assignment)]
    return {s: apply_penalty(course, assignment, s)[0] for s in students}
