"""Benchmark: what the box costs per notebook, with root, without root, and with no box at all, in one run.

    sudo .venv/bin/python benchmarks/rootless.py            # 8 submissions of the fixture assignment
    sudo .venv/bin/python benchmarks/rootless.py -n 16

Three graders get identical copies of one course (the tool's own fixture assignment, every submission
correct) and grade it one notebook at a time, so that the per-notebook figures compare:

* plain ``nbgrader autograde`` (no box, a fresh interpreter per hidden check);
* ``python -m autograder grade --workers 1`` as root (a uid of the job's own, namespaces, own root);
* the same command as a throwaway uid without root (user namespaces: ``sandbox/rootless.py``),
  on a copy of the course that uid owns (``tests/rootless_user.py``).

Printed: wall seconds per notebook for each, the tool's own time per job from its logs (the box's
set-up, the check service, stopping), and whether every job reported its box in force. Needs root:
it makes the throwaway uid. Repeat it: the host is noisy (TOOLCHAIN.md).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests import fixture  # noqa: E402
from tests.rootless_user import ThrowawayUser  # noqa: E402


def grade_command(base: Path) -> list[str]:
    return [sys.executable, "-m", "autograder", "--course", str(base / "course"), "--config",
            str(base / "nbgrader_config.py"), "--checks", str(base / "checks"), "grade", fixture.ASSIGNMENT,
            "--workers", "1", "--quiet", "--force"]


def job_figures(base: Path) -> dict:
    log = base / "course" / ".autograder" / "logs" / f"grade-{fixture.ASSIGNMENT}.log"
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    entries = [e for e in entries if e.get("status") == "ok"]
    own = [sum(v for k, v in (e.get("phases") or {}).items() if k != "nbgrader autograde") for e in entries]
    modes = sorted({(e.get("sandbox") or {}).get("mode", "?") for e in entries})
    return {"jobs": len(entries), "own_s": statistics.mean(own) if own else float("nan"), "modes": modes,
            "execute_s": statistics.mean([e.get("execute_seconds") or 0 for e in entries]) if entries else 0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=8, help="submissions")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("benchmarks/rootless.py: run it as root (it makes a throwaway uid to grade without root)")
    work = Path(tempfile.mkdtemp(prefix="bench-rootless-"))
    try:
        base = work / "template"
        course = fixture.make_course(base / "course")
        for i in range(args.n):
            fixture.submit(course, f"s{i:03d}", fixture.student_notebook(course, "correct"))
        rows = []

        plain = work / "plain"
        shutil.copytree(base, plain)
        pcourse = fixture.Course(root=plain / "course", config_file=plain / "nbgrader_config.py",
                                 checks_dir=plain / "checks")
        seconds = fixture.plain_nbgrader(pcourse, fixture.ASSIGNMENT,
                                         str(fixture.checks_package(pcourse, plain / "pkgs")))
        rows.append(("plain nbgrader autograde (no box)", seconds, None))

        root = work / "root"
        shutil.copytree(base, root)
        start = time.perf_counter()
        done = subprocess.run(grade_command(root), capture_output=True, text=True, cwd=REPO)
        assert done.returncode == 0, done.stderr[-2000:]
        rows.append(("autograder grade as root (root's box)", time.perf_counter() - start, job_figures(root)))

        with ThrowawayUser() as user:
            mine = user.home / "course-copy"
            shutil.copytree(base, mine)
            for top, dirs, files in os.walk(mine):
                for name in [top] + [os.path.join(top, n) for n in dirs + files]:
                    os.lchown(name, user.uid, user.uid)
            start = time.perf_counter()
            done = user.run(grade_command(mine), timeout=3600)
            assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
            rows.append(("autograder grade without root (user namespaces)", time.perf_counter() - start,
                         job_figures(mine)))

        plain_per = rows[0][1] / args.n
        print(f"{args.n} notebooks of the fixture assignment, one at a time, on {os.cpu_count()} cores")
        print(f"{'grader':50} {'s/notebook':>11} {'vs plain':>9} {'tool s/job':>11} {'cells s/job':>12}  box")
        for name, wall, fig in rows:
            per = wall / args.n
            extra = (f"{fig['own_s']:11.2f} {fig['execute_s']:12.2f}  {','.join(fig['modes'])} in {fig['jobs']} jobs"
                     if fig else f"{'':11} {'':12}  none")
            print(f"{name:50} {per:11.2f} {per - plain_per:+9.2f} {extra}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
