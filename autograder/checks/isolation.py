"""Run a student's function where earlier student code cannot reach: the machinery of every hidden check.

A hidden test cell runs in the student's kernel, after all of the student's code. That code may
have patched NumPy (``np.allclose = lambda *a, **k: True``), replaced builtins, or returned
objects whose ``__eq__`` is always true. So a check never compares anything in the kernel:

1. **kernel** -- :meth:`HiddenCheck.__call__` pickles the student's function(s) with cloudpickle
   (notebook functions by value; modules such as ``numpy`` by reference, so they are imported
   afresh on the other side) and hands them to a clean process: a fork of the grader's check
   service (``service.py``, started before any student code ran) or, without a grader (plain
   ``nbgrader autograde``), a fresh interpreter (``python -I``).
2. **clean process** -- imports the check module, builds the test cases and the reference
   results (``course_lib``, finite differences) *before* any student code is loaded, and encodes
   the inputs.
3. **student process** -- ``os.fork()`` of the clean process: it blocks ``import course_lib``
   (the graded functions must not just call the reference), unpickles the student's function,
   runs every case on a deep copy of its inputs, and sends back the outputs and the inputs
   *after* the call, encoded as plain data (arrays as dtype, shape and bytes; anything that is not
   a plain array, number, tuple or list becomes an opaque type name), then exits.
4. **clean process** -- decodes that data with an unpickler that refuses every class, and only
   there compares: exact ``np.ndarray`` type, shape, dtype, values; unchanged inputs. It prints one
   JSON verdict.
5. **kernel** -- raises :class:`HiddenTestFailure` with the verdict's message (its traceback shows
   the message only, never the hidden cell's source, so feedback reveals nothing).

Whatever the student's code does in step 3 (patch NumPy, loop, exit, crash) only changes its own
outputs. A check costs the student's run time plus a fork of the service (milliseconds) or an
interpreter start (~0.3 s). Under the service the verdict is also written to a log the kernel
cannot touch, and the grader scores a hidden test cell only if its checks passed there: patching
this module, ``subprocess`` or ``socket`` in the kernel can make a cell look passed, not score.

Writing a check (see ``a2_backprop.py`` for a complete module)::

    def _cases(rng):                       # clean process, before the student's code exists
        return [Case(args=(x, W, b), expected=reference(x, W, b), what="a 7x3 batch")]

    def _verify(case, got):                # clean process; raise CheckFailure with a clear message
        expect_array("out", got, case.expected)

    check_dense_forward = hidden_check("dense_forward", _cases, _verify)

The module-level name must be ``check_<name>``: the clean process finds the check by it.
"""

from __future__ import annotations

import copy
import io
import json
import os
import pickle
import select
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

#: the directory that holds the ``autograder`` package: put on the clean process's sys.path.
PACKAGE_ROOT = Path(__file__).resolve().parents[2]

# --------------------------------------------------------------------------- errors


class CheckFailure(AssertionError):
    """A wrong answer, found in the clean process; its message goes to the student."""


class HiddenTestFailure(AssertionError):
    """Raised in the student's kernel when a hidden check fails.

    IPython shows ``_render_traceback_()`` instead of the traceback, so the output (and the
    feedback made from it) holds the message only, never the hidden cell's source.
    """

    def _render_traceback_(self):
        return [f"HiddenTestFailure: {self}"]


# --------------------------------------------------------------------------- cases


@dataclass
class Case:
    """One call of the student's function.

    ``args`` are the inputs (deep-copied for the call; the student's function must leave them
    unchanged); ``expected`` is the reference result; ``what`` says in words which case this is
    (it appears in failure messages); ``extra`` is free for the check's own use.
    """

    args: tuple
    expected: Any = None
    what: str = ""
    extra: dict = field(default_factory=dict)


def default_call(student, args):
    """Call the student's (single) function on the case's arguments."""
    return student[0](*args)


@dataclass
class HiddenCheck:
    """A hidden check of one graded function; call it with the student's function(s)."""

    name: str
    cases: Callable[[np.random.Generator], list[Case]]
    verify: Callable[[Case, Any], None]
    call: Callable[[tuple, tuple], Any] = default_call
    seed: int = 0
    timeout: float = 10.0
    check_inputs: bool = True

    def __call__(self, *student_functions):
        module = self.cases.__module__
        try:
            import cloudpickle

            payload = cloudpickle.dumps(student_functions)
        except Exception as exc:  # noqa: BLE001 - anything unpicklable is the student's to fix
            raise HiddenTestFailure(
                f"{self.name}: the grader could not copy your function(s) to a fresh process "
                f"({type(exc).__name__}: {exc}); keep them free of open files, generators and the like."
            ) from None
        request = encode_request(module, self.name, payload)
        if os.environ.get(SERVICE_ENV):
            verdict = _ask_service(os.environ[SERVICE_ENV], request, self.timeout + 30)
        else:
            verdict = _ask_fresh_interpreter(request, self.timeout + 30)
        if verdict is None:
            raise HiddenTestFailure(f"{self.name}: the hidden test timed out")
        if "error" in verdict:
            raise HiddenTestFailure(f"{self.name}: the hidden test could not run (grader error):\n{verdict['error']}")
        if not verdict.get("ok"):
            raise HiddenTestFailure(f"hidden test of {self.name}: {verdict['message']}")


# --------------------------------------------------------------------------- transport
#
# A request is one JSON line naming the check, then the cloudpickled student functions as raw
# bytes. The clean process never unpickles anything: only the student process (step 3) loads the
# payload, so a crafted pickle can run code nowhere but where student code runs anyway.

#: set by the grader (autograder/job.py): the abstract socket of this submission's check service.
SERVICE_ENV = "AUTOGRADER_CHECK_SERVICE"


def encode_request(module: str, name: str, payload: bytes) -> bytes:
    return json.dumps({"module": module, "name": name}).encode() + b"\n" + payload


def decode_request(data: bytes) -> tuple[str, str, bytes]:
    header, _, payload = data.partition(b"\n")
    request = json.loads(header)
    module, name = str(request["module"]), str(request["name"])
    if not module.startswith("autograder.checks.") or not name.isidentifier():
        raise ValueError(f"not a check: {module}.check_{name}")
    return module, name, payload


def _ask_fresh_interpreter(request: bytes, timeout: float) -> dict | None:
    """Run the check in a new ``python -I``: the way without a grader (~0.3 s per check)."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "HOME", "TMPDIR")}
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONHASHSEED="0")
    boot = (
        "import sys; sys.path.insert(0, sys.argv[1]); "
        "from autograder.checks.isolation import child_main; child_main()"
    )
    try:
        proc = subprocess.run([sys.executable, "-I", "-c", boot, str(PACKAGE_ROOT)],
                              input=request, capture_output=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return None
    lines = proc.stdout.decode("utf-8", "replace").strip().splitlines()
    try:
        return json.loads(lines[-1])
    except (IndexError, ValueError):
        return {"error": proc.stderr.decode("utf-8", "replace")[-2000:]}


def _ask_service(address: str, request: bytes, timeout: float) -> dict | None:
    """Send the check to the grader's warm check service (autograder/checks/service.py)."""
    import socket

    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(timeout)
        try:
            conn.connect("\0" + address)
            conn.sendall(request)
            conn.shutdown(socket.SHUT_WR)
            reply = b"".join(iter(lambda: conn.recv(1 << 16), b""))
        except socket.timeout:
            return None
        except OSError as exc:
            return {"error": f"the check service is unreachable ({exc})"}
    try:
        return json.loads(reply)
    except ValueError:
        return {"error": "the check service gave no verdict"}


def hidden_check(name: str, cases, verify, **options) -> HiddenCheck:
    """A :class:`HiddenCheck`; bind it to the module-level name ``check_<name>``."""
    return HiddenCheck(name, cases, verify, **options)


# --------------------------------------------------------------------------- encoding


class Opaque:
    """Stands for a student's output that is not a plain array, number, tuple or list."""

    def __init__(self, type_name: str):
        self.type_name = type_name

    def __repr__(self):
        return f"<{self.type_name} object>"


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


def decode(e):
    kind = e[0]
    if kind == "ndarray":
        _, dtype, shape, data = e
        return np.frombuffer(data, dtype=np.dtype(dtype)).reshape(shape).copy()
    if kind == "num":
        return e[2]
    if kind == "tuple":
        return tuple(decode(item) for item in e[1])
    if kind == "list":
        return [decode(item) for item in e[1]]
    if kind == "none":
        return None
    return Opaque(e[1])


class _PlainUnpickler(pickle.Unpickler):
    def find_class(self, module, name):  # plain data never needs a class
        raise pickle.UnpicklingError(f"refusing {module}.{name}")


# --------------------------------------------------------------------------- comparisons (clean process)


def describe(x) -> str:
    if isinstance(x, Opaque):
        return repr(x)
    if type(x) is np.ndarray:
        return f"an array of shape {x.shape} and dtype {x.dtype}"
    return f"a {type(x).__name__}"


def expect_sequence(name: str, got, n: int):
    """``got`` must be a tuple or list of length ``n``; returns it."""
    if type(got) not in (tuple, list) or len(got) != n:
        raise CheckFailure(f"{name}: expected a tuple of {n} items; got {describe(got)}"
                           + (f" of length {len(got)}" if type(got) in (tuple, list) else ""))
    return got


def expect_array(name: str, got, expected: np.ndarray, rtol: float = 1e-6, atol: float = 1e-12,
                 dtype=None) -> None:
    """``got`` must be an ``np.ndarray`` of ``expected``'s shape (and ``dtype`` if given) close to it.

    Closeness is the norm-based relative error of ``course_lib.gradcheck.rel_error`` (below ``rtol``)
    or every entry within ``atol``; the message names the worst entry.
    """
    expected = np.asarray(expected)
    if type(got) is not np.ndarray:
        raise CheckFailure(f"{name}: expected a NumPy array of shape {expected.shape}; got {describe(got)}")
    if got.shape != expected.shape:
        raise CheckFailure(f"{name}: expected shape {expected.shape}; got shape {got.shape}")
    if dtype is not None and got.dtype != np.dtype(dtype):
        raise CheckFailure(f"{name}: expected dtype {np.dtype(dtype)}; got dtype {got.dtype}")
    if got.dtype.kind not in "biuf":
        raise CheckFailure(f"{name}: expected real numbers; got dtype {got.dtype}")
    g = got.astype(np.float64)
    e = expected.astype(np.float64)
    if not np.all(np.isfinite(g)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(g))[0])
        raise CheckFailure(f"{name}: entry {bad} is {g[bad]} (overflow or division by zero?); expected {e[bad]:.6g}")
    diff = np.abs(g - e)
    if diff.size == 0 or np.all(diff <= atol):
        return
    denom = max(float(np.linalg.norm(g) + np.linalg.norm(e)), 1e-300)
    err = float(np.linalg.norm(g - e)) / denom
    if err < rtol:
        return
    worst = tuple(int(i) for i in np.unravel_index(int(np.argmax(diff)), diff.shape))
    raise CheckFailure(
        f"{name}: relative error {err:.3g} (tolerance {rtol:g}); worst entry {worst}: "
        f"got {g[worst]:.6g}, expected {e[worst]:.6g}"
    )


def expect_scalar(name: str, got, expected: float, rtol: float = 1e-6, atol: float = 1e-12) -> None:
    """``got`` must be a real number (Python or NumPy scalar, or a 0-d array) close to ``expected``."""
    if type(got) is np.ndarray and got.shape == ():
        got = got.item()
    if type(got) not in (int, float) or isinstance(got, bool):
        raise CheckFailure(f"{name}: expected a number; got {describe(got)}")
    if not np.isfinite(got):
        raise CheckFailure(f"{name}: got {got} (overflow or log of 0?); expected {expected:.6g}")
    if abs(got - expected) > max(atol, rtol * abs(expected)):
        raise CheckFailure(f"{name}: got {got:.8g}, expected {expected:.8g} "
                           f"(relative error {abs(got - expected) / max(abs(expected), 1e-300):.3g})")


# --------------------------------------------------------------------------- the two processes


class _BlockCourseLib:
    """A meta-path finder that refuses ``course_lib``: the graded code must not call the reference."""

    def find_spec(self, name, path=None, target=None):
        if name == "course_lib" or name.startswith("course_lib."):
            raise ImportError(f"graded functions must be your own code: importing {name} is not allowed here")
        return None


def _student_process(check: HiddenCheck, payload: bytes, cases: list[Case], fd: int) -> None:
    """In the forked child: load the student's code, run every case, write the encoded results."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    # Only the result pipe stays open: not the service's socket, nor its verdict log.
    os.closerange(3, fd)
    os.closerange(fd + 1, 1 << 16)
    # The references stay behind: student code that walks the stack or the garbage collector
    # for this process's objects finds the inputs only.
    for case in cases:
        case.expected, case.extra = None, {}
    try:
        _become_student()  # inside the try: if it fails, no student code runs (as root)
        for mod in [m for m in sys.modules if m == "course_lib" or m.startswith("course_lib.")]:
            del sys.modules[mod]
        sys.meta_path.insert(0, _BlockCourseLib())
        import cloudpickle  # noqa: F401 - the payload's loader

        try:
            student = pickle.loads(payload)
        except BaseException as exc:  # noqa: BLE001
            out = ("load_error", f"{type(exc).__name__}: {exc}"[:800])
        else:
            out = []
            for case in cases:
                args = copy.deepcopy(case.args)
                try:
                    result = check.call(student, args)
                    out.append(("ok", encode(result), encode(args) if check.check_inputs else None))
                except BaseException as exc:  # noqa: BLE001 - SystemExit and KeyboardInterrupt too
                    out.append(("raised", f"{type(exc).__name__}: {exc}"[:800]))
        data = pickle.dumps(out)
    except BaseException as exc:  # noqa: BLE001
        data = pickle.dumps(("load_error", f"{type(exc).__name__}: {exc}"[:800]))
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os._exit(0)


def _become_student() -> None:
    """Under the grader's check service (root): run the student's code as the kernel's user.

    The service and its clean processes keep root, so the student's code can neither signal
    them nor write the verdict log; its user has no rights beyond the kernel's.
    """
    uid, gid = os.environ.get("AUTOGRADER_STUDENT_UID"), os.environ.get("AUTOGRADER_STUDENT_GID")
    if uid is None or os.geteuid() != 0:
        return
    os.setgroups([])
    os.setgid(int(gid))
    os.setuid(int(uid))


def _run_student(check: HiddenCheck, payload: bytes, cases: list[Case]):
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        os.close(read_fd)
        _student_process(check, payload, cases, write_fd)
    os.close(write_fd)
    buf, deadline = io.BytesIO(), time.monotonic() + check.timeout
    timed_out = False
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            break
        ready, _, _ = select.select([read_fd], [], [], left)
        if ready:
            chunk = os.read(read_fd, 1 << 16)
            if not chunk:
                break
            buf.write(chunk)
    os.close(read_fd)
    if timed_out:
        os.kill(pid, 9)
    os.waitpid(pid, 0)
    if timed_out:
        raise CheckFailure(f"did not finish within {check.timeout:g} s (an endless loop, or far too slow)")
    try:
        return _PlainUnpickler(io.BytesIO(buf.getvalue())).load()
    except Exception:  # noqa: BLE001 - nothing or garbage came back
        raise CheckFailure("your code stopped the grader's process (did it call exit() or crash?)") from None


def _grade(check: HiddenCheck, payload: bytes) -> None:
    cases = check.cases(np.random.default_rng(check.seed))
    inputs_before = [encode(copy.deepcopy(c.args)) for c in cases]
    results = _run_student(check, payload, cases)
    if type(results) is tuple and results and results[0] == "load_error":
        raise CheckFailure(f"your code could not be loaded in a fresh process: {results[1]}")
    if type(results) is not list or len(results) != len(cases):
        raise CheckFailure("your code stopped the grader's process before all cases ran")
    for case, before, result in zip(cases, inputs_before, results):
        where = f" (case: {case.what})" if case.what else ""
        if result[0] == "raised":
            raise CheckFailure(f"raised {result[1]}{where}")
        if check.check_inputs and result[2] != before:
            changed = _changed_args(before, result[2])
            raise CheckFailure(f"modified its input argument(s) {changed} in place{where}; "
                               f"return new arrays instead")
        try:
            check.verify(case, decode(result[1]))
        except CheckFailure as exc:
            raise CheckFailure(f"{exc}{where}") from None


def _changed_args(before, after) -> str:
    try:
        return ", ".join(str(i + 1) for i, (b, a) in enumerate(zip(before[1], after[1])) if a != b) or "?"
    except Exception:  # noqa: BLE001
        return "?"


def run_check(module: str, name: str, payload: bytes) -> dict:
    """The whole check ``module.check_<name>`` on the student's payload, in a clean process."""
    import importlib

    try:
        check = getattr(importlib.import_module(module), "check_" + name)
        _grade(check, payload)
        return {"ok": True}
    except CheckFailure as exc:
        return {"ok": False, "message": str(exc)}
    except Exception as exc:  # noqa: BLE001 - a grader error, reported as such
        return {"error": f"{type(exc).__name__}: {exc}"}


def run_request(data: bytes) -> dict:
    """:func:`run_check` for one encoded request: the verdict as a dict."""
    try:
        return run_check(*decode_request(data))
    except (ValueError, KeyError) as exc:
        return {"error": f"bad request ({type(exc).__name__}: {exc})"}


def child_main() -> None:
    """Entry point of the fresh clean process: a request on stdin, one JSON verdict on stdout."""
    verdict = run_request(sys.stdin.buffer.read())
    sys.stdout.write("\n" + json.dumps(verdict) + "\n")
    sys.stdout.flush()
