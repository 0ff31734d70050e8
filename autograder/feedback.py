"""HTML feedback per student that reveals nothing of the hidden tests.

nbgrader's default feedback shows hidden test cells in full. We always add
ClearHiddenTests, and before it ClearHiddenTestOutputs (tracebacks quote the
hidden source). Every feedback file is then scanned for hidden-test text as a
last guard, and withheld if any is found.
"""
from __future__ import annotations


from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import ClearHiddenTests, GetGrades

from .clear_hidden_outputs import ClearHiddenTestOutputs
from .course import Course

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
    cfg.GenerateFeedback.preprocessors = [GetGrades, CSSHTMLHeaderPreprocessor, ClearHiddenTestOutputs,
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
