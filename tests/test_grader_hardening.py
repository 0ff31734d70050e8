"""Focused tests of the grader's hardening against the red team's findings (see autograder/SECURITY.md)."""
import os
import subprocess
import sys
import textwrap

import pytest

from autograder.course import REPO

# Runs in a fresh interpreter: run_task blocks course_lib in its process for good.
BY_VALUE = textwrap.dedent('''
    import pickle, sys
    import cloudpickle, numpy as np
    import course_lib
    import course_lib.numpy.layers as _L
    from autograder.checks.runner import run_task

    def call(student, args):
        return student[0](*args)

    def mine(x, W, b):
        return np.asarray(x) @ W + b

    def delegate(x, W, b):
        return _L.dense_forward(x, W, b)

    def closure():
        f = _L.dense_forward
        def g(x, W, b):
            return f(x, W, b)
        return g

    class Holder:
        def run(self, x, W, b):
            return _L.dense_forward(x, W, b)

    args = [(np.ones((2, 3)), np.ones((3, 4)), np.zeros(4))]
    task = cloudpickle.dumps((call, args, False))
    kind = sys.argv[1]
    if kind != "honest":
        cloudpickle.register_pickle_by_value(course_lib)
    f = {"honest": mine, "delegate": delegate, "closure": closure(), "method": Holder().run,
         "module": _L.dense_forward}[kind]
    payload = cloudpickle.dumps((f,))
    if sys.argv[2] == "walk":  # only the walk after unpickling (the payload's strings may be disguised)
        import autograder.checks.runner as runner
        runner.scan_payload = lambda *a: None
    print(repr(pickle.loads(run_task(payload, task))))
''')


@pytest.mark.parametrize("stage", ["scan", "walk"])
@pytest.mark.parametrize("kind", ["delegate", "closure", "method", "module"])
def test_course_lib_shipped_by_value_is_refused(kind, stage):
    out = subprocess.run([sys.executable, "-c", BY_VALUE, kind, stage], capture_output=True, text=True, cwd=REPO,
                         env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "load_error" in out.stdout and "uses course_lib's implementation" in out.stdout, out.stdout


def test_own_numpy_code_still_runs():
    out = subprocess.run([sys.executable, "-c", BY_VALUE, "honest", "scan"], capture_output=True, text=True, cwd=REPO,
                         env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.startswith("[('ok'"), out.stdout


# --------------------------------------------------------------------------- end to end, one grading run

import copy  # noqa: E402
import random  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

import nbformat  # noqa: E402

from tests import fixture  # noqa: E402
from autograder.grading.pool import grade  # noqa: E402
from autograder.grading.job import Limits  # noqa: E402

E2E_LIMITS = Limits(cell_timeout=8, notebook_timeout=90, memory_mb=1024, disk_mb=64)
SHM_KEY = random.randrange(0x10000, 0x7FFFFFFF)
SERVICE = "from autograder.checks.service import main"

SHM_CREATE = textwrap.dedent(f'''
    import ctypes
    _libc = ctypes.CDLL(None, use_errno=True)
    _id = _libc.shmget({SHM_KEY}, 1 << 20, 0o1000 | 0o666)
    print("SHM CREATED", _id)
''')
SHM_ATTACH = textwrap.dedent(f'''
    import ctypes
    _libc = ctypes.CDLL(None, use_errno=True)
    print("SHM FOUND", _libc.shmget({SHM_KEY}, 0, 0))
''')
DISK_FILL = textwrap.dedent('''
    import os
    _written, _err = 0, None
    try:
        for _i in range(40):
            with open(f"fill{_i}.bin", "wb") as _f:
                for _j in range(16):
                    _f.write(b"x" * (1 << 20))
                    _written += 1 << 20
    except OSError as exc:
        _err = exc.errno
    print("DISK WRITTEN", _written >> 20, "ERRNO", _err)
''')
# course_lib's module shipped by value inside the graded function (the red team's a2 delegation)
BY_VALUE_CELL = textwrap.dedent('''
    import cloudpickle, course_lib
    import course_lib.numpy.layers as _L
    cloudpickle.register_pickle_by_value(course_lib)
    def square(x):
        _L.dense_forward  # reaches course_lib's code
        return np.asarray(x, dtype=float) ** 2
''')
HUGE = "for _i in range(200):\n    print('A' * 100000)\n"
FLOOD = textwrap.dedent('''
    import os, socket, json, cloudpickle
    def _slow(*a):
        import time
        time.sleep(2)
    _req = json.dumps({"module": "autograder.checks.fx", "name": "square"}).encode() + b"\\n" + cloudpickle.dumps((_slow,))
    _n = 0
    for _i in range(24):
        try:
            _s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            _s.settimeout(2)
            _s.connect("\\0" + os.environ["AUTOGRADER_CHECK_SERVICE"])
            _s.sendall(_req)
            _s.shutdown(socket.SHUT_WR)
            _s.close()
            _n += 1
        except OSError:
            pass
    print("FLOOD SENT", _n)
    import time
    time.sleep(6)
''')


def _nb(course, square=fixture.CORRECT_SQUARE, cube=fixture.CORRECT_CUBE):
    return fixture.answered_notebook(course, square, cube)


def _index(nb, gid):
    return next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == gid)


def _tampered(course, how):
    nb = _nb(course)
    if how == "duplicate":  # the hidden test cell twice (same grade_id)
        i = _index(nb, "test_square_hidden")
        nb.cells.insert(i + 1, copy.deepcopy(nb.cells[i]))
    elif how == "bonus":  # a test cell of its own, worth 50 points
        nb.cells.append(nbformat.v4.new_code_cell("assert True", metadata={"nbgrader": {
            "grade": True, "grade_id": "bonus", "points": 50, "locked": True, "solution": False,
            "schema_version": 3}}))
    elif how == "renamed":  # a test cell's grade_id renamed
        nb.cells[_index(nb, "test_cube")].metadata["nbgrader"]["grade_id"] = "test_cube_renamed"
    return nb


class _ServiceWatch(threading.Thread):
    """The most clean processes (children of a check service, its zygote aside) seen at once."""

    def __init__(self):
        super().__init__(daemon=True)
        self.most, self.stop = 0, threading.Event()

    @staticmethod
    def _ours(pid, parent):
        """Whether `pid` descends from this test (another run's services are not counted)."""
        for _ in range(64):
            if pid == os.getpid():
                return True
            pid = parent.get(pid)
            if not pid:
                return False
        return False

    def run(self):
        while not self.stop.is_set():
            procs, parent = {}, {}
            for pid in os.listdir("/proc"):
                if not pid.isdigit():
                    continue
                try:
                    cmd = open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace")
                    ppid = int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
                parent[int(pid)] = ppid
                if SERVICE in cmd:
                    procs[int(pid)] = ppid
            for service in [p for p, pp in procs.items() if pp not in procs and self._ours(p, parent)]:
                children = [p for p, pp in procs.items() if pp == service]
                self.most = max(self.most, len(children) - 1)
            time.sleep(0.02)


STUDENTS = {
    "victim": lambda c: _nb(c),
    "duplicate": lambda c: _tampered(c, "duplicate"),
    "bonus": lambda c: _tampered(c, "bonus"),
    "renamed": lambda c: _tampered(c, "renamed"),
    "huge": lambda c: _nb(c, square=HUGE + fixture.CORRECT_SQUARE),
    "disk": lambda c: _nb(c, cube=DISK_FILL + fixture.CORRECT_CUBE),
    "flood": lambda c: _nb(c, cube=FLOOD + fixture.CORRECT_CUBE),
    "shm": lambda c: _nb(c, square=SHM_CREATE + fixture.CORRECT_SQUARE),
    "byvalue": lambda c: _nb(c, square=BY_VALUE_CELL),
}


@pytest.fixture(scope="module")
def hardened(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("the isolation needs root")
    course = fixture.make_course(tmp_path_factory.mktemp("hardening") / "course")
    for name, make in STUDENTS.items():
        fixture.submit(course, name, make(course))
    watch = _ServiceWatch()
    watch.start()
    try:
        outcomes = grade(course, fixture.ASSIGNMENT, limits=E2E_LIMITS, workers=3, progress=False)
        # a later job looks for the first one's segment
        fixture.submit(course, "shm_reader", _nb(course, square=SHM_ATTACH + fixture.CORRECT_SQUARE))
        outcomes += [o for o in grade(course, fixture.ASSIGNMENT, limits=E2E_LIMITS, workers=1, progress=False)
                     if o.student == "shm_reader"]
    finally:
        watch.stop.set()
        watch.join()
    return course, {o.student: o for o in outcomes}, watch.most


def _output(course, student) -> str:
    nb = nbformat.read(course.dir("autograded", student, fixture.ASSIGNMENT) / "fx.ipynb", as_version=4)
    return "\n".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))


def _outcome(outcomes, student, score=4.0):
    assert outcomes[student].status == "ok", outcomes[student].notes
    assert outcomes[student].score == score, outcomes[student].notes


@pytest.mark.slow
@pytest.mark.parametrize("student", ["duplicate", "bonus", "renamed"])
def test_tampered_grade_ids_are_graded_without_bonus(hardened, student):
    course, outcomes, _ = hardened
    _outcome(outcomes, student)
    assert fixture.scores(course)[student] == 4.0
    assert {g for (s, g) in fixture.grades(course) if s == student} == {
        "test_square", "test_square_hidden", "test_cube"}


@pytest.mark.slow
def test_sysv_ipc_does_not_outlive_its_job(hardened):
    course, outcomes, _ = hardened
    _outcome(outcomes, "shm")
    _outcome(outcomes, "shm_reader")
    assert "SHM CREATED" in _output(course, "shm") and "SHM CREATED -1" not in _output(course, "shm")
    assert "SHM FOUND -1" in _output(course, "shm_reader"), _output(course, "shm_reader")
    keys = [int(line.split()[0]) for line in open("/proc/sysvipc/shm").read().splitlines()[1:]]
    assert SHM_KEY not in keys


@pytest.mark.slow
def test_disk_writes_are_capped_in_the_students_cell(hardened):
    course, outcomes, _ = hardened
    _outcome(outcomes, "disk")
    out = _output(course, "disk")
    written = int(out.split("DISK WRITTEN", 1)[1].split()[0])
    assert "ERRNO 28" in out, out  # ENOSPC
    assert written <= E2E_LIMITS.disk_mb + 1
    assert not list(course.root.rglob("fill*.bin"))  # nothing reached the host's disk


@pytest.mark.slow
def test_check_service_flood_is_served_a_few_at_a_time(hardened):
    course, outcomes, most = hardened
    _outcome(outcomes, "flood", 2.0)  # its own flood's calls of check_square failed: that is its own cell's verdict
    _outcome(outcomes, "victim")
    assert "FLOOD SENT" in _output(course, "flood")
    from autograder.checks import service
    assert 1 <= most <= getattr(service, "MAX_WORKERS", 3), most


@pytest.mark.slow
def test_huge_output_is_truncated(hardened):
    course, outcomes, _ = hardened
    _outcome(outcomes, "huge")
    path = course.dir("autograded", "huge", fixture.ASSIGNMENT) / "fx.ipynb"
    assert path.stat().st_size < 2_000_000
    assert "[output truncated by the grader]" in path.read_text()


@pytest.mark.slow
def test_course_lib_by_value_fails_the_hidden_check(hardened):
    course, outcomes, _ = hardened
    _outcome(outcomes, "byvalue", 2.0)  # the visible tests pass, the hidden check refuses the payload
    nb = nbformat.read(course.dir("autograded", "byvalue", fixture.ASSIGNMENT) / "fx.ipynb", as_version=4)
    errors = " ".join(o.get("evalue", "") for c in nb.cells for o in c.get("outputs", []))
    assert "uses course_lib's implementation" in errors, errors
