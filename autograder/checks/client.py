"""The kernel's side of a hidden check: hand the student's functions to the grader, raise on its verdict.

This is the only piece of ``autograder.checks`` a grading kernel can import. Under
``python -m autograder grade`` the kernel's ``autograder.checks.<assignment>`` is a generated
stand-in (see ``autograder/checks/packages.py``) whose ``check_<name>`` objects are :class:`RemoteCheck`:
they know a check's name and nothing else (no cases, no reference, no expected answer, no seed).
The check runs in the job's check service (``service.py``), outside the kernel's reach.

Nothing here is trusted: the student's code may replace any of it. That only changes what the
kernel *shows*; the grade of a hidden test cell comes from the service's own log.
"""
from __future__ import annotations

import json
import os

#: set by the grader (autograder/grading/place.py): the abstract socket of this submission's check service.
SERVICE_ENV = "AUTOGRADER_CHECK_SERVICE"


class HiddenTestFailure(AssertionError):
    """Raised in the student's kernel when a hidden check fails.

    IPython shows ``_render_traceback_()`` instead of the traceback, so the output (and the
    feedback made from it) holds the message only, never the hidden cell's source.
    """

    def _render_traceback_(self):
        return [f"HiddenTestFailure: {self}"]


def encode_request(module: str, name: str, payload: bytes) -> bytes:
    """One JSON line naming the check, then the cloudpickled student functions as raw bytes."""
    return json.dumps({"module": module, "name": name}).encode() + b"\n" + payload


def pickle_student(name: str, student_functions: tuple) -> bytes:
    try:
        import cloudpickle

        return cloudpickle.dumps(student_functions)
    except Exception as exc:  # noqa: BLE001 - anything unpicklable is the student's to fix
        raise HiddenTestFailure(
            f"{name}: the grader could not copy your function(s) to a fresh process "
            f"({type(exc).__name__}: {exc}); keep them free of open files, generators and the like."
        ) from None


def ask_service(address: str, request: bytes, timeout: float) -> dict | None:
    """Send a check to the grader's check service (autograder/checks/service.py); its verdict."""
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


def raise_for(name: str, verdict: dict | None) -> None:
    """Turn a verdict into the student's message (nothing when it passed)."""
    if verdict is None:
        raise HiddenTestFailure(f"{name}: the hidden test timed out")
    if "error" in verdict:
        raise HiddenTestFailure(f"{name}: the hidden test could not run (grader error):\n{verdict['error']}")
    if not verdict.get("ok"):
        raise HiddenTestFailure(f"hidden test of {name}: {verdict['message']} "
                                "(hidden cases are drawn for each student: yours are your own)")


class RemoteCheck:
    """``check_<name>`` in a grading kernel: runs the check of that name in the grader's service."""

    def __init__(self, module: str, name: str, timeout: float):
        self.module, self.name, self.timeout = module, name, timeout

    def __call__(self, *student_functions):
        request = encode_request(self.module, self.name, pickle_student(self.name, student_functions))
        address = os.environ.get(SERVICE_ENV)
        if not address:
            raise_for(self.name, {"error": "no check service (grade with `python -m autograder grade`)"})
        raise_for(self.name, ask_service(address, request, self.timeout + 30))

    def __repr__(self):
        return f"<hidden check {self.name}>"


def remote_check(module: str, name: str, timeout: float = 10.0) -> RemoteCheck:
    return RemoteCheck(module, name, timeout)
