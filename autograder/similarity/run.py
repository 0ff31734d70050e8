"""``python -m autograder similarity A``: read the class's answers, score every pair, write the report."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from ..course import Course
from .compare import Pair, Settings, fingerprint_class, score_pairs, wholly_common
from .extract import Answer, read_answer, read_template
from .report import write_csv, write_html

log = logging.getLogger("autograder")


@dataclass
class Result:
    pairs: list[Pair]
    students: int
    html: Path
    csv: Path
    skipped: dict[str, str] = field(default_factory=dict)  # student -> why their work was not read


def similarity(course: Course, assignment: str, out_dir: Path | None = None, *, top: int = 25,
               settings: Settings = Settings()) -> Result:
    """Compare every pair of students who submitted ``assignment``; write ``similarity-<a>.html`` and
    ``.csv`` into ``out_dir`` (default ``<course>/reports/``). A notebook that cannot be read is
    that student's note in the result, never the end of the run."""
    release = course.dir("release", assignment=assignment)
    templates = {}
    for nb in sorted(release.glob("*.ipynb")):
        templates[nb.name] = read_template(nb)
    if not templates:
        from ..errors import InstructorError

        raise InstructorError(f"no released notebook in {release}; run `python -m autograder release "
                              f"{assignment}` first")
    answers: dict[str, dict[str, Answer]] = {}
    skipped: dict[str, str] = {}
    for student in course.students_submitted(assignment):
        folder = course.dir("submitted", student, assignment)
        if folder.is_symlink() or folder.parent.is_symlink():
            skipped[student] = "the submitted folder is a link (not followed)"
            continue
        mine = {}
        for name, template in templates.items():
            path = folder / name
            if path.is_symlink() or not path.is_file():
                continue
            try:
                mine[name] = read_answer(path, template)
            except ValueError as exc:
                skipped[student] = str(exc)
            except Exception as exc:  # noqa: BLE001 - one student's notebook never ends the class's run
                log.exception("similarity %s: reading %s", assignment, path)
                skipped[student] = f"{name} could not be read ({type(exc).__name__}; traceback in the log)"
        if mine:
            answers[student] = mine
        elif student not in skipped:
            skipped[student] = "no notebook of the assignment"
    units = fingerprint_class(answers, templates, settings)
    pairs = score_pairs(units, settings)
    for student in wholly_common(units, settings):
        skipped.setdefault(student, f"all of their code is also in more than {settings.max_common} students' "
                                    "(one source copied by many, or a short answer): read it, or raise --max-common")
    out_dir = Path(out_dir) if out_dir else course.root / "reports"
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path, csv_path = out_dir / f"similarity-{assignment}.html", out_dir / f"similarity-{assignment}.csv"
    line = (f"Fingerprints: k = {settings.noise} filtered characters, window {settings.window}; "
            f"a fingerprint in more than {settings.max_common} students is ignored; units with fewer "
            f"than {settings.min_fingerprints} fingerprints are not scored.")
    write_csv(pairs, csv_path)
    write_html(pairs, units, html_path, assignment=assignment, top=top, settings_line=line)
    for student, why in skipped.items():
        log.warning("similarity %s: %s not compared: %s", assignment, student, why)
    return Result(pairs, len(answers), html_path, csv_path, skipped)
