"""HTML feedback per student: reveals nothing of the hidden tests, renders nothing of the student's, works offline.

nbgrader's default feedback shows hidden test cells in full. We always add
ClearHiddenTests, and before it ClearHiddenTestOutputs (tracebacks quote the
hidden source). Every feedback file is then scanned for hidden-test text as a
last guard, and withheld if any is found.

What the submission contributed (outputs, its own markdown) is shown as text only
(``sanitize.py``). The maths of the instructor's text is typeset by the MathJax the book
vendors (``_vendor/mathjax``, made by ``make``), copied next to each feedback file and loaded by
a relative path: the page needs no network, also once handed to the student.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import ClearHiddenTests, GetGrades

from .clear_hidden_outputs import ClearHiddenTestOutputs
from ..course import REPO, Course
from .sanitize import TextOnlyStudentContent, harden_html

#: one file with MathJax 3, every TeX extension and SVG output (no fonts to load)
MATHJAX = REPO / "_vendor" / "mathjax" / "tex-svg-full.js"
MATHJAX_REL = "mathjax/tex-svg-full.js"

BEGIN = "### BEGIN HIDDEN TESTS"


def hidden_snippets(course: Course, assignment: str) -> list[str]:
    """Lines of the hidden test regions, from the gradebook's source cells."""
    from nbgrader.api import Gradebook

    lines = []
    with Gradebook(course.db_url, course.course_id) as gb:
        for nb in gb.find_assignment(assignment).notebooks:
            for cell in nb.source_cells:
                inside = False
                for line in (cell.source or "").splitlines():
                    if BEGIN in line:
                        inside = True
                    elif "### END HIDDEN TESTS" in line:
                        inside = False
                    elif inside and len(line.strip()) > 8:
                        lines.append(line.strip())
    return lines


def feedback(course: Course, assignment: str, students: list[str] | None = None) -> dict[str, str]:
    """Generate feedback; return student -> 'ok' or the reason it failed."""
    import html

    cfg = course.config()
    # Whatever the config says: this list (the course config has the same one).
    cfg.GenerateFeedback.preprocessors = [GetGrades, CSSHTMLHeaderPreprocessor, TextOnlyStudentContent,
                                          ClearHiddenTestOutputs, ClearHiddenTests]
    cfg.TextOnlyStudentContent.instructor_markdown = instructor_markdown(course, assignment)
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    api = NbGraderAPI(coursedir=CourseDirectory(config=cfg), config=cfg)
    graded = course.root / "autograded"
    students = students or sorted(p.name for p in graded.iterdir()
                                  if (p / assignment).is_dir()) if graded.is_dir() else []
    secrets = hidden_snippets(course, assignment)
    status = {}
    for s in students:
        out = api.generate_feedback(assignment, s, force=True)
        if not out["success"]:
            lines = (out.get("error") or "nbgrader failed").strip().splitlines()
            status[s] = "failed: " + lines[-1]
            continue
        folder = course.dir("feedback", s, assignment)
        for f in folder.glob("*.html"):
            f.write_text(harden_html(f.read_text(), MATHJAX_REL if MATHJAX.exists() else None))
        if MATHJAX.exists():
            _place_mathjax(folder)
        leaked = [line for f in folder.glob("*.html")
                  for line in secrets if line in html.unescape(f.read_text())]
        if leaked:  # never hand out a file that quotes a hidden test
            for f in course.dir("feedback", s, assignment).glob("*.html"):
                f.unlink()
            status[s] = f"withheld: feedback quoted hidden tests ({len(leaked)} lines)"
        else:
            status[s] = "ok" if MATHJAX.exists() else "ok (maths not typeset: run `make` to vendor MathJax)"
    return status


def instructor_markdown(course: Course, assignment: str) -> list[str]:
    """The markdown cells of the released notebooks: the only markdown feedback renders."""
    import nbformat

    out = []
    for path in sorted(course.dir("release", assignment=assignment).glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        out += [c.source for c in nb.cells if c.cell_type == "markdown"]
    return out


def _place_mathjax(folder: Path) -> None:
    """MathJax next to the feedback files (a hard link where possible: one copy on disk)."""
    target = folder / MATHJAX_REL
    target.parent.mkdir(exist_ok=True)
    if target.exists():
        target.unlink()
    try:
        os.link(MATHJAX, target)
    except OSError:
        shutil.copy(MATHJAX, target)
