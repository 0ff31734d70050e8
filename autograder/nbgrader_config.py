"""nbgrader configuration of the course (nbgrader 0.9.6).

Layout: the instructor sources are the repository's ``solutions/<assignment>/`` (used in place,
never copied); everything nbgrader writes (release/, submitted/, autograded/, feedback/, the
gradebook) lives under a course root, by default the ignored ``autograder/course/``. Tools that
grade elsewhere (the tests, the grading pipeline) load this file and set
``CourseDirectory.root`` themselves.

Use it from the command line with::

    nbgrader generate_assignment <assignment> --config autograder/nbgrader_config.py

Grading kernels import ``autograder.checks`` (the hidden checks, found in ``solutions/<assignment>/checks.py``),
so this file puts the
repository root on ``PYTHONPATH``, which every kernel nbgrader starts inherits.
"""

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

c = get_config()  # noqa: F821 - provided by traitlets when it loads this file

# --- layout
c.CourseDirectory.course_id = "nn-first-principles"
c.CourseDirectory.root = str(REPO / "autograder" / "course")
c.CourseDirectory.source_directory = str(REPO / "solutions")  # absolute: used in place
# checks.py: an assignment's hidden checks, beside its source: never copied into release/ or a job
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "README.md", "feedback", "checks.py"]

# --- nbgrader itself imports autograder.feedback.clear_hidden_outputs (feedback, below)
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

# --- the grading kernel finds the hidden checks (and course_lib) from the repository root
_pythonpath = os.environ.get("PYTHONPATH", "")
if str(REPO) not in _pythonpath.split(os.pathsep):
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), _pythonpath) if p)

# --- markers (nbgrader's defaults, written out because the hidden checks and tests rely on them)
c.ClearSolutions.begin_solution_delimeter = "BEGIN SOLUTION"
c.ClearSolutions.end_solution_delimeter = "END SOLUTION"
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearHiddenTests.begin_test_delimeter = "BEGIN HIDDEN TESTS"
c.ClearHiddenTests.end_test_delimeter = "END HIDDEN TESTS"

# --- execution: a test cell gets 60 s (the slowest takes ~1 s on one CPU core)
c.ExecutePreprocessor.timeout = 60
c.ExecutePreprocessor.interrupt_on_timeout = True

# --- feedback never shows hidden tests (nbgrader's default list would): neither their source nor
# the lines of it that a traceback quotes (ClearHiddenTestOutputs must run before ClearHiddenTests)
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "autograder.feedback.clear_hidden_outputs.ClearHiddenTestOutputs",
    "nbgrader.preprocessors.ClearHiddenTests",
]
