"""A SIGKILLed grading run resumes to the same gradebook; Dask grading gives the same scores."""
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from tests import fixture
from autograder.course import REPO, Course
from autograder.grading.pool import default_scratch_parent, grade
from autograder.grading.job import Limits

LIMITS = Limits(cell_timeout=6, notebook_timeout=90, memory_mb=1024)
KINDS = ["correct", "wrong", "os_exit", "hardcoded", "sys_exit"]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """A course with submissions and no grades yet, and the grades of one uninterrupted run."""
    base = tmp_path_factory.mktemp("faults")
    course = fixture.make_course(base / "course")
    for kind in KINDS:
        fixture.submit(course, kind, fixture.student_notebook(course, kind))
    untouched = base / "untouched"
    shutil.copytree(course.root, untouched)
    grade(course, fixture.ASSIGNMENT, limits=LIMITS, workers=2, progress=False)
    return course, untouched, fixture.grades(course)


def _copy(pristine, tmp_path) -> Course:
    course, untouched, _ = pristine
    root = tmp_path / "course"
    shutil.copytree(untouched, root)
    return Course(root=root, config_file=course.config_file, checks_dir=course.checks_dir)


def _cli(course: Course, *args):
    return [sys.executable, "-m", "autograder", "--course", str(course.root), "--config", str(course.config_file),
            "--checks", str(course.checks_dir), *args]


@pytest.mark.slow
def test_sigkill_halfway_then_rerun_gives_the_uninterrupted_gradebook(pristine, tmp_path):
    _, _, reference = pristine
    course = _copy(pristine, tmp_path)
    journal = course.root / ".autograder" / "fx.journal"
    cmd = _cli(course, "grade", "fx", "--workers", "1", "--quiet", "--cell-timeout", "6", "--memory-mb", "1024",
               "--notebook-timeout", "90")
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 180
    while time.time() < deadline and not (journal.exists() and journal.read_text().count("\n") >= 2):
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done_before = journal.read_text().count("\n")
    assert 2 <= done_before < len(KINDS), "the kill must land halfway"
    rerun = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert fixture.grades(course) == reference
    assert "unchanged" in rerun.stdout  # the work done before the kill was kept, not redone
    assert not list(default_scratch_parent().glob(f"run-{proc.pid}-*"))  # its scratch was cleared
    # a third run changes nothing
    subprocess.run(cmd, cwd=REPO, capture_output=True, timeout=300)
    assert fixture.grades(course) == reference


@pytest.mark.slow
def test_dask_local_cluster_gives_identical_scores(pristine, tmp_path):
    from distributed import LocalCluster

    _, _, reference = pristine
    course = _copy(pristine, tmp_path)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        outcomes = grade(course, fixture.ASSIGNMENT, limits=LIMITS, scheduler=cluster.scheduler_address,
                         progress=False)
    assert {o.status for o in outcomes} == {"ok"}
    assert fixture.grades(course) == reference
    # the autograded notebooks came back from the workers too
    assert (course.dir("autograded", "correct", "fx") / "fx.ipynb").exists()


class KernelKiller:
    """Kills, from outside (as root), the grading kernels of some students as soon as they start.

    ``budget``: student -> how many of their kernels to kill.
    """

    def __init__(self, budget: dict):
        import threading

        self.budget, self.kills = dict(budget), {s: 0 for s in budget}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            for entry in os.scandir("/proc"):
                if not entry.name.isdigit():
                    continue
                try:
                    with open(f"/proc/{entry.name}/cmdline", "rb") as f:
                        cmd = f.read().decode(errors="replace")
                except OSError:
                    continue
                if "ipykernel_launcher" not in cmd:
                    continue
                for student, left in self.budget.items():
                    if left and f"/autograded/{student}/" in cmd:
                        try:
                            os.kill(int(entry.name), signal.SIGKILL)
                        except ProcessLookupError:
                            continue
                        self.budget[student] -= 1
                        self.kills[student] += 1
            time.sleep(0.005)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="kills the grader's kernels as root")
def test_kernel_killed_from_outside_is_retried_then_reported_as_a_fault_never_a_grade(tmp_path):
    course = fixture.make_course(tmp_path / "course")
    for s in ("killed_once", "killed_always", "bystander"):
        fixture.submit(course, s, fixture.student_notebook(course, "correct"))
    with KernelKiller({"killed_once": 1, "killed_always": 1000}) as killer:
        outcomes = {o.student: o for o in grade(course, fixture.ASSIGNMENT, limits=LIMITS, workers=2,
                                                 progress=False)}
    # killed before its first cell: a new kernel, and the grade it would have had
    assert killer.kills["killed_once"] == 1
    assert (outcomes["killed_once"].status, outcomes["killed_once"].score) == ("ok", 4.0)
    # killed on every start: retried (kernel and job), then a grader fault, and nothing stored
    assert killer.kills["killed_always"] >= 4
    assert outcomes["killed_always"].status == "grader fault"
    assert "killed_always" not in fixture.scores(course)
    assert (outcomes["bystander"].status, outcomes["bystander"].score) == ("ok", 4.0)
    # a re-run grades again what was not graded, and only that
    again = {o.student: o for o in grade(course, fixture.ASSIGNMENT, limits=LIMITS, workers=2, progress=False)}
    assert (again["killed_always"].status, again["killed_always"].score) == ("ok", 4.0)
    assert not again["killed_always"].skipped
    assert again["killed_once"].skipped and again["bystander"].skipped


@pytest.mark.slow
def test_a_rerun_regrades_a_submission_whose_last_result_was_an_error(tmp_path):
    """Even when the journal of an older run holds it (runs before faults were kept out of it)."""
    from autograder.grading.pool import Journal, Log, fingerprint

    course = fixture.make_course(tmp_path / "course")
    fixture.submit(course, "victim", fixture.student_notebook(course, "correct"))
    grade(course, fixture.ASSIGNMENT, limits=LIMITS, workers=1, progress=False)
    state = course.root / ".autograder"
    fp = fingerprint(course.dir("submitted", "victim", fixture.ASSIGNMENT), LIMITS)
    Journal(state / "fx.journal").record("victim", fp)
    Log(state / "logs" / "grade-fx.log").write("victim", "error", {"error": ["killed by another job"]})
    again = grade(course, fixture.ASSIGNMENT, limits=LIMITS, workers=1, progress=False)
    assert not again[0].skipped and (again[0].status, again[0].score) == ("ok", 4.0)
