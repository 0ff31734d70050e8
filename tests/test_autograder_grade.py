"""End to end: hostile submissions graded in parallel and sandboxed (autograder/grade.py)."""
import re
import shutil

import pytest

from tests import fixture
from autograder.course import Course
from autograder.grading.pool import grade
from autograder.grading.job import Limits

LIMITS = Limits(cell_timeout=6, notebook_timeout=90, memory_mb=1024)


def _tampered(course, how):
    nb = fixture.student_notebook(course, "correct")
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
    if how == "delete":
        del nb.cells[ids.index("test_cube")]
    elif how == "edit":
        nb = fixture.student_notebook(course, "wrong")
        nb.cells[ids.index("test_square")].source = "pass"
    elif how == "reorder":
        cell = nb.cells.pop(ids.index("test_cube"))
        nb.cells.insert(ids.index("square"), cell)
    return nb


# student -> (expected score, substring the summary must contain or None)
EXTRA = {
    "tamper_delete": (4.0, "deleted"),
    "tamper_edit": (1.0, "edited"),
    "tamper_reorder": (4.0, "reordered"),
    "corrupt": (0.0, "corrupt"),
    "misnamed": (4.0, "renamed"),
    "missing": (0.0, "missing"),
    "xss": (4.0, None),
}

# Output and markdown that would run script or load from elsewhere if feedback rendered them.
XSS_OUTPUT = """from IPython.display import HTML, SVG, Image, display
print('<script>alert("stream")</script>')
display(HTML('<script>alert("html")</script><b>bold</b>'))
display(SVG('<svg xmlns="http://www.w3.org/2000/svg"><script>alert("svg")</script></svg>'))
display({'text/html': '<img src=x onerror=alert(1)>', 'text/plain': 'plain fallback'}, raw=True)
display({'image/png': 'iVBORw0KGgo='}, raw=True, metadata={'image/png': {'width': '1 onerror=alert(2)'}})
"""
XSS_MARKDOWN = 'My notes <script>alert("md")</script> <img src="https://tracker.example/x.png"> $x^2$'


def _xss(course):
    from nbformat.v4 import new_markdown_cell

    nb = fixture.student_notebook(course, "correct")
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
    cube = nb.cells[ids.index("cube")]
    cube.source = XSS_OUTPUT + cube.source
    nb.cells.insert(ids.index("cube"), new_markdown_cell(XSS_MARKDOWN, metadata={"tags": ['"><script>x</script>']}))
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = fixture.make_course(tmp_path_factory.mktemp("grade") / "course")
    for kind in fixture.HOSTILE:
        fixture.submit(course, kind, fixture.student_notebook(course, kind))
    for how in ("delete", "edit", "reorder"):
        fixture.submit(course, f"tamper_{how}", _tampered(course, how))
    fixture.submit(course, "corrupt", raw=b'{"cells": [ this is not json')
    fixture.submit(course, "misnamed", fixture.student_notebook(course), name="FX (1).ipynb")
    fixture.submit(course, "missing", raw=b"forgot the notebook", name="notes.txt")
    fixture.submit(course, "xss", _xss(course))
    outcomes = grade(course, fixture.ASSIGNMENT, limits=LIMITS, workers=2, progress=False)
    return course, {o.student: o for o in outcomes}


@pytest.mark.slow
@pytest.mark.parametrize("student", list(fixture.HOSTILE) + list(EXTRA))
def test_each_submission_gets_what_its_working_parts_earn(graded, student):
    course, outcomes = graded
    expected, reason = (fixture.HOSTILE[student][2:] if student in fixture.HOSTILE else EXTRA[student])
    out = outcomes[student]
    assert out.score == expected, (out, (course.root / ".autograder").exists())
    assert out.max_score == fixture.MAX_SCORE
    if reason:
        assert reason in " ".join(out.notes).lower(), out.notes
    assert fixture.scores(course)[student] == expected


@pytest.mark.slow
def test_gradebook_summary_and_log_account_for_everyone(graded):
    course, outcomes = graded
    assert set(fixture.scores(course)) == set(outcomes)
    log = (course.root / ".autograder" / "logs" / "grade-fx.log").read_text()
    for student in outcomes:
        assert f'"student": "{student}"' in log
    # nothing the students ran could write into the course or the repository
    assert not list(course.root.rglob("pwned.txt"))
    from autograder.course import REPO
    assert not (REPO / "pwned.txt").exists()


@pytest.mark.slow
def test_kernel_ran_sandboxed(graded):
    course, _ = graded
    log = (course.root / ".autograder" / "logs" / "grade-fx.log").read_text()
    assert '"user": "job uid ' in log
    assert '"pid_namespace": true' in log
    assert "own network namespace" in log
    # its own root: the course and the repository's secrets are simply not in it
    assert '"root": "own (' in log
    assert '"processes": 256' in log


@pytest.mark.slow
def test_regrading_is_idempotent_and_skips_unchanged(graded):
    course, _ = graded
    before = fixture.grades(course)
    again = grade(course, fixture.ASSIGNMENT, ["correct", "wrong"], limits=LIMITS, workers=2, progress=False)
    assert all(o.skipped for o in again)
    forced = grade(course, fixture.ASSIGNMENT, ["correct", "wrong", "os_exit"], limits=LIMITS, workers=2,
                   force=True, progress=False)
    assert not any(o.skipped for o in forced)
    assert fixture.grades(course) == before


@pytest.mark.slow
def test_scores_identical_to_serial_nbgrader(graded, tmp_path):
    """Plain `nbgrader autograde` on a copy of the same submissions gives the same grades."""
    course, _ = graded
    same = ["correct", "wrong", "hardcoded", "raise_at_import", "tamper_edit"]
    copy_root = tmp_path / "plain" / "course"
    shutil.copytree(course.root, copy_root, ignore=shutil.ignore_patterns("autograded", "feedback", ".autograder"))
    for d in (copy_root / "submitted").iterdir():
        if d.name not in same:
            shutil.rmtree(d)
    plain = Course(root=copy_root, config_file=course.config_file, checks_dir=course.checks_dir)
    fixture.plain_nbgrader(plain, fixture.ASSIGNMENT, str(fixture.checks_package(course, tmp_path / "pkgs")))
    ours = {k: v for k, v in fixture.grades(course).items() if k[0] in same}
    theirs = {k: v for k, v in fixture.grades(plain).items() if k[0] in same}
    assert len(theirs) == 3 * len(same)
    assert ours == theirs


@pytest.mark.slow
@pytest.mark.parametrize("student", ["monkeypatch", "always_equal", "hardcoded", "wrong", "steal_reference",
                                     "patch_check", "fake_verdict"])
def test_hidden_check_is_not_fooled(graded, student):
    course, _ = graded
    assert fixture.grades(course)[(student, "test_square_hidden")] == (0.0, False)
    assert fixture.grades(course)[("correct", "test_square_hidden")] == (2.0, False)


@pytest.mark.slow
def test_feedback_shows_student_content_as_text_and_renders_maths_offline(graded):
    from autograder.feedback.feedback import MATHJAX, feedback

    course, _ = graded
    assert feedback(course, fixture.ASSIGNMENT, ["xss", "correct"])["xss"].startswith("ok")
    folder = course.dir("feedback", "xss", fixture.ASSIGNMENT)
    page = (folder / "fx.html").read_text()
    # (the cell's source shows these strings too, escaped: what must not appear is live markup)
    for active in ('<script>alert', "<img src=x onerror", "<b>bold</b>", '<img src="https://tracker', "<svg",
                   '"><script>x', "width=1 onerror"):
        assert active not in page, active
    assert '&lt;script&gt;alert("md")&lt;/script&gt;' in page  # shown, as text
    assert "plain fallback" in page
    scripts = re.findall(r'<script[^>]*src="([^"]*)"', page)
    assert scripts and not [s for s in scripts if "://" in s], scripts  # nothing from the network
    if MATHJAX.exists():
        assert "mathjax/tex-svg-full.js" in scripts
        assert (folder / "mathjax" / "tex-svg-full.js").stat().st_size == MATHJAX.stat().st_size
    # the instructor's own markdown is still rendered
    assert "<h1" in page and "Fixture assignment" in page
