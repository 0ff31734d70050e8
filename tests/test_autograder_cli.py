"""The command-line tool from collect to export (python -m autograder)."""
import csv
import subprocess
import sys

import pytest

from autograder import fixture
from autograder.course import REPO
from autograder.feedback import hidden_snippets

COMMANDS = ["release", "collect", "grade", "feedback", "export"]


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

    out = _run(course, "grade", "fx", "--workers", "2", "--cell-timeout", "6", "--memory-mb", "1024")
    table = out.stdout
    assert "4/4" in table and "1/4" in table and "3/4" in table and "kernel died" in table
    assert "%" in out.stderr  # the progress bar

    out = _run(course, "feedback", "fx")
    pages = list((course.root / "feedback").rglob("*.html"))
    assert len(pages) == 3
    secrets = hidden_snippets(course, "fx")
    assert secrets and any("check_square" in s for s in secrets)
    for page in pages:
        text = page.read_text()
        assert not any(s in text for s in secrets), page
        assert "BEGIN HIDDEN TESTS" not in text

    plain = tmp_path / "grades.csv"
    _run(course, "export", "-o", str(plain))
    rows = list(csv.DictReader(plain.open()))
    assert {r["student_id"]: float(r["fx"]) for r in rows} == {"s001": 4.0, "s002": 1.0, "s003": 3.0}
    canvas = tmp_path / "canvas.csv"
    _run(course, "export", "-o", str(canvas), "--format", "canvas")
    lines = canvas.read_text().splitlines()
    assert lines[0].startswith("Student,ID,SIS User ID,SIS Login ID,Section,fx")
    assert "Points Possible" in lines[1] and lines[1].endswith(",4")
