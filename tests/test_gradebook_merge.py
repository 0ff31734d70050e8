"""Merging a grading job's result into the main gradebook (autograder/gradebook.py): a grader's
manual work survives re-grading, late penalties come from nbgrader's AssignLatePenalties, and the
files nbgrader release_feedback needs are written."""
import datetime as dt
import warnings

import pytest

from autograder.grading import late
from autograder.lms.export import grades
from autograder.grading.gradebook import merge
from autograder.lms.records import sync_roster
from autograder.lms.roster import Roster
from tests import gradebooks

FULL = {"test_square": 1.0, "test_square_hidden": 2.0}


@pytest.fixture
def course(tmp_path):
    return gradebooks.make(tmp_path / "course")


def _gb(course):
    from nbgrader.api import Gradebook

    warnings.simplefilter("ignore")
    return Gradebook(course.db_url, course.course_id)


def _grade_by_hand(course, student):
    """What a grader does in formgrader: a manual score, extra credit, a comment."""
    with _gb(course) as gb:
        essay = gb.find_grade("essay", "fx", "fx", student)
        essay.manual_score, essay.needs_manual_grade = 1.0, False
        gb.find_grade("test_square", "fx", "fx", student).extra_credit = 0.5
        gb.find_comment("essay", "fx", "fx", student).manual_comment = "Well argued."
        gb.db.commit()


def _state(course, student):
    with _gb(course) as gb:
        sub = gb.find_submission("fx", student)
        essay = gb.find_grade("essay", "fx", "fx", student)
        return {"score": sub.score, "essay": essay.manual_score, "needs": essay.needs_manual_grade,
                "extra": gb.find_grade("test_square", "fx", "fx", student).extra_credit,
                "comment": gb.find_comment("essay", "fx", "fx", student).manual_comment,
                "flagged": sub.notebooks[0].flagged}


def test_manual_grades_survive_regrading_and_a_changed_answer_is_flagged(course):
    gradebooks.submit(course, "s001", b"answer one")
    merge(course, gradebooks.result("s001", FULL))
    assert _state(course, "s001")["score"] == 3.0
    _grade_by_hand(course, "s001")

    out = merge(course, gradebooks.result("s001", FULL))  # `grade --force`: the same submission again
    assert _state(course, "s001") == {"score": 4.5, "essay": 1.0, "needs": False, "extra": 0.5,
                                      "comment": "Well argued.", "flagged": False}
    assert any("kept 3 manual" in n for n in out.notes)

    gradebooks.submit(course, "s001", b"answer two")  # a new submission collected since
    out = merge(course, gradebooks.result("s001", {"test_square": 1.0}))
    state = _state(course, "s001")
    assert state["essay"] == 1.0 and state["comment"] == "Well argued."  # never silently lost ...
    assert state["needs"] is True and state["flagged"] is True           # ... but up for re-review
    assert any("flagged for re-review" in n for n in out.notes)


def test_release_feedback_files_are_written_beside_the_autograded_notebook(course):
    gradebooks.submit(course, "s001")
    when = dt.datetime(2026, 11, 30, 9, 0)
    merge(course, gradebooks.result("s001", FULL, timestamp=when))
    graded = course.dir("autograded", "s001", "fx")
    assert (graded / "timestamp.txt").read_text().startswith("2026-11-30 09:00:00")
    secret = (graded / "submission_secret.txt").read_text()
    assert len(secret) >= 32
    merge(course, gradebooks.result("s001", FULL, timestamp=when))
    assert (graded / "submission_secret.txt").read_text() == secret  # stable: released feedback keeps its name


def test_late_penalty_per_day_with_an_extension_reaches_the_export(course, tmp_path):
    late.set_due(course, "fx", dt.datetime(2026, 11, 30, 12, 0))
    late.set_policy(course, "per_day", percent_per_day=10)
    late.set_extension(course, "fx", "s002", 48)
    for s in ("s001", "s002"):
        gradebooks.submit(course, s)
    # 1 day and 1 hour late: two started days, 20 % of 3 points
    out = merge(course, gradebooks.result("s001", FULL, timestamp=dt.datetime(2026, 12, 1, 13, 0)))
    assert any("penalty 0.6" in n for n in out.notes)
    merge(course, gradebooks.result("s002", FULL, timestamp=dt.datetime(2026, 12, 1, 13, 0)))
    with _gb(course) as gb:
        assert gb.find_submission("fx", "s001").notebooks[0].late_submission_penalty == pytest.approx(0.6)
        assert not gb.find_submission("fx", "s002").notebooks[0].late_submission_penalty
    g = grades(course, ["fx"])
    assert g.scores["s001"]["fx"] == pytest.approx(2.4) and g.scores["s002"]["fx"] == 3.0
    # the same policy in the course's root nbgrader_config.py, so `nbgrader autograde` agrees
    assert "PerDayPenalty" in (course.root / "nbgrader_config.py").read_text()


def test_zero_policy_is_nbgraders_own(course):
    late.set_due(course, "fx", dt.datetime(2026, 11, 30, 12, 0))
    late.set_policy(course, "zero")
    gradebooks.submit(course, "s001")
    merge(course, gradebooks.result("s001", FULL, timestamp=dt.datetime(2026, 11, 30, 12, 5)))
    assert grades(course, ["fx"]).scores["s001"]["fx"] == 0.0


def test_roster_reaches_the_gradebook(course, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("id,first_name,last_name,email,lms_user_id\ns001,Jane,Doe,jane@uni.edu,12345\n")
    assert sync_roster(course, Roster.load(path)) == 1
    with _gb(course) as gb:
        st = gb.find_student("s001")
        assert (st.first_name, st.last_name, st.email, st.lms_user_id) == ("Jane", "Doe", "jane@uni.edu", "12345")


def test_a_policy_set_after_grading_applies_without_regrading(course):
    gradebooks.submit(course, "s001")
    merge(course, gradebooks.result("s001", FULL, timestamp=dt.datetime(2026, 12, 3, 9, 0)))
    assert grades(course, ["fx"]).scores["s001"]["fx"] == 3.0
    late.set_due(course, "fx", dt.datetime(2026, 12, 1, 12, 0))
    late.set_policy(course, "per_day", percent_per_day=10, zero_after_days=1)
    assert late.reapply(course, "fx") == {"s001": 3.0}  # two started days > one: everything
    late.set_extension(course, "fx", "s001", 72)
    assert late.reapply(course, "fx") == {"s001": 0.0}


def _course_with_own_config(course, text: str):
    """The same course, with an nbgrader_config.py of its own (as an nbgrader course has)."""
    from autograder.course import Course

    path = course.root / "course_config.py"
    path.write_text("c = get_config()  # noqa: F821\n" + text)
    return Course(root=course.root, config_file=path, checks_dir=course.checks_dir)


def test_an_nbgrader_courses_own_late_policy_applies(course):
    """Due date set the nbgrader way, `penalty_method = 'zero'` in the course's own config, no
    `late` settings of the tool: the score is what nbgrader's own plugin gives (0), not the full 3."""
    from nbgrader.plugins import LateSubmissionPlugin

    own = _course_with_own_config(course, "c.LateSubmissionPlugin.penalty_method = 'zero'\n")
    late.set_due(own, "fx", dt.datetime(2026, 11, 30, 12, 0))
    gradebooks.submit(own, "s001")
    merge(own, gradebooks.result("s001", FULL, timestamp=dt.datetime(2026, 11, 30, 21, 30)))  # 9.5 h late
    nbgraders = LateSubmissionPlugin(penalty_method="zero").late_submission_penalty("s001", 3.0, 9.5 * 3600)
    assert nbgraders == 3.0
    assert grades(own, ["fx"]).scores["s001"]["fx"] == 3.0 - nbgraders == 0.0
    assert late.policy_conflict(own) is None


def test_the_tools_policy_overrides_the_courses_and_says_so(course):
    own = _course_with_own_config(course, "c.LateSubmissionPlugin.penalty_method = 'zero'\n")
    late.set_due(own, "fx", dt.datetime(2026, 11, 30, 12, 0))
    late.set_policy(own, "per_day", percent_per_day=10)
    gradebooks.submit(own, "s001")
    merge(own, gradebooks.result("s001", FULL, timestamp=dt.datetime(2026, 11, 30, 21, 30)))
    assert grades(own, ["fx"]).scores["s001"]["fx"] == pytest.approx(2.7)  # one started day: 10 %
    conflict = late.policy_conflict(own)
    assert "per_day" in conflict and "penalty_method = 'zero'" in conflict
    assert conflict in late.apply_penalty(own, "fx", "s001")[1]


def test_an_extension_keeps_the_courses_own_late_policy(course):
    """Granting an extension stores it in late.json; that must not also store the tool's default
    policy ('none'), which would then override the course's own `penalty_method = 'zero'` for everyone."""
    from autograder.late_policy import is_set

    own = _course_with_own_config(course, "c.LateSubmissionPlugin.penalty_method = 'zero'\n")
    late.set_due(own, "fx", dt.datetime(2026, 11, 30, 12, 0))
    late.set_extension(own, "fx", "s002", 24)
    assert not is_set(own.root)
    gradebooks.submit(own, "s001")
    merge(own, gradebooks.result("s001", FULL, timestamp=dt.datetime(2026, 11, 30, 21, 30)))  # 9.5 h late
    assert grades(own, ["fx"]).scores["s001"]["fx"] == 0.0, "the course's own 'zero' policy was dropped"


def test_a_damaged_late_file_is_one_line_for_the_instructor(course):
    from autograder.errors import InstructorError

    (course.root / ".autograder").mkdir(exist_ok=True)
    (course.root / ".autograder" / "late.json").write_text('{"policy": {"method": "zero"')  # cut short
    with pytest.raises(InstructorError, match="late.json cannot be read"):
        course.config()
