"""Running one job (in a forked child, as the grader): the uid, the box, the check service,
nbgrader's autograde, the verdicts, and the result read back from the job's own gradebook."""
from __future__ import annotations

import json
import os
import traceback
from pathlib import Path

from ..sandbox.uids import JobUid, sweep
from ..sandbox.uids import processes as processes_of
from .check_service import check_service_address, start_check_service, stop_check_service
from .place import place
from .repair import prepare_submission
from .verdicts import confirm_hidden_checks

# Error names in graded cells that mean something other than a wrong answer.
INCIDENTS = {
    "KernelDied": "kernel died (exit/kill/crash/limit)",
    "CellTimeoutError": "cell time limit",
    "NotebookTimeout": "notebook time limit",
    "MemoryError": "memory limit",
    "SystemExit": "called sys.exit()",
    "HiddenCheckNotConfirmed": "hidden check tampered with",
}


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


UNBOXED_NOTE = "UNBOXED (grade --unboxed): this submission ran with the grader's own rights, in no box"


def job_mode(job: Path) -> str:
    """``root`` (a uid of the job's own), ``rootless`` (a box made of user namespaces), or ``unboxed``
    (only where ``grade --unboxed`` marked the job: see ``sandbox/rootless.py``)."""
    if os.geteuid() == 0:
        return "root"
    return "unboxed" if (Path(job) / "unboxed").exists() else "rootless"


def run_job(job: Path) -> dict:
    """Grade the job's submission (runs in a forked child, as the grader).

    As root the job holds a uid of its own (``sandbox/uids.py``) from start to end: its kernels and
    its hidden checks' student processes run under it, and before anything is read back every process
    of that uid is killed. Without root the job runs in namespaces of its own (``sandbox/rootless.py``)
    and the end of its PID namespace kills every process it started. Either way nothing the student
    started can still change what is read.
    """
    job = Path(job)
    spec = json.loads((job / "spec.json").read_text())
    a, s = spec["assignment"], spec["student"]
    course_dir = job / "course"
    result = {"student": s, "assignment": a, "notes": [], "status": "ok"}
    clock = _Phases()
    mode = job_mode(job)
    if mode == "root":
        died, service = _run_as_root(job, spec, result, clock)
    else:
        died, service = _run_without_root(job, spec, result, clock, mode)
    if died:
        tail = (job / "service.err").read_text(errors="replace").strip().splitlines()[-1:]
        raise RuntimeError(f"the hidden checks' service died: {' '.join(tail) or 'no message'}")
    if service:
        result["notes"] += confirm_hidden_checks(course_dir, spec, job / "checks.log")
    result.update(extract(course_dir, spec))
    clock.lap("confirm and extract")
    result["phases"] = clock.phases
    try:
        result["sandbox"] = json.loads((job / "kernel_report.json").read_text())
    except (OSError, ValueError):
        result["sandbox"] = {"mode": mode}
    if mode == "unboxed":
        result["notes"].insert(0, UNBOXED_NOTE)
    return result


def _run_as_root(job: Path, spec: dict, result: dict, clock) -> tuple[bool, bool]:
    from ..sandbox.box import give_to, unshare_network
    from ..sandbox.uids import make_cgroups, remove_cgroups

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
        try:
            return _serve_and_grade(job, spec, result, clock, address)
        finally:
            result["leftover_processes"] = len(processes_of(uid))
            sweep(uid)  # daemons, forks: gone before anything of the job is read
            remove_cgroups(cgroups)
            clock.lap("stop and sweep")


def _serve_and_grade(job: Path, spec: dict, result: dict, clock, address: str | None) -> tuple[bool, bool]:
    """The check service (in the job's network namespace, its abstract socket private to it), then
    nbgrader; whether the service died on the way, and whether there was one."""
    service = start_check_service(job, address) if address else None
    died = False
    clock.lap("check service start")
    try:
        _autograde(job, spec, result)
        clock.lap("nbgrader autograde")
        died = service is not None and service[0].poll() is not None  # it serves until stopped
    finally:
        stop_check_service(service)
    return died, service is not None


def _run_without_root(job: Path, spec: dict, result: dict, clock, mode: str) -> tuple[bool, bool]:
    from ..sandbox import box, rootless

    address = check_service_address(job)
    place(job, None, address, mode=mode)
    clock.lap("box set-up")
    if mode == "unboxed":
        result["network"] = "host network (UNBOXED)"
        return _serve_and_grade(job, spec, result, clock, address)
    try:
        rootless.enter_job_namespace()
    except OSError as exc:  # a Dask worker that cannot box: the same line as grade's own check
        raise RuntimeError(rootless.refusal(rootless.diagnose(str(exc)))) from None
    result["network"] = "none (own network namespace)"
    inner = job / "inner.json"
    init = os.fork()
    if init == 0:  # pragma: no cover - the job namespace's first process: when it exits, so does the job
        code = 1
        try:
            box.die_with_parent()
            body = os.fork()
            if body == 0:
                try:
                    died, service = _serve_and_grade(job, spec, result, clock, address)
                    inner.write_text(json.dumps({"result": result, "died": died, "service": service,
                                                 "phases": clock.phases, "last_lap": clock.last}))
                except BaseException as exc:  # noqa: BLE001 - reported by the job's process
                    inner.write_text(json.dumps({"error": f"{type(exc).__name__}: {exc}",
                                                 "traceback": traceback.format_exc()}))
                finally:
                    os._exit(0)
            code = max(0, box.reap_until(body))
        finally:
            os._exit(code)
    while True:
        try:
            os.waitpid(init, 0)
            break
        except InterruptedError:
            continue
    # The namespace's first process has exited: the kernel has killed every process of the job.
    try:
        done = json.loads(inner.read_text())
    except (OSError, ValueError):
        raise RuntimeError("the job's namespace ended without a result") from None
    if "error" in done:
        (job / "log.txt").write_text(done.get("traceback", ""))
        raise RuntimeError(done["error"])
    result.update(done["result"])
    clock.phases.update(done["phases"])
    clock.last = done["last_lap"]  # the monotonic clock is the machine's: "stop" counts from the body's last lap
    result["leftover_processes"] = 0  # its PID namespace is gone, and every process with it
    clock.lap("stop")
    return done["died"], done["service"]


class _Phases:
    """Wall seconds of a job's phases (for the benchmark: where the tool's own time goes)."""

    def __init__(self):
        import time

        self._now = time.monotonic
        self.last = self._now()
        self.phases: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = self._now()
        self.phases[name] = round(now - self.last, 3)
        self.last = now


def _autograde(job: Path, spec: dict, result: dict) -> None:
    a, s = spec["assignment"], spec["student"]
    course_dir = job / "course"
    os.environ.update({"JUPYTER_PATH": str(job / "kernels"), "JUPYTER_RUNTIME_DIR": str(job / "runtime"),
                       "JUPYTER_CONFIG_DIR": str(job / "runtime"), "JUPYTER_PLATFORM_DIRS": "1"})
    sub = course_dir / "submitted" / s / a
    result["notes"] = prepare_submission(sub, spec["notebooks"], spec["release"], spec.get("intake"))
    if not any((sub / f"{name}.ipynb").exists() for name in spec["notebooks"]):
        return  # nothing to run (missing or corrupt: the notes say which); every grade is 0

    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    cfg = _job_config(course_dir, spec)
    api = NbGraderAPI(coursedir=CourseDirectory(config=cfg), config=cfg)
    out = api.autograde(a, s, force=True, create=True)
    from .execute import ResilientExecute

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
