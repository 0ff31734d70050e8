"""HTML feedback per student that reveals nothing of the hidden tests.

nbgrader's default feedback shows hidden test cells in full. We add
ClearHiddenTests, and before it :class:`HideHiddenTracebacks`: the traceback of
a failing hidden test quotes the hidden source line by line, so for those
cells only the error's name and message are kept. Every feedback file is then
scanned for hidden-test text as a last guard.
"""
from __future__ import annotations

from pathlib import Path

from nbgrader.preprocessors import ClearHiddenTests, GetGrades, NbGraderPreprocessor
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor

from .course import Course

BEGIN = "### BEGIN HIDDEN TESTS"


class HideHiddenTracebacks(NbGraderPreprocessor):
    """Reduce error outputs of cells with hidden tests to 'Name: message'."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and BEGIN in cell.source:
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    out["traceback"] = [f"{out.get('ename')}: {out.get('evalue')}"]
        return cell, resources


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
    cfg.GenerateFeedback.preprocessors = [GetGrades, CSSHTMLHeaderPreprocessor, HideHiddenTracebacks,
                                          ClearHiddenTests]
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
        leaked = [line for f in course.dir("feedback", s, assignment).glob("*.html")
                  for line in secrets if line in html.unescape(f.read_text())]
        if leaked:  # never hand out a file that quotes a hidden test
            for f in course.dir("feedback", s, assignment).glob("*.html"):
                f.unlink()
            status[s] = f"withheld: feedback quoted hidden tests ({len(leaked)} lines)"
        else:
            status[s] = "ok"
    return status
