"""One submission's grading job: a private nbgrader course in its own directory.

The parent builds a job directory (:class:`JobFactory`); a worker runs
:func:`~autograder.grading.run.run_job` in a forked child; the parent reads ``result.json`` and
merges it into the main gradebook (``gradebook.py``). Nothing in a job touches the main course, so
jobs can run anywhere (a local process, a Dask worker: :func:`pack` / :func:`unpack`) in any order.

Layout (root-owned; only ``autograded/<s>/<a>`` and ``runner/`` are given to the job's uid)::

    job/ 0711        spec.json limits.json(0600) box.json(0600) secret(0600) kernel_report.json
                     result.json log.txt checks.log(0600)
      kernels/       a 'python3' kernelspec that starts the kernel through sandbox/box.py (place.py)
      pkgs/          the kernel's ``autograder.checks``: stand-ins that only name the checks (client.py)
      checks/ 0700   the real ``autograder.checks`` and ``autograder.sandbox.box``: the check service's only
      box/           mount point of the boxes' own root (see sandbox/box.py)
      runner/ 0700   working directory of the hidden checks' student processes
      runtime/ 0711  jupyter connection files
      course/ 0711   nbgrader_config.py gradebook.db(0600) source/ submitted/(0700) autograded/
"""
from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from ..checks import packages
from ..checks.isolation import student_secret
from ..course import Course
from .intake import check_notebooks

@dataclass
class Limits:
    """Per-submission limits; seconds and megabytes."""

    cell_timeout: int | None = None  # None: the course config's Execute timeout (else 30)
    notebook_timeout: int = 300
    memory_mb: int = 2048
    file_mb: int = 256
    disk_mb: int = 512  # what a job may write in all, in its working directory (a tmpfs of that room)
    processes: int = 256  # tasks (threads included) of the job's uid at once
    # What a submitted notebook may be (intake.py): beyond these it scores 0 with a note.
    notebook_mb: int = 50
    max_cells: int = 2000
    attachments_mb: int = 10

    @property
    def hard_timeout(self) -> int:
        """When the worker kills the whole job: nbgrader's own limits plus slack."""
        return self.notebook_timeout + 60


def _private_dir(path: Path, mode: int = 0o711) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, mode)
    return path


class JobFactory:
    """Builds job directories for one assignment of one course (parent side)."""

    def __init__(self, course: Course, assignment: str, limits: Limits, scratch: Path):
        from nbgrader.api import Gradebook

        self.course, self.assignment = course, assignment
        if limits.cell_timeout is None:
            cfg = course.config()
            timeout = (cfg.Execute.get("timeout") or cfg.ExecutePreprocessor.get("timeout") or 30)
            limits = Limits(**{**asdict(limits), "cell_timeout": int(timeout)})
        self.limits = limits
        self.scratch = _private_dir(Path(scratch))
        self.shared = _private_dir(self.scratch / "shared", 0o755)
        with Gradebook(course.db_url, course.course_id) as gb:
            self.notebooks = [nb.name for nb in gb.find_assignment(assignment).notebooks]
        self.template = self._template_gradebook()
        self.pkgs, self.checks = self._packages()
        self.secret = self._secret()
        self.release = self._release_notebooks()

    def _template_gradebook(self) -> Path:
        """The main gradebook without any student: assignment, cells, checksums."""
        from nbgrader.api import Gradebook

        path = self.shared / "template.db"
        path.unlink(missing_ok=True)
        src, dst = sqlite3.connect(self.course.db_path), sqlite3.connect(path)
        with dst:
            src.backup(dst)  # consistent copy even if someone reads the gradebook
        src.close()
        dst.close()
        with Gradebook(f"sqlite:///{path}", self.course.course_id) as gb:
            for student in list(gb.students):
                gb.remove_student(student.id)
        os.chmod(path, 0o600)
        return path

    def _packages(self) -> tuple[Path, Path]:
        """The kernel's ``autograder.checks`` (stand-ins) and the service's (the real checks):
        built by :func:`autograder.checks.packages.build` from the course's checks folder."""
        pkgs = _private_dir(self.shared / "pkgs", 0o755)
        checks = _private_dir(self.shared / "checks", 0o700)
        self.check_names, self.preload = packages.build(self.course.checks_dir, self.assignment, pkgs, checks)
        return pkgs, checks

    def _secret(self) -> str:  # the course's; each job gets student_secret(course's, student)
        """The course's secret for drawing hidden cases: the same on every run, never in a kernel."""
        import secrets

        path = self.course.root / ".autograder" / "check_secret"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(16))
        return path.read_text().strip()

    def _release_notebooks(self) -> dict:
        """Student versions (cell order, locked cells) to detect and undo tampering."""
        import nbformat

        out = {}
        for name in self.notebooks:
            path = self.course.dir("release", assignment=self.assignment) / f"{name}.ipynb"
            if path.exists():
                out[name] = nbformat.read(path, as_version=4)
        return out

    def make(self, student: str) -> Path:
        """A fresh job directory for `student`'s submission."""
        # A fresh name per attempt: a job orphaned by a killed run can never write into it.
        _private_dir(self.scratch / "jobs")
        job = Path(tempfile.mkdtemp(prefix=f"{student}-", dir=self.scratch / "jobs"))
        _private_dir(job)
        course = _private_dir(job / "course")
        _private_dir(job / "runtime")
        shutil.copy(self.template, course / "gradebook.db")
        os.chmod(course / "gradebook.db", 0o600)
        if self.course.config_file and self.course.config_file.exists():
            shutil.copy(self.course.config_file, course / "nbgrader_config.py")
            os.chmod(course / "nbgrader_config.py", 0o600)
        # Non-notebook files of the source (data files); never the solution notebook or its checks.
        src = self.course.source_dir(self.assignment)
        dst = _private_dir(course / "source", 0o700) / self.assignment
        shutil.copytree(src, dst, ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints",
                                                                packages.CHECKS_FILE))
        sub = _private_dir(course / "submitted", 0o700) / student / self.assignment
        shutil.copytree(self.course.dir("submitted", student, self.assignment), sub, symlinks=False,
                        ignore_dangling_symlinks=True)
        intake = check_notebooks(sub, self.limits)  # here, before the job's clock starts
        # Inside the job: they travel with it to Dask workers.
        shutil.copytree(self.pkgs, job / "pkgs")
        shutil.copytree(self.checks, job / "checks")
        os.chmod(job / "checks", 0o700)
        _private_dir(job / "box", 0o700)
        _private_dir(job / "runner", 0o700)
        fd = os.open(job / "secret", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(student_secret(self.secret, student))
        limits = {
            "memory_bytes": self.limits.memory_mb << 20,
            "cpu_seconds": self.limits.notebook_timeout + 30,
            "file_bytes": self.limits.file_mb << 20,
            "disk_bytes": self.limits.disk_mb << 20,
            "processes": self.limits.processes,
            "preload": self.preload,
        }
        (job / "limits.json").write_text(json.dumps(limits))
        os.chmod(job / "limits.json", 0o600)
        spec = {"assignment": self.assignment, "student": student, "course_id": self.course.course_id,
                "notebooks": self.notebooks, "limits": asdict(self.limits),
                "checks": sorted(self.check_names),
                "release": {k: v for k, v in self.release.items()}, "intake": intake}
        (job / "spec.json").write_text(json.dumps(spec))
        return job


# ------------------------------------------------------------- transport (Dask)


def pack(job: Path) -> bytes:
    """The job directory as a tar.gz, to ship to another machine."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        tar.add(job, arcname=".")
    return buf.getvalue()


def unpack(data: bytes, job: Path) -> Path:
    if job.exists():
        shutil.rmtree(job)
    job.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        tar.extractall(job, filter="tar")
    return job
