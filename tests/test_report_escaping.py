"""Nothing a student writes reaches the instructor's terminal or logs as control (issue 25, item 2):
C0 and C1 control characters and ESC in file names, grade ids and exception messages are shown
escaped in every report, summary and log line, so no terminal is retitled and no row or log line
can be forged."""
import logging
import zipfile

from click.testing import CliRunner

from autograder.cli import main
from tests import gradebooks

OSC_TITLE = "\x1b]0;owned\x07"
FORGED_ROW = "\nzmallory   4/4  ok"
FORGED_LOG = "\n2099-01-01 00:00:00,000 INFO grade fx: trudy ok 4/4"


def _controls(text: str) -> list[str]:
    return [c for c in text if (ord(c) < 32 and c not in "\n") or 0x7f <= ord(c) <= 0x9f]


def test_collect_report_and_log_show_hostile_names_escaped(tmp_path):
    course = gradebooks.make(tmp_path / "course")
    z = tmp_path / "download.zip"
    with zipfile.ZipFile(z, "w") as f:
        f.writestr(f"alice/{OSC_TITLE}notes\x9b31m{FORGED_ROW}.txt", b"x")
        f.writestr(f"alice/fx.ipynb{FORGED_LOG}", b"y")
    result = CliRunner().invoke(main, ["--course", str(course.root), "--config", str(course.root / "none.py"),
                                       "collect", "fx", str(z)], catch_exceptions=False)
    assert _controls(result.output) == []
    assert "\\x1b]0;owned\\x07" in result.output  # shown, escaped
    assert not any(line.startswith("zmallory") for line in result.output.splitlines())
    log = (course.root / ".autograder" / "logs" / "autograder.log").read_text()
    assert _controls(log) == [] and "\\x1b" in log
    assert not any(line.startswith("2099-01-01") for line in log.splitlines())


def test_the_log_formatter_escapes_messages_and_tracebacks(tmp_path):
    from autograder.cli import EscapingFormatter

    record = logging.LogRecord("autograder", logging.INFO, __file__, 1, "grade %s: %s", ("fx", OSC_TITLE + FORGED_LOG),
                               None)
    try:
        raise ValueError("boom" + FORGED_LOG)
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    text = EscapingFormatter("%(asctime)s %(levelname)s %(message)s").format(record)
    assert _controls(text) == []
    assert not any(line.startswith("2099-01-01") for line in text.splitlines())
    assert text.count("\n") >= 2  # the traceback keeps its lines


def test_grade_summary_escapes_notes_and_ids():
    from autograder.cli import summary
    from autograder.grading.gradebook import Outcome

    rows = summary([Outcome("alice", "ok", 1, 4, notes=[f"grade ids ignored: {OSC_TITLE}{FORGED_ROW}"])])
    assert _controls(rows) == [] and not any(line.startswith("zmallory") for line in rows.splitlines())


def test_the_rule_itself():
    from autograder.text import printable

    assert printable("a\x1b[2Jb\x07\x9b\x85c\nd", one_line=True) == "a\\x1b[2Jb\\x07\\x9b\\x85c\\x0ad"
    assert printable("Müller, José ✓\n") == "Müller, José ✓\n"
