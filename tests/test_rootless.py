"""Grading without root keeps the box's promises (issue 27), and stops with one line where no box can be built.

A throwaway uid (``tests/rootless_user.py``: no passwd entry, no root, no sudo) grades a course it owns:
the hostile corpus of the grading tests (``fixture.HOSTILE``), the attackers of the isolation tests
(``test_isolation_attacks.ATTACKERS``: another job's files and processes, a detached daemon, a fork
bomb, a rewritten notebook, the references, the published seed) beside their victim, and two more:
the grader's environment secrets and the descriptors a kernel inherits; and two of the hardening
tests' (a System V segment left for later jobs, course_lib's code shipped by value). Each must earn what the same
submission earns under root's box, every job's report must say the box was in force, and nothing of
the uid may run once grading returns.

Run as a script (``python -m tests.test_rootless GRADE HOME STUDENTS``) it is the user's side.
"""
from __future__ import annotations

import json
import os
import sys
import textwrap
from pathlib import Path

import pytest

from tests import fixture
from tests.rootless_user import REPO, ThrowawayUser, processes_of

SECRET = "rootless-test-secret-9f2c"  # in the grader's environment only
MARK = "KERNEL-STDIO-MARK-51c7"

# The grader's environment, from the kernel and from the processes the box shows it.
ENV_SECRETS = textwrap.dedent(f'''
    import os
    leaks = [k for k, v in os.environ.items() if "{SECRET}" in k + v]
    for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
        try:
            if b"{SECRET}" in open(f"/proc/{{pid}}/environ", "rb").read():
                leaks.append("environ of " + pid)
        except OSError:
            pass
    assert not leaks, leaks
''') + fixture.CORRECT_SQUARE

# Descriptors the kernel inherited from the grader (its log, say), and where its stdout goes.
INHERITED_FDS = textwrap.dedent(f'''
    import os
    os.write(1, b"{MARK}\\n")
    os.write(2, b"{MARK}\\n")
    bad = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{{fd}}")
        except OSError:
            continue
        if ".log" in target or ".autograder" in target:
            bad.append((fd, target))
    assert not bad, bad
''') + fixture.CORRECT_CUBE

# student -> (square cell, cube cell, expected score)
EXTRA = {
    "env_secrets": (ENV_SECRETS, fixture.CORRECT_CUBE, 4.0),
    "inherited_fds": (fixture.CORRECT_SQUARE, INHERITED_FDS, 4.0),
}
#: the hostile corpus graded without root: what each submission tries is in fixture.HOSTILE's comments
HOSTILE = ("correct", "wrong", "loop", "kill_kernel", "memory", "monkeypatch", "patch_check", "fake_verdict",
           "read_secrets", "stdout_flood", "network")


def _students() -> dict:
    from tests import test_isolation_attacks as attacks

    out = {k: fixture.HOSTILE[k][:3] for k in HOSTILE}
    out.update({k: v[:3] for k, v in attacks.ATTACKERS.items()})
    out["victim"] = (attacks.VICTIM_SQUARE, attacks.VICTIM_CUBE, 4.0)
    from tests import test_grader_hardening as hardening

    out["shm"] = (hardening.SHM_CREATE + fixture.CORRECT_SQUARE, fixture.CORRECT_CUBE, 4.0)
    out["byvalue"] = (hardening.BY_VALUE_CELL, fixture.CORRECT_CUBE, 2.0)  # the hidden check refuses course_lib's code
    out.update(EXTRA)
    return out


def main(home: str, students: str) -> None:
    """The user's side: make the course, submit, grade with ``python -m autograder grade``; the log is the report."""
    from autograder.course import Course  # noqa: F401 - fails early if the checkout is unreachable

    course = fixture.make_course(Path(home) / "course")
    table = _students()
    for name in students.split(","):
        square, cube, _ = table[name]
        fixture.submit(course, name, fixture.answered_notebook(course, square, cube))
    print(json.dumps({"course": str(course.root), "config": str(course.config_file),
                      "checks": str(course.checks_dir)}), flush=True)


def _grade_command(paths: dict, *extra: str) -> list[str]:
    return [sys.executable, "-m", "autograder", "--course", paths["course"], "--config", paths["config"],
            "--checks", paths["checks"], "grade", fixture.ASSIGNMENT, "--workers", "2", "--quiet",
            "--cell-timeout", "8", "--notebook-timeout", "90", "--memory-mb", "1024", *extra]


def _make(user: ThrowawayUser, students: list[str]) -> dict:
    done = user.run([sys.executable, "-m", "tests.test_rootless", str(user.home), ",".join(students)], timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _log(course: Path) -> list[dict]:
    lines = (course / ".autograder" / "logs" / f"grade-{fixture.ASSIGNMENT}.log").read_text().splitlines()
    return [json.loads(line) for line in lines]


needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="making a throwaway uid needs root (CI runs as root)")


@pytest.fixture(scope="module")
def rootless(tmp_path_factory):
    with ThrowawayUser() as user:
        students = list(_students())
        paths = _make(user, students)
        done = user.run(_grade_command(paths), timeout=900, ROOTLESS_TEST_SECRET=SECRET)
        left = processes_of(user.uid)
        course = Path(paths["course"])
        from autograder.course import Course

        scores = fixture.scores(Course(root=course, config_file=Path(paths["config"]),
                                       checks_dir=Path(paths["checks"])))
        yield {"uid": user.uid, "done": done, "left": left, "course": course, "log": _log(course), "scores": scores,
               "home": user.home, "students": students}


@needs_root
@pytest.mark.slow
def test_hostile_set_graded_without_root_earns_what_it_earns_under_root(rootless):
    done = rootless["done"]
    assert done.returncode == 0, done.stdout + done.stderr
    table = _students()
    got = {s: rootless["scores"].get(s) for s in rootless["students"]}
    assert got == {s: table[s][2] for s in rootless["students"]}, done.stdout


@needs_root
@pytest.mark.slow
def test_every_job_reports_the_box_in_force(rootless):
    final = {e["student"]: e for e in rootless["log"] if not e["status"].startswith("retrying")}
    assert set(final) == set(rootless["students"])
    for student, entry in final.items():
        assert entry["status"] == "ok", (student, entry.get("error"))
        box = entry["sandbox"]
        assert box["mode"] == "rootless", (student, box)
        assert box["user"].startswith("uid 1000 of the box's own user namespace") and "no capabilities" in box["user"]
        assert box["pid_namespace"] is True and box["root"].startswith("own (")
        assert entry["network"] == "none (own network namespace)"
    assert "UNBOXED" not in rootless["done"].stdout


@needs_root
@pytest.mark.slow
def test_attacks_reach_nothing_outside_their_job(rootless):
    import nbformat

    nb = nbformat.read(rootless["course"] / "autograded" / "spy" / fixture.ASSIGNMENT / "fx.ipynb", as_version=4)
    out = "\n".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    found = eval(out.split("FOUND:", 1)[1].strip().splitlines()[0])  # noqa: S307 - our own repr
    # it sees its own box only (a kill there hits its own processes: the PID namespace holds no other)
    assert not [f for f in found if f.startswith(("read ", "wrote ", "saw "))], found
    assert not [f for f in found if "victim" in f], found
    assert rootless["left"] == [], "processes of the grading user survived its run"
    # System V IPC of the job (the "shm" student's segment) died with the box's IPC namespace
    segments = [line.split() for line in open("/proc/sysvipc/shm").read().splitlines()[1:]]
    assert not [s for s in segments if int(s[7]) == rootless["uid"]], segments
    assert not list(rootless["home"].rglob("pwned.txt")) and not (REPO / "pwned.txt").exists()


@needs_root
@pytest.mark.slow
def test_state_goes_to_the_users_own_directory_and_the_kernel_starts_clean(rootless):
    state = rootless["home"] / "state" / "autograder"
    assert state.is_dir() and not list(state.glob("run-*"))  # scratch there, and removed after the run
    workers = (rootless["course"] / ".autograder" / "logs" / f"grade-{fixture.ASSIGNMENT}.workers.log")
    assert MARK not in (workers.read_text() if workers.exists() else "")


# ------------------------------------------------------------------ root's box: the kernel starts clean too


@needs_root
@pytest.mark.slow
def test_kernel_under_root_inherits_no_descriptor_and_writes_no_grader_log(tmp_path):
    from autograder.grading.job import Limits
    from autograder.grading.pool import grade

    course = fixture.make_course(tmp_path / "course")
    square, cube, expected = EXTRA["inherited_fds"]
    fixture.submit(course, "inherited_fds", fixture.answered_notebook(course, square, cube))
    (out,) = grade(course, fixture.ASSIGNMENT, limits=Limits(cell_timeout=8, notebook_timeout=60), workers=1,
                   progress=False)
    assert (out.status, out.score) == ("ok", expected), out.notes
    workers = course.root / ".autograder" / "logs" / f"grade-{fixture.ASSIGNMENT}.workers.log"
    assert MARK not in (workers.read_text() if workers.exists() else "")


# ------------------------------------------------------------------ no box here: one line, nothing graded

# As the throwaway uid: a user namespace of the test's own where no further one may be made
# (user.max_user_namespaces is per namespace), then `grade` in it.
NO_USERNS = ("import os, sys\n"
             "from autograder.sandbox import box\n"
             "box.enter_user_namespace(inner_uid=os.geteuid())\n"
             "open('/proc/sys/user/max_user_namespaces', 'w').write('0')\n"
             "os.execv(sys.executable, [sys.executable] + sys.argv[1:])\n")


@needs_root
@pytest.mark.slow
def test_without_user_namespaces_grade_stops_before_anyone_with_one_line_and_unboxed_says_so():
    with ThrowawayUser() as user:
        paths = _make(user, ["correct"])
        refused = user.run([sys.executable, "-c", NO_USERNS, *_grade_command(paths)[1:]], timeout=300)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        line = refused.stderr.strip()
        assert "\n" not in line, line
        assert "user.max_user_namespaces = 0" in line
        for way in ("sudo", "sysctl -w user.max_user_namespaces", "--scheduler", "--unboxed"):
            assert way in line, line
        assert not (Path(paths["course"]) / ".autograder" / "logs" / f"grade-{fixture.ASSIGNMENT}.log").exists()

        unboxed = user.run([sys.executable, "-c", NO_USERNS, *_grade_command(paths, "--unboxed")[1:]], timeout=300)
        assert unboxed.returncode == 0, unboxed.stdout + unboxed.stderr
        assert "UNBOXED" in unboxed.stdout.splitlines()[-1]
        (entry,) = _log(Path(paths["course"]))
        assert entry["status"] == "ok" and entry["sandbox"]["mode"] == "unboxed"
        assert entry["notes"][0].startswith("UNBOXED")


if __name__ == "__main__":
    main(*sys.argv[1:3])
