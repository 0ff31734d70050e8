"""Run a student's function where earlier student code cannot reach: the machinery of every hidden check.

A hidden test cell runs in the student's kernel, after all of the student's code. That code may
have patched NumPy (``np.allclose = lambda *a, **k: True``), replaced builtins, or returned
objects whose ``__eq__`` is always true. So a check never compares anything in the kernel:

1. **kernel** -- the hidden test cell calls ``check_<name>(...)``, which pickles the student's
   function(s) with cloudpickle (notebook functions by value; modules such as ``numpy`` by
   reference) and hands them over. Under ``python -m autograder grade`` the kernel's
   ``check_<name>`` is a stand-in (``client.py``) that knows the check's name only and asks the
   grader's check service (``service.py``); under plain ``nbgrader autograde`` it is the
   :class:`HiddenCheck` below, which starts a fresh interpreter (``python -I``).
2. **clean process** -- imports the check module, draws the cases from the check's seed mixed with
   a secret the kernel never sees (:func:`case_rng`), computes the reference results
   (``course_lib``, finite differences) *before* any student code is loaded, and encodes the inputs.
3. **student process** -- runs ``runner.run_task``: it blocks ``import course_lib``, loads the
   check's ``call`` and the inputs (pickled by value: no check module, no expected value), then the
   student's functions, runs every case on a deep copy of its inputs, and sends back the outputs and
   the inputs *after* the call as plain data (arrays as dtype, shape and bytes; anything else
   becomes an opaque type name). Under the grader it is a fork of the service's zygote, which never
   held a check, a reference or the secret, boxed and under the job's uid; under plain nbgrader a
   fork of the clean process.
4. **clean process** -- decodes that data with an unpickler that refuses every class, and only
   there compares: exact ``np.ndarray`` type, shape, dtype, values; unchanged inputs. It returns
   one verdict (the service also appends it to its log).
5. **kernel** -- raises :class:`HiddenTestFailure` with the verdict's message (its traceback shows
   the message only, never the hidden cell's source, so feedback reveals nothing).

Whatever the student's code does in step 3 (patch NumPy, loop, exit, crash) only changes its own
outputs. Under the grader a hidden test cell scores only if the service's log holds its checks
as passed (and none failed): patching anything in the kernel can make a cell look passed, not score.

Writing a check (every ``solutions/<assignment>/checks.py`` is a complete module)::

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

from autograder.checks.client import (  # noqa: E402,F401 - the kernel's side, shared (and re-exported)
    SERVICE_ENV, HiddenTestFailure, ask_service, encode_request, pickle_student, raise_for)
from autograder.checks.runner import BlockCourseLib as _BlockCourseLib  # noqa: E402,F401
from autograder.checks.runner import encode, run_task  # noqa: E402

#: set by the grader's check service: the secret hidden cases are drawn from (never in a kernel).
SECRET: int | None = None
#: set by the grader's check service: the socket of its zygote (see runner.py).
ZYGOTE = None


class CheckFailure(AssertionError):
    """A wrong answer, found in the clean process; its message goes to the student."""


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
        """In the kernel under plain nbgrader (the grader's kernels get :mod:`client` stand-ins)."""
        request = encode_request(self.cases.__module__, self.name, pickle_student(self.name, student_functions))
        if os.environ.get(SERVICE_ENV):
            verdict = ask_service(os.environ[SERVICE_ENV], request, self.timeout + 30)
        else:
            verdict = _ask_fresh_interpreter(request, self.timeout + 30)
        raise_for(self.name, verdict)


# --------------------------------------------------------------------------- transport
#
# A request is one JSON line naming the check, then the cloudpickled student functions as raw
# bytes. The clean process never unpickles anything: only the student process (step 3) loads the
# payload, so a crafted pickle can run code nowhere but where student code runs anyway.

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


def _task(check: HiddenCheck, cases: list[Case]) -> bytes:
    """What the student process gets: the check's ``call`` and the inputs, pickled by value.

    By value: the student process must not import the check module (nor ``course_lib``), so the
    functions and classes of the check module that ``call`` and the inputs use travel as code.
    Never the expected values, nor ``verify``.
    """
    import cloudpickle

    for name in {check.call.__module__, check.cases.__module__, __name__}:
        if name in sys.modules and name != "__main__":
            cloudpickle.register_pickle_by_value(sys.modules[name])
    try:
        return cloudpickle.dumps((check.call, [c.args for c in cases], check.check_inputs))
    finally:
        for name in {check.call.__module__, check.cases.__module__, __name__}:
            if name in sys.modules and name != "__main__":
                cloudpickle.unregister_pickle_by_value(sys.modules[name])


def _read_until(fd: int, deadline: float) -> tuple[bytes, bool]:
    """Everything from ``fd`` until EOF; (data, timed out)."""
    buf = io.BytesIO()
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return buf.getvalue(), True
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return buf.getvalue(), False
            buf.write(chunk)


def _via_zygote(request: bytes, timeout: float, preload: list) -> tuple[bytes, bool]:
    """Under the grader: a student process forked by the zygote (boxed, the job's uid).

    The zygote's monitor kills the student process at ``timeout`` (from its start, after any
    framework was loaded into the zygote); here we wait that long plus the loading.
    """
    import socket

    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    allowance = 120.0 if preload else 5.0
    try:
        socket.send_fds(ZYGOTE, [json.dumps({"timeout": timeout, "preload": preload}).encode()],
                        [theirs.fileno()])
        theirs.close()
        ours.settimeout(timeout + allowance)
        ours.sendall(request)
        ours.shutdown(socket.SHUT_WR)
        start = time.monotonic()
        data, timed_out = _read_until(ours.fileno(), start + timeout + allowance)
        # killed by the monitor at its time limit: a timeout, not a crash
        return data, timed_out or (not data and time.monotonic() - start >= timeout)
    except OSError:
        return b"", False  # the zygote is gone: reported like a crash
    finally:
        ours.close()


def _via_fork(request: bytes, timeout: float) -> tuple[bytes, bool]:
    """Without the grader (plain nbgrader): a fork of this clean process, stripped first."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        try:
            os.close(read_fd)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            os.closerange(3, write_fd)
            os.closerange(write_fd + 1, 1 << 16)
            payload, task = pickle.loads(request)
            data = run_task(payload, task)
            with os.fdopen(write_fd, "wb") as f:
                f.write(data)
        finally:
            os._exit(0)
    os.close(write_fd)
    data, timed_out = _read_until(read_fd, time.monotonic() + timeout)
    os.close(read_fd)
    if timed_out:
        os.kill(pid, 9)
    os.waitpid(pid, 0)
    return data, timed_out


def _run_student(check: HiddenCheck, payload: bytes, cases: list[Case]):
    request = pickle.dumps((payload, _task(check, cases)))
    if ZYGOTE is not None:
        names = set(getattr(getattr(check.call, "__code__", None), "co_names", ()))
        data, timed_out = _via_zygote(request, check.timeout, sorted(names & {"torch", "keras", "tensorflow"}))
    else:
        data, timed_out = _via_fork(request, check.timeout)
    if timed_out:
        raise CheckFailure(f"did not finish within {check.timeout:g} s (an endless loop, or far too slow)")
    try:
        return _PlainUnpickler(io.BytesIO(data)).load()
    except Exception:  # noqa: BLE001 - nothing or garbage came back
        raise CheckFailure("your code stopped the grader's process (did it call exit() or crash?)") from None


def student_secret(course_secret: str, student: str) -> str:
    """The secret one student's hidden cases are drawn from: the course's secret (hex) keyed with the
    student's id (HMAC-SHA256). No two students draw the same hidden inputs, so one who prints them
    in their feedback shares nothing the class can use, and a regrade draws the same cases again."""
    import hashlib
    import hmac
    import unicodedata

    # NFC: the same id however it was spelled in bytes (a zip made on a Mac decomposes accents);
    # surrogateescape: a folder name that is not UTF-8 still has its own secret.
    key = unicodedata.normalize("NFC", student).encode("utf-8", errors="surrogateescape")
    return hmac.new(bytes.fromhex(course_secret), key, hashlib.sha256).hexdigest()


def case_rng(check: HiddenCheck) -> np.random.Generator:
    """The generator of a check's cases: its seed mixed with a secret the kernel never sees.

    Under the grader the secret is the student's (:func:`student_secret`: the same cases on every
    re-run, so grading stays deterministic, and other cases for every student); under plain
    nbgrader a fresh random one per check.
    """
    import secrets

    secret = SECRET if SECRET is not None else secrets.randbits(64)
    return np.random.default_rng([check.seed, secret])


def _grade(check: HiddenCheck, payload: bytes) -> None:
    cases = check.cases(case_rng(check))
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
