"""End to end: submissions that attack other submissions and the grader, graded concurrently.

A victim (a correct submission that takes a while) is graded at the same time as attackers that
read other jobs through /proc and the file system, signal every process they can see and leave a
detached daemon behind, rewrite their graded notebook after nbgrader wrote it, look for the
references in their own process, recompute the hidden cases from the published seed, and fork-bomb.
Each test asserts what the attack got (nothing) against the world: the victim's grade equals its
grade when graded alone, and no process of any job's uid is left once grading returns.
"""
import json
import os
import shutil
import subprocess
import sys
import textwrap

import nbformat
import pytest

from autograder.sandbox import uids
from tests import fixture
from autograder.course import Course
from autograder.grading.pool import grade
from autograder.grading.job import Limits

LIMITS = Limits(cell_timeout=8, notebook_timeout=90, memory_mb=1024)

VICTIM_SQUARE = "import time\ntime.sleep(5)\n" + fixture.CORRECT_SQUARE
VICTIM_CUBE = "time.sleep(5)\n" + fixture.CORRECT_CUBE

# Reads, writes and signals everything it can reach, from a detached daemon (double fork + setsid)
# that outlives its cell for up to a minute; prints what it achieved into its own notebook.
SPY = textwrap.dedent('''
    import os, signal, sys, time, glob
    import course_lib
    # What the box shows on purpose: the Python installation and course_lib, wherever they are installed.
    EXPOSED = [sys.prefix, sys.base_prefix, os.path.dirname(course_lib.__file__)]
    def _leads_to_exposed(path):
        return any(a.startswith(path.rstrip('/') + '/') for a in EXPOSED)
    def _attack(seconds):
        found, me = set(), os.getpid()
        end = time.time() + seconds
        while time.time() < end:
            for pid in os.listdir('/proc'):
                if not pid.isdigit() or int(pid) in (me, KERNEL, 1):
                    continue
                try:
                    cwd = os.readlink(f'/proc/{pid}/cwd')
                    if cwd == os.getcwd():
                        continue  # one of its own
                    found.add('cwd ' + cwd)
                    for nb in glob.glob(cwd + '/*.ipynb'):
                        open(nb).read(10)
                        found.add('read ' + nb)
                        open(os.path.join(cwd, 'pwned.txt'), 'w').write('x')
                        found.add('wrote ' + cwd)
                except OSError:
                    pass
                try:
                    os.kill(int(pid), signal.SIGKILL)
                    found.add('killed ' + pid)
                except OSError:
                    pass
            for pattern in ['/var/lib/autograder/*/jobs/*/course/autograded/*/fx/*.ipynb', '/tmp/*', '/home/*',
                            '/root/*']:
                for path in glob.glob(pattern):
                    if path.startswith(os.getcwd()):
                        continue
                    if _leads_to_exposed(path):  # e.g. a checkout under /tmp: only the way to its venv and course_lib
                        found.update('saw ' + p for p in glob.glob(path + '/*') + glob.glob(path + '/.*')
                                     if not _leads_to_exposed(p) and not any(p.startswith(a) for a in EXPOSED))
                    else:
                        found.add('saw ' + path)
            time.sleep(0.05)
        return found
    KERNEL = os.getpid()
    r, w = os.pipe()
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:  # the daemon
            os.close(r)
            first = _attack(1.5)
            os.write(w, repr(sorted(first)).encode())
            os.close(w)
            _attack(60)
        os._exit(0)
    os.close(w)
    print('FOUND:', os.read(r, 1 << 20).decode())
    time.sleep(4)  # while the daemon goes on, the victim's cells run
''')

# The hidden check's stand-in patched to report a pass, and a daemon that keeps rewriting the graded
# notebook so that its hidden test cell no longer names the check (the old grader read it there).
REWRITE = textwrap.dedent('''
    import autograder.checks.client as _client
    _client.ask_service = lambda *a: {'ok': True}
    import os, json, time, glob
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            end = time.time() + 90
            while time.time() < end:
                for path in glob.glob(os.getcwd() + '/*.ipynb'):
                    try:
                        nb = json.load(open(path))
                        for cell in nb['cells']:
                            src = ''.join(cell['source']) if isinstance(cell['source'], list) else cell['source']
                            cell['source'] = src.replace('check_square', 'print')
                            cell['outputs'] = [o for o in cell.get('outputs', []) if o.get('output_type') != 'error']
                        json.dump(nb, open(path + '.tmp', 'w'))
                        os.replace(path + '.tmp', path)
                    except (OSError, ValueError, KeyError):
                        pass
                time.sleep(0.01)
        os._exit(0)
    def square(x):
        return np.zeros_like(x)
''')

# The references and the check, looked for in the process that runs the student's function.
DELEGATE = textwrap.dedent('''
    def square(x):
        import gc, sys
        for name, mod in list(sys.modules.items()):
            if name.startswith(('autograder.checks', 'course_lib')) and hasattr(mod, '_cases'):
                import numpy
                for case in mod._cases(numpy.random.default_rng(0)):
                    if case.args[0].shape == x.shape:
                        return case.expected
        for obj in gc.get_objects():
            try:
                exp = getattr(obj, 'expected', None)
            except Exception:  # ctypes loaders and the like
                continue
            if type(exp).__name__ == 'ndarray' and exp.shape == x.shape and exp is not x:
                return exp
        return x
''')

# The hidden cases recomputed from the check's published seed (its source is known: seed 0).
RECOMPUTE = textwrap.dedent('''
    _rng = np.random.default_rng(0)
    _x = _rng.normal(size=(3, 5))
    _TABLE = {_x.tobytes(): _x * _x, np.array([1.0, 2.0]).tobytes(): np.array([1.0, 4.0])}
    def square(x):
        return _TABLE.get(np.asarray(x, dtype=float).tobytes(), np.zeros(np.shape(x)))
''')

# A fork bomb left running in the background (each process forks for ever, and spins).
FORK_BOMB = textwrap.dedent('''
    import os
    if os.fork() == 0:
        os.setsid()
        while True:
            try:
                os.fork()
            except OSError:
                pass
''') + fixture.CORRECT_CUBE

# student -> (square cell, cube cell, expected score)
ATTACKERS = {
    "spy": (fixture.CORRECT_SQUARE, SPY + fixture.CORRECT_CUBE, 4.0),
    "bomb": (fixture.CORRECT_SQUARE, FORK_BOMB, 4.0),
    "rewrite": (REWRITE, fixture.CORRECT_CUBE, 1.0),
    "delegate": (DELEGATE, fixture.CORRECT_CUBE, 1.0),  # its fallback is wrong: the visible test fails too
    "recompute": (RECOMPUTE, fixture.CORRECT_CUBE, 2.0),
}


def notebook(course, square, cube):
    return fixture.answered_notebook(course, square, cube)


def uids_used(course) -> set:
    """The uids this course's jobs ran under (from the grading log's sandbox reports)."""
    log = course.root / ".autograder" / "logs" / f"grade-{fixture.ASSIGNMENT}.log"
    used = set()
    for line in log.read_text().splitlines():
        user = (json.loads(line).get("sandbox") or {}).get("user", "")
        if user.startswith("job uid "):
            used.add(int(user.split()[-1]))
    return used


def survivors(used: set) -> dict:
    """uid -> live processes, for the uids in `used`."""
    return {uid: uids.processes(uid) for uid in used if uids.processes(uid)}


pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the isolation needs root")


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    base = tmp_path_factory.mktemp("attacks")
    course = fixture.make_course(base / "course")
    fixture.submit(course, "victim", notebook(course, VICTIM_SQUARE, VICTIM_CUBE))
    for name, (square, cube, _) in ATTACKERS.items():
        fixture.submit(course, name, notebook(course, square, cube))
    outcomes = grade(course, fixture.ASSIGNMENT, limits=LIMITS, workers=3, progress=False)
    used = uids_used(course)
    left = survivors(used)
    # the victim graded alone, in a copy of the course
    alone_root = base / "alone"
    shutil.copytree(course.root, alone_root, ignore=shutil.ignore_patterns("autograded", ".autograder"))
    for d in (alone_root / "submitted").iterdir():
        if d.name != "victim":
            shutil.rmtree(d)
    alone = Course(root=alone_root, config_file=course.config_file, checks_dir=course.checks_dir)
    grade(alone, fixture.ASSIGNMENT, limits=LIMITS, workers=1, progress=False)
    solo = {k: v for k, v in fixture.grades(alone).items() if k[0] == "victim"}
    return course, {o.student: o for o in outcomes}, (used, left), solo


def _output(course, student) -> str:
    nb = nbformat.read(course.dir("autograded", student, fixture.ASSIGNMENT) / "fx.ipynb", as_version=4)
    return "\n".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))


@pytest.mark.slow
def test_victim_graded_beside_attackers_gets_its_solo_grade(attacked):
    course, outcomes, _, alone = attacked
    assert outcomes["victim"].status == "ok", outcomes["victim"].notes
    assert outcomes["victim"].score == 4.0
    victim = {k: v for k, v in fixture.grades(course).items() if k[0] == "victim"}
    assert victim == alone
    assert not list(course.root.rglob("pwned.txt"))


@pytest.mark.slow
@pytest.mark.parametrize("student", list(ATTACKERS))
def test_attack_earns_nothing(attacked, student):
    _, outcomes, _, _ = attacked
    assert outcomes[student].status == "ok", outcomes[student].notes
    assert outcomes[student].score == ATTACKERS[student][2], outcomes[student].notes


@pytest.mark.slow
def test_spy_saw_nothing_outside_its_job(attacked):
    course, _, _, _ = attacked
    out = _output(course, "spy")
    assert "FOUND:" in out
    found = eval(out.split("FOUND:", 1)[1].strip().splitlines()[0])  # noqa: S307 - our own repr
    # it sees its own namespace only: its kernel's reaper and no other job
    assert not [f for f in found if f.startswith(("read ", "wrote ", "saw "))], found
    assert not [f for f in found if "victim" in f], found


@pytest.mark.slow
def test_no_process_of_any_job_survives(attacked):
    _, outcomes, (used, left), _ = attacked
    assert len(used) >= 2  # every job ran under a uid of the pool
    assert left == {}


@pytest.mark.slow
def test_forged_verdict_and_rewritten_notebook_are_not_believed(attacked):
    course, outcomes, _, _ = attacked
    assert fixture.grades(course)[("rewrite", "test_square_hidden")] == (0.0, False)
    assert "did not pass in the grader's check service" in " ".join(outcomes["rewrite"].notes)


@pytest.mark.slow
def test_the_kernel_cannot_import_the_checks(tmp_path):
    """The kernel's autograder.checks holds stand-ins that name the checks and nothing else."""
    from autograder.grading.job import JobFactory

    course = fixture.make_course(tmp_path / "course")
    factory = JobFactory(course, fixture.ASSIGNMENT, LIMITS, tmp_path / "scratch")
    stub = (factory.pkgs / "autograder" / "checks" / "fx.py").read_text()
    assert "remote_check('autograder.checks.fx', 'square'" in stub
    assert sorted(p.name for p in (factory.pkgs / "autograder" / "checks").iterdir()) == [
        "__init__.py", "client.py", "fx.py"]
    assert oct(factory.checks.stat().st_mode & 0o777) == "0o700"
    code = f"import sys; sys.path.insert(0, {str(factory.pkgs)!r}); import autograder.checks.isolation"
    assert subprocess.run([sys.executable, "-I", "-c", code], capture_output=True).returncode != 0


def test_hidden_cases_depend_on_the_secret():
    from autograder.checks import isolation

    check = isolation.hidden_check("x", lambda rng: [isolation.Case((rng.normal(size=3),))], lambda c, g: None,
                                   seed=5)
    old = isolation.SECRET
    try:
        isolation.SECRET = 1
        a = check.cases(isolation.case_rng(check))[0].args[0]
        b = check.cases(isolation.case_rng(check))[0].args[0]
        isolation.SECRET = 2
        c = check.cases(isolation.case_rng(check))[0].args[0]
    finally:
        isolation.SECRET = old
    assert (a == b).all() and not (a == c).any()
    import numpy as np
    assert not (a == np.random.default_rng(5).normal(size=3)).any()  # not the published seed alone


@pytest.mark.slow
def test_uid_pool_gives_distinct_uids_and_sweeps_daemons(tmp_path):
    """Two holders never share a uid; a released uid has no process left, detached ones included."""
    import time

    # a range of its own: never a uid a grading run (another test, in parallel) may hold
    with uids.JobUid(tmp_path, base=3_000_000, size=4) as a, uids.JobUid(tmp_path, base=3_000_000, size=4) as b:
        assert a != b
        pid = os.fork()
        if pid == 0:  # a detached daemon of uid a
            os.setsid()
            if os.fork() == 0:
                os.setresuid(a, a, a)
                time.sleep(600)
            os._exit(0)
        os.waitpid(pid, 0)
        deadline = time.time() + 5
        while not uids.processes(a) and time.time() < deadline:
            time.sleep(0.05)
        assert uids.processes(a)
    assert uids.processes(a) == [] and uids.processes(b) == []


@pytest.mark.slow
def test_grader_installed_under_tmp_hides_tmp_and_its_own_checkout(tmp_path_factory):
    """A checkout and venv under /tmp: the kernel still sees neither solutions/ nor the checks."""
    import site
    import tempfile

    from autograder.course import REPO

    top = tempfile.mkdtemp(prefix="ag-under-tmp-", dir="/tmp")
    # The environment the test runs in is exposed too (the .pth below points into it); when it lies
    # under /tmp itself (a CI checkout there), the way to it is visible, nothing else of it.
    main_env = [sys.prefix, sys.base_prefix]
    try:
        checkout = os.path.join(top, "checkout")
        for d in ("autograder", "course_lib", "solutions", "tests"):
            shutil.copytree(REPO / d, os.path.join(checkout, d),
                            ignore=shutil.ignore_patterns("__pycache__", "course", ".autograder"))
        venv = os.path.join(top, "venv")
        subprocess.run([sys.base_prefix + "/bin/python3", "-m", "venv", "--without-pip", venv], check=True)
        sp = subprocess.run([venv + "/bin/python", "-c", "import site; print(site.getsitepackages()[0])"],
                            capture_output=True, text=True, check=True).stdout.strip()
        with open(os.path.join(sp, "grader.pth"), "w") as f:  # the packages of the main environment
            f.write("\n".join(site.getsitepackages()) + "\n")
        script = textwrap.dedent(f'''
            import sys
            sys.path.insert(0, {checkout!r})
            from pathlib import Path
            from tests import fixture
            from autograder.grading.pool import grade
            from autograder.grading.job import Limits
            assert fixture.__file__.startswith({checkout!r}), fixture.__file__
            course = fixture.make_course(Path({top!r}) / "work" / "course")
            # Only the Python installation and course_lib may be there (the kernel runs on them).
            leak = ("import os, glob\\n"
                    "seen = [p for p in glob.glob('/tmp/*') if p != {top!r} and not any("
                    "a.startswith(p + '/') for a in {main_env!r})]\\n"
                    "seen += [p for p in glob.glob({top!r} + '/**', recursive=True) if not p.startswith(("
                    "{top!r} + '/venv', {top!r} + '/checkout/course_lib')) and p.rstrip('/') not in ("
                    "{top!r}, {top!r} + '/checkout')]\\n"
                    "assert not seen, seen\\n"
                    "assert not os.path.exists({checkout!r} + '/solutions')\\n")
            for kind in ("read_secrets", "correct"):
                nb = fixture.student_notebook(course, kind)
                if kind == "correct":
                    for c in nb.cells:
                        if c.metadata.get("nbgrader", {{}}).get("grade_id") == "square":
                            c.source = leak + c.source
                fixture.submit(course, kind, nb)
            outs = grade(course, "fx", limits=Limits(cell_timeout=8, notebook_timeout=90, memory_mb=1024),
                         workers=2, progress=False)
            print({{o.student: (o.status, o.score, o.notes) for o in outs}})
        ''')
        out = subprocess.run([venv + "/bin/python", "-c", script], cwd=checkout, capture_output=True, text=True,
                             timeout=600, env={**os.environ, "PYTHONPATH": checkout})
        assert out.returncode == 0, out.stderr[-3000:]
        result = eval(out.stdout.strip().splitlines()[-1])  # noqa: S307 - our own repr
        assert result["read_secrets"][:2] == ("ok", 4.0), result
        assert result["correct"][:2] == ("ok", 4.0), result
    finally:
        shutil.rmtree(top, ignore_errors=True)
