"""A SIGKILLed grading run resumes to the same gradebook; Dask grading gives the same scores."""
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from autograder import fixture
from autograder.course import REPO, Course
from autograder.grade import default_scratch_parent, grade
from autograder.job import Limits

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
