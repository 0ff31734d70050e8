"""Benchmark: serial plain `nbgrader autograde` versus `python -m autograder grade`, in one run.

    python benchmarks/grading.py                       # 40 submissions of a2_backprop
    python benchmarks/grading.py --fixture -n 8        # the tool's own tiny assignment (smoke run)

Both graders get identical copies of one course with N generated submissions
(mostly correct answers; every fifth is the unanswered student version).
Printed: wall times and their ratio (goal <= 0.55 on 2 cores), the
per-submission overhead of the tool beyond the notebook's own execution
(goal <= 2 s), and whether every grade cell's score is identical.

The tool runs the hidden checks in a warm per-submission check service
(autograder/checks/service.py); plain nbgrader, on the same notebooks, starts
a fresh interpreter per check. That difference is part of what is measured.

The tool runs with its isolation on (autograder/SECURITY.md: a uid per job, PID
and mount namespaces, an own root, limits); the line "isolation" says what was
in force in how many jobs (as root; without root there is none to measure).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import nbformat  # noqa: E402

from tests import fixture  # noqa: E402
from autograder.course import Course  # noqa: E402
from autograder.grading.pool import grade  # noqa: E402
from autograder.grading.job import Limits  # noqa: E402


def build_course(base: Path, assignment: str, use_fixture: bool) -> tuple[Course, str]:
    """A generated course, and the PYTHONPATH plain nbgrader's kernels need for the checks."""
    if use_fixture:
        course = fixture.make_course(base / "course")
        return course, str(fixture.checks_package(course, base / "pkgs"))
    root = base / "course"
    course = Course(root=root)  # the course's own config: sources read in place from solutions/
    course.generate(assignment)
    return course, str(REPO)


def make_submissions(course: Course, assignment: str, n: int) -> None:
    """Student i answers with the solution; every fifth hands in the unanswered version."""
    source = nbformat.read(course.source_dir(assignment) / f"{assignment}.ipynb", as_version=4)
    blank = nbformat.read(course.dir("release", assignment=assignment) / f"{assignment}.ipynb", as_version=4)
    for i in range(n):
        nb = blank if i % 5 == 4 else source
        fixture.submit(course, f"student{i:03d}", nb, name=f"{assignment}.ipynb", assignment=assignment)


def isolation(course: Course, assignment: str) -> str:
    """What the jobs' sandbox reports say was in force (from the grading log)."""
    log = course.root / ".autograder" / "logs" / f"grade-{assignment}.log"
    reports = [json.loads(line).get("sandbox") or {} for line in log.read_text().splitlines()]
    n = len(reports)
    own_uid = sum(str(r.get("user", "")).startswith("job uid") for r in reports)
    pid_ns = sum(bool(r.get("pid_namespace")) for r in reports)
    root = sum(str(r.get("root", "")).startswith("own") for r in reports)
    uids = len({r.get("user") for r in reports if str(r.get("user", "")).startswith("job uid")})
    return (f"own uid {own_uid}/{n} ({uids} distinct), PID namespace {pid_ns}/{n}, own root {root}/{n}, "
            f"process limit {reports[0].get('limits', {}).get('processes') if reports else None}")


def phases(course: Course, assignment: str) -> str:
    """Mean wall seconds of each phase of a job (from the grading log), execution apart."""
    log = course.root / ".autograder" / "logs" / f"grade-{assignment}.log"
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    entries = [e for e in entries if e.get("phases")]
    if not entries:
        return "-"
    names = list(entries[0]["phases"])
    mean = {n: sum(e["phases"].get(n, 0) for e in entries) / len(entries) for n in names}
    mean["of which notebook execution"] = sum(e.get("execute_seconds") or 0 for e in entries) / len(entries)
    return ", ".join(f"{n} {v:.2f}" for n, v in mean.items())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--assignment", default="a2_backprop")
    ap.add_argument("-n", type=int, default=40, help="number of submissions")
    ap.add_argument("--workers", type=int, default=os.cpu_count())
    ap.add_argument("--fixture", action="store_true", help="use the tool's own small test assignment")
    args = ap.parse_args()
    assignment = fixture.ASSIGNMENT if args.fixture else args.assignment

    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        base = Path(tmp)
        course, pythonpath = build_course(base, assignment, args.fixture)
        make_submissions(course, assignment, args.n)
        plain_root = base / "plain"
        shutil.copytree(course.root, plain_root)
        plain = Course(root=plain_root, config_file=course.config_file, checks_dir=course.checks_dir)

        serial = fixture.plain_nbgrader(plain, assignment, pythonpath)
        start = time.perf_counter()
        outcomes = grade(course, assignment, limits=Limits(), workers=args.workers, progress=False)
        parallel = time.perf_counter() - start

        ours, theirs = fixture.grades(course, assignment), fixture.grades(plain, assignment)
        per_nb = serial / args.n
        # The tool's own work per submission: a job's wall time beyond its notebook's execution
        # (job directory, sandbox, check service, nbgrader's conversion, merging the grades).
        overhead = sum(o.wall - o.execute_seconds for o in outcomes) / len(outcomes)
        executing = sum(o.execute_seconds for o in outcomes) / len(outcomes)
        print(f"assignment            {assignment}, {args.n} submissions, {args.workers} workers")
        print(f"plain nbgrader        {serial:8.1f} s  ({per_nb:.2f} s per notebook)")
        print(f"autograder (parallel) {parallel:8.1f} s")
        print(f"wall-time ratio       {parallel / serial:8.3f}   (goal <= 0.55)")
        print(f"overhead / submission {overhead:8.2f} s  beyond the notebook's own execution "
              f"({executing:.2f} s) in each job (goal <= 2 s)")
        print(f"scores identical      {ours == theirs and len(ours) > 0}   ({len(ours)} grade cells)")
        print(f"isolation             {isolation(course, assignment)}")
        print(f"job phases (mean s)   {phases(course, assignment)}")
        bad = [o for o in outcomes if o.status != "ok"]
        if bad:
            print("grading failures:", [(o.student, o.status, o.notes) for o in bad])


if __name__ == "__main__":
    main()
