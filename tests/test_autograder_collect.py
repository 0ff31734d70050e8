"""Submissions from folders and LMS bulk downloads into nbgrader's layout (autograder/collect.py)."""
import os
import time
import zipfile

import pytest

from autograder.collect import collect
from autograder.course import Course

ROSTER = "student_id,name,lms_id,email\ns001,Jane Doe,12345,jane@uni.edu\ns002,Bob Smith,23456,bob@uni.edu\n"


@pytest.fixture
def course(tmp_path):
    root = tmp_path / "course"
    root.mkdir()
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER)
    return Course(root=root, config_file=None, checks_dir=tmp_path), roster


def _zip(path, entries):
    with zipfile.ZipFile(path, "w") as z:
        for name, data, when in entries:
            z.writestr(zipfile.ZipInfo(name, date_time=when), data)
    return path


def _status(rows):
    return {(r.student, r.file): r.status for r in rows}


def test_canvas_zip_with_roster(course, tmp_path):
    course, roster = course
    z = _zip(tmp_path / "canvas.zip", [
        ("doejane_12345_999_fx.ipynb", b"old", (2026, 11, 1, 9, 0, 0)),
        ("doejane_12345_1000_fx-1.ipynb", b"new", (2026, 11, 2, 9, 0, 0)),
        ("smithbob_LATE_23456_998_fx.ipynb", b"bob", (2026, 11, 3, 9, 0, 0)),
        ("nobodyknows_99999_997_fx.ipynb", b"who", (2026, 11, 1, 9, 0, 0)),
    ])
    rows = collect(course, "fx", z, roster, notebooks=["fx"])
    status = _status(rows)
    assert (course.dir("submitted", "s001", "fx") / "fx.ipynb").read_bytes() == b"new"
    assert "kept newer doejane_12345_1000_fx-1.ipynb" in status[("s001", "doejane_12345_999_fx.ipynb")]
    assert (course.dir("submitted", "s002", "fx") / "fx.ipynb").read_bytes() == b"bob"
    assert status[(None, "nobodyknows_99999_997_fx.ipynb")].startswith("UNMATCHED")
    assert (course.dir("submitted", "s001", "fx") / "timestamp.txt").read_text().startswith("2026-11-02 09:00:00")


def test_moodle_folders_and_flat_files(course, tmp_path):
    course, roster = course
    src = tmp_path / "moodle"
    (src / "Jane Doe_12345_assignsubmission_file_").mkdir(parents=True)
    (src / "Jane Doe_12345_assignsubmission_file_" / "fx.ipynb").write_bytes(b"jane")
    (src / "Bob Smith_23456_assignsubmission_file_my notebook.ipynb").write_bytes(b"bob")
    (src / "Eve Stranger_777_assignsubmission_file_fx.ipynb").write_bytes(b"eve")
    rows = collect(course, "fx", src, roster, notebooks=["fx"])
    assert (course.dir("submitted", "s001", "fx") / "fx.ipynb").read_bytes() == b"jane"
    assert (course.dir("submitted", "s002", "fx") / "fx.ipynb").read_bytes() == b"bob"
    status = _status(rows)
    assert "renamed to fx.ipynb" in status[("s002", "Bob Smith_23456_assignsubmission_file_my notebook.ipynb")]
    assert any(s.startswith("UNMATCHED") and "Eve" in f for (_, f), s in status.items())


def test_never_overwrites_silently_keeps_newest(course, tmp_path):
    course, _ = course
    src = tmp_path / "folders" / "s001"
    src.mkdir(parents=True)
    nb = src / "fx.ipynb"

    def put(data, when):
        nb.write_bytes(data)
        os.utime(nb, (when, when))
        return _status(collect(course, "fx", src.parent, notebooks=["fx"]))[("s001", "s001/fx.ipynb")]

    now = time.time()
    assert put(b"first", now - 3600) == "collected"
    assert put(b"stale", now - 7200).startswith("IGNORED")
    assert (course.dir("submitted", "s001", "fx") / "fx.ipynb").read_bytes() == b"first"
    assert put(b"second", now).startswith("replaced older submission")
    assert (course.dir("submitted", "s001", "fx") / "fx.ipynb").read_bytes() == b"second"
    kept = list((course.root / "submitted" / ".superseded").rglob("fx.ipynb"))
    assert [p.read_bytes() for p in kept] == [b"first"]


def test_unsafe_archive_paths_are_refused(course, tmp_path):
    course, _ = course
    z = _zip(tmp_path / "evil.zip", [("s001/../../escape.ipynb", b"x", (2026, 11, 1, 0, 0, 0))])
    rows = collect(course, "fx", z, notebooks=["fx"])
    assert not (course.root.parent / "escape.ipynb").exists()
    assert not list(tmp_path.glob("**/escape.ipynb"))
    assert (course.dir("submitted", "s001", "fx") / "fx.ipynb").read_bytes() == b"x"
    assert "renamed to fx.ipynb" in rows[0].status
