"""Parallel, sandboxed, resumable autograding of one assignment.

Shape of a run:

1. :class:`~autograder.grading.job.JobFactory` builds one private job directory per
   submission (its own gradebook copy, submission, kernelspec, limits).
2. Jobs run in parallel: on local worker processes (one per core by default,
   see ``worker.py``) or, given a scheduler address, on a Dask cluster.
3. Only this (parent) process writes the main gradebook: it merges each
   result in one place, so parallel jobs can never lock or corrupt it.
4. After each merge a journal line records the submission's fingerprint; a
   run that was killed (even SIGKILL) and started again skips what the
   journal and gradebook already hold and grades the rest, so the final
   gradebook is the one an uninterrupted run gives. Grading is deterministic
   and merging overwrites, so re-grading is idempotent.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from ..course import REPO, Course
from ..text import printable
from .gradebook import Outcome, merge  # noqa: F401 - merge lives there; re-exported
from .job import JobFactory, Limits
from .run import failure_result

# ----------------------------------------------------------------- journal


def fingerprint(directory: Path, limits: Limits) -> str:
    """Hash of a submission's files and the limits it is graded under."""
    h = hashlib.sha256(json.dumps(limits.__dict__, sort_keys=True).encode())
    for path in sorted(p for p in directory.rglob("*") if p.is_file() and not p.is_symlink()):
        h.update(str(path.relative_to(directory)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


class Journal:
    """Append-only record of merged submissions (the resume point)."""

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.done: dict[str, str] = {}
        if path.exists():
            for line in path.read_text().splitlines():
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue  # a line torn by a kill: that submission is simply graded again
                self.done[entry["student"]] = entry["fingerprint"]

    def record(self, student: str, fp: str) -> None:
        with open(self.path, "a") as f:
            f.write(json.dumps({"student": student, "fingerprint": fp}) + "\n")
            f.flush()
            os.fsync(f.fileno())
        self.done[student] = fp


# ----------------------------------------------------------------- executors


class LocalPool:
    """N worker processes (see worker.py); jobs go to whichever is free."""

    def __init__(self, n: int, log: Path | None = None):
        env = dict(os.environ, PYTHONPATH=str(REPO))
        # Kernels' and nbgrader's chatter goes to the log file, not the instructor's terminal.
        err = open(log, "a") if log else subprocess.DEVNULL
        self.procs = [subprocess.Popen([sys.executable, "-m", "autograder.grading.worker"], cwd=REPO, env=env,
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, text=True)
                      for _ in range(n)]
        self.todo: "queue.Queue" = queue.Queue()
        self.threads: list[threading.Thread] = []

    def wait_ready(self) -> None:
        for p in self.procs:
            p.stdout.readline()  # "ready": nbgrader imported

    def run(self, jobs: list[tuple[str, Path, float]], done: "queue.Queue") -> None:
        """Run (key, job_dir, timeout) tuples; put (key, result dict) on `done`.

        May be called again while jobs run (a retry): one feeding thread per worker, started once.
        """
        for j in jobs:
            self.todo.put(j)
        if self.threads:
            return

        def feed(proc):
            while True:
                item = self.todo.get()
                if item is None:
                    return
                key, job, timeout = item
                try:
                    proc.stdin.write(json.dumps({"job": str(job), "timeout": timeout}) + "\n")
                    proc.stdin.flush()
                    reply = json.loads(proc.stdout.readline())
                    result = json.loads((job / "result.json").read_text())
                    result["wall"] = reply["wall"]
                except Exception as exc:  # a worker that died: report, never lose the submission
                    result = failure_result(job, "crashed", f"worker failed: {exc}")
                done.put((key, result))

        self.threads = [threading.Thread(target=feed, args=(p,), daemon=True) for p in self.procs]
        for t in self.threads:
            t.start()

    def close(self) -> None:
        for _ in self.threads:
            self.todo.put(None)
        for p in self.procs:
            try:
                p.stdin.close()
                p.wait(timeout=10)
            except Exception:
                p.kill()


_REMOTE_WORKER = None


def grade_remote(payload: bytes, timeout: float) -> dict:
    """Dask task: unpack a job, run it in this machine's grading worker, return the result."""
    global _REMOTE_WORKER
    from .job import unpack

    if _REMOTE_WORKER is None or _REMOTE_WORKER.procs[0].poll() is not None:
        _REMOTE_WORKER = LocalPool(1)  # forks must come from a single-threaded process
        _REMOTE_WORKER.wait_ready()
    scratch = Path(tempfile.mkdtemp(prefix="autograder-dask-", dir=default_scratch_parent()))
    os.chmod(scratch, 0o711)  # the kernel user must be able to pass through to its directory
    try:
        job = unpack(payload, scratch / "job")
        proc = _REMOTE_WORKER.procs[0]
        proc.stdin.write(json.dumps({"job": str(job), "timeout": timeout}) + "\n")
        proc.stdin.flush()
        reply = json.loads(proc.stdout.readline())
        result = json.loads((job / "result.json").read_text())
        result["wall"] = reply["wall"]
        return result
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


class DaskPool:
    """Jobs shipped (packed) to a Dask cluster; results come back as dicts."""

    def __init__(self, address):
        from distributed import Client

        self.client = Client(address)

    def run(self, jobs, done: "queue.Queue") -> None:
        from distributed import as_completed

        from .job import pack

        futures = {self.client.submit(grade_remote, pack(job), timeout, pure=False, retries=0): (key, job)
                   for key, job, timeout in jobs}

        def collect():
            for fut in as_completed(futures):
                key, job = futures[fut]
                try:
                    result = fut.result()
                except Exception as exc:
                    result = failure_result(job, "crashed", f"dask task failed: {exc}")
                done.put((key, result))

        threading.Thread(target=collect, daemon=True).start()

    def wait_ready(self) -> None:
        pass

    def close(self) -> None:
        self.client.close()


# ----------------------------------------------------------------- the run


def default_scratch_parent() -> Path:
    """Job directories must be outside /tmp (the kernel gets a private /tmp) and the course: root's
    in /var/lib/autograder, a user's in its own state directory (``sandbox/rootless.py``)."""
    from ..sandbox.rootless import state_dir

    return state_dir()


def check_box(scheduler: str | None, unboxed: bool) -> None:
    """Stop before grading anyone where no box can be built here (without root), unless ``unboxed``.

    On a Dask cluster the workers decide for themselves: a worker that cannot box reports every job
    it gets as a grader fault with the same line.
    """
    if os.geteuid() == 0 or scheduler or unboxed:
        return
    from ..errors import InstructorError
    from ..sandbox.rootless import refusal, why_no_box

    reason = why_no_box()
    if reason:
        raise InstructorError(refusal(reason))


def grade(course: Course, assignment: str, students: list[str] | None = None, *,
          limits: Limits | None = None, workers: int | None = None, scheduler: str | None = None,
          force: bool = False, progress: bool = True, unboxed: bool = False) -> list[Outcome]:
    """Autograde `assignment` for `students` (default: every submission).

    ``unboxed``: without root where no box can be built, run student code with the grader's rights
    anyway (every job's notes say so); never the default.
    """
    from tqdm import tqdm

    check_box(scheduler, unboxed)
    limits = limits or Limits()
    if not course.is_generated(assignment):  # grading needs its cells and checksums in the gradebook
        course.generate(assignment)
    everyone = course.students_submitted(assignment)
    students = everyone if not students else students
    state = course.root / ".autograder"
    journal = Journal(state / f"{assignment}.journal")
    log = Log(state / "logs" / f"grade-{assignment}.log")
    outcomes: dict[str, Outcome] = {}
    todo = []
    for s in students:
        sub = course.dir("submitted", s, assignment)
        if not sub.is_dir():
            outcomes[s] = Outcome(s, "no submission", notes=[f"nothing in {sub}"])
            log.write(s, "no submission")
            continue
        fp = fingerprint(sub, limits)
        # A submission whose last result was an error (a grader fault) is graded again, whatever
        # the journal says: a fault is never a final grade.
        if (not force and journal.done.get(s) == fp and log.last_status().get(s, "ok") == "ok"
                and _in_gradebook(course, assignment, s)):
            outcomes[s] = _existing(course, assignment, s)
            continue
        todo.append((s, fp))
    if todo:
        _remove_stale_runs(default_scratch_parent())
        scratch = Path(tempfile.mkdtemp(prefix=f"run-{os.getpid()}-", dir=default_scratch_parent()))
        try:
            # Workers first: they import nbgrader while the jobs are being built.
            pool = (DaskPool(scheduler) if scheduler
                    else LocalPool(workers or os.cpu_count() or 1, log.path.with_suffix(".workers.log")))
            done: "queue.Queue" = queue.Queue()
            try:
                factory = JobFactory(course, assignment, limits, scratch)

                def make(student: str) -> Path:
                    job = factory.make(student)
                    if unboxed and os.geteuid() != 0:
                        (job / "unboxed").write_text("grade --unboxed\n")  # read by run.job_mode
                    return job

                jobs = [(s, make(s), limits.hard_timeout) for s, _ in todo]
                fps = dict(todo)
                pool.wait_ready()
                pool.run(jobs, done)
                bar = tqdm(total=len(jobs), desc=f"grading {assignment}", unit="nb", disable=not progress)
                pending, retried = len(jobs), set()
                while pending:
                    s, result = done.get()
                    pending -= 1
                    if result.get("status") != "ok" and s not in retried:
                        # A fault of the grader (a kernel that could not start, a job killed from
                        # outside): once more, in a fresh job directory, before anything is stored.
                        retried.add(s)
                        log.write(s, f"retrying after {result.get('status')}", result)
                        pool.run([(s, make(s), limits.hard_timeout)], done)
                        pending += 1
                        continue
                    if result.get("status") != "ok":
                        out = Outcome(s, "grader fault", notes=["not graded (nothing stored): "
                                                                + " ".join(result.get("error") or [])])
                        log.write(s, "grader fault", result)
                    else:
                        out = merge(course, result)
                        journal.record(s, fps[s])
                        log.write(s, out.status, result)
                    out.wall = result.get("wall", 0.0)
                    outcomes[s] = out
                    bar.update(1)
                bar.close()
            finally:
                pool.close()
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return [outcomes[s] for s in students]


def _remove_stale_runs(parent: Path) -> None:
    """Scratch left by runs that were killed (their process is gone)."""
    for old in parent.glob("run-*-*"):
        try:
            os.kill(int(old.name.split("-")[1]), 0)
        except ProcessLookupError:
            shutil.rmtree(old, ignore_errors=True)
        except (ValueError, PermissionError):
            pass


def _in_gradebook(course: Course, assignment: str, student: str) -> bool:
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(course.db_url, course.course_id) as gb:
        try:
            gb.find_submission(assignment, student)
            return True
        except MissingEntry:
            return False


def _existing(course: Course, assignment: str, student: str) -> Outcome:
    from nbgrader.api import Gradebook

    with Gradebook(course.db_url, course.course_id) as gb:
        sub = gb.find_submission(assignment, student)
        return Outcome(student, "unchanged", sub.score, sub.max_score, skipped=True)


class Log:
    """Append-only JSON-lines log of every graded submission and failure."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path

    def last_status(self) -> dict[str, str]:
        """student -> the status of their last result in this log (retries not counted)."""
        last: dict[str, str] = {}
        if self.path.exists():
            for line in self.path.read_text().splitlines():
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if not str(entry.get("status", "")).startswith("retrying"):
                    last[entry.get("student")] = entry.get("status")
        return last

    def write(self, student: str, status: str, result: dict | None = None) -> None:
        entry = {"time": dt.datetime.now().isoformat(timespec="seconds"), "student": student,
                 "status": status}
        if result:
            entry.update({k: result.get(k) for k in ("notes", "incidents", "error", "sandbox", "network",
                                                     "phases", "execute_seconds")})
        with open(self.path, "a") as f:
            f.write(json.dumps(entry) + "\n")
        if result and result.get("log"):  # nbgrader's own log of this submission, kept beside
            detail = self.path.parent / self.path.stem / f"{student}.log"
            detail.parent.mkdir(exist_ok=True)
            detail.write_text(printable(result["log"]))  # it quotes the student's cells: no control left
