"""Hidden cases per student: drawn from the course's secret keyed with the student's id.

No two students see the same hidden inputs, a regrade draws the same ones, and the checks' power
does not depend on the draw: every declared wrong answer of every assignment (the mutant
tables of ``tests/assignments``) fails its hidden check for every student id tried, and the
solution passes for every one.
"""
from __future__ import annotations

import importlib
import re
import sys

import numpy as np
import pytest

from autograder.checks import isolation
from autograder.checks.client import pickle_student
from autograder.checks.isolation import CheckFailure, case_rng, student_secret
from tests.assignments import harness as H
from tools import authoring as A

COURSE_SECRET = "5e" * 16
STUDENTS = ["alice", "bob", "s042", "Ünal.Öz", "x" * 64]
ASSIGNMENTS = ["a1_activations_losses", "a2_backprop", "a3_autodiff", "a4_optimizers",
               "a5_universal_approximation", "a6_pytorch", "a7_keras"]
HIDDEN_CALL = re.compile(r"(check_(\w+))\((.*)\)\s*$")
#: Declared mistakes the hidden checks do not catch, with the reason: each is caught by the visible
#: tests (tests/test_assignments.py), and a new one fails this test until it is fixed or listed here.
HIDDEN_GAPS = {
    ("a3_autodiff", "dual_numbers: log derivative 1/a without a'"):
        "the hidden cases differentiate log only with a' = 1, where the mistake gives the right number",
    ("a5_universal_approximation", "bump: x shifted in place"):
        "x - a + a changes x only by rounding, which some draws do not produce at all",
}


def test_each_student_draws_other_cases_and_the_same_on_every_regrade(monkeypatch):
    check = importlib.import_module("autograder.checks.a2_backprop").check_dense_backward

    def first_input(student):
        monkeypatch.setattr(isolation, "SECRET", int(student_secret(COURSE_SECRET, student), 16))
        return check.cases(case_rng(check))[0].args[0]

    drawn = {s: first_input(s) for s in STUDENTS}
    for a in STUDENTS:
        assert np.array_equal(first_input(a), drawn[a]), "a regrade must draw the same cases"
        for b in STUDENTS:
            if a < b:
                assert not (drawn[a].shape == drawn[b].shape and np.array_equal(drawn[a], drawn[b])), (a, b)
    assert student_secret(COURSE_SECRET, "alice") != student_secret("6f" * 16, "alice"), "the course secret counts"


def test_a_students_secret_holds_for_any_spelling_of_the_id():
    """One id, however its bytes came (NFC or NFD from a Mac zip): one secret; a folder name that
    is not UTF-8 still gets one (no job fails on it)."""
    import unicodedata

    nfc, nfd = unicodedata.normalize("NFC", "Ünal.Öz"), unicodedata.normalize("NFD", "Ünal.Öz")
    assert nfc != nfd and student_secret(COURSE_SECRET, nfc) == student_secret(COURSE_SECRET, nfd)
    undecodable = b"s\xff42".decode("utf-8", errors="surrogateescape")
    assert len(student_secret(COURSE_SECRET, undecodable)) == 64
    assert student_secret(COURSE_SECRET, undecodable) != student_secret(COURSE_SECRET, "s42")


def _namespaces(assignment: str):
    """For the solution and every mutant: (label, {grade_id: answer source}, expected to pass)."""
    source = H.source_notebook(assignment)
    solution = H.solution_sources(source)
    yield "the solution", solution, True
    mutants, _ = H.mutants(assignment)
    for gid, changes in mutants.items():
        for what, change in changes:
            yield f"{gid}: {what}", dict(solution, **{gid: H.apply_change(solution[gid], change)}), False


def _run_notebook(source_nb, answers: dict[str, str]) -> dict:
    """Every code cell of the assignment but the tests, with the given answers, in one namespace."""
    ns: dict = {"__name__": "__main__"}
    for cell in source_nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or meta.get("grade") or "colab-setup" in cell.metadata.get("tags", []):
            continue
        src = answers.get(meta.get("grade_id"), cell.source) if meta.get("solution") else cell.source
        exec(compile(src, f"<{meta.get('grade_id', 'cell')}>", "exec"), ns)
    return ns


def _hidden_calls(source_nb) -> dict[str, tuple[str, str]]:
    """grade id of the answer -> (check name, the call's arguments) from the hidden test cells."""
    calls = {}
    for cell in source_nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        for line in H.region_lines(cell.source, A.BEGIN_HIDDEN, A.END_HIDDEN):
            m = HIDDEN_CALL.search(line.split(";")[-1].strip())
            if m:
                calls[gid.removeprefix("test_")] = (m.group(1), m.group(3))
    return calls


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_wrong_answer_fails_for_every_student(assignment, monkeypatch):
    source = H.source_notebook(assignment)
    checks = importlib.import_module(f"autograder.checks.{assignment}")
    calls = _hidden_calls(source)
    # The checks run in a forked child that keeps only fds 0-2 (on /dev/null) and its pipe; pytest's
    # capture writes to another fd, and Keras printing to it there fails with "Bad file descriptor".
    monkeypatch.setattr(sys, "stdout", sys.__stdout__)
    monkeypatch.setattr(sys, "stderr", sys.__stderr__)
    problems = []
    for label, answers, should_pass in _namespaces(assignment):
        if (assignment, label) in HIDDEN_GAPS:
            continue
        try:
            ns = _run_notebook(source, answers)
        except Exception:  # noqa: BLE001 - a mutant that breaks the notebook is caught before any check
            assert not should_pass, f"{assignment}: the solution does not run"
            continue
        targets = calls if should_pass else {label.split(":")[0]: calls[label.split(":")[0]]}
        for gid, (check_name, args) in targets.items():
            check = getattr(checks, check_name)
            payload = pickle_student(check.name, eval(f"({args},)", ns))  # noqa: S307 - the source's own call
            for student in STUDENTS:
                monkeypatch.setattr(isolation, "SECRET", int(student_secret(COURSE_SECRET, student), 16))
                try:
                    isolation._grade(check, payload)
                    failed = False
                except CheckFailure:
                    failed = True
                if failed == should_pass:
                    problems.append(f"{label} ({check_name}) {'failed' if failed else 'passed'} for {student}")
    assert not problems, f"{assignment}: the hidden checks depend on the draw:\n" + "\n".join(problems)
