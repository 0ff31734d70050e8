"""The student's side of a hidden check: run the student's functions on the cases, and nothing else.

The process that runs this must hold no reference implementation, no check module and no
expected answer, or the student's code could find them (``gc.get_objects()``, the loaded
modules, its own memory) and return them. So the clean process (``isolation.py``) sends a
*task*: the check's ``call`` function and the cases' inputs, pickled by value (never the
module they come from, never an expected value), and the student's pickled functions. This
module runs the task and returns plain data.

Under the grader, the student process is a fork of the **zygote** (:func:`start_zygote`): a
process the check service forks at start, before it imports any check, ``course_lib`` or the
secret the cases are drawn from. The zygote lives in a box (``autograder/sandbox/box.py``: own PID
and mount namespaces, a root with the Python installation only) and each student process drops
to the job's uid with the job's limits. Without the grader (plain ``nbgrader``) the student
process is a plain fork of the clean process (see ``isolation.py``).
"""
from __future__ import annotations

import copy
import json
import os
import pickle
import re
import signal
import socket
import sys

import numpy as np

_NUMERIC_KINDS = "biufc"


def encode(x, depth: int = 0):
    """``x`` as plain builtins only (safe to unpickle anywhere), keeping exact types."""
    t = type(x)
    if depth > 20:
        return ("object", "deeply nested structure")
    if t is np.ndarray:
        if x.dtype.kind not in _NUMERIC_KINDS:
            return ("object", f"ndarray of dtype {x.dtype}")
        return ("ndarray", x.dtype.str, tuple(int(n) for n in x.shape), np.ascontiguousarray(x).tobytes())
    if t in (bool, int, float):
        return ("num", t.__name__, x)
    if isinstance(x, np.generic) and t.__module__ == "numpy" and x.dtype.kind in _NUMERIC_KINDS:
        return ("num", t.__name__, x.item())
    if t in (tuple, list):
        return (t.__name__, [encode(item, depth + 1) for item in x])
    if x is None:
        return ("none",)
    return ("object", getattr(t, "__name__", "object"))


class BlockCourseLib:
    """A meta-path finder that refuses ``course_lib``: the graded code must not call the reference."""

    def find_spec(self, name, path=None, target=None):
        if name == "course_lib" or name.startswith("course_lib."):
            raise ImportError(f"graded functions must be your own code: importing {name} is not allowed here")
        return None


#: directories whose code a graded function must not carry (course_lib, the grader's tree); set from the
#: box (``reference_dirs``) in the zygote's student process, or found in the clean process (plain nbgrader)
REFERENCE_DIRS: list = []
_COURSE_NAME = re.compile(r"^course_lib(\.[\w.]+)?$")


def _reference_dirs() -> list:
    dirs = [os.path.realpath(d) for d in REFERENCE_DIRS]
    mod = sys.modules.get("course_lib")
    if mod is not None:
        dirs += [os.path.realpath(p) for p in getattr(mod, "__path__", [])]
    here = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))  # the autograder package
    # a course's check modules live beside their assignment (<checks folder>/<assignment>/checks.py)
    dirs += [os.path.dirname(os.path.realpath(m.__file__)) for n, m in list(sys.modules.items())
             if n.startswith("autograder.checks.") and isinstance(getattr(m, "__file__", None), str)]
    return sorted(set(dirs + [here]))


def _in_dirs(filename, dirs) -> bool:
    if not isinstance(filename, str):
        return False
    path = os.path.normpath(filename)
    return any(path == d or path.startswith(d.rstrip("/") + "/") for d in dirs)


def _course_string(value, dirs) -> bool:
    return isinstance(value, str) and (bool(_COURSE_NAME.match(value)) or _in_dirs(value, dirs))


def scan_payload(payload: bytes, dirs) -> str | None:
    """Before unpickling (no student code has run yet): a course_lib module name or file in the payload."""
    import pickletools

    try:
        for _, arg, _ in pickletools.genops(payload):
            if _course_string(arg, dirs):
                return arg
    except Exception:  # noqa: BLE001 - unpickling will report a malformed payload
        return None
    return None


def uses_reference_code(obj, dirs, limit: int = 200_000) -> str | None:
    """What of course_lib's (or the grader's) code the unpickled ``obj`` reaches, or None.

    Follows functions (code, nested code, defaults, closures, the globals their code names), methods,
    partials, classes and modules that cloudpickle rebuilt by value, and containers. Modules and
    classes imported by reference (numpy...) are not entered.
    """
    import functools
    import types

    seen, todo = set(), [obj]
    while todo:
        x = todo.pop()
        if id(x) in seen or len(seen) > limit:
            continue
        seen.add(id(x))
        if isinstance(x, types.CodeType):
            if _in_dirs(x.co_filename, dirs):
                return f"code from {x.co_filename}"
            todo += [c for c in x.co_consts if isinstance(c, types.CodeType)]
        elif isinstance(x, types.FunctionType):
            if _course_string(getattr(x, "__module__", None), dirs):
                return f"{x.__module__}.{x.__qualname__}"
            code = x.__code__
            todo += [code, x.__defaults__ or (), x.__kwdefaults__ or {}]
            todo += [c.cell_contents for c in (x.__closure__ or ()) if _cell_full(c)]
            names, stack = set(), [code]
            while stack:
                c = stack.pop()
                names.update(c.co_names)
                stack += [k for k in c.co_consts if isinstance(k, types.CodeType)]
            g = x.__globals__
            todo += [g[n] for n in names if n in g]
        elif isinstance(x, types.ModuleType):
            name = getattr(x, "__name__", "")
            if _course_string(name, dirs) or _in_dirs(getattr(x, "__file__", None), dirs):
                return f"module {name}"
            if sys.modules.get(name) is not x:  # rebuilt by value: its contents travelled too
                todo += list(vars(x).values())
        elif isinstance(x, type):
            if _course_string(getattr(x, "__module__", None), dirs):
                return f"class {x.__module__}.{x.__qualname__}"
            mod = sys.modules.get(getattr(x, "__module__", None) or "")
            if mod is None or x.__module__ == "__main__" or getattr(mod, x.__qualname__, None) is not x:
                todo += list(vars(x).values()) + list(x.__bases__)
        elif isinstance(x, (types.MethodType, staticmethod, classmethod)):
            todo += [x.__func__] + ([x.__self__] if isinstance(x, types.MethodType) else [])
        elif isinstance(x, property):
            todo += [x.fget, x.fset, x.fdel]
        elif isinstance(x, functools.partial):
            todo += [x.func, x.args, x.keywords or {}]
        elif isinstance(x, (tuple, list, set, frozenset)):
            todo += list(x)
        elif isinstance(x, dict):
            todo += list(x.keys()) + list(x.values())
        else:
            t = type(x)
            if t.__module__ not in ("builtins", "numpy"):
                todo.append(t)
                todo.append(getattr(x, "__dict__", {}))
    return None


def _cell_full(cell) -> bool:
    try:
        cell.cell_contents
        return True
    except ValueError:
        return False


def _refusal(what: str) -> bytes:
    return pickle.dumps(("load_error", (
        "your function uses course_lib's implementation (" + str(what)[:200] + "); graded functions must "
        "be your own code")))


def run_task(payload: bytes, task: bytes) -> bytes:
    """Load the task, then the student's functions; run every case. Returns pickled plain data."""
    try:
        dirs = _reference_dirs()  # before course_lib leaves sys.modules
        found = scan_payload(payload, dirs)
        if found is not None:
            return _refusal(found)
        for mod in [m for m in sys.modules if m == "course_lib" or m.startswith("course_lib.")]:
            del sys.modules[mod]
        sys.meta_path.insert(0, BlockCourseLib())
        import cloudpickle  # noqa: F401 - both pickles' loader

        # The task first: unpickling the student's payload runs student code.
        call, arglist, check_inputs = pickle.loads(task)
        del task
        try:
            student = pickle.loads(payload)
        except BaseException as exc:  # noqa: BLE001
            return pickle.dumps(("load_error", f"{type(exc).__name__}: {exc}"[:800]))
        found = uses_reference_code(student, dirs)
        if found is not None:
            return _refusal(found)
        out = []
        for args in arglist:
            args = copy.deepcopy(args)
            try:
                result = call(student, args)
                out.append(("ok", encode(result), encode(args) if check_inputs else None))
            except BaseException as exc:  # noqa: BLE001 - SystemExit and KeyboardInterrupt too
                out.append(("raised", f"{type(exc).__name__}: {exc}"[:800]))
        return pickle.dumps(out)
    except BaseException as exc:  # noqa: BLE001
        return pickle.dumps(("load_error", f"{type(exc).__name__}: {exc}"[:800]))


# --------------------------------------------------------------------------- the zygote (under the grader)


def _recv_all(conn: socket.socket) -> bytes:
    chunks = []
    while chunk := conn.recv(1 << 16):
        chunks.append(chunk)
    return b"".join(chunks)


def start_zygote(box: dict) -> socket.socket | None:
    """Fork the zygote (call before importing any check); returns the socket to ask it for work.

    ``box``: the sandbox settings (``autograder/sandbox/box.py``): ``uid``, ``workdir``, ``root``,
    ``expose``, the limits, ``mode`` (root's box or one without root). Returns None when the job is
    unboxed (``grade --unboxed``): the caller then forks student processes itself.
    """
    mode = box.get("mode") or ("root" if os.geteuid() == 0 and "uid" in box else "unboxed")
    if mode not in ("root", "rootless"):
        return None
    from autograder.sandbox import box as sandbox

    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    if os.fork() == 0:  # pragma: no cover - the zygote
        code = 1
        try:
            ours.close()
            os.setsid()  # its own process group: the service's clean-up kills it separately
            sandbox.die_with_parent()
            report: dict = {}
            try:
                boxed = sandbox.enter_box(box, box["workdir"], report)
            except OSError:
                if mode == "rootless":  # a box was found possible before grading: never run without one
                    raise
                boxed = True  # root without namespaces on this machine: still the job's uid and limits
            if boxed:
                _preload(box.get("preload", []))  # while the notebook starts: the first check is warm too
                _serve(theirs, box)
            code = 0
        finally:
            os._exit(code)
    theirs.close()
    return ours


def _serve(ctrl: socket.socket, box: dict) -> None:
    """The zygote's loop: each datagram carries a stream socket (SCM_RIGHTS) and the time limit."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # monitors reap themselves
    while True:
        msg, fds, _, _ = socket.recv_fds(ctrl, 1024, 1)
        if not msg:
            return
        if not fds:
            continue
        header = json.loads(msg)
        _preload(header.get("preload", []))
        if os.fork() == 0:
            try:
                ctrl.close()
                _monitor(fds[0], float(header["timeout"]), box)
            finally:
                os._exit(0)
        os.close(fds[0])


#: frameworks a check's ``call`` may import, loaded once into the zygote (they hold nothing of the
#: course) so that each student process starts warm: a torch import can take longer than a check.
PRELOADABLE = ("torch", "keras", "tensorflow")


def _preload(names: list) -> None:
    for name in names:
        if name in PRELOADABLE and name not in sys.modules:
            try:
                __import__(name)
            except Exception:  # noqa: BLE001 - the student process will report it
                pass


def _monitor(fd: int, timeout: float, box: dict) -> None:
    """Root: fork the student process and kill it when its time is up."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    pid = os.fork()
    if pid == 0:
        _student(fd, box)
    os.close(fd)
    signal.signal(signal.SIGALRM, lambda *_: os.kill(pid, signal.SIGKILL))
    signal.setitimer(signal.ITIMER_REAL, timeout + 1.0)
    while True:
        try:
            os.waitpid(pid, 0)
            return
        except InterruptedError:
            continue
        except ChildProcessError:
            return


def _student(fd: int, box: dict) -> None:  # pragma: no cover - runs in the child
    """The student process: nothing open but its socket, the job's uid and limits, then the task."""
    from autograder.sandbox import box as sandbox

    code = 1
    try:
        devnull = os.open(os.devnull, os.O_RDWR)
        for std in (0, 1, 2):
            os.dup2(devnull, std)
        os.closerange(3, fd)
        os.closerange(fd + 1, 1 << 16)
        conn = socket.socket(fileno=fd)
        request = _recv_all(conn)
        REFERENCE_DIRS[:] = box.get("reference_dirs", [])
        sandbox.set_limits(box.get("student_limits", {}))
        sandbox.drop_to(box)  # the job's uid (root's box), or no capability left (a box without root)
        sandbox.die_with_parent()
        workdir = box["workdir"]
        os.environ.clear()
        os.environ.update(sandbox.clean_env(workdir, {}, "/tmp"))  # the box's private /tmp
        os.chdir(workdir)
        payload, task = pickle.loads(request)  # from the clean process: plain bytes
        conn.sendall(run_task(payload, task))
        conn.close()
        code = 0
    finally:
        os._exit(code)
