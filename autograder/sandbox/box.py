"""Isolation primitives for the processes that run a student's code.

This file is deliberately standard-library only and runnable as a script: the
grading kernelspec points at it (``python box.py kernel <limits.json> --
<kernel argv>``), so it runs *before* the IPython kernel exists, as root, and
then ``exec``s the real kernel. The check service (``checks/service.py``)
imports it to put its student processes in the same kind of box.

What student code gets, where the machine allows it (each step is best effort
and recorded in the JSON ``report`` file, so the summary can say what was in
force; see ``SECURITY.md`` for the threat model):

* **its job's own uid** (``uids.py``: a pool of dedicated uids, one per running
  job), so it can neither signal, trace nor write into another job, and the
  grader can find and kill every process of the job by uid;
* **its own PID namespace**: ``/proc`` shows the job's processes only, and when
  the namespace's first process (a small root-owned reaper) exits, the kernel
  kills everything left in it, double-forked daemons included;
* **a root of its own** (a mount namespace and ``chroot``): an empty tmpfs into
  which only the system directories, the Python installation, ``course_lib``
  and the job's own working directory are bind-mounted, read-only except the
  latter. The repository (``solutions/``, ``autograder/``), the course, other
  jobs, home directories and the host's ``/tmp`` do not exist in it, wherever
  the grader and its Python are installed; ``/tmp`` is a fresh private tmpfs;
* **resource limits**: address space, CPU seconds, file size, and a process
  count per uid (a fork bomb stops at the limit and hurts no other job);
* **a cleaned environment** and no network (the whole job runs in a network
  namespace with only loopback, see :func:`unshare_network`).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import fcntl
import json
import os
import resource
import signal
import socket
import struct
import sys

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
ST_NOATIME, ST_NODIRATIME, ST_RELATIME = 1024, 2048, 4096  # statvfs flags = the mount flags of the same name
PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38
PR_CAPBSET_DROP = 24
PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 47, 4
#: the uid and gid a student's process has inside a box without root (its user namespace maps them,
#: and only them, to the grader's own uid outside): not 0, so it holds no capability after its exec
INNER_ID = 1000
#: how a box is made: ``root`` (the job's own host uid, ``uids.py``), ``rootless`` (a user namespace
#: of the grader's uid, see :func:`enter_user_namespace`), ``unboxed`` (only behind ``grade --unboxed``)
MODES = ("root", "rootless", "unboxed")

_libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)

# Environment variables a kernel may inherit; everything else is dropped
# (tokens, cloud credentials, the grader's own paths...).
# Not JPY_PARENT_PID: in its PID namespace the kernel's parent is PID 1 (the reaper), which
# ipykernel's parent poller takes for "the parent exited"; the kernel dies with its supervisor instead.
ENV_WHITELIST = ("PATH", "LANG", "LC_ALL", "TZ", "KERAS_BACKEND", "PYDEVD_DISABLE_FILE_VALIDATION")
# System directories every box gets, read-only (when they exist; symlinks such as /bin -> usr/bin
# are recreated as symlinks). /etc holds nothing a student may not read (/etc/shadow is root's).
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/sys")
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty")
PRIVATE_TMP = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")


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


def _under(path: str, parent: str) -> bool:
    return path == parent or path.startswith(parent.rstrip("/") + "/")


# --------------------------------------------------------------------------- namespaces


def new_namespaces(pid: bool = True) -> bool:
    """Private mount and IPC namespaces and, if the machine allows it, a PID namespace for our children.

    Returns whether the PID namespace was created: after it, this process's *next* child is the
    namespace's first process (its PID 1); when that process exits, every other process of the
    namespace is killed by the kernel.
    """
    # CLONE_NEWIPC: System V shared memory, semaphores and message queues of its own, which die with
    # the box (without it a job's segment, key and mode 0666, outlives it and a later job reads it).
    flags = CLONE_NEWNS | CLONE_NEWIPC | (CLONE_NEWPID if pid else 0)
    if _libc.unshare(flags) != 0:
        if not pid:
            _check(-1, "unshare(CLONE_NEWNS|CLONE_NEWIPC)")
        _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWIPC), "unshare(CLONE_NEWNS|CLONE_NEWIPC)")
        pid = False
    _mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing we mount leaks back to the host
    return pid


def build_root(root: str, expose: list[str], writable: list[str], tmp_size: str = "256m",
               own_proc: bool = True, disk_bytes: int = 0) -> None:
    """Make ``root`` (an empty directory) a minimal filesystem, then ``chroot`` into it.

    Called as root inside a private mount namespace. ``expose`` paths are bind-mounted read-only
    at the same path, ``writable`` ones read-write; everything else of the host is simply absent.
    ``own_proc``: mount a fresh ``/proc`` (only in a new PID namespace: it then lists this
    namespace's processes only); otherwise the host's is bound.
    ``disk_bytes``: the ``writable`` paths are not the host's directories but size-limited tmpfs copies of
    them (what they hold plus ``disk_bytes``): a student can fill them, never the host's disk.
    """
    _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755")
    for path in PRIVATE_TMP:  # first: an exposed path may lie below /tmp (a checkout there)
        os.makedirs(root + path, exist_ok=True)
        _mount("tmpfs", root + path, "tmpfs", MS_NOSUID | MS_NODEV, f"size={tmp_size},mode=1777")
    ro = [p for p in SYSTEM_DIRS if os.path.lexists(p)] + list(expose)
    ro = sorted({os.path.realpath(p) if not os.path.islink(p) else p for p in ro if os.path.lexists(p)})
    done: list[str] = []
    for path in ro:
        if any(_under(path, d) for d in done):
            continue  # already inside an exposed directory (a venv below /usr, say)
        target = root + path
        if os.path.islink(path):  # /bin -> usr/bin
            os.makedirs(os.path.dirname(target), exist_ok=True)
            if not os.path.lexists(target):
                os.symlink(os.readlink(path), target)
            continue
        _bind(path, target, readonly=True)
        done.append(path)
    for path in writable:
        path = os.path.realpath(path)
        if disk_bytes:
            _scratch_copy(path, root + path, disk_bytes)
        else:
            _bind(path, root + path, readonly=False)
    for dev in DEVICES:
        if os.path.exists(dev):
            _bind(dev, root + dev, readonly=False)
    os.makedirs(root + "/proc", exist_ok=True)
    if own_proc:
        _mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    else:
        _mount("/proc", root + "/proc", None, MS_BIND | MS_REC)
    # The skeleton itself read-only: without root its directories belong to the student's own uid (the
    # builder's), and nothing but the working directory and the private /tmp is the student's to write.
    _mount(None, root, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    os.chroot(root)
    os.chdir("/")


def _tree_bytes(path: str) -> int:
    total = 0
    for top, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(top, name)).st_blocks * 512 + 4096
            except OSError:
                pass
    return total


def _scratch_copy(src: str, target: str, disk_bytes: int) -> None:
    """A tmpfs at ``target`` holding a copy of ``src`` (owner and modes kept) and ``disk_bytes`` of room."""
    import shutil

    st = os.stat(src)
    size = _tree_bytes(src) + int(disk_bytes) + (1 << 20)
    os.makedirs(target, exist_ok=True)
    _mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode={st.st_mode & 0o7777:o}")
    os.chown(target, st.st_uid, st.st_gid)
    shutil.copytree(src, target, symlinks=True, dirs_exist_ok=True)
    for top, dirs, files in os.walk(src):
        for name in [top] + [os.path.join(top, n) for n in dirs + files]:
            s = os.lstat(name)
            os.lchown(target + name[len(src):], s.st_uid, s.st_gid)


def _bind(src: str, target: str, readonly: bool) -> None:
    if os.path.isdir(src):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if not os.path.exists(target):
            open(target, "a").close()
    _mount(src, target, None, MS_BIND | MS_REC)
    if readonly:  # a bind mount takes its read-only flag from a remount
        # Keeping the flags the source mount has (noexec on /sys, say, and its atime flags): inside a
        # user namespace they are locked, and a remount that drops one is refused.
        kept = os.statvfs(src).f_flag & (MS_NOEXEC | ST_NOATIME | ST_NODIRATIME | ST_RELATIME)
        _mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | kept)


# --------------------------------------------------------------------------- limits and user


def set_limits(limits: dict) -> None:
    """Apply resource limits (inherited across fork and exec)."""
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
    nproc = int(limits.get("processes", 0))
    if nproc:
        # Counted per real uid, threads included: the job's uid is the job's alone, so this is
        # the job's process budget, and a fork bomb cannot take another job's.
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def clean_env(workdir: str, extra: dict, home: str | None = None) -> dict:
    """The kernel's whole environment: a whitelist plus sandbox paths.

    ``home``: where HOME, TMPDIR and the configuration directories go; by default inside
    ``workdir``. A boxed kernel uses its private /tmp: the submission's files land in
    ``workdir``, and a submitted ``.ipython/profile_default/startup/`` must not run at start-up.
    """
    env = {k: os.environ[k] for k in ENV_WHITELIST if k in os.environ}
    env.setdefault("PATH", "/usr/bin:/bin")
    env.setdefault("LANG", "C.UTF-8")
    home = home or workdir
    tmp = os.path.join(home, ".tmp") if home == workdir else home
    env.update({
        "HOME": home, "TMPDIR": tmp, "MPLCONFIGDIR": os.path.join(home, ".config"),
        "IPYTHONDIR": os.path.join(home, ".ipython"), "MPLBACKEND": "Agg",
        # One thread each: parallelism comes from grading many submissions at once.
        "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1",
    })
    env.update(extra)
    return env


def enter_user_namespace(inner_uid: int = INNER_ID) -> None:
    """Move this process into a new user namespace where the grader's uid and gid are ``inner_uid``.

    No root needed (unprivileged user namespaces). Only that one id is mapped: the process holds every
    capability *inside* the namespace (so it can make the mount, PID, IPC and network namespaces of a
    box, which the namespace owns) and none outside, and it can become no other uid of the host.
    """
    uid, gid = os.geteuid(), os.getegid()
    _check(_libc.unshare(CLONE_NEWUSER), "unshare(CLONE_NEWUSER)")
    for name, text in (("setgroups", "deny"), ("uid_map", f"{inner_uid} {uid} 1"),
                       ("gid_map", f"{inner_uid} {gid} 1")):
        with open(f"/proc/self/{name}", "w") as f:
            f.write(text)


def no_user_namespaces_below() -> None:
    """This user namespace may have no child (``user.max_user_namespaces`` is per namespace).

    Inside a box built without root, as a second lock beside the ``chroot`` (the kernel refuses a new
    user namespace to a chrooted process): student code gets no capability back by nesting one.
    """
    with open("/proc/sys/user/max_user_namespaces", "w") as f:
        f.write("0")


def drop_capabilities() -> None:
    """No capability left, none to regain: bounding set, ambient, permitted, effective, inheritable.

    In a box without root the process that built it held every capability of its user namespace
    (enough to remount or unmount what the box was given, or escape its ``chroot``); a student's
    process is forked from it and must hold none. ``no_new_privs`` keeps it so across exec.
    """
    _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    _libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    cap = 0
    while _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0 or ctypes.get_errno() != 22:  # EINVAL: past the last
        cap += 1
        if cap > 63:
            break
    header = struct.pack("Ii", 0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    data = ctypes.create_string_buffer(b"\0" * 24)  # two (effective, permitted, inheritable) sets: all zero
    _check(_libc.syscall(126, ctypes.c_char_p(header), data), "capset")  # SYS_capset on x86_64
    with open("/proc/self/status") as f:
        held = [line for line in f if line.startswith(("CapEff", "CapPrm", "CapBnd"))]
    if any(int(line.split()[1], 16) for line in held):
        raise OSError(1, "capabilities still held: " + " ".join(held))


def drop_to(settings: dict) -> str:
    """Drop every privilege for the student's code, as the box's mode says; what it runs as."""
    if settings.get("mode") == "rootless":
        drop_capabilities()
        return f"uid {INNER_ID} of the box's own user namespace (the grader's uid outside), no capabilities"
    if settings.get("mode", "root") == "root" and settings.get("uid") is not None and os.geteuid() == 0:
        become(int(settings["uid"]))
        return f"job uid {settings['uid']}"
    return "the grader's own uid: UNBOXED"


def give_to(workdir: str, uid: int) -> None:
    """Make `uid` the owner of everything in `workdir` (root only)."""
    for root, dirs, files in os.walk(workdir):
        for name in [root] + [os.path.join(root, f) for f in dirs + files]:
            os.lchown(name, uid, uid)


def become(uid: int) -> None:
    """Drop every privilege for good: the job's uid and gid, no groups, no setuid programs."""
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)


def die_with_parent() -> None:
    """SIGKILL this process when its parent dies (reset by fork and by a change of uid)."""
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def reap_until(pid: int) -> int:
    """As a PID namespace's first process: reap every orphan until ``pid`` exits; its status."""
    while True:
        try:
            done, status = os.waitpid(-1, 0)
        except ChildProcessError:
            return 1
        except InterruptedError:
            continue
        if done == pid:
            return os.waitstatus_to_exitcode(status)


def enter_box(limits: dict, workdir: str, report: dict, extra_writable: tuple = ()) -> bool:
    """Put the calling process (root) in a box: namespaces, own root. Returns True in the process that
    must go on to run student code; the caller's original process stays outside as the supervisor
    (it returns False after the box ended, with ``report['exit']`` set).

    With a PID namespace: the caller forks the namespace's reaper (PID 1, root), which builds the
    root and forks the process that returns True here. Without: the caller itself is boxed.
    """
    if limits.get("mode") == "rootless":
        outside = os.geteuid()
        enter_user_namespace()
        report["user_namespace"] = f"own (uid {INNER_ID} inside = the grader's uid {outside}, nothing else mapped)"
    for procs in limits.get("cgroups", []):  # the job's cgroups (uids.make_cgroups): children inherit them
        try:
            with open(procs, "w") as f:
                f.write(str(os.getpid()))
        except OSError as exc:
            report.setdefault("cgroup_errors", []).append(str(exc))
    pid_ns = new_namespaces(pid=bool(limits.get("pid_namespace", True)))
    report["pid_namespace"] = pid_ns
    if pid_ns:
        reaper = os.fork()
        if reaper:
            # Supervisor: jupyter_client interrupts the process group (SIGINT reaches the kernel
            # directly) and kills it with SIGKILL; a plain SIGTERM means the same.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, lambda *_: os.kill(reaper, signal.SIGKILL))
            while True:
                try:
                    _, status = os.waitpid(reaper, 0)
                    break
                except InterruptedError:
                    continue
            report["exit"] = os.waitstatus_to_exitcode(status)
            return False
        die_with_parent()
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    root = limits.get("root")
    if root:
        build_root(root, limits.get("expose", []), [workdir, *extra_writable], limits.get("tmp_size", "256m"),
                   own_proc=pid_ns, disk_bytes=int(limits.get("disk_bytes", 0)))
        report["root"] = "own (" + ", ".join(sorted(set(limits.get("expose", [])))) + " + " + workdir + ")"
    if limits.get("mode") == "rootless":
        no_user_namespaces_below()
    os.chdir(workdir)
    if pid_ns:
        child = os.fork()
        if child:  # the reaper: when the student's first process ends, the namespace ends
            os._exit(max(0, reap_until(child)))
        die_with_parent()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
    return True


# --------------------------------------------------------------------------- the kernel


def box_mode(limits: dict) -> str:
    """The box a job's settings ask for (``MODES``); settings written before modes existed mean root's."""
    return limits.get("mode") or ("root" if os.geteuid() == 0 and limits.get("uid") is not None else "unboxed")


def start_clean(stdio: str | None) -> None:
    """Before the exec of student code: stdout and stderr to the job's own file, stdin empty, and no
    other descriptor open (a grader's log, a socket of the worker: nothing it inherited by accident)."""
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    out = os.open(stdio, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600) if stdio else os.open(os.devnull, os.O_WRONLY)
    os.dup2(out, 1)
    os.dup2(out, 2)
    os.closerange(3, os.sysconf("SC_OPEN_MAX") if os.sysconf("SC_OPEN_MAX") > 0 else 1 << 16)


def launch(mode: str, limits_file: str, argv: list[str]) -> None:
    """Set up the sandbox around the current process, then exec ``argv``.

    ``mode`` is ``kernel`` (the student's IPython kernel: boxed, then the job's uid in root's box, or
    uid ``INNER_ID`` with no capability in a box without root) or ``service`` (the hidden checks'
    service, see ``autograder/checks/service.py``: unboxed, outside every box, so the student's code
    can neither signal it nor write its verdict log; it boxes each student process itself, with
    :func:`enter_box`).
    """
    with open(limits_file) as f:
        limits = json.load(f)
    workdir = os.getcwd()
    how = box_mode(limits)
    report: dict = {"mode": how}
    if mode == "kernel":
        start_clean(limits.get("stdio"))
    # Opened now, before the box: the kernel cannot open files of the job's private area.
    report_file = open(limits.get("report", os.devnull) if mode == "kernel" else os.devnull, "w")
    os.makedirs(os.path.join(workdir, ".tmp"), exist_ok=True)
    extra_env = dict(limits.get("env", {}))
    if mode == "kernel":
        if "-f" in argv:
            # The connection file lies outside the box (root's 0600 in root's box): give the kernel its
            # own copy in its directory.
            i = argv.index("-f") + 1
            with open(argv[i]) as src:
                conn = os.path.join(workdir, ".tmp", "connection.json")
                with open(conn, "w") as dst:
                    dst.write(src.read())
            argv[i] = conn
    if mode == "kernel" and how in ("root", "rootless"):
        if how == "root":
            give_to(workdir, int(limits["uid"]))
        try:
            boxed = enter_box(limits, workdir, report)
        except OSError as exc:
            if how == "rootless":  # the grader checked that a box can be built here: never run without
                raise
            report["box_error"] = str(exc)  # root without namespaces: still a uid of its own and the limits
            boxed = True
        if not boxed:  # the supervisor, after the kernel ended
            sys.exit(report.get("exit", 1))
        report["user"] = drop_to(limits)
    elif mode == "kernel":
        report["user"] = drop_to(limits)
    # After the credential change, which clears it: die with the grader (or the reaper).
    die_with_parent()
    set_limits(limits)
    report["limits"] = {k: limits.get(k) for k in ("memory_bytes", "cpu_seconds", "file_bytes", "processes",
                                                    "disk_bytes")}
    with report_file:
        json.dump(report, report_file)
    env = clean_env(workdir, extra_env, "/tmp" if "root" in report else None)
    os.execve(argv[0], argv, env)


if __name__ == "__main__":
    # box.py kernel|service LIMITS_JSON -- ARGV...
    if len(sys.argv) < 5 or sys.argv[1] not in ("kernel", "service") or sys.argv[3] != "--":
        sys.exit("usage: box.py kernel|service LIMITS.json -- ARGV...")
    launch(sys.argv[1], sys.argv[2], sys.argv[4:])
