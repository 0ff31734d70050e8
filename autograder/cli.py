"""``python -m autograder``: release, collect, grade, feedback, export.

Every subcommand prints a summary table at the end and appends to the
course's log (``<course>/.autograder/logs/``); long work shows a progress bar.
"""
from __future__ import annotations

import sys
import warnings
from pathlib import Path

import click
from tabulate import tabulate

from .course import DEFAULT_CHECKS, DEFAULT_CONFIG, DEFAULT_ROOT, Course


def _course(ctx) -> Course:
    return ctx.obj["course"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--course", "root", type=click.Path(path_type=Path), default=DEFAULT_ROOT, show_default=True,
              help="nbgrader course directory (gradebook, submitted/, autograded/ ...).")
@click.option("--config", type=click.Path(path_type=Path), default=DEFAULT_CONFIG, show_default=True,
              help="nbgrader_config.py of the course.")
@click.option("--checks", type=click.Path(path_type=Path), default=DEFAULT_CHECKS, show_default=True,
              help="Folder of the hidden-check modules (given to kernels as bytecode only).")
@click.pass_context
def main(ctx, root, config, checks):
    """The instructor's grading tool: release, collect, grade, feedback, export."""
    warnings.filterwarnings("ignore", module="sqlalchemy")
    warnings.filterwarnings("ignore", message=".*not in session.*")
    ctx.obj = {"course": Course(root=root, config_file=config, checks_dir=checks)}


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

    written = do_release(None if all_ or not assignments else list(assignments))
    rows = []
    for path in tqdm(written, desc="registering in the gradebook", unit="assignment"):
        name = Path(path).stem
        _course(ctx).generate(name)
        rows.append((name, str(path), "registered"))
    click.echo(tabulate(rows, headers=["assignment", "student version", "gradebook"]))


@main.command()
@click.argument("assignment")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option("--roster", type=click.Path(exists=True, path_type=Path),
              help="CSV with student_id and any of name, lms_id, email.")
@click.pass_context
def collect(ctx, assignment, source, roster):
    """Copy submissions from SOURCE (a folder or an LMS zip) into submitted/."""
    from .collect import collect as do_collect

    rows = do_collect(_course(ctx), assignment, source, roster)
    click.echo(tabulate([(r.student or "-", r.file, r.status) for r in rows],
                        headers=["student", "file", "result"]))
    bad = [r for r in rows if r.status.startswith(("UNMATCHED", "IGNORED"))]
    click.echo(f"\n{len(rows) - len(bad)} files collected, {len(bad)} not matched or ignored")
    sys.exit(1 if any(r.status.startswith("UNMATCHED") for r in rows) else 0)


@main.command()
@click.argument("assignment")
@click.option("--student", "students", multiple=True, help="Grade only this student (repeatable).")
@click.option("--workers", type=int, default=None, help="Parallel local workers [default: one per core].")
@click.option("--scheduler", default=None, help="Dask scheduler address (tcp://host:8786): grade on that cluster.")
@click.option("--cell-timeout", type=int, default=None, help="Seconds per cell [default: the config's, else 30].")
@click.option("--notebook-timeout", type=int, default=300, show_default=True, help="Seconds per notebook.")
@click.option("--memory-mb", type=int, default=2048, show_default=True, help="Address-space limit of a kernel.")
@click.option("--force", is_flag=True, help="Re-grade submissions the journal says are done.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def grade(ctx, assignment, students, workers, scheduler, cell_timeout, notebook_timeout, memory_mb, force, quiet):
    """Autograde ASSIGNMENT in parallel, each submission sandboxed."""
    from .grade import grade as do_grade
    from .job import Limits

    limits = Limits(cell_timeout=cell_timeout, notebook_timeout=notebook_timeout, memory_mb=memory_mb)
    outcomes = do_grade(_course(ctx), assignment, list(students) or None, limits=limits, workers=workers,
                        scheduler=scheduler, force=force, progress=not quiet)
    click.echo(tabulate([(o.student, f"{o.score:g}/{o.max_score:g}", o.status, f"{o.wall:.1f}",
                          "; ".join(o.notes)) for o in outcomes],
                        headers=["student", "score", "status", "seconds", "notes"]))
    failed = [o for o in outcomes if o.status not in ("ok", "unchanged")]
    click.echo(f"\n{len(outcomes)} submissions, {len(failed)} with grading failures "
               f"(log: {_course(ctx).root / '.autograder' / 'logs'})")


@main.command()
@click.argument("assignment")
@click.option("--student", "students", multiple=True, help="Only this student (repeatable).")
@click.pass_context
def feedback(ctx, assignment, students):
    """HTML feedback per student in feedback/, without hidden-test text."""
    from .feedback import feedback as do_feedback

    status = do_feedback(_course(ctx), assignment, list(students) or None)
    click.echo(tabulate(sorted(status.items()), headers=["student", "feedback"]))
    sys.exit(0 if all(v == "ok" for v in status.values()) else 1)


@main.command()
@click.option("--output", "-o", type=click.Path(path_type=Path), default=Path("grades.csv"), show_default=True)
@click.option("--format", "fmt", type=click.Choice(["plain", "canvas", "moodle"]), default="plain",
              show_default=True)
@click.option("--roster", type=click.Path(exists=True, path_type=Path), help="Names and LMS ids for the CSV.")
@click.pass_context
def export(ctx, output, fmt, roster):
    """Write a CSV of scores per student and assignment for an LMS gradebook."""
    from .export import export as do_export, table

    n = do_export(_course(ctx), output, fmt, roster)
    assignments, scores, maxima = table(_course(ctx))
    click.echo(tabulate([(a, f"{maxima[a]:g}", sum(1 for s in scores.values() if s[a] > 0)) for a in assignments],
                        headers=["assignment", "max", "students with points"]))
    click.echo(f"\n{n} students written to {output}")
