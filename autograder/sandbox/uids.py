"""A pool of dedicated uids: one per grading job running on this machine.

Why a uid per job rather than one shared unprivileged user (``nobody``): the kernel decides who may
signal a process, trace it, read its ``/proc`` entries or write its files by uid. Two jobs under one
uid can kill, read and write each other; under two uids they cannot. The uid is also the job's
handle for clean-up: every process a job's student code started, however it detached (double fork,
``setsid``), still runs under that uid, so :func:`sweep` finds and kills it, and the per-uid process
limit (``RLIMIT_NPROC``) is the job's own.

The uids have no passwd entry (none is needed to run under a uid). A job holds its uid through an
exclusive ``flock`` on ``<lock dir>/<uid>.lock`` for its lifetime, so the lock goes away with the
process even when it is SIGKILLed; the next holder sweeps the uid before using it.
"""
from __future__ import annotations

import fcntl
import os
import signal
import time
from pathlib import Path

#: First uid of the pool and its size; far above what distributions give to users and services.
BASE = int(os.environ.get("AUTOGRADER_UID_BASE", "2000000"))
SIZE = int(os.environ.get("AUTOGRADER_UID_POOL", "256"))
LOCK_DIR = Path(os.environ.get("AUTOGRADER_UID_LOCKS", "/var/lib/autograder/uids"))


class PoolExhausted(RuntimeError):
    pass


class JobUid:
    """``with JobUid() as uid:`` a uid no other job on this machine is using; swept on both ends."""

    def __init__(self, lock_dir: Path = LOCK_DIR, base: int = BASE, size: int = SIZE):
        self.lock_dir, self.base, self.size = Path(lock_dir), base, size
        self.uid: int | None = None
        self._fd: int | None = None

    def acquire(self) -> int:
        self.lock_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.lock_dir, 0o700)
        # Start at a pid-dependent slot so concurrent workers rarely contend for the same lock.
        start = os.getpid() % self.size
        for i in range(self.size):
            uid = self.base + (start + i) % self.size
            fd = os.open(self.lock_dir / f"{uid}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            self.uid, self._fd = uid, fd
            sweep(uid)  # leftovers of a job that was killed while holding it
            return uid
        raise PoolExhausted(f"all {self.size} grading uids from {self.base} are in use")

    def release(self) -> None:
        if self.uid is None:
            return
        sweep(self.uid)
        os.close(self._fd)  # drops the lock
        self.uid = self._fd = None

    def __enter__(self) -> int:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def sweep_if_free(uid: int, lock_dir: Path = LOCK_DIR) -> None:
    """Sweep ``uid`` unless a job holds it now (that job swept it when it took it)."""
    try:
        fd = os.open(Path(lock_dir) / f"{uid}.lock", os.O_RDWR | os.O_CLOEXEC)
    except OSError:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        sweep(uid)
    except BlockingIOError:
        pass
    finally:
        os.close(fd)


def processes(uid: int) -> list[int]:
    """Live processes (zombies excluded) whose real, effective or saved uid is ``uid``."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/status") as f:
                status = f.read()
        except OSError:
            continue  # it just exited
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("State", "").strip().startswith(("Z", "X")):
            continue
        if str(uid) in fields.get("Uid", "").split()[:3]:
            found.append(int(entry.name))
    return found


def sweep(uid: int, timeout: float = 10.0) -> bool:
    """Kill every process of ``uid`` (root only). True when none is left.

    A helper that becomes ``uid`` sends ``kill(-1, SIGKILL)``: the kernel delivers it to every
    process the sender may signal (exactly those of ``uid``) in one pass that new forks cannot
    outrun. Repeated until ``/proc`` shows none, in case one was being created at that moment.
    """
    if os.geteuid() != 0:
        return not processes(uid)
    deadline = time.monotonic() + timeout
    while processes(uid):
        if time.monotonic() > deadline:
            return False
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the helper
            try:
                os.setgroups([])
                os.setresgid(uid, uid, uid)
                os.setresuid(uid, uid, uid)
                os.kill(-1, signal.SIGKILL)
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        time.sleep(0.01)
    return True


# --------------------------------------------------------------------------- cgroups (where available)

CGROUP_ROOT = Path("/sys/fs/cgroup")


def _own_cgroup(controller: str) -> Path | None:
    """This process's cgroup directory for a v1 ``controller``, if mounted and writable."""
    try:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            if controller in controllers.split(","):
                d = CGROUP_ROOT / controller / path.lstrip("/")
                return d if d.is_dir() and os.access(d, os.W_OK) else None
    except OSError:
        pass
    return None


def make_cgroups(uid: int, memory_bytes: int, processes: int) -> list[str]:
    """A cgroup per controller for the job's student processes (cgroup v1, best effort).

    ``cpu``: equal shares per job, so a job running hundreds of processes gets no more of the
    machine than one running a single kernel (its neighbours' cells keep their time limits);
    ``pids`` and ``memory``: a ceiling for the job as a whole, beyond the per-process limits.
    Returns the ``cgroup.procs`` files a boxed process writes its pid to.
    """
    procs = []
    for controller, settings in (("cpu", {"cpu.shares": 1024}),
                                 ("pids", {"pids.max": processes}),
                                 ("memory", {"memory.limit_in_bytes": memory_bytes * 2})):
        parent = _own_cgroup(controller)
        if parent is None:
            continue
        d = parent / f"autograder-{uid}"
        try:
            d.mkdir(exist_ok=True)
            for key, value in settings.items():
                if value:
                    (d / key).write_text(str(value))
            procs.append(str(d / "cgroup.procs"))
        except OSError:
            continue
    return procs


def remove_cgroups(procs: list[str], timeout: float = 2.0) -> None:
    """Remove the job's cgroups; root processes of the job (the zygote) may take a moment to exit.

    One left behind is harmless: the next job with this uid reuses it.
    """
    deadline = time.monotonic() + timeout
    for p in procs:
        while True:
            try:
                os.rmdir(os.path.dirname(p))
                break
            except FileNotFoundError:
                break
            except OSError:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.02)
