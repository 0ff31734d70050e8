"""The graded assignments: student versions, structure, and real nbgrader autograde/feedback round trips.

For every assignment in solutions/:

* the committed student version ``chapters/assignments/<a>.ipynb`` is what ``release()`` makes now;
* it holds no solution line and no hidden-test line of the source;
* the source follows the pattern of solutions/README.md (set-up cell, answer/test cell pairs,
  hidden tests that only call ``autograder.checks``, mutants declared for every graded function);
* ``nbgrader autograde`` gives the solution full marks, the untouched student version 0, each
  declared wrong implementation 0 on its own function and full marks elsewhere, each declared
  alternative correct implementation full marks; and ``nbgrader generate_feedback`` shows no
  hidden-test text.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from autograder import authoring as A  # noqa: E402
from autograder.release import STUDENT_DIR, all_assignments, release  # noqa: E402
from tests.assignments import harness as H  # noqa: E402

ASSIGNMENTS = all_assignments()


def test_assignments_exist():
    assert {"a1_activations_losses", "a2_backprop", "a3_autodiff", "a4_optimizers"} <= set(ASSIGNMENTS), ASSIGNMENTS


# --------------------------------------------------------------------------- student versions


def _normalised(path: Path) -> dict:
    return json.loads(Path(path).read_text())


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_student_version_is_up_to_date(assignment, tmp_path):
    committed = STUDENT_DIR / f"{assignment}.ipynb"
    assert committed.exists(), f"{committed} is missing: run `python -m autograder.release`"
    (fresh,) = release([assignment], dest=tmp_path)
    assert _normalised(fresh) == _normalised(committed), (
        f"{committed.relative_to(REPO)} is stale: regenerate it with `python -m autograder.release {assignment}`")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_student_version_reveals_no_solution_and_no_hidden_test(assignment):
    source = H.source_notebook(assignment)
    student = nbformat.read(str(STUDENT_DIR / f"{assignment}.ipynb"), as_version=4)
    student_lines = {line.strip() for cell in student.cells for line in cell.source.splitlines()}
    student_text = "\n".join(cell.source for cell in student.cells)

    secret = H.secret_solution_lines(source)
    assert len(secret) >= len(A.solution_cells(source)), "expected solution text to look for"
    leaked = [line for line in secret if line in student_lines]
    assert not leaked, f"solution lines in the student version: {leaked}"

    hidden = H.hidden_lines(source)
    assert len(hidden) >= len(A.graded_cells(source)), "every graded cell should have hidden tests"
    leaked = [line for line in hidden if line in student_text]
    assert not leaked, f"hidden-test lines in the student version: {leaked}"
    assert "autograder" not in student_text and "BEGIN SOLUTION" not in student_text
    assert all(not cell.get("outputs") for cell in student.cells if cell.cell_type == "code")


# --------------------------------------------------------------------------- the pattern of solutions/README.md


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_follows_the_pattern(assignment):
    nb = H.source_notebook(assignment)
    first = nb.cells[0]
    assert first.source == A.colab_setup().source, "the first cell must be the Colab set-up cell of tools/colab.py"
    assert not A.nbgrader_meta(first).get("grade") and not A.nbgrader_meta(first).get("solution")
    intro = next(c for c in nb.cells if c.cell_type == "markdown").source
    assert intro.startswith("# ") and "](../0" in intro, "the first text cell is the title, with a link to the chapter"

    answers, graded = A.solution_cells(nb), A.graded_cells(nb)
    assert answers and set(graded) == {f"test_{gid}" for gid in answers}, (
        "every answer cell f needs exactly one graded test cell test_f, and vice versa")
    for cell in nb.cells:
        meta = A.nbgrader_meta(cell)
        if meta.get("grade"):
            assert meta["locked"] and meta["points"] > 0
            hidden = H.region_lines(cell.source, A.BEGIN_HIDDEN, A.END_HIDDEN)
            gid = meta["grade_id"][len("test_"):]
            assert hidden == [A.hidden_call(assignment, gid, hidden[0].rsplit("(", 1)[1][:-1])], (
                f"{meta['grade_id']}: the hidden part must be the one line calling check_{gid}")
            assert "course_lib.numpy" not in cell.source and "course_lib.autodiff" not in cell.source

    mutant_decl, correct = H.mutants(assignment)
    for gid in answers:
        assert len(mutant_decl.get(gid, [])) >= 3, f"{gid}: declare at least 3 wrong implementations"
        assert len(correct.get(gid, [])) >= 2, f"{gid}: declare at least 2 alternative correct implementations"


def test_check_modules_exist_for_every_graded_function():
    import importlib

    for assignment in ASSIGNMENTS:
        module = importlib.import_module(f"autograder.checks.{assignment}")
        for gid in A.solution_cells(H.source_notebook(assignment)):
            assert callable(getattr(module, f"check_{gid}")), f"{assignment}: no check_{gid}"


# --------------------------------------------------------------------------- visible tests that teach


def _visible_table(assignment):
    import importlib

    return getattr(importlib.import_module(f"tests.assignments.mutants_{assignment}"), "VISIBLE", {})


def test_every_listed_mistake_is_caught_visibly():
    """The mistakes students make most (issue 16) each have a VISIBLE entry, so the test below covers them."""
    listed = {  # assignment: grade id: the mistakes that must fail visibly
        "a1_activations_losses": {"softmax": ["one shift for the whole batch"],
                                  "cross_entropy": ["gradient not divided by N"]},
        "a4_optimizers": {"momentum_update": ["parameters updated in place"],
                          "adam_update": ["eps added to sqrt(v), the paper's 'efficient' form"]},
        "a6_pytorch": {"train_epoch": ["optimizer.zero_grad() forgotten: gradients accumulate"]},
        "a7_keras": {"train_step": ["PyTorch's argument order loss_fn(predictions, targets) (symmetric for MSE only)"]},
    }
    for assignment, gids in listed.items():
        table = _visible_table(assignment)
        mutant_decl, _ = H.mutants(assignment)
        for gid, whats in gids.items():
            for what in whats:
                assert what in table.get(gid, {}), f"{assignment}: {gid}: no VISIBLE entry for {what!r}"
        for gid, entries in table.items():  # every VISIBLE entry is a declared mutant, graded by the round trip too
            declared = {w for w, _ in mutant_decl[gid]}
            assert set(entries) <= declared, f"{assignment}: {gid}: VISIBLE names undeclared mutants {set(entries) - declared}"


def _setup_source(assignment):
    return next(c for c in H.source_notebook(assignment).cells if A.nbgrader_meta(c).get("grade_id") == "setup").source


# a3 (autodiff) and a5 (universal approximation) compare no arrays in their visible tests.
WITH_HELPERS = [a for a in ASSIGNMENTS if "def assert_close(" in _setup_source(a)]


def test_the_array_assignments_use_the_shared_helpers():
    assert {"a1_activations_losses", "a2_backprop", "a4_optimizers", "a6_pytorch", "a7_keras"} <= set(WITH_HELPERS)


@pytest.mark.parametrize("assignment", WITH_HELPERS)
def test_set_up_cell_holds_the_shared_visible_helpers(assignment):
    """assert_close and friends are written once (tests/assignments/visible.py) and pasted verbatim."""
    from tests.assignments.visible import SETUP_HELPERS, framework_of

    setup = _setup_source(assignment)
    assert SETUP_HELPERS[framework_of(setup)] in setup, (
        f"{assignment}: the set-up cell's helpers differ from tests/assignments/visible.py: paste them again")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_visible_tests_name_the_mistake(assignment, tmp_path):
    """The visible tests alone (as in a student's kernel): the solution and every correct version pass
    them; each mistake of VISIBLE fails its own unit's visible test with a message that names the cause."""
    table = _visible_table(assignment)
    mutant_decl, correct = H.mutants(assignment)
    solution = H.solution_sources(H.source_notebook(assignment))
    submissions, expected = {"the solution": {}}, {}
    for gid, sources in correct.items():
        for k, src in enumerate(sources):
            submissions[f"{gid}: correct version #{k}"] = {gid: src}
    for gid, entries in table.items():
        changes = dict(mutant_decl[gid])
        for what, phrase in entries.items():
            label = f"{gid}: {what}"
            submissions[label] = {gid: H.apply_change(solution[gid], changes[what])}
            expected[label] = (f"test_{gid}", phrase)

    results = H.run_visible(assignment, submissions, tmp_path)
    problems = []
    for label, failures in results.items():
        if label in expected:
            test_id, phrase = expected[label]
            message = failures.get(test_id)
            if message is None or phrase not in message:
                problems.append(f"{label}: the visible failure should say {phrase!r}; it is {message!r}")
            others = {t: m for t, m in failures.items() if t != test_id and m is not None}
            if others:
                problems.append(f"{label}: other units fail too: {others}")
        else:
            failed = {t: m for t, m in failures.items() if m is not None}
            if failed:
                problems.append(f"{label}: correct, yet its visible tests fail: {failed}")
    assert not problems, "\n".join(problems)
    for label, failures in results.items():  # no numpy scalar reprs (np.int64(1)) in what students read
        for message in failures.values():
            assert message is None or "np.int64(" not in message and "np.float64(" not in message, (label, message)


# --------------------------------------------------------------------------- autograde round trip


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_autograde_and_feedback(assignment, tmp_path):
    course = H.Course(tmp_path / "course", assignment)
    source = H.source_notebook(assignment)
    points = A.graded_cells(source)
    solution = H.solution_sources(source)
    mutant_decl, correct = H.mutants(assignment)

    expected: dict[str, dict[str, float]] = {}  # student -> {grade_id: score}
    labels: dict[str, str] = {}

    def submit(student, answers, scores, label):
        course.submit(student, H.make_submission(course.released, answers))
        expected[student], labels[student] = scores, label

    full = dict(points)
    submit("solution", solution, full, "the solution")
    submit("untouched", {}, {gid: 0.0 for gid in points}, "the untouched student version")
    for gid, changes in mutant_decl.items():
        for i, (what, change) in enumerate(changes):
            answers = dict(solution, **{gid: H.apply_change(solution[gid], change)})
            submit(f"mutant-{gid}-{i}", answers, dict(full, **{f"test_{gid}": 0.0}), f"{gid} mutant: {what}")
    n_alt = min(len(v) for v in correct.values())
    for k in range(n_alt):
        submit(f"correct-{k}", dict(solution, **{gid: srcs[k] for gid, srcs in correct.items()}), full,
               f"alternative correct implementations #{k}")

    seconds = course.autograde()
    print(f"\n{assignment}: autograde of {len(expected)} submissions took {seconds:.1f} s "
          f"({seconds / len(expected):.2f} s per submission)")

    problems = []
    for student, want in expected.items():
        got = course.scores(student)
        wrong = {gid: (got.get(gid), score) for gid, score in want.items() if got.get(gid) != score}
        if wrong:
            problems.append(f"{labels[student]} ({student}): grade_id: (got, expected) {wrong}")
    assert not problems, "autograde scores differ from the expected ones:\n" + "\n".join(problems)

    # Feedback for every submission: the hidden failures are reported, the hidden tests never shown.
    start = time.perf_counter()
    H.nbgrader(course.root, "generate_feedback", assignment, "--force")
    print(f"{assignment}: feedback for {len(expected)} submissions took {time.perf_counter() - start:.1f} s")
    hidden = H.hidden_lines(source)
    failures_reported = 0
    for student in expected:
        page = course.root / "feedback" / student / assignment / f"{assignment}.html"
        text = " ".join(H.visible_text(page.read_text()).split())
        leaked = [line for line in hidden if " ".join(line.split()) in text]
        assert not leaked and "autograder" not in text, f"feedback of {student} shows hidden tests: {leaked}"
        failures_reported += "HiddenTestFailure" in text
    assert failures_reported > 0, "no feedback page reports a failed hidden test: the check above proves nothing"
