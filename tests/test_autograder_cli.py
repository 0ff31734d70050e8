"""The command-line tool from collect to export (python -m autograder)."""
import csv
import datetime as dt
import subprocess
import sys

import pytest

from tests import fixture
from autograder.course import REPO
from autograder.feedback.feedback import hidden_snippets

COMMANDS = ["release", "collect", "grade", "feedback", "export", "late", "roster"]


def _run(course, *args, check=True):
    cmd = [sys.executable, "-m", "autograder", "--course", str(course.root), "--config", str(course.config_file),
           "--checks", str(course.checks_dir), *args]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=400)
    if check:
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


@pytest.mark.parametrize("command", [None] + COMMANDS)
def test_help_on_every_subcommand(command):
    args = [sys.executable, "-m", "autograder"] + ([command] if command else []) + ["--help"]
    out = subprocess.run(args, cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 0 and "Usage:" in out.stdout
    if command is None:
        assert all(c in out.stdout for c in COMMANDS)


@pytest.mark.slow
def test_collect_grade_feedback_export(tmp_path):
    course = fixture.make_course(tmp_path / "course")
    inbox = tmp_path / "inbox"
    for student, kind in [("s001", "correct"), ("s002", "wrong"), ("s003", "os_exit")]:
        (inbox / student).mkdir(parents=True)
        (inbox / student / "fx.ipynb").write_text(fixture.nbformat.writes(fixture.student_notebook(course, kind)))
    (inbox / "stray.ipynb").write_text("{}")  # no student folder: must be reported
    out = _run(course, "collect", "fx", str(inbox), check=False)
    assert out.returncode == 1 and "UNMATCHED" in out.stdout and "stray.ipynb" in out.stdout
    assert "3 notebooks from 3 students" in out.stdout
    assert (course.root / "collected" / "fx" / "_unmatched" / "stray.ipynb").exists()

    out = _run(course, "grade", "fx", "--workers", "2", "--cell-timeout", "6", "--memory-mb", "1024")
    table = out.stdout
    assert "4/4" in table and "1/4" in table and "3/4" in table and "kernel died" in table
    assert "%" in out.stderr  # the progress bar

    # a grader's override in formgrader, then a late policy, then `grade --force`
    from nbgrader.api import Gradebook

    with Gradebook(course.db_url, course.course_id) as gb:
        gb.find_grade("test_square_hidden", "fx", "fx", "s002").manual_score = 2.0
        gb.db.commit()
    due = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)).strftime("%Y-%m-%d %H:%M")
    _run(course, "late", "fx", "--due", due, "--penalty", "per_day", "--percent-per-day", "25",
         "--extend", "s003=48")
    out = _run(course, "grade", "fx", "--force", "--workers", "2", "--cell-timeout", "6", "--memory-mb", "1024")
    assert "kept 1 manual" in out.stdout and "late by" in out.stdout

    out = _run(course, "feedback", "fx")
    pages = list((course.root / "feedback").rglob("*.html"))
    assert len(pages) == 3
    secrets = hidden_snippets(course, "fx")
    assert secrets and any("check_square" in s for s in secrets)
    for page in pages:
        text = page.read_text()
        assert not any(s in text for s in secrets), page
        assert "BEGIN HIDDEN TESTS" not in text
    assert "Late submission penalty" in (course.root / "feedback" / "s001" / "fx" / "fx.html").read_text()

    # nbgrader's own release_feedback works on the course the tool manages
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)
    proc = subprocess.run([sys.executable, "-m", "nbgrader", "release_feedback", "fx",
                           f"--Exchange.root={exchange}"], cwd=course.root, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert len(list(exchange.rglob("*.html"))) == 3

    roster = tmp_path / "roster.csv"
    roster.write_text("id,first_name,last_name,email,lms_user_id\ns001,Ann,One,a@x,101\n"
                      "s002,Bo,Two,b@x,102\ns003,Cy,Three,c@x,103\ns004,Di,Four,d@x,104\n")
    # the roster (nbgrader's own format) into the gradebook: nbgrader's tools see the names
    _run(course, "roster", str(roster))
    nb_export = tmp_path / "nbgrader_grades.csv"
    proc = subprocess.run([sys.executable, "-m", "nbgrader", "export", f"--CsvExportPlugin.to={nb_export}"],
                          cwd=course.root, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    nb_rows = {r["student_id"]: r for r in csv.DictReader(nb_export.open())}
    assert nb_rows["s001"]["first_name"] == "Ann" and nb_rows["s001"]["email"] == "a@x"
    assert float(nb_rows["s001"]["late_submission_penalty"]) == 1.0
    proc = subprocess.run([sys.executable, "-m", "nbgrader", "db", "student", "import", str(roster)],
                          cwd=course.root, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]

    plain = tmp_path / "grades.csv"
    _run(course, "export", "-o", str(plain), "--roster", str(roster))
    rows = list(csv.DictReader(plain.open()))
    # s001: 4 less 25 % (one started day late); s002: 1 + the grader's 2, late too; s003: extension
    assert {r["student_id"]: r["fx"] for r in rows} == {"s001": "3", "s002": "2.25", "s003": "3"}
    canvas = tmp_path / "canvas.csv"
    _run(course, "export", "fx", "-o", str(canvas), "--format", "canvas", "--roster", str(roster),
         "--canvas-id", "fx=9001")
    lines = canvas.read_text().splitlines()
    assert lines[0] == "Student,ID,SIS User ID,SIS Login ID,Section,fx (9001)"
    assert "Points Possible" in lines[1] and lines[1].endswith(",4")
    assert '"One, Ann",101,,,,3' in lines and not any(",104," in line for line in lines)


@pytest.mark.slow
def test_instructor_errors_are_one_line(tmp_path):
    from autograder.course import Course

    course = Course(root=tmp_path / "course")
    for args in (["collect", "fxx", str(tmp_path)], ["grade", "fxx"], ["feedback", "fxx"], ["release", "fxx"],
                 ["export", "fxx"]):
        out = _run(course, *args, check=False)
        assert out.returncode == 2, args
        assert out.stderr.startswith("error: ") and len(out.stderr.strip().splitlines()) == 1, out.stderr
        assert "Traceback" not in out.stderr + out.stdout
    log = (course.root / ".autograder" / "logs" / "autograder.log").read_text()
    assert log.count("run: ") == 5 and "Traceback" in log


@pytest.mark.slow
def test_a_broken_download_is_one_line_and_nothing_is_written(tmp_path):
    course = fixture.make_course(tmp_path / "course")
    bad = tmp_path / "submissions.zip"
    bad.write_bytes(b"PK\x03\x04 truncated")
    out = _run(course, "collect", "fx", str(bad), check=False)
    assert out.returncode == 2 and "download it from the LMS again" in out.stderr
    assert not (course.root / "submitted").exists()

    import zipfile

    canvas = tmp_path / "canvas.zip"
    with zipfile.ZipFile(canvas, "w") as z:  # a Canvas download, and no --roster
        z.writestr("doejane_12345_1001_fx.ipynb", "{}")
    out = _run(course, "collect", "fx", str(canvas), check=False)
    assert out.returncode == 1 and "0 notebooks from 0 students" in out.stdout
    assert "hint: this is an LMS download; pass --roster" in out.stdout
