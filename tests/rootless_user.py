"""Run a command as a user without root: a throwaway uid, from a test or a benchmark running as root.

The uid has no passwd entry, no groups and no capability (``setpriv``), and owns only the directory it
is given. The project's Python must be reachable by it: where the interpreter or the checkout lies
below a directory other users cannot enter (pyenv under ``/root``, mode 700), the command runs in a
private mount namespace where that directory is an empty tmpfs with only those paths bound back in:
the same files, made reachable the way a user's own installation would be, and nothing else of it.
"""
from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HOMES = "/var/lib/rootless-test-users"


def free_uid(start: int = 3_100_000) -> int:
    """A uid with no passwd entry, no process and no file in /tmp: nobody's."""
    import pwd

    busy = {int(line.split("Uid:")[1].split()[0]) for line in _statuses()}
    uid = start + os.getpid() % 10_000
    while True:
        try:
            pwd.getpwuid(uid)
        except KeyError:
            if uid not in busy:
                return uid
        uid += 1


def _statuses():
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/status") as f:
                    text = f.read()
                yield text[text.index("Uid:"):]
            except (OSError, ValueError):
                continue


def processes_of(uid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                st = os.stat(f"/proc/{entry}")
            except OSError:
                continue
            if st.st_uid == uid:
                found.append(int(entry))
    return found


def _blocked(path: Path) -> Path | None:
    """The topmost directory above ``path`` that others cannot enter, if any."""
    for parent in reversed(path.parents):
        if parent != Path("/") and not os.stat(parent).st_mode & 0o001:
            return parent
    return None


class ThrowawayUser:
    """``with ThrowawayUser() as user: user.run([...])``: a fresh uid and a home it owns."""

    def __init__(self):
        self.uid = free_uid()
        # Not below /tmp (each box has a private one; an attacker globbing /tmp would see the way down).
        os.makedirs(HOMES, mode=0o755, exist_ok=True)
        self.home = Path(tempfile.mkdtemp(prefix="user-", dir=HOMES))
        os.chown(self.home, self.uid, self.uid)
        self._keep = Path(tempfile.mkdtemp(prefix="rootless-keep-", dir="/tmp"))  # root's: mount points

    def __enter__(self) -> "ThrowawayUser":
        return self

    def __exit__(self, *exc) -> None:
        self.kill()
        shutil.rmtree(self.home, ignore_errors=True)
        shutil.rmtree(self._keep, ignore_errors=True)

    def kill(self) -> None:
        """Whatever the uid left running (nothing, when the box holds)."""
        for pid in processes_of(self.uid):
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass

    def env(self, **extra) -> dict:
        return {"HOME": str(self.home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
                "XDG_STATE_HOME": str(self.home / "state"), "PYTHONDONTWRITEBYTECODE": "1",
                "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", **extra}

    def command(self, argv: list[str], env: dict) -> list[str]:
        """``argv`` as the uid, with the Python and the checkout reachable (see the module's docstring)."""
        need = [Path(os.path.realpath(sys.base_prefix)), Path(os.path.realpath(sys.prefix)), REPO]
        blocked = {p: _blocked(p) for p in need}
        steps = []
        covered = sorted({b for b in blocked.values() if b}, key=lambda p: len(p.parts))
        if covered:
            paths = [p for p, b in blocked.items() if b]
            for i, p in enumerate(paths):
                (self._keep / str(i)).mkdir(exist_ok=True)
                steps.append(f"mount --bind {shlex.quote(str(p))} {self._keep / str(i)}")
            steps += [f"mount -t tmpfs -o mode=755,size=1m tmpfs {shlex.quote(str(b))}" for b in covered]
            for i, p in enumerate(paths):
                steps.append(f"mkdir -p {shlex.quote(str(p))} && mount --bind {self._keep / str(i)} "
                             f"{shlex.quote(str(p))}")
        become = ["setpriv", f"--reuid={self.uid}", f"--regid={self.uid}", "--clear-groups",
                  "--inh-caps=-all", "env", "-i", *[f"{k}={v}" for k, v in env.items()]]
        if not steps:
            return become + argv
        script = " && ".join(steps) + ' && exec "$@"'
        return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", *become, *argv]

    def run(self, argv: list[str], timeout: float, **extra_env) -> subprocess.CompletedProcess:
        return subprocess.run(self.command(argv, self.env(**extra_env)), cwd=REPO, capture_output=True,
                              text=True, timeout=timeout)
