"""Isolation primitives for running one student's kernel.

This file is deliberately standard-library only and runnable as a script: the
grading kernelspec points at it (``python sandbox.py kernel <limits.json> --
<kernel argv>``), so it runs *before* the IPython kernel exists, as root, and
then ``exec``s the real kernel in place (same PID, so jupyter_client still
manages and kills it).

What the kernel gets, where the machine allows it (each step is best effort
and recorded in the JSON ``report`` file, so the summary can say what was in
force):

* resource limits: address space (memory), CPU seconds, file size, open files;
* a cleaned environment: only a whitelist of variables, HOME/TMPDIR inside the
  notebook's own directory, one BLAS thread;
* a private mount namespace in which the course's secrets (``solutions/``,
  the ``autograder/`` package with the checks' source and the gradebooks, the
  git history) are covered by empty read-only tmpfs, and the world-writable
  directories (/tmp, /var/tmp, /dev/shm, /run/lock) are private tmpfs;
* an unprivileged user (``nobody``) that owns only the notebook's directory,
  so the student's code cannot write anywhere else nor read root-only files
  (the job's private gradebook is mode 0600);
* no network: the *whole job* (nbgrader and kernel) already runs in a new
  network namespace with only loopback (see :func:`unshare_network`), because
  the kernel talks to nbgrader over 127.0.0.1.

Why a different user plus a mount namespace rather than copying files
around: the kernel must import ``course_lib`` and the compiled checks, so it
needs the virtual environment, which lives inside the repository. Hiding
the few secret directories keeps everything else working unchanged.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import fcntl
import json
import os
import pwd
import resource
import socket
import struct
import sys

CLONE_NEWNS = 0x00020000
CLONE_NEWNET = 0x40000000
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_BIND = 4096
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38

_libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)

# Environment variables a kernel may inherit; everything else is dropped
# (tokens, cloud credentials, the grader's own paths...).
ENV_WHITELIST = ("PATH", "LANG", "LC_ALL", "TZ", "JPY_PARENT_PID", "KERAS_BACKEND",
                 "PYDEVD_DISABLE_FILE_VALIDATION")
WORLD_WRITABLE = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")


def _check(rc: int, what: str) -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def unshare_network() -> None:
    """Move this process into a new network namespace with loopback up.

    Called in the forked job process before nbgrader starts, so nbgrader and
    the kernel can still talk over 127.0.0.1 while nothing else is reachable.
    """
    _check(_libc.unshare(CLONE_NEWNET), "unshare(CLONE_NEWNET)")
    # Bring `lo` up with SIOCSIFFLAGS (no dependency on the `ip` binary).
    SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        ifreq = struct.pack("16sH14s", b"lo", 0, b"\0" * 14)
        flags = struct.unpack("16sH14s", fcntl.ioctl(s, SIOCGIFFLAGS, ifreq))[1]
        fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sH14s", b"lo", flags | IFF_UP, b"\0" * 14))


def _mount(src, target, fstype, flags, data=None) -> None:
    _check(_libc.mount(src and src.encode(), target.encode(), fstype and fstype.encode(),
                       ctypes.c_ulong(flags), data and data.encode()), f"mount {target}")


def hide_paths(hidden: list[str], workdir: str, tmp_size: str, staging: str) -> list[str]:
    """New mount namespace: cover secrets with empty tmpfs, privatise /tmp & co."""
    done = []
    _check(_libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    for path in hidden:
        if os.path.isdir(path) and not workdir.startswith(path.rstrip("/") + "/"):
            _mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "size=4k,mode=0555")
            done.append(path)
    blocked = expose_interpreter(sys.base_prefix, staging)
    if blocked:
        done.append(blocked)
    # A world-writable directory that holds the kernel's own Python (a checkout under /tmp
    # with its .venv, say) cannot be replaced by an empty tmpfs: the kernel would not start.
    needed = [workdir, os.path.realpath(sys.prefix)]
    for path in WORLD_WRITABLE:
        if os.path.isdir(path) and not any(p.startswith(path.rstrip("/") + "/") for p in needed):
            _mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, f"size={tmp_size},mode=1777")
            done.append(path)
    return done


def expose_interpreter(prefix: str, staging: str) -> str | None:
    """Make `prefix` (the Python installation) reachable by the kernel user.

    When it lies below a directory others cannot enter (pyenv under /root,
    mode 0700), bind it aside, cover that directory with an empty tmpfs,
    and bind it back at the same path: the kernel sees the interpreter and
    nothing else of, for example, root's home.
    """
    blocked = None
    parts = os.path.realpath(prefix).split("/")
    for i in range(2, len(parts)):
        d = "/".join(parts[:i])
        if not os.stat(d).st_mode & 0o001:
            blocked = d
            break
    if blocked is None:
        return None
    os.makedirs(staging, exist_ok=True)
    _mount(prefix, staging, None, MS_BIND | MS_REC)
    _mount("tmpfs", blocked, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0755")
    os.makedirs(prefix, exist_ok=True)
    _mount(staging, prefix, None, MS_BIND | MS_REC)
    return blocked


def set_limits(limits: dict) -> None:
    """Apply resource limits (inherited across exec)."""
    mem = int(limits.get("memory_bytes", 0))
    if mem:
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    cpu = int(limits.get("cpu_seconds", 0))
    if cpu:
        # Soft limit sends SIGXCPU (kills the kernel); hard limit a bit later is SIGKILL.
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    fsize = int(limits.get("file_bytes", 0))
    if fsize:
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def clean_env(workdir: str, extra: dict) -> dict:
    """The kernel's whole environment: a whitelist plus sandbox paths."""
    env = {k: os.environ[k] for k in ENV_WHITELIST if k in os.environ}
    env.setdefault("PATH", "/usr/bin:/bin")
    env.setdefault("LANG", "C.UTF-8")
    tmp = os.path.join(workdir, ".tmp")
    env.update({
        "HOME": workdir, "TMPDIR": tmp, "MPLCONFIGDIR": os.path.join(workdir, ".config"),
        "IPYTHONDIR": os.path.join(workdir, ".ipython"), "MPLBACKEND": "Agg",
        # One thread each: parallelism comes from grading many submissions at once.
        "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1",
    })
    env.update(extra)
    return env


def give_to(workdir: str, user: str) -> pwd.struct_passwd:
    """Make `user` the owner of everything in `workdir` (root only); return its passwd entry."""
    pw = pwd.getpwnam(user)
    for root, dirs, files in os.walk(workdir):
        for name in [root] + [os.path.join(root, f) for f in dirs + files]:
            os.chown(name, pw.pw_uid, pw.pw_gid)
    return pw


def drop_privileges(workdir: str, user: str) -> str:
    """Give the notebook's directory to `user` and become it (root only)."""
    pw = give_to(workdir, user)
    os.setgroups([])
    os.setgid(pw.pw_gid)
    os.setuid(pw.pw_uid)
    return user


def launch(mode: str, limits_file: str, argv: list[str]) -> None:
    """Set up the sandbox around the current process, then exec ``argv``.

    ``mode`` is ``kernel`` (the student's IPython kernel: becomes the unprivileged user) or
    ``service`` (the hidden checks' service, see ``autograder/checks/service.py``: stays root so
    the student's code cannot signal it nor write its verdict log, and tells it which user the
    student's code must run as).
    """
    with open(limits_file) as f:
        limits = json.load(f)
    workdir = os.getcwd()
    report = {}
    # Opened now, as root: the kernel user cannot open files of the job's private area.
    report_file = open(limits.get("report", os.devnull) if mode == "kernel" else os.devnull, "w")
    os.makedirs(os.path.join(workdir, ".tmp"), exist_ok=True)
    extra_env = dict(limits.get("env", {}))
    if os.geteuid() == 0:
        if mode == "kernel" and "-f" in argv:
            # The connection file may sit in /tmp (covered below) and is root's 0600:
            # give the kernel its own copy in its directory.
            i = argv.index("-f") + 1
            with open(argv[i]) as src:
                conn = os.path.join(workdir, ".tmp", "connection.json")
                with open(conn, "w") as dst:
                    dst.write(src.read())
            argv[i] = conn
        try:
            report["hidden"] = hide_paths(limits.get("hidden", []), workdir,
                                          limits.get("tmp_size", "256m"),
                                          os.path.join(os.path.dirname(os.path.abspath(limits_file)), "pyhome"))
        except OSError as exc:
            report["hidden_error"] = str(exc)
        try:
            if mode == "kernel":
                report["user"] = drop_privileges(workdir, limits.get("user", "nobody"))
            else:
                pw = give_to(workdir, limits.get("user", "nobody"))  # the student code's scratch space
                extra_env.update(AUTOGRADER_STUDENT_UID=str(pw.pw_uid), AUTOGRADER_STUDENT_GID=str(pw.pw_gid))
        except (OSError, KeyError) as exc:
            report["user_error"] = str(exc)
    else:
        report["user"] = "unchanged (not root)"
    # After the credential change, which clears it: die with the grader.
    _libc.prctl(PR_SET_PDEATHSIG, 9, 0, 0, 0)
    _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)  # no setuid programs for the student's code
    set_limits(limits)
    report["limits"] = {k: limits.get(k) for k in ("memory_bytes", "cpu_seconds", "file_bytes")}
    with report_file:
        json.dump(report, report_file)
    env = clean_env(workdir, extra_env)
    os.execve(argv[0], argv, env)


if __name__ == "__main__":
    # sandbox.py kernel|service LIMITS_JSON -- ARGV...
    if len(sys.argv) < 5 or sys.argv[1] not in ("kernel", "service") or sys.argv[3] != "--":
        sys.exit("usage: sandbox.py kernel|service LIMITS.json -- ARGV...")
    launch(sys.argv[1], sys.argv[2], sys.argv[4:])
