"""Submissions from folders and LMS bulk downloads into nbgrader's layout (autograder/collect.py).

The zips are written by hand to the LMSs' own naming rules (autograder/LMS.md):
Canvas ``<sortable name, lowercased, non-word characters removed>[_LATE]_<user id>_<attachment id>_<file>``
with every entry stamped with the time the zip was built; Moodle
``[<group>-]<full name>_<participant id>_assignsubmission_file_/<file>`` with real file times.
"""
import json
import os
import time
import zipfile

import pytest

from autograder.lms.collect import collect
from autograder.lms.records import records_path
from autograder.course import Course
from autograder.errors import InstructorError

# nbgrader's roster layout (id, first_name, last_name, email, lms_user_id) plus Moodle's ID number
NB_ROSTER = ("id,first_name,last_name,email,lms_user_id,id_number\n"
             "s001,Jane,Doe,jane@uni.edu,12345,555\n"
             "s002,Bob,Smith,bob@uni.edu,23456,\n"
             "s003,José,Müller,jose@uni.edu,67890,\n"
             "s004,Alex,Kim,alex1@uni.edu,,\n"
             "s005,Alex,Kim,alex2@uni.edu,,\n")
ZIP_BUILT = (2026, 12, 1, 8, 0, 0)  # Canvas: every entry carries the time the zip was built


@pytest.fixture
def course(tmp_path):
    root = tmp_path / "course"
    root.mkdir()
    return Course(root=root, config_file=None, checks_dir=tmp_path)


@pytest.fixture
def roster(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(NB_ROSTER, encoding="utf-8")
    return path


def _zip(path, entries):
    with zipfile.ZipFile(path, "w") as z:
        for name, data, *when in entries:
            z.writestr(zipfile.ZipInfo(name, date_time=when[0] if when else ZIP_BUILT), data)
    return path


def _zip_bytes(tmp_path, entries):
    return _zip(tmp_path / "inner.zip", entries).read_bytes()


def _by_file(rows):
    return {r.file: r for r in rows}


def _submitted(course, student, name="fx.ipynb"):
    path = course.dir("submitted", student, "fx") / name
    return path.read_bytes() if path.exists() else None


def _kept(course):
    """Every file under collected/<assignment>/: its path there -> bytes."""
    top = course.root / "collected" / "fx"
    return {p.relative_to(top).as_posix(): p.read_bytes() for p in top.rglob("*") if p.is_file()}


# ----------------------------------------------------------------- Canvas


def test_canvas_two_files_from_one_student_grade_the_notebook_not_zip_order(course, roster, tmp_path):
    z = _zip(tmp_path / "canvas.zip", [
        ("doejane_12345_1001_fx.ipynb", b"real work"),
        ("doejane_12345_1002_scratch.ipynb", b""),          # uploaded later, comes last in the zip
    ])
    rows = _by_file(collect(course, "fx", z, roster, notebooks=["fx"]))
    assert _submitted(course, "s001") == b"real work"
    assert rows["doejane_12345_1001_fx.ipynb"].status.startswith("graded")
    scratch = rows["doejane_12345_1002_scratch.ipynb"]
    assert "kept in collected/fx/s001/" in scratch.status and not scratch.problem
    assert _kept(course)["s001/doejane_12345_1002_scratch.ipynb"] == b""
    # no real time in a Canvas zip: no timestamp.txt made up from the zip's build time
    assert not (course.dir("submitted", "s001", "fx") / "timestamp.txt").exists()


def test_canvas_resubmission_newest_upload_wins_whatever_the_order(course, roster, tmp_path):
    z = _zip(tmp_path / "canvas.zip", [
        ("doejane_12345_1009_fx-1.ipynb", b"second upload"),  # Attachment.make_unique_filename: -1
        ("doejane_12345_1001_fx.ipynb", b"first upload"),
    ])
    rows = _by_file(collect(course, "fx", z, roster, notebooks=["fx"]))
    assert _submitted(course, "s001") == b"second upload"
    assert "older upload" in rows["doejane_12345_1001_fx.ipynb"].status
    assert _kept(course)["s001/doejane_12345_1001_fx.ipynb"] == b"first upload"


def test_canvas_accented_name_late_flag_and_nbgrader_roster(course, roster, tmp_path):
    # Canvas keeps Unicode word characters: 'Müller, José' -> 'müllerjosé'
    z = _zip(tmp_path / "canvas.zip", [("müllerjosé_LATE_67890_3001_fx.ipynb", b"jose")])
    rows = collect(course, "fx", z, roster, notebooks=["fx"])
    assert _submitted(course, "s003") == b"jose"
    assert "LATE" in rows[0].status and not rows[0].problem
    record = json.loads(records_path(course, "fx").read_text())["s003"]
    assert record["late"] is True and record["user_id"] == "67890" and record["lms"] == "canvas"


def test_canvas_user_id_beats_a_name_and_unknown_ids_are_kept(course, roster, tmp_path):
    z = _zip(tmp_path / "canvas.zip", [
        ("smithbob_12345_4001_fx.ipynb", b"by id: jane"),  # name says Bob, Canvas user id says Jane
        ("nobodyknows_99999_4002_fx.ipynb", b"who"),
    ])
    rows = _by_file(collect(course, "fx", z, roster, notebooks=["fx"]))
    assert _submitted(course, "s001") == b"by id: jane" and _submitted(course, "s002") is None
    stranger = rows["nobodyknows_99999_4002_fx.ipynb"]
    assert stranger.problem and stranger.status.startswith("UNMATCHED") and "collected/fx/_unmatched" in stranger.status
    assert _kept(course)["_unmatched/nobodyknows_99999_4002_fx.ipynb"] == b"who"


def test_canvas_without_roster_says_what_to_do(course, tmp_path):
    z = _zip(tmp_path / "canvas.zip", [("doejane_12345_1001_fx.ipynb", b"x")])
    rows = collect(course, "fx", z, None, notebooks=["fx"])
    assert rows[0].problem and "--roster" in rows[0].status
    assert _kept(course)["_unmatched/doejane_12345_1001_fx.ipynb"] == b"x"


def test_canvas_anonymous_names_match_on_the_user_id(course, roster, tmp_path):
    z = _zip(tmp_path / "canvas.zip", [("anon_12345_23456_7001_fx.ipynb", b"bob, anonymously")])
    collect(course, "fx", z, roster, notebooks=["fx"])
    assert _submitted(course, "s002") == b"bob, anonymously"


# ----------------------------------------------------------------- Moodle


def test_moodle_same_full_name_is_reported_not_merged(course, roster, tmp_path):
    z = _zip(tmp_path / "moodle.zip", [
        ("Alex Kim_101_assignsubmission_file_/fx.ipynb", b"first alex", (2026, 11, 30, 10, 0, 0)),
        ("Alex Kim_102_assignsubmission_file_/fx.ipynb", b"second alex", (2026, 11, 30, 11, 0, 0)),
    ])
    rows = collect(course, "fx", z, roster, notebooks=["fx"])
    assert all(r.problem and "AMBIGUOUS" in r.status for r in rows)
    assert _submitted(course, "s004") is None and _submitted(course, "s005") is None
    assert sorted(_kept(course).values()) == [b"first alex", b"second alex"]


def test_moodle_worksheet_matches_participants_and_ids_never_cross_spaces(course, roster, tmp_path):
    # Participant 555 is Bob; 555 is also Jane's ID number: the participant id must not find Jane.
    z = _zip(tmp_path / "moodle.zip", [
        ("Bob Smith_555_assignsubmission_file_/fx.ipynb", b"bob", (2026, 11, 30, 10, 0, 0)),
        ("Alex Kim_101_assignsubmission_file_/fx.ipynb", b"alex one", (2026, 11, 30, 10, 0, 0)),
        ("Alex Kim_102_assignsubmission_file_/fx.ipynb", b"alex two", (2026, 11, 30, 10, 0, 0)),
    ])
    sheet = tmp_path / "worksheet.csv"
    sheet.write_text("Identifier,Full name,Email address,Status,Grade,Maximum Grade,Grade can be changed,"
                     "Last modified (submission),Last modified (grade),Feedback comments\n"
                     "Participant 555,Bob Smith,bob@uni.edu,Submitted,,4.00,Yes,-,-,\n"
                     "Participant 101,Alex Kim,alex1@uni.edu,Submitted,,4.00,Yes,-,-,\n"
                     "Participant 102,Alex Kim,alex2@uni.edu,Submitted,,4.00,Yes,-,-,\n")
    rows = collect(course, "fx", z, roster, notebooks=["fx"], worksheet=sheet)
    assert not [r for r in rows if r.problem]
    assert _submitted(course, "s002") == b"bob" and _submitted(course, "s001") is None
    assert _submitted(course, "s004") == b"alex one" and _submitted(course, "s005") == b"alex two"
    records = json.loads(records_path(course, "fx").read_text())
    assert records["s002"]["participant_id"] == "555" and records["s005"]["participant_id"] == "102"
    # Moodle keeps file times: they are the submission time nbgrader's late penalty uses
    stamp = (course.dir("submitted", "s002", "fx") / "timestamp.txt").read_text()
    assert stamp.startswith("2026-11-30 10:00:00")


def test_moodle_participant_id_equal_to_an_id_number_without_worksheet(course, roster, tmp_path):
    z = _zip(tmp_path / "moodle.zip", [("Bob Smith_555_assignsubmission_file_/fx.ipynb", b"bob")])
    collect(course, "fx", z, roster, notebooks=["fx"])
    assert _submitted(course, "s002") == b"bob" and _submitted(course, "s001") is None


def test_moodle_group_prefix_flat_files_and_blind_marking(course, roster, tmp_path):
    z = _zip(tmp_path / "moodle.zip", [
        ("Team Red-Jane Doe_201_assignsubmission_file_/fx.ipynb", b"jane", (2026, 11, 30, 9, 0, 0)),
        ("Bob Smith_202_assignsubmission_file_my notebook.ipynb", b"bob", (2026, 11, 30, 9, 0, 0)),
        ("Participant_203_assignsubmission_file_/fx.ipynb", b"blind", (2026, 11, 30, 9, 0, 0)),
    ])
    rows = _by_file(collect(course, "fx", z, roster, notebooks=["fx"]))
    assert _submitted(course, "s001") == b"jane" and _submitted(course, "s002") == b"bob"
    assert "renamed my notebook.ipynb to fx.ipynb" in rows["Bob Smith_202_assignsubmission_file_my notebook.ipynb"].status
    blind = rows["Participant_203_assignsubmission_file_/fx.ipynb"]
    assert blind.problem and "--worksheet" in blind.status


# ----------------------------------------------------------------- zips inside, broken downloads


def test_a_submitted_zip_is_opened(course, roster, tmp_path):
    inner = _zip_bytes(tmp_path, [("work/fx.ipynb", b"zipped work"), ("work/notes.txt", b"n")])
    z = _zip(tmp_path / "moodle.zip", [("Jane Doe_301_assignsubmission_file_/work.zip", inner,
                                        (2026, 11, 30, 9, 0, 0))])
    rows = collect(course, "fx", z, roster, notebooks=["fx"])
    assert _submitted(course, "s001") == b"zipped work"
    assert any("notes.txt" in r.file and "kept in" in r.status for r in rows)


def test_a_damaged_submitted_zip_is_reported_and_kept(course, roster, tmp_path):
    inner = _zip_bytes(tmp_path, [("fx.ipynb", b"x" * 1000)])[:-40]
    z = _zip(tmp_path / "canvas.zip", [("doejane_12345_1001_work.zip", inner)])
    rows = collect(course, "fx", z, roster, notebooks=["fx"])
    assert rows[0].problem and "damaged" in rows[0].status and _submitted(course, "s001") is None
    assert _kept(course)["s001/doejane_12345_1001_work.zip"] == inner


@pytest.mark.parametrize("damage", ["truncated", "not_a_zip", "bad_crc"])
def test_a_broken_download_fails_before_writing_anything(course, roster, tmp_path, damage):
    good = _zip(tmp_path / "good.zip", [("doejane_12345_1001_fx.ipynb", b"a" * 5000)]).read_bytes()
    bad = tmp_path / "download.zip"
    if damage == "truncated":
        bad.write_bytes(good[: len(good) // 2])
    elif damage == "not_a_zip":
        bad.write_text("<html>Session expired</html>")
    else:
        i = good.index(b"a" * 100)
        bad.write_bytes(good[:i] + b"b" + good[i + 1:])
    with pytest.raises(InstructorError, match="download it from the LMS again"):
        collect(course, "fx", bad, roster, notebooks=["fx"])
    assert not (course.root / "submitted").exists()


# ----------------------------------------------------------------- folders, re-collecting


def test_never_overwrites_silently_keeps_newest(course, tmp_path):
    src = tmp_path / "folders" / "s001"
    src.mkdir(parents=True)
    nb = src / "fx.ipynb"

    def put(data, when):
        nb.write_bytes(data)
        os.utime(nb, (when, when))
        return _by_file(collect(course, "fx", src.parent, notebooks=["fx"]))["s001/fx.ipynb"].status

    now = time.time()
    assert put(b"first", now - 3600) == "graded"
    assert put(b"first", now - 3600).startswith("unchanged")
    assert put(b"stale", now - 7200).startswith("IGNORED")
    assert _submitted(course, "s001") == b"first"
    assert put(b"second", now).startswith("graded, replaced the earlier submission")
    assert _submitted(course, "s001") == b"second"
    kept = list((course.root / "submitted" / ".superseded").rglob("fx.ipynb"))
    assert [p.read_bytes() for p in kept] == [b"first"]
    assert _kept(course)["s001/s001/fx.ipynb"] == b"stale"


def test_unsafe_archive_paths_are_refused(course, tmp_path):
    z = _zip(tmp_path / "evil.zip", [("s001/../../escape.ipynb", b"x")])
    rows = collect(course, "fx", z, notebooks=["fx"])
    assert [p.relative_to(course.root).as_posix() for p in tmp_path.glob("**/escape.ipynb")] == [
        "collected/fx/_unmatched/s001/escape.ipynb"]  # kept for the instructor, inside the course only
    assert rows[0].problem and "unsafe" in rows[0].status
    assert _submitted(course, "s001") is None


def test_two_notebooks_none_with_the_expected_name_is_ambiguous(course, tmp_path):
    (tmp_path / "in" / "s001").mkdir(parents=True)
    (tmp_path / "in" / "s001" / "a.ipynb").write_bytes(b"a")
    (tmp_path / "in" / "s001" / "b.ipynb").write_bytes(b"b")
    rows = collect(course, "fx", tmp_path / "in", notebooks=["fx"])
    assert all(r.problem and "AMBIGUOUS" in r.status for r in rows)
    assert _submitted(course, "s001") is None and set(_kept(course)) == {"s001/s001/a.ipynb", "s001/s001/b.ipynb"}


def test_roster_in_either_format_and_bad_rosters(tmp_path):
    from autograder.lms.roster import Roster

    tool = tmp_path / "tool.csv"
    tool.write_text("student_id,name,lms_id,email\ns001,Jane Q. Doe,12345,jane@uni.edu\n")
    r = Roster.load(tool)
    assert r.people["s001"].last_name == "Doe" and r.by("lms_user_id", "12345") == "s001"
    assert r.by("id_number", "12345") is None  # one id space never answers for another
    bad = tmp_path / "bad.csv"
    bad.write_text("name,email\nJane,j@x\n")
    with pytest.raises(InstructorError, match="no 'student_id' or 'id' column"):
        Roster.load(bad)
    twice = tmp_path / "twice.csv"
    twice.write_text("id,lms_user_id\ns1,7\ns2,7\n")
    with pytest.raises(InstructorError, match="belongs to both s1"):
        Roster.load(twice)


def test_two_lms_ids_matched_to_one_student_by_name_are_reported(course, tmp_path):
    roster = tmp_path / "names.csv"
    roster.write_text("id,first_name,last_name\ns001,Jane,Doe\n")  # no Canvas ids: names only
    z = _zip(tmp_path / "canvas.zip", [("doejane_111_1001_fx.ipynb", b"one"), ("doejane_222_1002_fx.ipynb", b"two")])
    rows = collect(course, "fx", z, roster, notebooks=["fx"])
    assert all(r.problem and "AMBIGUOUS" in r.status for r in rows) and _submitted(course, "s001") is None


def test_lms_names_below_a_folder_the_instructor_added(course, roster, tmp_path):
    z = _zip(tmp_path / "rezipped.zip", [
        ("submissions/doejane_12345_1001_fx.ipynb", b"jane"),
        ("a2 download/Bob Smith_555_assignsubmission_file_/fx.ipynb", b"bob", (2026, 11, 30, 10, 0, 0)),
    ])
    rows = collect(course, "fx", z, roster, notebooks=["fx"])
    assert not [r for r in rows if r.problem]
    assert _submitted(course, "s001") == b"jane" and _submitted(course, "s002") == b"bob"


def test_moodle_name_of_a_student_known_under_another_participant_id(course, roster, tmp_path):
    sheet = tmp_path / "worksheet.csv"
    sheet.write_text("Identifier,Full name,Email address,Grade,Last modified (grade)\n"
                     "Participant 71,Jane Doe,jane@uni.edu,,-\n")
    z = _zip(tmp_path / "moodle.zip", [("Jane Doe_99_assignsubmission_file_/fx.ipynb", b"who?")])
    rows = collect(course, "fx", z, roster, notebooks=["fx"], worksheet=sheet)
    assert rows[0].problem and "participant 71" in rows[0].status and _submitted(course, "s001") is None
