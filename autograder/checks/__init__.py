"""The hidden checks' machinery: run a student's function where earlier student code cannot reach.

A course's hidden checks are course content and live beside their assignment, one file each:
``<checks folder>/<assignment>/checks.py`` (the folder is ``Course.checks_dir``: the repository's
``solutions/`` unless ``--checks`` names another). A hidden test cell imports them as
``autograder.checks.<assignment>`` and only *calls* a check::

    ### BEGIN HIDDEN TESTS
    from autograder.checks.<assignment> import check_<name>; check_<name>(<the student's function>)
    ### END HIDDEN TESTS

Every check is built with :func:`autograder.checks.isolation.hidden_check`, which runs the student's
function in a fresh process (``isolation.py``, ``runner.py``). Under ``python -m autograder grade``
the kernel's ``autograder.checks.<assignment>`` is a stand-in that only names its checks
(``client.py``) and the checks run in the job's check service (``service.py``); ``packages.py``
builds both packages of a job. Anywhere else (an instructor running a solution, the tests) the
finder below loads ``<checks folder>/<assignment>/checks.py`` for ``autograder.checks.<assignment>``
(the folder from ``$AUTOGRADER_CHECKS``, else the repository's ``solutions/``).

May import: ``autograder.sandbox`` (the zygote's box), ``autograder.course``; never ``grading``,
``lms`` or ``feedback``, and nothing of the course content by name.
"""
from __future__ import annotations

import importlib.abc
import importlib.util
import os
import sys
from pathlib import Path

#: this package's own modules: the machinery every course's checks run on
MACHINERY = ("client", "isolation", "runner", "service")
#: the name of an assignment's checks file, beside its source notebook
CHECKS_FILE = "checks.py"
#: where the machinery lives (copied into every job)
HERE = Path(__file__).resolve().parent
#: the environment variable naming the checks folder for the finder below
CHECKS_ENV = "AUTOGRADER_CHECKS"


def check_modules(checks_dir) -> dict[str, Path]:
    """assignment -> its checks file, for every ``<checks_dir>/<assignment>/checks.py``."""
    return {p.parent.name: p for p in sorted(Path(checks_dir).glob(f"*/{CHECKS_FILE}"))}


class CourseChecks(importlib.abc.MetaPathFinder):
    """``autograder.checks.<assignment>`` -> ``<checks folder>/<assignment>/checks.py`` (outside grading)."""

    def find_spec(self, fullname, path=None, target=None):
        package, _, name = fullname.rpartition(".")
        if package != __name__ or name in MACHINERY or not name.isidentifier():
            return None
        from ..course import DEFAULT_CHECKS

        path = Path(os.environ.get(CHECKS_ENV) or DEFAULT_CHECKS) / name / CHECKS_FILE
        return importlib.util.spec_from_file_location(fullname, path) if path.is_file() else None


if not any(isinstance(f, CourseChecks) for f in sys.meta_path):
    sys.meta_path.append(CourseChecks())
