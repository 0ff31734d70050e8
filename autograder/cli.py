"""``python -m autograder``: release, collect, grade, feedback, export, late, roster, similarity.

Every subcommand prints a summary table at the end and appends to the course's log
(``<course>/.autograder/logs/autograder.log``; ``grade`` also keeps one line per submission in
``grade-<assignment>.log``). A problem the instructor can fix is one line on stderr saying what to
do (exit status 2); its traceback, like every command line run, is in the log.
"""
from __future__ import annotations

import logging
import os
import sys
import warnings
from pathlib import Path

import click
from tabulate import tabulate

from .course import DEFAULT_CHECKS, DEFAULT_CONFIG, DEFAULT_ROOT, Course
from .errors import InstructorError
from .text import printable

log = logging.getLogger("autograder")
NOTE_WIDTH = 100  # the grade summary's notes column; the whole text is in the log


def _course(ctx) -> Course:
    return ctx.obj["course"]


def _log_file(root: Path) -> Path:
    return root / ".autograder" / "logs" / "autograder.log"


def _start_log(root: Path) -> Path:
    path = _log_file(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(EscapingFormatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.info("run: %s", " ".join(sys.argv))
    return path


class EscapingFormatter(logging.Formatter):
    """Each record is one line of the log, whatever a student put in it: file names, grade ids and
    exception messages show their control characters and newlines escaped (no terminal escape
    reaches whoever reads the log, no forged line); a traceback's own lines are indented, so only
    the tool's records start at the left margin."""

    def format(self, record: logging.LogRecord) -> str:
        record = logging.makeLogRecord({**record.__dict__, "msg": printable(record.getMessage(), one_line=True),
                                        "args": None})
        first, *rest = super().format(record).split("\n")
        return "\n".join([first] + ["    " + printable(line) for line in rest])


def _say(text: str, **kwargs) -> None:
    """One line to the instructor's terminal: a student's text in it cannot drive the terminal."""
    click.echo(printable(text, one_line=True), **kwargs)


def _table(rows, headers) -> str:
    return tabulate([[printable(str(cell), one_line=True) for cell in row] for row in rows], headers=headers)


class Tool(click.Group):
    """Turns the instructor's errors into one line each; the traceback goes to the log."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except InstructorError as exc:
            log.exception("instructor error")
            where = f" (details: {_log_file(_course(ctx).root)})" if ctx.obj else ""
            _say(f"error: {exc}{where}", err=True)
            sys.exit(2)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort, SystemExit):
            raise
        except Exception as exc:  # a bug in the tool: still one line, the traceback in the log
            log.exception("internal error")
            where = _log_file(_course(ctx).root) if ctx.obj else "the log"
            _say(f"error: internal error ({type(exc).__name__}: {str(exc)[:200]}); traceback in {where}", err=True)
            sys.exit(1)


@click.group(cls=Tool, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--course", "root", type=click.Path(path_type=Path), default=DEFAULT_ROOT, show_default=True,
              help="nbgrader course directory (gradebook, submitted/, autograded/ ...).")
@click.option("--config", type=click.Path(path_type=Path), default=DEFAULT_CONFIG, show_default=True,
              help="nbgrader_config.py of the course.")
@click.option("--checks", type=click.Path(path_type=Path), default=DEFAULT_CHECKS, show_default=True,
              help="Folder holding each assignment's hidden checks as <assignment>/checks.py "
                   "(kernels get stand-ins that only name them).")
@click.pass_context
def main(ctx, root, config, checks):
    """The instructor's grading tool: release, collect, grade, feedback, export."""
    warnings.filterwarnings("ignore", module="sqlalchemy")
    warnings.filterwarnings("ignore", message=".*not in session.*")
    ctx.obj = {"course": Course(root=root, config_file=config, checks_dir=checks)}
    if ctx.invoked_subcommand is not None:
        _start_log(ctx.obj["course"].root)


@main.command()
@click.argument("assignments", nargs=-1)
@click.option("--all", "all_", is_flag=True, help="Release every assignment in solutions/.")
@click.pass_context
def release(ctx, assignments, all_):
    """Generate the student version of ASSIGNMENTS (or --all) with nbgrader.

    The student notebooks go to chapters/assignments/; each assignment is also
    registered in the course's gradebook, which grading needs.
    """
    from tqdm import tqdm

    from .release import release as do_release  # written with the assignments

    if not assignments and not all_:
        raise InstructorError("name the assignments to release, or pass --all")
    written = do_release(None if all_ else list(assignments))
    rows = []
    for path in tqdm(written, desc="registering in the gradebook", unit="assignment"):
        name = Path(path).stem
        _course(ctx).generate(name)
        rows.append((name, str(path), "registered"))
        log.info("released %s", name)
    click.echo(tabulate(rows, headers=["assignment", "student version", "gradebook"]))


@main.command()
@click.argument("assignment")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option("--roster", type=click.Path(exists=True, path_type=Path),
              help="Class list: the tool's CSV (student_id,name,lms_id,email) or nbgrader's "
                   "(id,first_name,last_name,email,lms_user_id). Needed for LMS downloads.")
@click.option("--worksheet", type=click.Path(exists=True, path_type=Path),
              help="Moodle: the assignment's grading worksheet (matches participant ids to the roster).")
@click.option("--max-file-mb", type=float, default=100, show_default=True,
              help="Largest file copied (in the download or in a submitted zip); a larger one is reported.")
@click.option("--max-zip-mb", type=float, default=500, show_default=True,
              help="Most a submitted zip may unpack to; a larger zip is kept as it came and reported.")
@click.option("--max-entries", type=int, default=10_000, show_default=True,
              help="Most files in a submitted zip; a zip with more is kept as it came and reported.")
@click.pass_context
def collect(ctx, assignment, source, roster, worksheet, max_file_mb, max_zip_mb, max_entries):
    """Copy submissions from SOURCE (a folder, or an LMS zip) into submitted/.

    Files that are not graded are kept in collected/ASSIGNMENT/ and listed. Exit status 1 when a
    file could not be matched to exactly one student.
    """
    from .lms.collect import Limits, collect as do_collect

    course = _course(ctx)
    limits = Limits(file_bytes=int(max_file_mb * 2**20), zip_bytes=int(max_zip_mb * 2**20), zip_entries=max_entries)
    rows = do_collect(course, assignment, source, roster, worksheet=worksheet, limits=limits)
    click.echo(_table([(r.student or "-", r.file, r.status) for r in rows], headers=["student", "file", "result"]))
    for r in rows:
        log.info("collect %s: %s %s -> %s", assignment, r.student, r.file, r.status)
    graded = [r for r in rows if r.status.startswith(("graded", "unchanged"))]
    problems = [r for r in rows if r.problem]
    students = {r.student for r in graded}
    click.echo()
    _say(f"{len(graded)} notebooks from {len(students)} students in submitted/, "
               f"{len(rows) - len(graded)} other files kept in {course.root / 'collected' / assignment}, "
               f"{len(problems)} need you")
    lms_unmatched = [r for r in problems if "pass --roster" in r.status]
    if lms_unmatched and not roster:
        click.echo("hint: this is an LMS download; pass --roster with the class list (and --worksheet for Moodle)")
    sys.exit(1 if problems else 0)


@main.command()
@click.argument("assignment")
@click.option("--student", "students", multiple=True, help="Grade only this student (repeatable).")
@click.option("--workers", type=int, default=None, help="Parallel local workers [default: one per core].")
@click.option("--scheduler", default=None, help="Dask scheduler address (tcp://host:8786): grade on that cluster.")
@click.option("--cell-timeout", type=int, default=None, help="Seconds per cell [default: the config's, else 30].")
@click.option("--notebook-timeout", type=int, default=300, show_default=True, help="Seconds per notebook.")
@click.option("--memory-mb", type=int, default=2048, show_default=True, help="Address-space limit of a kernel.")
@click.option("--force", is_flag=True, help="Re-grade submissions the journal says are done "
                                            "(manual grades from formgrader are kept).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--unboxed", is_flag=True, help="Without root, where no box can be built: run student code with "
                                               "your own rights (unsafe; every report says so).")
@click.pass_context
def grade(ctx, assignment, students, workers, scheduler, cell_timeout, notebook_timeout, memory_mb, force, quiet,
          unboxed):
    """Autograde ASSIGNMENT in parallel, each submission sandboxed."""
    from .grading.pool import grade as do_grade
    from .grading.job import Limits

    course = _course(ctx)
    course.check_assignment(assignment)
    if not course.students_submitted(assignment):
        raise InstructorError(f"no submissions of {assignment!r} in {course.root / 'submitted'}; run collect first")
    limits = Limits(cell_timeout=cell_timeout, notebook_timeout=notebook_timeout, memory_mb=memory_mb)
    outcomes = do_grade(course, assignment, list(students) or None, limits=limits, workers=workers,
                        scheduler=scheduler, force=force, progress=not quiet, unboxed=unboxed)
    for o in outcomes:
        log.info("grade %s: %s %s %g/%g %s", assignment, o.student, o.status, o.score, o.max_score, "; ".join(o.notes))
    click.echo(summary(outcomes))
    failed = [o for o in outcomes if o.status not in ("ok", "unchanged")]
    click.echo(f"\n{len(outcomes)} submissions, {len(failed)} with grading failures "
               f"(log: {course.root / '.autograder' / 'logs'})")
    if unboxed and os.geteuid() != 0:
        click.echo("UNBOXED (--unboxed): student code ran with your own rights, in no box: these grades are "
                   "only as trustworthy as the submissions")


def summary(outcomes) -> str:
    """The grade summary table; notes (grade ids, exception messages) are the student's text."""
    return _table([(o.student, f"{o.score:g}/{o.max_score:g}", o.status, f"{o.wall:.1f}", _short(o.notes))
                   for o in outcomes], headers=["student", "score", "status", "seconds", "notes"])


def _short(notes: list[str]) -> str:
    text = printable("; ".join(notes), one_line=True)
    return text if len(text) <= NOTE_WIDTH else text[:NOTE_WIDTH - 12] + "... (see log)"


@main.command()
@click.argument("assignment")
@click.option("--student", "students", multiple=True, help="Only this student (repeatable).")
@click.pass_context
def feedback(ctx, assignment, students):
    """HTML feedback per student in feedback/, without hidden-test text."""
    from .feedback.feedback import feedback as do_feedback

    course = _course(ctx)
    course.notebooks(assignment)
    status = do_feedback(course, assignment, list(students) or None)
    for s, v in status.items():
        log.info("feedback %s: %s %s", assignment, s, v)
    click.echo(_table(sorted(status.items()), headers=["student", "feedback"]))
    sys.exit(0 if all(v == "ok" for v in status.values()) else 1)


def _pairs(values: tuple[str, ...], what: str) -> dict[str, str]:
    out = {}
    for v in values:
        key, sep, val = v.partition("=")
        if not sep or not key or not val:
            raise InstructorError(f"{what} {v!r} must look like NAME=VALUE")
        out[key.strip()] = val.strip()
    return out


@main.command()
@click.argument("assignments", nargs=-1)
@click.option("--output", "-o", type=click.Path(path_type=Path), default=Path("grades.csv"), show_default=True)
@click.option("--format", "fmt", type=click.Choice(["plain", "long", "canvas", "moodle", "moodle-gradebook"]),
              default="plain", show_default=True)
@click.option("--roster", type=click.Path(exists=True, path_type=Path), help="Names and LMS ids for the CSV.")
@click.option("--zeros", is_flag=True, help="Write 0 (not blank) for work never submitted or graded.")
@click.option("--canvas-gradebook", type=click.Path(exists=True, path_type=Path),
              help="Canvas: the gradebook CSV exported from Canvas, to fill in.")
@click.option("--canvas-id", "canvas_ids", multiple=True, metavar="NAME=ID",
              help="Canvas: the Canvas assignment id of an assignment (repeatable).")
@click.option("--moodle-worksheet", type=click.Path(exists=True, path_type=Path),
              help="Moodle: the assignment's grading worksheet, to fill in.")
@click.pass_context
def export(ctx, assignments, output, fmt, roster, zeros, canvas_gradebook, canvas_ids, moodle_worksheet):
    """Write grades of ASSIGNMENTS (default: every graded one) for an LMS to import."""
    from .lms.export import export as do_export, grades

    course = _course(ctx)
    report = do_export(course, output, fmt, roster, assignments=list(assignments) or None, zeros=zeros,
                       canvas_gradebook=canvas_gradebook, canvas_ids=_pairs(canvas_ids, "--canvas-id"),
                       moodle_worksheet=moodle_worksheet)
    g = grades(course, list(assignments) or None)
    click.echo(tabulate([(a, f"{g.maxima[a]:g}", sum(1 for s in g.scores.values() if s[a] is not None),
                          sum(1 for p in g.penalties.values() if p.get(a))) for a in g.assignments],
                        headers=["assignment", "max", "graded students", "late penalties"]))
    for note in report.notes:
        _say(f"note: {note}")
    log.info("export %s %s -> %s: %d rows, unplaced %s", fmt, g.assignments, output, report.written, report.unplaced)
    click.echo(f"\n{report.written} students written to {output}")
    if report.unplaced:
        _say(f"not in the LMS file (add their LMS ids to the roster): {', '.join(report.unplaced)}")
        sys.exit(1)


@main.command()
@click.argument("assignment")
@click.option("--due", help="Due date, e.g. '2026-12-01 23:59' (UTC) or '2026-12-01T23:59+01:00'; 'none' clears it.")
@click.option("--extend", "extensions", multiple=True, metavar="STUDENT=HOURS",
              help="Extension for one student, in hours (repeatable; 0 removes it).")
@click.option("--penalty", type=click.Choice(["none", "zero", "per_day"]),
              help="Course-wide penalty: nbgrader's none or zero, or per_day (below).")
@click.option("--percent-per-day", type=float, help="per_day: percent of the score per started day late.")
@click.option("--grace-minutes", type=float, help="per_day: minutes late that cost nothing.")
@click.option("--zero-after-days", type=float, help="per_day: days late after which the score is 0.")
@click.pass_context
def late(ctx, assignment, due, extensions, penalty, percent_per_day, grace_minutes, zero_after_days):
    """Set ASSIGNMENT's due date, extensions and the late penalty (applied when grades merge)."""
    from .grading import late as policy

    course = _course(ctx)
    course.notebooks(assignment)
    if due is not None:
        policy.set_due(course, assignment, None if due.lower() == "none" else policy.parse_time(due))
    for student, hours in _pairs(extensions, "--extend").items():
        try:
            policy.set_extension(course, assignment, student, float(hours))
        except ValueError as exc:
            raise InstructorError(f"--extend {student}={hours}: hours must be a number") from exc
    if penalty is not None:
        policy.set_policy(course, penalty, percent_per_day=percent_per_day, grace_minutes=grace_minutes,
                          zero_after_days=zero_after_days)
    applied = policy.reapply(course, assignment)
    settings = policy.settings(course)
    click.echo(tabulate([("due (UTC)", policy.due(course, assignment) or "none"),
                         ("penalty", ", ".join(f"{k}={v}" for k, v in settings["policy"].items())),
                         ("extensions (hours)", ", ".join(f"{s}={h:g}" for s, h in
                                                          settings["extensions"].get(assignment, {}).items()) or "none")]))
    late_ones = {s: p for s, p in applied.items() if p}
    click.echo(f"\napplied to the {len(applied)} graded submissions ({len(late_ones)} with a penalty: "
               f"{', '.join(f'{s} -{p:g}' for s, p in sorted(late_ones.items())) or 'none'}) and to every later grade")
    log.info("late %s: %s", assignment, settings)


@main.command()
@click.argument("roster_csv", type=click.Path(exists=True, path_type=Path))
@click.pass_context
def roster(ctx, roster_csv):
    """Put a class list (the tool's CSV or nbgrader's) into the gradebook: names, emails, Canvas ids."""
    from .lms.records import sync_roster
    from .lms.roster import Roster

    course = _course(ctx)
    if not course.db_path.exists():
        raise InstructorError(f"no gradebook in {course.root}; run `release` first")
    n = sync_roster(course, Roster.load(roster_csv))
    log.info("roster %s: %d students", roster_csv, n)
    click.echo(f"{n} students written to the gradebook {course.db_path}")


@main.command()
@click.argument("assignment")
@click.option("-o", "--out", "out_dir", type=click.Path(path_type=Path),
              help="Folder for similarity-<assignment>.html and .csv (default: <course>/reports).")
@click.option("--top", default=25, show_default=True, help="Pairs shown in the HTML report and printed.")
@click.option("--max-common", default=10, show_default=True,
              help="Code found in more students than this is ignored (as MOSS's -m).")
@click.pass_context
def similarity(ctx, assignment, out_dir, top, max_common):
    """Rank every pair of students by the code they share (their own code only, per notebook and per
    graded function); write an HTML report with the code side by side, and a CSV."""
    from .similarity.compare import Settings
    from .similarity.run import similarity as run
    from .text import printable

    course = _course(ctx)
    result = run(course, assignment, out_dir, top=top, settings=Settings(max_common=max_common))
    rows = [[printable(p.a, one_line=True), printable(p.b, one_line=True), f"{p.score:.2f}",
             printable(next((m.unit.split(": ", 1)[-1] for m in p.matches if ": " in m.unit and m.score >= 0.9),
                            ""), one_line=True)]
            for p in result.pairs[:min(top, 10)]]
    click.echo(tabulate(rows, headers=["student", "student", "score", "copied function (>= 0.9)"]))
    for student, why in result.skipped.items():
        click.echo(f"not compared: {printable(student, one_line=True)}: {printable(why, one_line=True)}")
    log.info("similarity %s: %d students, %d pairs", assignment, result.students, len(result.pairs))
    click.echo(f"{result.students} students, {len(result.pairs)} pairs compared; "
               f"report: {result.html} and {result.csv}")
