"""The check service: one warm, clean process per graded submission that runs its hidden checks.

Without it every hidden check starts a fresh interpreter, and importing NumPy, cloudpickle and
the check module costs about 0.3 s of CPU, five times per notebook: more than the notebook's
own cells. The grader (``autograder/grading/check_service.py``) starts this service *before* the notebook runs;
each check is then a fork of an already warm process.

Trust: the service never runs student code, and runs as root outside the student's box. It
reads a request (a JSON header naming the check, then the student's pickled functions, which it
does not unpickle), imports the named check module into itself (our code only: the name must
start with ``autograder.checks.``) and forks a clean process that runs :func:`isolation.run_check`:
it draws the cases from the course's secret, computes the references, and has the student's
functions run by a process of the **zygote** (``runner.py``), which the service forked at start,
before it imported any check or ``course_lib`` or read the secret: so the student's code runs
where none of them exists, boxed and under the job's uid. The clean process appends the verdict
to a log the job's uid cannot reach; the grader scores hidden test cells from that log only.

Usage (by the grader, through ``sandbox/box.py service``)::

    python -I -c "...; from autograder.checks.service import main; main()" PKGS ADDRESS LOG BOX_JSON
"""
from __future__ import annotations

import json
import os
import signal
import socket
import sys

MAX_REQUEST = 256 << 20  # bytes: far above any honest set of pickled functions
#: checks in flight at once per service (a notebook runs one at a time): a kernel that opens hundreds of
#: connections gets them served in turn, never hundreds of root processes outside its limits
MAX_WORKERS = 3


def _read_request(conn: socket.socket) -> bytes:
    chunks, size = [], 0
    while chunk := conn.recv(1 << 16):
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_REQUEST:
            raise ValueError("request too large")
    return b"".join(chunks)


def _handle(conn: socket.socket, module: str, name: str, payload: bytes, log_fd: int) -> None:
    """In the forked clean process: run one check, log and send its verdict."""
    from autograder.checks import isolation

    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the service ignores it; we wait for our child
    verdict = isolation.run_check(module, name, payload)
    os.write(log_fd, (json.dumps({"check": name, **verdict}) + "\n").encode())
    conn.sendall(json.dumps(verdict).encode())


def serve(address: str, log_path: str, box_file: str | None = None) -> None:
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind("\0" + address)  # abstract: no file to protect; private to the job's network namespace
    listener.listen(16)  # clients queue here while the imports below run

    import importlib

    import cloudpickle  # noqa: F401 - warm for every student process
    import numpy  # noqa: F401

    from autograder.checks import runner

    box = {}
    if box_file:
        with open(box_file) as f:
            box = json.load(f)
    # Before any check module, course_lib or the secret is in this process: the zygote's memory
    # (and so every student process's) holds none of them.
    zygote = runner.start_zygote(box)

    from autograder.checks import isolation

    isolation.ZYGOTE = zygote
    if box.get("secret_file"):
        with open(box["secret_file"]) as f:
            isolation.SECRET = int(f.read().strip(), 16)
    log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    workers: set = set()  # the clean processes in flight: at most MAX_WORKERS, whatever the kernel sends
    while True:
        _reap(workers, block=False)
        conn, _ = listener.accept()
        try:
            conn.settimeout(60)
            module, name, payload = isolation.decode_request(_read_request(conn))
            importlib.import_module(module)  # into the service: warm for every later fork
        except Exception as exc:  # noqa: BLE001 - a bad request fails alone
            try:
                conn.sendall(json.dumps({"error": f"bad request ({type(exc).__name__}: {exc})"}).encode())
            except OSError:
                pass
            conn.close()
            continue
        while len(workers) >= MAX_WORKERS:  # further requests wait here (and in the listen queue)
            _reap(workers, block=True)
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                listener.close()
                conn.settimeout(None)
                _handle(conn, module, name, payload, log_fd)
                code = 0
            finally:
                os._exit(code)
        workers.add(pid)
        conn.close()


def _reap(workers: set, block: bool) -> None:
    """Forget the clean processes that ended; with ``block``, wait until at least one has."""
    while workers:
        try:
            pid, _ = os.waitpid(-1, 0 if block else os.WNOHANG)
        except ChildProcessError:
            workers.clear()
            return
        except InterruptedError:
            continue
        if pid == 0:
            return
        if pid in workers:
            workers.discard(pid)
            if block:
                return


def main() -> None:
    # argv: PKGS (already on sys.path, put there by the boot line) ADDRESS LOG [BOX_JSON]
    serve(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else None)


if __name__ == "__main__":
    main()
