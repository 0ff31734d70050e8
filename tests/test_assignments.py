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

from tools import authoring as A  # noqa: E402
from autograder.release import STUDENT_DIR, all_assignments, release  # noqa: E402
from tests.assignments import harness as H  # noqa: E402

ASSIGNMENTS = all_assignments()


def test_assignments_exist():
    assert {"a1_activations_losses", "a2_backprop", "a3_autodiff", "a4_optimizers"} <= set(ASSIGNMENTS), ASSIGNMENTS


# --------------------------------------------------------------------------- student versions


def _normalised(path: Path) -> dict:
    return json.loads(Path(path).read_text())


@pytest.mark.slow
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
    """assert_close and friends are written once (tests/assignments/visible.py) and pasted by a tool."""
    from tests.assignments.visible import BEGIN, with_helpers

    setup = _setup_source(assignment)
    assert BEGIN in setup, f"{assignment}: the set-up cell has no helper markers"
    assert with_helpers(setup) == setup, (
        f"{assignment}: the set-up cell's helpers differ from tests/assignments/visible.py: run "
        "`python -m tests.assignments.visible`, then regenerate the student versions")


def _table(assignment, name):
    import importlib

    return getattr(importlib.import_module(f"tests.assignments.mutants_{assignment}"), name, {})


# The framework assignments' visible tests train torch and Keras models for every mistake: slow.
@pytest.mark.parametrize("assignment", [pytest.param(a, marks=pytest.mark.slow) if a.endswith(("pytorch", "keras"))
                                        else a for a in ASSIGNMENTS])
def test_visible_tests_name_the_mistake(assignment, tmp_path):
    """The visible tests alone (as in a student's kernel), against every declared mistake.

    The solution and every correct version pass them; each mistake of VISIBLE fails its own unit's
    visible test with a message that names the cause, and no other unit's; every other mistake is in
    NOT_VISIBLE with the reason. At least 90% of the mistakes of an assignment must be caught so."""
    table, excused = _visible_table(assignment), _table(assignment, "NOT_VISIBLE")
    mutant_decl, correct = H.mutants(assignment)
    solution = H.solution_sources(H.source_notebook(assignment))
    submissions, expected = {"the solution": {}}, {}
    for gid, sources in correct.items():
        for k, src in enumerate(sources):
            submissions[f"{gid}: correct version #{k}"] = {gid: src}
    problems, total = [], 0
    for gid, changes in mutant_decl.items():
        for what, change in changes:
            total += 1
            if what in table.get(gid, {}):
                label = f"{gid}: {what}"
                submissions[label] = {gid: H.apply_change(solution[gid], change)}
                expected[label] = (f"test_{gid}", table[gid][what])
            elif what not in excused.get(gid, {}):
                problems.append(f"{gid}: {what!r} is neither in VISIBLE (with the phrase its message says) "
                                "nor in NOT_VISIBLE (with the reason)")

    start = time.perf_counter()
    results = H.run_visible(assignment, submissions, tmp_path)
    seconds = time.perf_counter() - start
    caught = 0
    for label, failures in results.items():
        if label in expected:
            test_id, phrase = expected[label]
            message = failures.get(test_id)
            if message is None or phrase not in message:
                problems.append(f"{label}: the visible failure should say {phrase!r}; it is {message!r}")
            else:
                caught += 1
            others = {t: m for t, m in failures.items() if t != test_id and m is not None}
            if others:
                problems.append(f"{label}: other units fail too: {others}")
        else:
            failed = {t: m for t, m in failures.items() if m is not None}
            if failed:
                problems.append(f"{label}: correct, yet its visible tests fail: {failed}")
    rate = caught / max(total, 1)
    print(f"\n{assignment}: the visible tests name the cause of {caught} of {total} mistakes ({rate:.0%}); "
          f"{len(submissions)} submissions in {seconds:.1f} s")
    if rate < 0.9:
        problems.append(f"{assignment}: only {caught} of {total} mistakes ({rate:.0%}) caught visibly; at least 90% must be")
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
    # The first and the last declared mutant of each answer take the whole nbgrader round trip; that
    # every declared mutant fails its hidden check, for any student's draw, is asserted in-process by
    # tests/test_hidden_cases_per_student.py (minutes for all seven assignments where grading every
    # mutant through nbgrader took half an hour of CI).
    for gid, changes in mutant_decl.items():
        for i in sorted({0, len(changes) - 1}):
            what, change = changes[i]
            answers = dict(solution, **{gid: H.apply_change(solution[gid], change)})
            submit(f"mutant-{gid}-{i}", answers, dict(full, **{f"test_{gid}": 0.0}), f"{gid} mutant: {what}")
    # Right in the student's kernel, wrong in the grader's process: a mistake only a hidden test can see (the
    # visible tests catch every declared mutant of some assignments), so the feedback check below has a hidden
    # failure to show.
    gid = next(g for g in solution if f"def {g}(" in solution[g])
    sneaky = solution[gid] + (
        f"\n\n\nimport os as _os\n_kernel_pid, _{gid} = _os.getpid(), {gid}\n\n\n"
        f"def {gid}(*args, **kwargs):\n"
        f"    if _os.getpid() != _kernel_pid:\n"
        f"        raise RuntimeError('a mistake only the hidden tests see')\n"
        f"    return _{gid}(*args, **kwargs)\n")
    submit("hidden-only", dict(solution, **{gid: sneaky}), dict(full, **{f"test_{gid}": 0.0}),
           f"{gid}: right in the kernel, wrong in the grader's process")
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


# --------------------------------------------------------------------------- the helpers themselves (issue 21)


def _helper_namespace(framework="numpy"):
    import numpy as np

    from tests.assignments.visible import SETUP_HELPERS

    ns = {"np": np}
    exec(SETUP_HELPERS[framework], ns)
    return ns


def _message(f, *args, **kwargs):
    """None if f passes, else its AssertionError's message (any other exception propagates: a test failure)."""
    try:
        f(*args, **kwargs)
    except AssertionError as e:
        return str(e)
    return None


def _any_value():
    import numpy as np
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    dtypes = st.sampled_from([np.float64, np.float32, np.int64, np.bool_, np.complex128, np.float16])
    arrays = dtypes.flatmap(lambda dt: hnp.arrays(dt, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
                                                  elements=None))
    scalars = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**6, 10**6), st.booleans(),
                        st.floats(width=32).map(np.float32), st.none(), st.text(max_size=3))
    return st.one_of(arrays, scalars, st.lists(st.floats(), max_size=4))


def test_helpers_never_crash():
    """Any pair of arrays or scalars (any shape, dtype, NaN/inf, zeros, empty): a message or a pass, never another exception."""
    import numpy as np
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    ns = _helper_namespace()
    sizes = st.dictionaries(st.sampled_from(["N", "K", "N K", "the batch count"]), st.integers(-3, 12), max_size=3)

    @settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
    @given(_any_value(), _any_value(), sizes)
    def check(got, expected, sizes):
        with np.errstate(all="ignore"):
            try:
                if np.iscomplexobj(expected):
                    return
                np.asarray(expected, dtype=np.float64)
            except Exception:
                return  # the tests' own expected values are always real numbers
            _message(ns["assert_close"], "x", got, expected, sizes=sizes)
            _message(ns["assert_close"], "x", got, expected, sizes=sizes, dtype=None)
            if np.ndim(expected) == 0 and np.isrealobj(expected):
                _message(ns["assert_number"], "loss", got, float(np.asarray(expected, dtype=np.float64)), sizes=sizes)
            assert isinstance(ns["_factor_hint"](got, expected, sizes), str)
            _message(ns["assert_unchanged"], "f", ["x"], [got], [expected])
            _message(ns["assert_shape"], "x", got, np.shape(expected))
            _message(ns["call_unchanged"], lambda a: a, ["x"], got)

    check()


def test_a_factor_is_named_only_when_it_is_a_named_size():
    import numpy as np
    from hypothesis import given, settings
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    ns = _helper_namespace()
    finite = hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=4),
                        elements=st.floats(-100, 100).filter(lambda v: abs(v) > 1e-3))

    @settings(max_examples=200, deadline=None)
    @given(finite, st.integers(2, 12), st.sampled_from([1, -1]), st.sampled_from(["large", "small"]),
           st.floats(1.01, 30).filter(lambda r: all(abs(r - k) > 1e-3 for k in range(2, 31))))
    def check(e, n, sign, how, other):
        sizes = {"N, the number of samples": n}
        factor = sign * (n if how == "large" else 1 / n)
        m = _message(ns["assert_close"], "x", factor * e, e, sizes=sizes) if e.ndim else \
            _message(ns["assert_number"], "loss", float(factor * e), float(e), sizes=sizes)
        assert f"{n} times too {how}" in m and "a factor of N, the number of samples" in m, m
        assert ("wrong sign" in m) == (sign < 0), m
        m = _message(ns["assert_close"], "x", other * e, e, sizes=sizes) if e.ndim else \
            _message(ns["assert_number"], "loss", float(other * e), float(e), sizes=sizes)
        assert "factor" not in m and "times too" not in m, m   # not a named size: the plain numbers

    check()


def test_helper_messages():
    import numpy as np

    ns = _helper_namespace()
    e = np.array([[1.0, -2.0, 0.5], [3.0, 0.25, -1.0]])
    ac, an = ns["assert_close"], ns["assert_number"]
    assert "All zeros: an unfinished stub or a forgotten term?" in _message(ac, "db", np.zeros_like(e), e)
    assert "All zeros" in _message(an, "loss", 0.0, 0.7)
    assert "wrong sign" in _message(ac, "dx", -e, e)
    assert "That is the transpose" in _message(ac, "dW", e.T.copy(), e)
    assert "An axis is missing" in _message(ac, "db", e.sum(axis=0), e)
    assert "expected dtype float64; got float32" in _message(ac, "out", e.astype(np.float32), e)
    assert "overflow" in _message(ac, "p", np.full_like(e, np.nan), e)
    assert "expected a Python float" in _message(an, "loss", np.float32(0.5), 0.5)
    plain = _message(an, "loss", -10 * 0.5, 0.5, sizes={"N": 4})   # PyTorch's momentum: -10 is no named size
    assert "factor" not in plain and "got -5.0" in plain
    assert _message(ac, "x", e.copy(), e) is None and _message(an, "loss", 0.5, 0.5) is None
    assert "changed its input x in place" in _message(ns["call_unchanged"], lambda x: x.__imul__(2), ["x"], e.copy())
