"""One submission's grading job: a private nbgrader course in its own directory.

The parent builds a job directory (:class:`JobFactory`); a worker runs
:func:`run_job` in a forked child; the parent reads ``result.json`` and merges
it into the main gradebook. Nothing in a job touches the main course, so jobs
can run anywhere (a local process, a Dask worker) in any order.

Layout (root-owned; only ``autograded/<s>/<a>`` and ``runner/`` are given to the job's uid)::

    job/ 0711        spec.json limits.json(0600) box.json(0600) secret(0600) kernel_report.json
                     result.json log.txt checks.log(0600)
      kernels/       a 'python3' kernelspec that starts the kernel through sandbox.py
      pkgs/          the kernel's ``autograder.checks``: stand-ins that only name the checks (client.py)
      checks/ 0700   the real ``autograder.checks`` and ``sandbox.py``: the check service's only
      box/           mount point of the boxes' own root (see sandbox.py)
      runner/ 0700   working directory of the hidden checks' student processes
      runtime/ 0711  jupyter connection files
      course/ 0711   nbgrader_config.py gradebook.db(0600) source/ submitted/(0700) autograded/
"""
from __future__ import annotations

import copy
import difflib
import io
import json
import os
import re
import shutil
import sqlite3
import sys
import tarfile
import tempfile
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path

from .course import Course
from .uids import JobUid, sweep
from .uids import processes as processes_of

SANDBOX = Path(__file__).resolve().parent / "sandbox.py"
# Error names in graded cells that mean something other than a wrong answer.
INCIDENTS = {
    "KernelDied": "kernel died (exit/kill/crash/limit)",
    "CellTimeoutError": "cell time limit",
    "NotebookTimeout": "notebook time limit",
    "MemoryError": "memory limit",
    "SystemExit": "called sys.exit()",
    "HiddenCheckNotConfirmed": "hidden check tampered with",
}


@dataclass
class Limits:
    """Per-submission limits; seconds and megabytes."""

    cell_timeout: int | None = None  # None: the course config's Execute timeout (else 30)
    notebook_timeout: int = 300
    memory_mb: int = 2048
    file_mb: int = 256
    disk_mb: int = 512  # what a job may write in all, in its working directory (a tmpfs of that room)
    processes: int = 256  # tasks (threads included) of the job's uid at once


    @property
    def hard_timeout(self) -> int:
        """When the worker kills the whole job: nbgrader's own limits plus slack."""
        return self.notebook_timeout + 60


def _private_dir(path: Path, mode: int = 0o711) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, mode)
    return path


def _cell_map(nb) -> dict:
    out = {}
    for cell in nb.cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid and gid not in out:
            out[gid] = cell
    return out


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
        """The kernel's ``autograder.checks`` (stand-ins) and the service's (the real checks).

        The kernel's package holds ``client.py`` and, per check module, a generated module whose
        ``check_<name>`` only names the check: no cases, references, seeds or expected values.
        The real modules (and ``sandbox.py``, which the service's zygote uses) go to a directory
        only root can read, outside every box.
        """
        from .checks.isolation import HiddenCheck

        pkgs = _private_dir(self.shared / "pkgs", 0o755)
        checks = _private_dir(self.shared / "checks", 0o700)
        self.check_names: set[str] = set()
        self.preload: list[str] = []
        for d in (pkgs, checks):
            shutil.rmtree(d / "autograder", ignore_errors=True)
            (d / "autograder" / "checks").mkdir(parents=True)
            (d / "autograder" / "__init__.py").write_text('"""Grading-time package."""\n')
            (d / "autograder" / "checks" / "__init__.py").write_text("")
        shutil.copy(Path(__file__).with_name("sandbox.py"), checks / "autograder" / "sandbox.py")
        shutil.copy(Path(__file__).parent / "checks" / "client.py", pkgs / "autograder" / "checks" / "client.py")
        for src in sorted(self.course.checks_dir.glob("*.py")):
            shutil.copy(src, checks / "autograder" / "checks" / src.name)
            if src.stem in MACHINERY or src.stem == "__init__":
                continue
            module = _load_check_module(src)
            found = {k: v for k, v in vars(module).items() if k.startswith("check_") and isinstance(v, HiddenCheck)}
            self.check_names |= {v.name for v in found.values()}
            if src.stem == self.assignment:  # frameworks its checks' student processes import
                self.preload = sorted({n for v in found.values()
                                       for n in getattr(getattr(v.call, "__code__", None), "co_names", ())}
                                      & {"torch", "keras", "tensorflow"})
            lines = [f'"""Grading-time stand-in: the checks of {src.stem} run in the grader\'s check service."""',
                     "from autograder.checks.client import remote_check", ""]
            lines += [f"{k} = remote_check({'autograder.checks.' + src.stem!r}, {v.name!r}, {float(v.timeout)!r})"
                      for k, v in sorted(found.items())]
            (pkgs / "autograder" / "checks" / f"{src.stem}.py").write_text("\n".join(lines) + "\n")
        for p in [pkgs, *pkgs.rglob("*")]:
            os.chmod(p, 0o755 if p.is_dir() else 0o644)
        return pkgs, checks

    def _secret(self) -> str:
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
        # Non-notebook files of the source (data files); never the solution notebook.
        src = self.course.source_dir(self.assignment)
        dst = _private_dir(course / "source", 0o700) / self.assignment
        shutil.copytree(src, dst, ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints"))
        sub = _private_dir(course / "submitted", 0o700) / student / self.assignment
        shutil.copytree(self.course.dir("submitted", student, self.assignment), sub, symlinks=False,
                        ignore_dangling_symlinks=True)
        # Inside the job: they travel with it to Dask workers.
        shutil.copytree(self.pkgs, job / "pkgs")
        shutil.copytree(self.checks, job / "checks")
        os.chmod(job / "checks", 0o700)
        _private_dir(job / "box", 0o700)
        _private_dir(job / "runner", 0o700)
        fd = os.open(job / "secret", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(self.secret)
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
                "release": {k: v for k, v in self.release.items()}}
        (job / "spec.json").write_text(json.dumps(spec))
        return job


# --------------------------------------------------------------------- child side


#: modules of ``autograder/checks`` that are machinery, not an assignment's checks
MACHINERY = ("isolation", "service", "client", "runner")


def _load_check_module(path: Path):
    """Import a check module from its file (parent side, to list its checks)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"_autograder_scan_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def python_paths() -> list[str]:
    """The directories of this Python installation (a box must show them to run it).

    The prefixes, the interpreter's directory, and every package directory on ``sys.path``
    (a ``.pth`` file may point to one elsewhere); never another ``sys.path`` entry, such as the
    repository itself.
    """
    paths = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix)}
    paths.add(os.path.dirname(os.path.realpath(sys.executable)))
    paths |= {os.path.realpath(p) for p in sys.path
              if os.path.basename(p.rstrip("/")) in ("site-packages", "dist-packages") and os.path.isdir(p)}
    return sorted(paths)


def course_lib_paths() -> list[str]:
    """Where ``course_lib`` is imported from (the kernel's box shows it: notebooks import it)."""
    import importlib.util

    spec = importlib.util.find_spec("course_lib")
    return sorted({os.path.realpath(p) for p in (spec.submodule_search_locations or [])}) if spec else []


def place(job: Path, uid: int, service_address: str | None = None, cgroups: list[str] = ()) -> None:
    """Write the job's absolute paths and uid (it may have been unpacked on another machine)."""
    limits = json.loads((job / "limits.json").read_text())
    env = {"PYTHONPATH": str(job / "pkgs")}
    if service_address:
        env["AUTOGRADER_CHECK_SERVICE"] = service_address
    common = {"uid": uid, "root": str(job / "box"), "cgroups": list(cgroups), "pid_namespace": True}
    kernel = {**limits, **common, "report": str(job / "kernel_report.json"), "env": env,
              "expose": python_paths() + course_lib_paths() + [str(job / "pkgs")]}
    (job / "limits.json").write_text(json.dumps(kernel))
    os.chmod(job / "limits.json", 0o600)
    # The zygote's box (checks/runner.py): no course_lib there, and the secret stays outside.
    box = {**common, "disk_bytes": limits.get("disk_bytes", 0), "workdir": str(job / "runner"),
           "expose": python_paths(), "preload": limits.get("preload", []),
           "student_limits": limits, "secret_file": str(job / "secret"),
           # code a graded function must not carry by value (checks/runner.py): course_lib, the grader's
           "reference_dirs": course_lib_paths() + [str(Path(__file__).resolve().parent), str(job / "checks")]}
    fd = os.open(job / "box.json", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(box, f)
    kdir = job / "kernels" / "kernels" / "python3"
    kdir.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, str(SANDBOX), "kernel", str(job / "limits.json"), "--",
            # -P: the notebook's directory (the submission's files) is not on sys.path, so a
            # submitted ipykernel_launcher.py cannot stand in for the kernel.
            sys.executable, "-P", "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (kdir / "kernel.json").write_text(json.dumps(
        {"argv": argv, "display_name": "Python 3 (sandboxed)", "language": "python"}))


# ------------------------------------------------------------- the hidden checks' service

CHECK_CALL = re.compile(r"\bcheck_(\w+)\s*\(")


def check_service_address(job: Path) -> str | None:
    """A fresh address for the job's check service; None if the course's checks do not use one."""
    import secrets

    if not (job / "checks" / "autograder" / "checks" / "service.py").exists():
        return None  # checks written without autograder.checks.isolation
    return f"autograder-checks-{secrets.token_hex(8)}"


def start_check_service(job: Path, address: str):
    """Start ``autograder/checks/service.py`` at ``address``, as root outside the boxes.

    Returns ``(process, log)``. The service is up before any student code runs, and every
    hidden check of this submission is a fork of it (see the module's docstring).
    """
    import subprocess

    log = job / "checks.log"
    log.touch(mode=0o600)
    os.chmod(log, 0o600)
    workdir = _private_dir(job / "service", 0o700)
    boot = ("import sys; sys.path.insert(0, sys.argv[1]); "
            "from autograder.checks.service import main; main()")
    with open(job / "service.err", "wb") as err:
        proc = subprocess.Popen(
            [sys.executable, str(SANDBOX), "service", str(job / "limits.json"), "--",
             sys.executable, "-I", "-c", boot, str(job / "checks"), address, str(log), str(job / "box.json")],
            cwd=workdir, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
            start_new_session=True)
    return proc, log


def stop_check_service(service) -> None:
    import signal

    if service is None:
        return
    proc = service[0]
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # the service and any clean process still running
    except ProcessLookupError:
        pass
    proc.wait()


def check_calls(course_dir: Path, spec: dict) -> dict:
    """(notebook, grade id) -> the checks its cell calls, read from the instructor's source.

    From the job's gradebook (root's, 0600), never from a notebook the student's code could have
    written: which checks a cell calls is what the instructor wrote.
    """
    from nbgrader.api import Gradebook

    known = set(spec["checks"]) if "checks" in spec else None
    calls = {}
    with Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}", spec["course_id"]) as gb:
        for name in spec["notebooks"]:
            nb = gb.find_notebook(name, spec["assignment"])
            for cell in nb.source_cells:
                if cell.cell_type != "code":
                    continue
                # Only calls of the course's hidden checks, in the hidden region (a visible test
                # may have a helper called check_something).
                found = [c for c in CHECK_CALL.findall(_hidden_region(cell.source or ""))
                         if known is None or c in known]
                if found:
                    calls[(name, cell.name)] = found
    return calls


def _hidden_region(source: str) -> str:
    lines, inside = [], False
    for line in source.splitlines():
        if "BEGIN HIDDEN TESTS" in line:
            inside = True
        elif "END HIDDEN TESTS" in line:
            inside = False
        elif inside:
            lines.append(line)
    return "\n".join(lines)


def verdicts(log: Path) -> tuple[set, set]:
    """Checks the service logged as passed and as not passed (the service's own log)."""
    passed, failed = set(), set()
    for line in log.read_text().splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        (passed if entry.get("ok") is True else failed).add(entry.get("check"))
    return passed, failed


def confirm_hidden_checks(course_dir: Path, spec: dict, log: Path) -> list[str]:
    """Score 0 any test cell whose checks the service did not see pass (and only pass).

    The kernel's report can be forged by the student's code (patch the check stand-in, or
    ``subprocess``); the service's log cannot, nor the gradebook's source cells. A cell that
    calls ``check_<name>(...)`` in the instructor's source keeps its points only if the log holds a
    passing verdict for ``<name>`` and no failing one. Runs after every process of the job's uid
    is gone, so nothing rewrites the notebook it annotates. Returns notes.
    """
    import nbformat
    from nbgrader.api import Gradebook

    from .execute import add_error

    passed, failed = verdicts(log)
    calls = check_calls(course_dir, spec)
    a, s = spec["assignment"], spec["student"]
    notes = []
    with Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}", spec["course_id"]) as gb:
        for name in spec["notebooks"]:
            path = course_dir / "autograded" / s / a / f"{name}.ipynb"
            try:
                nb = nbformat.read(path, as_version=4)
            except Exception:  # noqa: BLE001 - missing or unreadable: the grades still hold
                nb = None
            cells = {c.get("metadata", {}).get("nbgrader", {}).get("grade_id"): c for c in (nb.cells if nb else [])}
            changed = False
            for (nb_name, grade_id), checks in calls.items():
                if nb_name != name:
                    continue
                unconfirmed = [c for c in checks if c not in passed or c in failed]
                if not unconfirmed:
                    continue
                try:
                    grade = gb.find_grade(grade_id, name, a, s)
                except Exception:  # noqa: BLE001 - not a grade cell
                    continue
                if grade.auto_score:
                    grade.auto_score = 0.0
                    gb.db.commit()
                    detail = (f"the hidden check of {', '.join(unconfirmed)} did not pass in the grader's "
                              "check service (the kernel's report was tampered with)")
                    if grade_id in cells:
                        add_error(cells[grade_id], "HiddenCheckNotConfirmed", detail)
                        changed = True
                    notes.append(f"{name}/{grade_id}: {detail}")
            if changed:
                nbformat.write(nb, path)
    return notes


def prepare_submission(sub: Path, notebooks: list[str], release: dict) -> list[str]:
    """Fix what can be fixed before nbgrader sees the submission; return notes."""
    import nbformat

    notes = []
    present = sorted(p.name for p in sub.glob("*.ipynb"))
    expected = [f"{n}.ipynb" for n in notebooks]
    missing = [e for e in expected if e not in present]
    spare = [p for p in present if p not in expected]
    for name in missing:
        match = (list(spare) if len(spare) == 1 and len(missing) == 1
                 else difflib.get_close_matches(name, spare, n=1, cutoff=0.6))
        if match:
            (sub / match[0]).rename(sub / name)
            spare.remove(match[0])
            notes.append(f"renamed '{match[0]}' to '{name}'")
        else:
            notes.append(f"missing notebook '{name}': scored 0")
    for name in notebooks:
        path = sub / f"{name}.ipynb"
        if not path.exists():
            continue
        try:
            nb = nbformat.read(path, as_version=4)
            nbformat.validate(nb)
        except Exception as exc:  # NotJSONError, ValidationError, UnicodeError...
            path.unlink()  # nbgrader then scores the notebook 0 instead of failing the batch
            notes.append(f"corrupt notebook '{name}.ipynb' ({type(exc).__name__}): scored 0")
            continue
        if name in release:
            fixed, tamper = restore_locked_cells(nb, nbformat.from_dict(release[name]))
            notes += [f"{name}: {t}" for t in tamper]
            if fixed is not None:
                nbformat.write(fixed, path)
    return notes


def restore_locked_cells(nb, release):
    """Detect deleted, edited and reordered locked cells.

    Edited locked cells need nothing here (nbgrader's OverwriteCells restores
    them from the gradebook); deleted or reordered ones make us rebuild the
    notebook in the released order: the student's answer cells, the released
    locked cells, and the student's extra cells after the cell they followed.
    Returns (rebuilt notebook or None, notes).
    """
    ref = _cell_map(release)
    notes = []
    # The release is the authority on what is graded: a cell that claims a grade_id the release does not
    # have (a "bonus" test, a renamed one) or a second cell with the same grade_id is the student's own
    # cell, nothing more; a matched cell gets the release's metadata back (points, kind, lock).
    stripped, seen = [], set()
    for cell in nb.cells:
        meta = cell.get("metadata", {})
        if "nbgrader" not in meta:
            continue
        gid = meta["nbgrader"].get("grade_id") if isinstance(meta["nbgrader"], dict) else None
        if gid in ref and gid not in seen and cell.get("cell_type") == ref[gid].get("cell_type"):
            seen.add(gid)
            meta["nbgrader"] = copy.deepcopy(ref[gid].metadata["nbgrader"])
        else:
            del meta["nbgrader"]
            stripped.append(str(gid))
    if stripped:
        notes.append(f"grading metadata the release does not have ignored (duplicated or unknown grade ids): "
                     f"{', '.join(stripped)}")
    mine = _cell_map(nb)
    locked = [g for g, c in ref.items() if c.metadata["nbgrader"].get("locked")]
    deleted = [g for g in locked if g not in mine]
    edited = [g for g in locked if g in mine and mine[g].source.strip() != ref[g].source.strip()]
    order = [g for g in mine if g in ref]
    reordered = order != [g for g in ref if g in mine]
    if deleted:
        notes.append(f"locked cells deleted (restored): {', '.join(deleted)}")
    if edited:
        notes.append(f"locked cells edited (originals graded): {', '.join(edited)}")
    if reordered:
        notes.append("graded cells reordered (original order restored)")
    if not deleted and not reordered:
        return (nb if stripped else None), notes
    extras, anchor = {}, None
    for cell in nb.cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid in ref:
            anchor = gid
        else:
            extras.setdefault(anchor, []).append(cell)
    cells = list(extras.get(None, []))
    for cell in release.cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        cells.append(mine.get(gid, cell) if gid else cell)
        cells += extras.get(gid, []) if gid else []
    nb.cells = cells
    return nb, notes


def _job_config(course_dir: Path, spec: dict):
    from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, IgnorePattern,
                                        LimitOutput, SaveAutoGrades)
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    from .execute import LimitOutputSize, ResilientExecute

    cfg = Config()
    if (course_dir / "nbgrader_config.py").exists():
        cfg.merge(PyFileConfigLoader("nbgrader_config.py", path=str(course_dir)).load_config())
    cfg.CourseDirectory.root = str(course_dir)
    cfg.CourseDirectory.db_url = f"sqlite:///{course_dir / 'gradebook.db'}"
    cfg.CourseDirectory.course_id = spec["course_id"]
    cfg.CourseDirectory.source_directory = "source"  # the job's copy (data files only)
    # nbgrader's default chain with Execute swapped for the resilient subclass.
    cfg.Autograde.autograde_preprocessors = [ResilientExecute, IgnorePattern, ClearMetadataPreprocessor,
                                             LimitOutput, LimitOutputSize, SaveAutoGrades, AssignLatePenalties,
                                             CheckCellMetadata]
    lim = spec["limits"]
    cfg.ResilientExecute.timeout = lim["cell_timeout"]
    cfg.ResilientExecute.notebook_timeout = lim["notebook_timeout"]
    return cfg


def run_job(job: Path) -> dict:
    """Grade the job's submission (runs in a forked child, as the grader).

    The job holds a uid of its own (``uids.py``) from start to end: its kernels and its hidden
    checks' student processes run under it, and before anything is read back every process of
    that uid is killed, so nothing the student started can still change what is read.
    """
    from .sandbox import give_to, unshare_network
    from .uids import make_cgroups, remove_cgroups

    job = Path(job)
    spec = json.loads((job / "spec.json").read_text())
    a, s = spec["assignment"], spec["student"]
    course_dir = job / "course"
    result = {"student": s, "assignment": a, "notes": [], "status": "ok"}
    clock = _Phases()
    with JobUid() as uid:
        (job / "uid").write_text(str(uid))  # for the worker, should it have to kill this job
        limits = json.loads((job / "limits.json").read_text())
        cgroups = make_cgroups(uid, limits.get("memory_bytes", 0), limits.get("processes", 0))
        address = check_service_address(job)
        place(job, uid, address, cgroups)
        give_to(str(job / "runner"), uid)
        clock.lap("uid and box set-up")
        try:
            unshare_network()
            result["network"] = "none (own network namespace)"
        except OSError as exc:
            result["network"] = f"host network ({exc.strerror})"
        # In the job's network namespace (its abstract socket is private to it), before any student code.
        service = start_check_service(job, address) if address else None
        died = False
        clock.lap("check service start")
        try:
            _autograde(job, spec, result)
            clock.lap("nbgrader autograde")
            died = service is not None and service[0].poll() is not None  # it serves until stopped
        finally:
            stop_check_service(service)
            result["leftover_processes"] = len(processes_of(uid))
            sweep(uid)  # daemons, forks: gone before anything of the job is read
            remove_cgroups(cgroups)
            clock.lap("stop and sweep")
    if died:
        tail = (job / "service.err").read_text(errors="replace").strip().splitlines()[-1:]
        raise RuntimeError(f"the hidden checks' service died: {' '.join(tail) or 'no message'}")
    if service is not None:
        result["notes"] += confirm_hidden_checks(course_dir, spec, service[1])
    result.update(extract(course_dir, spec))
    clock.lap("confirm and extract")
    result["phases"] = clock.phases
    try:
        result["sandbox"] = json.loads((job / "kernel_report.json").read_text())
    except (OSError, ValueError):
        result["sandbox"] = {}
    return result


class _Phases:
    """Wall seconds of a job's phases (for the benchmark: where the tool's own time goes)."""

    def __init__(self):
        import time

        self._now = time.monotonic
        self._last = self._now()
        self.phases: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = self._now()
        self.phases[name] = round(now - self._last, 3)
        self._last = now


def _autograde(job: Path, spec: dict, result: dict) -> None:
    a, s = spec["assignment"], spec["student"]
    course_dir = job / "course"
    os.environ.update({"JUPYTER_PATH": str(job / "kernels"), "JUPYTER_RUNTIME_DIR": str(job / "runtime"),
                       "JUPYTER_CONFIG_DIR": str(job / "runtime"), "JUPYTER_PLATFORM_DIRS": "1"})
    sub = course_dir / "submitted" / s / a
    result["notes"] = prepare_submission(sub, spec["notebooks"], spec["release"])
    if not any((sub / f"{name}.ipynb").exists() for name in spec["notebooks"]):
        return  # nothing to run (missing or corrupt: the notes say which); every grade is 0

    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    cfg = _job_config(course_dir, spec)
    api = NbGraderAPI(coursedir=CourseDirectory(config=cfg), config=cfg)
    out = api.autograde(a, s, force=True, create=True)
    from .execute import LimitOutputSize, ResilientExecute

    result["execute_seconds"] = ResilientExecute.seconds
    log = (out.get("log") or "") + (out.get("error") or "")
    (job / "log.txt").write_text(log)
    result["log"] = log[-20000:]
    if not out["success"]:
        result["status"] = "error"
        result["error"] = (out.get("error") or "").strip().splitlines()[-1:] or ["nbgrader failed"]


def extract(course_dir: Path, spec: dict) -> dict:
    """Scores, comments and autograded notebooks of the job's gradebook."""
    import nbformat
    from nbgrader.api import Gradebook, MissingEntry

    a, s = spec["assignment"], spec["student"]
    out = {"notebooks": {}, "timestamp": None, "incidents": [], "files": {}}
    with Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}", spec["course_id"]) as gb:
        try:
            sub = gb.find_submission(a, s)
        except MissingEntry:
            return out
        out["timestamp"] = sub.timestamp.isoformat() if sub.timestamp else None
        for nb in sub.notebooks:
            out["notebooks"][nb.name] = {
                "flagged": nb.flagged,
                "grades": {g.name: {"auto_score": g.auto_score, "manual_score": g.manual_score,
                                    "extra_credit": g.extra_credit,
                                    "needs_manual_grade": g.needs_manual_grade,
                                    "max_score": g.max_score} for g in nb.grades},
                "comments": {c.name: {"auto_comment": c.auto_comment, "manual_comment": c.manual_comment}
                             for c in nb.comments},
            }
    graded = course_dir / "autograded" / s / a
    for name in spec["notebooks"]:
        path = graded / f"{name}.ipynb"
        if not path.exists():
            continue
        text = path.read_text()
        out["files"][f"{name}.ipynb"] = text
        failed = []
        for cell in nbformat.reads(text, as_version=4).cells:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            where = meta.get("grade_id", "an unmarked cell")
            for o in cell.get("outputs", []):
                if o.get("output_type") != "error":
                    continue
                if o.get("ename") in INCIDENTS:
                    out["incidents"].append(f"{name}/{where}: {INCIDENTS[o['ename']]}")
                elif meta.get("solution"):
                    out["incidents"].append(f"{name}/{where}: answer cell raised {o.get('ename')}")
                if meta.get("grade") and where not in failed:
                    failed.append(where)
        if failed:  # for the instructor's summary only (feedback shows no test names)
            out["incidents"].append(f"{name}: failed {', '.join(failed)}")
    return out


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


def failure_result(spec_or_job, status: str, detail: str) -> dict:
    """What a job that produced no result.json reports."""
    if isinstance(spec_or_job, Path):
        spec = json.loads((spec_or_job / "spec.json").read_text())
    else:
        spec = spec_or_job
    return {"student": spec["student"], "assignment": spec["assignment"], "status": status,
            "error": [detail], "notes": [], "notebooks": {}, "files": {}, "incidents": [],
            "timestamp": None}


def safe_run_job(job: Path) -> dict:
    """run_job that always writes result.json (used by the worker's child)."""
    try:
        result = run_job(job)
    except BaseException as exc:  # noqa: BLE001 - everything must reach the summary
        result = failure_result(Path(job), "error", f"{type(exc).__name__}: {exc}")
        (Path(job) / "log.txt").write_text(traceback.format_exc())
    (Path(job) / "result.json").write_text(json.dumps(result))
    return result
