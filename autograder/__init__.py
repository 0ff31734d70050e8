"""The course's grading engine: nbgrader configuration and the grading pipeline, a folder per stage.

Never shipped to students, and it knows no assignment by name: a course's hidden checks live beside
their assignments (``solutions/<assignment>/checks.py``, see :mod:`autograder.checks`).

The stages, in the order a submission meets them (each imports only the ones listed after it)::

    cli.py, release.py  the command (``python -m autograder``) and the student versions
    feedback/           HTML feedback without hidden-test text
    grading/            the pool, one job per submission, the gradebook merge, late penalties
    lms/                what comes in from an LMS (collect, rosters) and what goes out (exports)
    checks/             the hidden checks' machinery (the check service, isolated student processes)
    sandbox/            isolation primitives: the box, a uid per job
    course.py, late_policy.py, errors.py   the course's configuration, read by every stage

The rules are import-linter contracts in ``pyproject.toml``, kept by ``tests/test_architecture.py``.
"""

import sys

# nbformat validates notebooks with jsonschema, which imports rfc3987_syntax whenever it is
# installed (jupyter-events pulls it in); that module compiles a grammar at import, 1.2 s of CPU
# in every grading process. Notebook schemas use no IRI formats, so the grader goes without it.
sys.modules.setdefault("rfc3987_syntax", None)
