"""The hidden checks' service (autograder/checks/service.py), spoken to directly.

The end-to-end grading tests run it inside the sandbox; these pin down its protocol: a check
sent to the service gives the same verdict as a fresh interpreter, every verdict lands in the
log, and a request that does not name a check is refused without running anything.
"""
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time

import pytest

from tests import fixture

CLIENT = r"""
import sys
sys.path.insert(0, sys.argv[1])
import numpy as np
from autograder.checks.fx import check_square
for name, fn in [("right", lambda x: x * x), ("wrong", lambda x: x + x)]:
    try:
        check_square(fn)
        print(name, "passed")
    except AssertionError as exc:
        print(name, "failed:", exc)
"""


@pytest.fixture
def service(tmp_path):
    """A running service over a checks package holding the fixture's check; yields (address, log, pkgs)."""
    pkgs = tmp_path / "pkgs"
    checks = pkgs / "autograder" / "checks"
    checks.mkdir(parents=True)
    (pkgs / "autograder" / "__init__.py").write_text("")
    (checks / "__init__.py").write_text("")
    for name in fixture.MACHINERY:
        shutil.copy(fixture.MACHINERY_DIR / name, checks / name)
    (checks / "fx.py").write_text(fixture.CHECK_SOURCE)
    address, log = f"test-checks-{secrets.token_hex(6)}", tmp_path / "checks.log"
    boot = "import sys; sys.path.insert(0, sys.argv[1]); from autograder.checks.service import main; main()"
    proc = subprocess.Popen([sys.executable, "-I", "-c", boot, str(pkgs), address, str(log)])
    deadline = time.monotonic() + 30
    while not log.exists() and time.monotonic() < deadline:  # the log is opened once it listens
        time.sleep(0.05)
    yield address, log, pkgs
    proc.kill()
    proc.wait()


def _client(pkgs, env_extra):
    env = {k: v for k, v in os.environ.items() if k != "AUTOGRADER_CHECK_SERVICE"} | env_extra
    out = subprocess.run([sys.executable, "-c", CLIENT, str(pkgs)], capture_output=True, text=True, env=env,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.splitlines()


def test_service_and_fresh_interpreter_give_the_same_verdicts_and_the_service_logs_them(service):
    address, log, pkgs = service
    via_service = _client(pkgs, {"AUTOGRADER_CHECK_SERVICE": address})
    via_interpreter = _client(pkgs, {})
    # the same verdicts (the numbers differ: each draws its cases from a secret of its own)
    assert [line.split(": relative error")[0] for line in via_service] == \
        [line.split(": relative error")[0] for line in via_interpreter]
    assert via_service[0] == "right passed"
    assert via_service[1].startswith("wrong failed: hidden test of square: square(x): relative error")
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert entries == [{"check": "square", "ok": True},
                       {"check": "square", "ok": False, "message": entries[1]["message"]}]


@pytest.mark.parametrize("header", [b'{"module": "os", "name": "system"}', b"not json at all"])
def test_a_request_that_names_no_check_is_refused(service, header):
    address, log, _ = service
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(30)
        conn.connect("\0" + address)
        conn.sendall(header + b"\n" + b"payload")
        conn.shutdown(socket.SHUT_WR)
        reply = json.loads(b"".join(iter(lambda: conn.recv(1 << 16), b"")))
    assert reply["error"].startswith("bad request")
    assert log.read_text() == ""  # nothing ran, nothing logged


def test_an_unreachable_service_is_a_clear_grader_error(service):
    _, _, pkgs = service
    lines = _client(pkgs, {"AUTOGRADER_CHECK_SERVICE": "no-such-service"})
    assert lines[0] == "right failed: square: the hidden test could not run (grader error):"
    assert lines[1].startswith("the check service is unreachable")
