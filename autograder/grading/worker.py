"""A long-lived grading worker: imports nbgrader once, forks one child per job.

Why: importing nbgrader costs seconds of CPU, more than the per-submission
overhead we can afford; a fork of a warm, single-threaded process costs
milliseconds and still gives every submission a fresh process (own session,
own network namespace, killed as a whole group on the hard time limit).

Protocol (JSON lines): stdin ``{"job": DIR, "timeout": S}``; stdout
``{"job": DIR, "status": "ok"|"killed"|"crashed", "wall": S}``. The result
itself is ``DIR/result.json``.
"""
from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path


def _preload() -> None:
    # Everything a job imports, so children start warm.
    import nbgrader.apps  # noqa: F401
    import nbgrader.preprocessors  # noqa: F401
    import nbclient  # noqa: F401
    import jupyter_client  # noqa: F401
    import ipykernel  # noqa: F401

    from . import execute, job, run  # noqa: F401


def run_forked(job_dir: str, timeout: float) -> dict:
    """Run one job in a forked child with a hard wall-clock limit."""
    from .run import failure_result, safe_run_job

    start = time.monotonic()
    pid = os.fork()
    if pid == 0:  # child: own session so the whole group can be killed
        code = 1
        try:
            os.setsid()
            _die_with_parent()
            # fd 1 is the protocol pipe: nothing the job, nbgrader or a kernel prints may reach it.
            os.dup2(2, 1)
            sys.stdout = sys.stderr
            safe_run_job(Path(job_dir))
            code = 0
        finally:
            os._exit(code)
    status = "ok"
    while True:
        done, rc = os.waitpid(pid, os.WNOHANG)
        if done:
            if rc != 0:
                status = "crashed"
            break
        if time.monotonic() - start > timeout:
            status = "killed"
            for sig_target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
                try:
                    sig_target()
                except ProcessLookupError:
                    pass
            os.waitpid(pid, 0)
            break
        time.sleep(0.05)
    _sweep_job_uid(Path(job_dir))
    result = Path(job_dir) / "result.json"
    if status != "ok" or not result.exists():
        detail = (f"grading exceeded the hard limit of {timeout:.0f} s and was killed"
                  if status == "killed" else "the grading process crashed")
        result.write_text(json.dumps(failure_result(Path(job_dir), status, detail)))
    return {"job": job_dir, "status": status, "wall": time.monotonic() - start}


def _sweep_job_uid(job: Path) -> None:
    """Kill whatever still runs under the job's uid (a job killed on its hard limit, say).

    The job released its uid when its process ended; the next job to take that uid sweeps it too,
    but processes of a finished job must not wait for that.
    """
    from ..sandbox.uids import sweep_if_free

    try:
        uid = int((job / "uid").read_text())
    except (OSError, ValueError):
        return
    sweep_if_free(uid)


def _die_with_parent() -> None:
    """SIGKILL this process when its parent dies (a killed grading run leaves nothing behind)."""
    import ctypes

    ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG


def main() -> None:
    _die_with_parent()
    _preload()
    print(json.dumps({"ready": os.getpid()}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        print(json.dumps(run_forked(req["job"], req["timeout"])), flush=True)


if __name__ == "__main__":
    main()
