"""Placing a job in its box: the job's absolute paths, uid and cgroups written where the sandbox reads them.

A job may have been built on one machine and unpacked on another, so nothing absolute is written
until the child that runs it calls :func:`place`: the kernel's settings (``limits.json``, read by
``sandbox/box.py kernel``), the check service's zygote's (``box.json``), and the kernelspec that
starts every kernel through the sandbox.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from ..sandbox import box as _box

#: run as a script: ``python box.py kernel|service LIMITS.json -- ARGV...``
SANDBOX = Path(_box.__file__).resolve()
#: the ``autograder`` package: code a graded function must not carry by value (checks/runner.py)
PACKAGE = Path(__file__).resolve().parents[1]


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


def place(job: Path, uid: int | None, service_address: str | None = None, cgroups: list[str] = (),
          mode: str = "root") -> None:
    """Write the job's absolute paths, uid and box mode (it may have been unpacked on another machine).

    ``mode``: ``root`` (``uid`` is the job's own), ``rootless`` (no uid: a user namespace per box) or
    ``unboxed`` (no box at all: ``grade --unboxed``), see ``sandbox/box.py``.
    """
    limits = json.loads((job / "limits.json").read_text())
    env = {"PYTHONPATH": str(job / "pkgs")}
    if service_address:
        env["AUTOGRADER_CHECK_SERVICE"] = service_address
    common = {"uid": uid, "mode": mode, "cgroups": list(cgroups), "pid_namespace": True}
    if mode != "unboxed":
        common["root"] = str(job / "box")
    kernel = {**limits, **common, "report": str(job / "kernel_report.json"), "env": env,
              "stdio": str(job / "kernel.out"),
              "expose": python_paths() + course_lib_paths() + [str(job / "pkgs")]}
    (job / "limits.json").write_text(json.dumps(kernel))
    os.chmod(job / "limits.json", 0o600)
    # The zygote's box (checks/runner.py): no course_lib there, and the secret stays outside.
    box = {**common, "disk_bytes": limits.get("disk_bytes", 0), "workdir": str(job / "runner"),
           "expose": python_paths(), "preload": limits.get("preload", []),
           "student_limits": limits, "secret_file": str(job / "secret"),
           # code a graded function must not carry by value (checks/runner.py): course_lib, the grader's
           "reference_dirs": course_lib_paths() + [str(PACKAGE), str(job / "checks")]}
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
