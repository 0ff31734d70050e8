"""A tiny nbgrader assignment, built from code, for the grading tool's own tests.

``make_course(root)`` writes a complete course (source notebook with two
solution cells, visible and hidden test cells, a hidden-check module, a
config file), generates the student version with nbgrader, and returns a
:class:`~autograder.course.Course`. ``student_notebook(kind)`` gives the
student version answered correctly, wrongly or in one of many hostile ways.

Points: test_square 1 (visible), test_square_hidden 2 (hidden check),
test_cube 1 (visible) -- 4 in all.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.checks import CHECKS_FILE, HERE, MACHINERY as _MACHINERY
from autograder.course import Course

ASSIGNMENT = "fx"
MAX_SCORE = 4.0
#: the files of autograder/checks a hand-built checks package needs (tests/test_check_service.py)
MACHINERY = tuple(f"{name}.py" for name in _MACHINERY)
#: where those files are
MACHINERY_DIR = HERE


def _meta(gid, *, solution=False, grade=False, locked=False, points=None):
    m = {"grade": grade, "grade_id": gid, "locked": locked, "schema_version": 3,
         "solution": solution, "task": False}
    if points is not None:
        m["points"] = points
    return {"nbgrader": m}


def source_notebook():
    cells = [
        new_markdown_cell("# Fixture assignment\nImplement `square` and `cube`."),
        new_code_cell("import numpy as np", metadata=_meta("imports", locked=True)),
        new_code_cell("def square(x):\n    ### BEGIN SOLUTION\n    return np.asarray(x, dtype=float) ** 2\n"
                      "    ### END SOLUTION", metadata=_meta("square", solution=True)),
        new_code_cell("assert np.allclose(square(np.array([1.0, 2.0])), [1.0, 4.0])",
                      metadata=_meta("test_square", grade=True, locked=True, points=1)),
        new_code_cell("# hidden tests of square\n### BEGIN HIDDEN TESTS\n"
                      "from autograder.checks.fx import check_square\ncheck_square(square)\n"
                      "### END HIDDEN TESTS",
                      metadata=_meta("test_square_hidden", grade=True, locked=True, points=2)),
        new_code_cell("def cube(x):\n    ### BEGIN SOLUTION\n    return np.asarray(x, dtype=float) ** 3\n"
                      "    ### END SOLUTION", metadata=_meta("cube", solution=True)),
        new_code_cell("assert np.allclose(cube(np.array([2.0])), [8.0])",
                      metadata=_meta("test_cube", grade=True, locked=True, points=1)),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


# The hidden check, written like the course's own (solutions/a2_backprop/checks.py): the
# reference is computed in a clean process and the student's function runs in a fork of it
# (see autograder/checks/isolation.py), so patched NumPy, builtins or always-equal objects in
# the student's kernel cannot fool the comparison.
CHECK_SOURCE = '''
"""Hidden check of the fixture assignment (never shown to students)."""
from autograder.checks.isolation import Case, expect_array, hidden_check


def _cases(rng):
    x = rng.normal(size=(3, 5))
    return [Case(args=(x,), expected=x * x, what="a 3x5 array")]


def _verify(case, got):
    expect_array("square(x)", got, case.expected, rtol=1e-12)


check_square = hidden_check("square", _cases, _verify)
'''

CONFIG = '''c = get_config()
c.CourseDirectory.course_id = "fixture"
c.ClearSolutions.code_stub = {"python": "raise NotImplementedError()"}
c.Execute.timeout = 20
'''


def make_course(root: Path) -> Course:
    """Write and generate the fixture course under `root`; return it."""
    root = Path(root)
    (root / "source" / ASSIGNMENT).mkdir(parents=True)
    nbformat.write(source_notebook(), root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    (root / "source" / ASSIGNMENT / "data.txt").write_text("auxiliary file copied by nbgrader\n")
    checks = root.parent / "checks"  # the course's checks folder: <assignment>/checks.py
    (checks / ASSIGNMENT).mkdir(parents=True, exist_ok=True)
    (checks / ASSIGNMENT / CHECKS_FILE).write_text(CHECK_SOURCE)
    config = root.parent / "nbgrader_config.py"
    config.write_text(CONFIG)
    course = Course(root=root, config_file=config, checks_dir=checks)
    course.generate(ASSIGNMENT)
    return course


# ------------------------------------------------------------- submissions

CORRECT_SQUARE = "def square(x):\n    return np.asarray(x, dtype=float) ** 2"
CORRECT_CUBE = "def cube(x):\n    return np.asarray(x, dtype=float) ** 3"

# Student code that fails (and so loses the square points) if it can read a secret or write outside.
# The repository's own secrets, wherever the checkout lies.
_REPO = Path(__file__).resolve().parents[1]
READ_SECRETS = """import os
leaks = []
for p in ['REPO/solutions', 'REPO/autograder/checks', 'REPO/autograder/course',
          '../../../gradebook.db', '../../../source', '../../../nbgrader_config.py']:
    try:
        if os.path.isdir(p):
            leaks += [p] if os.listdir(p) else []
        else:
            open(p, 'rb').read(1)
            leaks.append(p)
    except OSError:
        pass
import autograder.checks.fx as _fx
for f in os.listdir(os.path.dirname(_fx.__file__)):  # the kernel's checks are stand-ins only
    text = open(os.path.join(os.path.dirname(_fx.__file__), f), 'rb').read()
    if b'expect_array' in text or b'_cases' in text:
        leaks.append(f)
try:
    import autograder.checks.isolation
    leaks.append('imported the checks machinery')
except ImportError:
    pass
for target in ['../../../gradebook.db', 'REPO/pwned.txt', '../pwned.txt', '/var/lib/pwned.txt']:
    try:
        open(target, 'a').write('x')
        leaks.append('wrote ' + target)
    except OSError:
        pass
assert not leaks, leaks
""".replace("REPO", str(_REPO))

# kind -> (square cell, cube cell, expected score, what the report must mention)
HOSTILE = {
    "correct": (CORRECT_SQUARE, CORRECT_CUBE, 4.0, None),
    "wrong": ("def square(x):\n    return np.asarray(x) * 2.0", CORRECT_CUBE, 1.0, None),
    "loop": (CORRECT_SQUARE, "while True:\n    pass", 3.0, "time limit"),
    "loop_swallow": (CORRECT_SQUARE, "import time\nwhile True:\n    try:\n        time.sleep(1)\n"
                     "    except BaseException:\n        pass", 3.0, "time limit"),
    "sys_exit": (CORRECT_SQUARE, "import sys\nsys.exit(3)", 3.0, "sys.exit"),
    "os_exit": (CORRECT_SQUARE, "import os\nos._exit(1)", 3.0, "kernel died"),
    "kill_kernel": (CORRECT_SQUARE, "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", 3.0,
                    "kernel died"),
    "memory": (CORRECT_SQUARE, "big = bytearray(50 * 2**30)", 3.0, "memory"),
    "raise_at_import": (CORRECT_SQUARE, "raise RuntimeError('boom')\n" + CORRECT_CUBE, 3.0,
                        "answer cell raised runtimeerror"),
    "monkeypatch": ("import builtins\nnp.allclose = lambda *a, **k: True\n"
                    "np.testing.assert_allclose = lambda *a, **k: None\n"
                    "builtins.AssertionError = type('Nope', (Exception,), {})\n"
                    "def square(x):\n    return x", CORRECT_CUBE, 2.0, "failed test_square_hidden"),
    # the visible test (in the student's own kernel) is fooled; the hidden check is not
    "always_equal": ("class Yes:\n    def __eq__(self, o): return True\n    def __ne__(self, o): return False\n"
                     "    def __sub__(self, o): return self\n    def __abs__(self): return 0.0\n"
                     "def square(x):\n    return Yes()", CORRECT_CUBE, 2.0, "failed test_square_hidden"),
    "hardcoded": ("def square(x):\n    return np.array([1.0, 4.0])", CORRECT_CUBE, 2.0,
                  "failed test_square_hidden"),
    # the hidden check's reference, looked for up the call stack of the process it runs in
    "steal_reference": ("import sys\ndef square(x):\n    f = sys._getframe(1)\n    while f is not None:\n"
                        "        case = f.f_locals.get('case')\n"
                        "        if getattr(case, 'expected', None) is not None:\n            return case.expected\n"
                        "        f = f.f_back\n    return x", CORRECT_CUBE, 1.0, "test_square_hidden"),
    # the hidden check itself, or the way its verdict comes back, replaced in the kernel:
    # the cell looks passed there, but the grader's check service never saw a passing check
    "patch_check": ("import autograder.checks.fx as _fx\n_fx.check_square = lambda f: None\n"
                    "def square(x):\n    return np.array([1.0, 4.0])", CORRECT_CUBE, 2.0, "tampered"),
    "fake_verdict": ("import autograder.checks.client as _client\n"
                     "_client.ask_service = lambda *a: {'ok': True}\n"
                     "try:  # and forge the service's log (the job directory is 4 levels up)\n"
                     "    open('../../../../checks.log', 'a').write('{\"check\": \"square\", \"ok\": true}\\n')\n"
                     "except OSError:\n    pass\n"
                     "def square(x):\n    return np.array([1.0, 4.0])", CORRECT_CUBE, 2.0, "tampered"),
    "read_secrets": (READ_SECRETS + CORRECT_SQUARE, CORRECT_CUBE, 4.0, None),
    "stdout_flood": (CORRECT_SQUARE, "import os\nfor _ in range(100):\n    os.write(1, b'{\"job\": 1}\\n')\n"
                     + CORRECT_CUBE, 4.0, None),
    "network": (CORRECT_SQUARE, "import socket\n"
                "try:\n    socket.create_connection(('1.1.1.1', 53), timeout=2)\n"
                "except OSError:\n    pass\nelse:\n    raise AssertionError('network reachable')\n"
                + CORRECT_CUBE, 4.0, None),
}


def student_notebook(course: Course, kind: str = "correct"):
    """The released notebook answered in the way `kind` names (see HOSTILE)."""
    square, cube, _, _ = HOSTILE[kind]
    return answered_notebook(course, square, cube)


def answered_notebook(course: Course, square: str, cube: str):
    """The released notebook with these two answer cells (the tests' attacks write their own)."""
    nb = nbformat.read(course.dir("release", assignment=ASSIGNMENT) / f"{ASSIGNMENT}.ipynb", as_version=4)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid == "square":
            cell.source = square
        elif gid == "cube":
            cell.source = cube
    return nb


def submit(course: Course, student: str, nb=None, *, raw: bytes | None = None,
           name: str = f"{ASSIGNMENT}.ipynb", timestamp: str = "2026-11-20 10:00:00.000000 UTC",
           assignment: str = ASSIGNMENT) -> Path:
    """Place a submission in submitted/<student>/<assignment>/ as `collect` would."""
    d = course.dir("submitted", student, assignment)
    d.mkdir(parents=True, exist_ok=True)
    (d / "timestamp.txt").write_text(timestamp)
    data = raw if raw is not None else nbformat.writes(nb).encode()
    (d / name).write_bytes(data)
    return d


def scores(course: Course, assignment: str = ASSIGNMENT) -> dict[str, float]:
    """student -> total score in the course's gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(course.db_url, course.course_id) as gb:
        return {s.student.id: s.score for s in gb.find_assignment(assignment).submissions}


def grades(course: Course, assignment: str = ASSIGNMENT) -> dict:
    """(student, grade cell) -> auto_score: the gradebook, compared across runs."""
    from nbgrader.api import Gradebook

    with Gradebook(course.db_url, course.course_id) as gb:
        return {(s.student.id, g.name): (g.auto_score, g.needs_manual_grade)
                for s in gb.find_assignment(assignment).submissions
                for nb in s.notebooks for g in nb.grades}


def plain_nbgrader(course: Course, assignment: str, pythonpath: str, students: list[str] | None = None) -> float:
    """Serial `nbgrader autograde` on `course` (a copy!), as a reference; returns wall seconds."""
    import os
    import time

    env = dict(os.environ, PYTHONPATH=pythonpath)
    course.write_root_config()
    cmd = [sys.executable, "-m", "nbgrader", "autograde", assignment, "--force"]
    if students:
        cmd.append("--CourseDirectory.student_id=" + (students[0] if len(students) == 1 else "*"))
    start = time.perf_counter()
    subprocess.run(cmd, cwd=course.root, env=env, capture_output=True, text=True)  # exits 1 on bad notebooks
    return time.perf_counter() - start


def checks_package(course: Course, target: Path) -> Path:
    """`target/autograder/checks/*.py`: the machinery and the course's checks (as
    ``autograder.checks.<assignment>``), importable as plain nbgrader needs them."""
    from autograder.checks import check_modules

    pkg = target / "autograder" / "checks"
    pkg.mkdir(parents=True, exist_ok=True)
    (target / "autograder" / "__init__.py").write_text("")
    if not (pkg / "__init__.py").exists():
        (pkg / "__init__.py").write_text("")
    for name in MACHINERY:
        shutil.copy(MACHINERY_DIR / name, pkg / name)
    for name, src in check_modules(course.checks_dir).items():
        shutil.copy(src, pkg / f"{name}.py")
    return target
