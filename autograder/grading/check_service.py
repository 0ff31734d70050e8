"""The check service's lifecycle in a job: an address, start it before any student code, stop it.

The service itself is ``autograder/checks/service.py``; it runs as root outside the boxes, in the
job's network namespace, and every hidden check of the submission is a fork of it.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from .job import _private_dir
from .place import SANDBOX


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
