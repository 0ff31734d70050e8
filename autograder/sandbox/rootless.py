"""Grading without root: can this machine build a box, where a user's state goes, and the job's namespace.

As root, a box is the job's own host uid plus namespaces (``box.py``, ``uids.py``). Without root there is
no second uid to give a job, but an unprivileged *user namespace* gives the grader every capability over
namespaces of its own: the same mount, PID, IPC and network namespaces and the same allowlisted root,
with the student's process as uid ``box.INNER_ID`` of its own user namespace, holding no capability.
``SECURITY.md`` says what holds in each mode and what differs.

Where the machine allows no user namespace, :func:`why_no_box` says why, and ``grade`` stops before
grading anyone (:func:`refusal`), unless told ``--unboxed``.

May import: ``box`` only (the sandbox layer).
"""
from __future__ import annotations

import os
from pathlib import Path

from . import box

ROOT_STATE = Path("/var/lib/autograder")


def state_dir() -> Path:
    """Where grading keeps its scratch: root's ``/var/lib/autograder``, a user's own state directory.

    Never ``/tmp`` (each box gets a private one, and other users share it) and never a path another
    user owns: what root left on the machine cannot break a user's run, nor the reverse.
    """
    if os.geteuid() == 0:
        path = ROOT_STATE
    else:
        base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
        path = Path(base) / "autograder"
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o711 if os.geteuid() == 0 else 0o700)
    return path


def _read(path: str) -> str | None:
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def why_no_box() -> str | None:
    """None when a box without root can be built here; else what is missing, in a few words.

    Tried for real in a throw-away child: a user namespace with its maps, the mount, PID, IPC and
    network namespaces, a tmpfs and a fresh ``/proc`` (which a container that masks parts of its
    ``/proc`` refuses), as a job's box does.
    """
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the probe
        os.close(r)
        error = ""
        try:
            box.enter_user_namespace()
            flags = box.CLONE_NEWNS | box.CLONE_NEWPID | box.CLONE_NEWIPC | box.CLONE_NEWNET
            box._check(box._libc.unshare(flags), "unshare(mount, PID, IPC, network)")
            box._mount(None, "/", None, box.MS_REC | box.MS_PRIVATE)
            box._mount("tmpfs", "/tmp", "tmpfs", box.MS_NOSUID | box.MS_NODEV, "size=1m")
            child = os.fork()
            if child == 0:
                code = 1
                try:
                    box._mount("proc", "/proc", "proc", box.MS_NOSUID | box.MS_NODEV | box.MS_NOEXEC)
                    code = 0
                finally:
                    os._exit(code)
            if box.reap_until(child) != 0:
                error = "mount /proc: refused in a user namespace (a container that masks parts of /proc?)"
        except OSError as exc:
            error = str(exc)
        except BaseException as exc:  # noqa: BLE001 - reported, never raised in the probe
            error = f"{type(exc).__name__}: {exc}"
        os.write(w, error.encode())
        os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        error = f.read().decode()
    os.waitpid(pid, 0)
    if not error:
        return None
    return diagnose(error)


def diagnose(error: str) -> str:
    """The setting that explains a refused user namespace, where one does."""
    if _read("/proc/sys/user/max_user_namespaces") == "0":
        return "user namespaces are off (user.max_user_namespaces = 0)"
    if _read("/proc/sys/kernel/unprivileged_userns_clone") == "0":
        return "unprivileged user namespaces are off (kernel.unprivileged_userns_clone = 0)"
    if _read("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == "1" and "CLONE_NEWUSER" in error:
        return ("AppArmor restricts unprivileged user namespaces "
                "(kernel.apparmor_restrict_unprivileged_userns = 1)")
    if "CLONE_NEWUSER" in error:
        return f"user namespaces are refused ({error}; a container's seccomp profile?)"
    return f"a user namespace cannot make a box ({error})"


def refusal(reason: str) -> str:
    """``grade``'s one line when no box can be built: what is missing, and the ways out."""
    setting = ("sudo sysctl -w user.max_user_namespaces=15000" if "max_user_namespaces" in reason
               else "sudo sysctl -w kernel.unprivileged_userns_clone=1" if "unprivileged_userns_clone" in reason
               else "sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0" if "apparmor" in reason
               else "allow unshare(CLONE_NEWUSER) in the container (e.g. docker --security-opt seccomp=unconfined)")
    return (f"no box for student code can be built here: {reason}. Ways out: grade as root (sudo), "
            f"or allow user namespaces ({setting}), or grade on a Dask cluster whose workers can box "
            f"(--scheduler), or --unboxed to run every submission with your own rights (unsafe: it can read "
            f"the hidden checks, the secret and the solutions)")


def enter_job_namespace() -> None:
    """The job's own user, PID and network namespaces (the calling process stays in the old PID one).

    The user namespace maps the grader's uid to itself: nbgrader and the check service run as they
    would outside, while the job owns a network namespace (loopback only) and a PID namespace whose
    first process, when it exits, takes every process of the job with it: the sweep that root does by
    uid. Each kernel and the checks' zygote then make a box of their own inside it.
    """
    uid = os.geteuid()
    box.enter_user_namespace(inner_uid=uid)
    box._check(box._libc.unshare(box.CLONE_NEWPID), "unshare(CLONE_NEWPID)")
    box.unshare_network()


def capabilities() -> int:
    """This process's effective capabilities (a bit mask), for the reports and the tests."""
    for line in (_read("/proc/self/status") or "").splitlines():
        if line.startswith("CapEff:"):
            return int(line.split()[1], 16)
    return 0

