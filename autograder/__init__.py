"""The course's grading side: nbgrader configuration, hidden checks and the grading pipeline.

Never shipped to students. ``autograder.checks`` must be importable by the grading kernel:
the repository root has to be on its ``sys.path`` (``nbgrader_config.py`` puts it on
``PYTHONPATH`` for every kernel nbgrader starts).
"""

import sys

# nbformat validates notebooks with jsonschema, which imports rfc3987_syntax whenever it is
# installed (jupyter-events pulls it in); that module compiles a grammar at import, 1.2 s of CPU
# in every grading process. Notebook schemas use no IRI formats, so the grader goes without it.
sys.modules.setdefault("rfc3987_syntax", None)
