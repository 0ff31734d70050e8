"""Exports that the LMSs import as they are (autograder/export.py).

Each Canvas export is read back by :func:`canvas_import`, a re-statement of Canvas's
gradebook_importer.rb matching rules (LMS.md); each Moodle worksheet by :func:`moodle_import`,
the offline grading worksheet rules of importgradeslib.php."""
import csv
import datetime as dt
import io
import re

import pytest

from autograder.errors import InstructorError
from autograder.lms.export import export
from autograder.grading.gradebook import merge
from tests import gradebooks

ROSTER = ("id,first_name,last_name,email,lms_user_id,id_number\n"
          "s001,Jane,Doe,jane@uni.edu,12345,1001\n"
          "s002,Bob,Smith,bob@uni.edu,23456,1002\n"
          "s003,Eve,Absent,eve@uni.edu,34567,1003\n")
FULL = {"test_square": 1.0, "test_square_hidden": 2.0}


@pytest.fixture
def course(tmp_path):
    course = gradebooks.make(tmp_path / "course")
    for s, scores in (("s001", FULL), ("s002", {"test_square": 1.0})):
        gradebooks.submit(course, s)
        merge(course, gradebooks.result(s, scores))
    return course


@pytest.fixture
def roster(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER)
    return path


def _rows(path):
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def canvas_import(rows, assignment_ids, user_ids):
    """Canvas's importer, as LMS.md states it: returns (columns it would create as new
    assignments, {(user id, assignment id): score}, rows it could not match to a student)."""
    header, body = rows[0], rows[1:]
    assert header[:2] == ["Student", "ID"]
    fixed = {"Student", "ID", "SIS User ID", "SIS Login ID", "Section"}
    new, updates, unmatched = [], {}, []
    cols = {}
    for i, h in enumerate(header):
        if h in fixed or h.startswith(("Current", "Final", "Unposted")):
            continue
        m = re.match(r"^(.*) \((\d+)\)$", h)
        if m and m.group(2) in assignment_ids:
            cols[i] = m.group(2)
        else:
            new.append(h)
    for row in body:
        if "Points Possible" in row[0]:
            continue
        if row[1] not in user_ids:
            unmatched.append(row[0])
            continue
        for i, aid in cols.items():
            updates[(row[1], aid)] = row[i]
    return new, updates, unmatched


def test_plain_only_asked_and_graded_assignments_blank_not_zero(course, roster, tmp_path):
    out = tmp_path / "plain.csv"
    export(course, out, "plain", roster)
    rows = _rows(out)
    assert rows[0] == ["student_id", "fx", "total"]  # 'never' was never graded: not a column of zeros
    assert {r[0]: r[1] for r in rows[1:]} == {"s001": "3", "s002": "1"}  # s003 submitted nothing: no row
    export(course, out, "plain", roster, assignments=["fx", "never"], zeros=True)
    rows = {r[0]: r[1:] for r in _rows(out)[1:]}
    assert rows["s003"] == ["0", "0", "0"] and rows["s001"] == ["3", "0", "3"]
    with pytest.raises(InstructorError, match="unknown assignment"):
        export(course, out, "plain", assignments=["fxx"])


def test_canvas_fills_its_own_gradebook_and_leaves_the_rest(course, roster, tmp_path):
    exported = tmp_path / "canvas_export.csv"
    exported.write_text(
        "Student,ID,SIS User ID,SIS Login ID,Section,fx (9001),Quiz 1 (9002),Current Score\n"
        "    Points Possible,,,,,4,10,\n"
        "\"Doe, Jane\",12345,1001,jane,Sec A,,8,80\n"
        "\"Smith, Bob\",23456,1002,bob,Sec A,,7,70\n"
        "\"Absent, Eve\",34567,1003,eve,Sec A,2,9,90\n"      # a grade entered by hand in Canvas
        "\"Zed, Zoe\",99999,1099,zoe,Sec B,4,10,100\n")      # not in this course's gradebook
    out = tmp_path / "canvas.csv"
    report = export(course, out, "canvas", roster, canvas_gradebook=exported)
    rows = _rows(out)
    new, updates, unmatched = canvas_import(rows, {"9001", "9002"}, {"12345", "23456", "34567", "99999"})
    assert new == [] and unmatched == []
    assert updates[("12345", "9001")] == "3" and updates[("23456", "9001")] == "1"
    assert updates[("34567", "9001")] == "2"                 # never submitted here: Canvas's value stays
    assert updates[("99999", "9001")] == "4"                 # other students exactly as they were
    assert [r[6] for r in rows[2:]] == ["8", "7", "9", "10"]  # other assignments exactly as they were
    original = _rows(exported)
    assert [r[:5] for r in rows] == [r[:5] for r in original] and rows[1] == original[1]
    assert report.unplaced == []


def test_canvas_from_ids_alone_and_without_them(course, roster, tmp_path):
    memory = course.root / ".autograder" / "canvas_ids.json"
    memory.unlink(missing_ok=True)
    out = tmp_path / "canvas.csv"
    with pytest.raises(InstructorError, match="--canvas-id fx="):
        export(course, out, "canvas", roster)
    export(course, out, "canvas", roster, canvas_ids={"fx": "9001"})
    new, updates, _ = canvas_import(_rows(out), {"9001"}, {"12345", "23456"})
    assert new == [] and updates == {("12345", "9001"): "3", ("23456", "9001"): "1"}
    export(course, out, "canvas", roster)  # the id given once is remembered with the course
    assert canvas_import(_rows(out), {"9001"}, {"12345", "23456"})[1] == updates


def test_canvas_id_matched_once_in_the_gradebook_is_remembered(course, roster, tmp_path):
    """A column titled as instructors title them is matched once by --canvas-id, then by memory."""
    memory = course.root / ".autograder" / "canvas_ids.json"
    memory.unlink(missing_ok=True)
    exported = tmp_path / "canvas_export.csv"
    exported.write_text("Student,ID,SIS User ID,SIS Login ID,Section,A2: Back-propagation (98765)\n"
                        "    Points Possible,,,,,4\n\"Doe, Jane\",12345,1001,jane,Sec A,\n")
    with pytest.raises(InstructorError, match="--canvas-id fx="):
        export(course, tmp_path / "c.csv", "canvas", roster, canvas_gradebook=exported)
    report = export(course, tmp_path / "c.csv", "canvas", roster, canvas_gradebook=exported, canvas_ids={"fx": "98765"})
    assert "fx -> Canvas column 'A2: Back-propagation (98765)'" in report.notes
    report = export(course, tmp_path / "c.csv", "canvas", roster, canvas_gradebook=exported)
    assert _rows(tmp_path / "c.csv")[2][5] == "3" and "fx -> Canvas column 'A2: Back-propagation (98765)'" in report.notes


def moodle_import(rows, grades_in_moodle):
    """Moodle's offline worksheet import (importgradeslib.php): Identifier 'Participant N' and Grade;
    a row whose 'Last modified (grade)' is older than Moodle's grade is skipped."""
    header = rows[0]
    assert {"Identifier", "Grade", "Last modified (grade)"} <= set(header)
    out = {}
    for r in rows[1:]:
        row = dict(zip(header, r))
        pid = re.fullmatch(r"Participant (\d+)", row["Identifier"]).group(1)
        if row["Grade"] == "":
            continue
        if pid in grades_in_moodle and row["Last modified (grade)"] != grades_in_moodle[pid]:
            continue
        out[pid] = float(row["Grade"])
    return out


def test_moodle_worksheet_filled_scaled_and_times_kept(course, roster, tmp_path):
    sheet = tmp_path / "worksheet.csv"
    sheet.write_text("Identifier,Full name,Email address,Status,Grade,Maximum Grade,Grade can be changed,"
                     "Last modified (submission),Last modified (grade),Feedback comments\n"
                     "Participant 71,Jane Doe,jane@uni.edu,Submitted,,100.00,Yes,\"Monday, 30 November 2026, 9:00 AM\",-,\n"
                     "Participant 72,Bob Smith,bob@uni.edu,Submitted,,100.00,Yes,-,-,\n"
                     "Participant 73,Eve Absent,eve@uni.edu,No submission,,100.00,Yes,-,-,\n")
    out = tmp_path / "moodle.csv"
    report = export(course, out, "moodle", roster, assignments=["fx"], moodle_worksheet=sheet)
    assert moodle_import(_rows(out), {"71": "-", "72": "-"}) == {"71": 75.0, "72": 25.0}
    assert [r[8] for r in _rows(out)[1:]] == ["-", "-", "-"]
    assert any("scaled" in n for n in report.notes)
    with pytest.raises(InstructorError, match="one assignment"):
        export(course, out, "moodle", roster, assignments=["fx", "never"], moodle_worksheet=sheet)


def test_moodle_gradebook_and_long_formats(course, roster, tmp_path):
    from autograder.grading import late

    late.set_due(course, "fx", dt.datetime(2026, 11, 30, 12, 0))
    late.set_policy(course, "per_day", percent_per_day=50)
    merge(course, gradebooks.result("s001", FULL, timestamp=dt.datetime(2026, 11, 30, 13, 0)))
    out = tmp_path / "mg.csv"
    export(course, out, "moodle-gradebook", roster)
    rows = _rows(out)
    assert rows[0] == ["ID number", "Email address", "fx"]
    assert rows[1:] == [["1001", "jane@uni.edu", "1.5"], ["1002", "bob@uni.edu", "1"]]
    export(course, out, "long", roster)
    long = {(r[0], r[3]): r for r in _rows(out)[1:]}
    assert long[("s001", "test_square_hidden")][4:6] == ["2", "2"]
    assert long[("s001", "essay")][6] == "1"  # still needs manual grading
    assert long[("s001", "late_penalty")][4] == "-1.5"
    assert ("s002", "late_penalty") not in long


def test_a_canvas_id_that_is_another_assignments_or_no_number_is_refused(course, roster, tmp_path):
    """A typo that gives fx the id remembered for another assignment would put both in one Canvas
    column; an id that is not a number makes a column Canvas cannot match. Neither is remembered."""
    memory = course.root / ".autograder" / "canvas_ids.json"
    memory.parent.mkdir(parents=True, exist_ok=True)
    memory.write_text('{"a1": "9001"}')
    out = tmp_path / "canvas.csv"
    with pytest.raises(InstructorError, match="already 'a1'"):
        export(course, out, "canvas", roster, canvas_ids={"fx": "9001"})
    with pytest.raises(InstructorError, match="not a number"):
        export(course, out, "canvas", roster, canvas_ids={"fx": "=HYPERLINK(1)"})
    assert not out.exists() and memory.read_text() == '{"a1": "9001"}'
    export(course, out, "canvas", roster, canvas_ids={"fx": "9002"})
    assert out.exists() and '"fx": "9002"' in memory.read_text()
