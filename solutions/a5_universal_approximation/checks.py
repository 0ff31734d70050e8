"""Hidden checks of assignment a5_universal_approximation: sigmoid bumps, hand-written weights, a construction.

The network that is graded is always evaluated by the grader's own forward pass (below, float64,
a sigmoid that cannot overflow), fed with the weights the student's function returns; the student's
code only produces weights (and the bump values). Errors are measured on a dense grid of the
interval (the sup norm, as in the universal approximation theorem).
"""

from __future__ import annotations

import numpy as np

from autograder.checks.isolation import Case, CheckFailure, describe, expect_array, expect_sequence, hidden_check


def sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # = 1 / (1 + exp(-z)), without overflow


def network(x, w1, b1, w2, b2):
    """The grader's forward pass: a(x) = sigmoid(x w1 + b1) w2 + b2 for x of shape (N,); returns (N,)."""
    return (sigmoid(x[:, None] @ w1 + b1) @ w2 + b2)[:, 0]


def _weights(got, max_width=None):
    """The student's (w1, b1, w2, b2) as float64 arrays of shapes (1, n), (n,), (n, 1), (1,)."""
    w1, b1, w2, b2 = expect_sequence("the returned weights (w1, b1, w2, b2)", got, 4)
    out = []
    for name, v in zip(("w1", "b1", "w2", "b2"), (w1, b1, w2, b2)):
        if type(v) is not np.ndarray or v.dtype.kind not in "biuf":
            raise CheckFailure(f"{name}: expected a NumPy array of real numbers; got {describe(v)}")
        if not np.all(np.isfinite(v)):
            raise CheckFailure(f"{name} has entries that are not finite (inf or nan)")
        out.append(v.astype(np.float64))
    w1, b1, w2, b2 = out
    n = w1.shape[1] if w1.ndim == 2 else -1
    shapes = {"w1": (1, n), "b1": (n,), "w2": (n, 1), "b2": (1,)}
    if w1.ndim != 2 or w1.shape[0] != 1:
        raise CheckFailure(f"w1: expected shape (1, n_hidden); got {w1.shape}")
    for name, v in zip(("b1", "w2", "b2"), (b1, w2, b2)):
        if v.shape != shapes[name]:
            raise CheckFailure(f"{name}: expected shape {shapes[name]} for {n} hidden units; got {v.shape}")
    if max_width is not None and n > max_width:
        raise CheckFailure(f"the network has {n} hidden units; at most n_hidden = {max_width} are allowed")
    return w1, b1, w2, b2


# --------------------------------------------------------------------------- bump


def _bump_cases(rng):
    cases = []
    for shape in ((7,), (3, 4), (1,), (50,)):
        a = float(rng.uniform(-2, 1))
        b = a + float(rng.uniform(0.2, 2))
        height, steepness = float(rng.uniform(-3, 3)), float(rng.choice([2.0, 15.0, 80.0, 500.0]))
        x = rng.uniform(a - 1.5, b + 1.5, size=shape)
        expected = height * (sigmoid(steepness * (x - a)) - sigmoid(steepness * (x - b)))
        cases.append(Case((x, a, b, height, steepness), expected,
                          f"x of shape {shape}, a = {a:.3g}, b = {b:.3g}, height = {height:.3g}, steepness = {steepness:g}"))
    return cases


def _bump_verify(case, got):
    expect_array("bump(x, a, b, height, steepness)", got, case.expected, rtol=1e-9, atol=1e-12)


check_bump = hidden_check("bump", _bump_cases, _bump_verify, seed=51)


# --------------------------------------------------------------------------- step_weights


def _step_weights_cases(rng):
    cases = []
    for n in (1, 3, 8, 20):
        centers = np.sort(rng.uniform(-3, 3, n))
        heights = rng.uniform(-2, 2, n)
        steepness = float(rng.choice([5.0, 30.0, 200.0]))
        x = np.linspace(-4, 4, 801)
        expected = (heights * sigmoid(steepness * (x[:, None] - centers))).sum(axis=1)
        cases.append(Case((centers, heights, steepness), (x, expected),
                          f"{n} steps, steepness = {steepness:g}"))
    return cases


def _step_weights_verify(case, got):
    w1, b1, w2, b2 = _weights(got, max_width=len(case.args[0]))
    x, expected = case.expected
    value = network(x, w1, b1, w2, b2)
    err = np.abs(value - expected)
    if not err.max() <= 1e-8 * max(1.0, np.abs(expected).max()):
        i = int(np.argmax(err))
        raise CheckFailure(f"the network sigmoid(x w1 + b1) w2 + b2 is not the sum of steps: at x = {x[i]:.4g} "
                           f"it gives {value[i]:.6g}, expected {expected[i]:.6g}")


check_step_weights = hidden_check("step_weights", _step_weights_cases, _step_weights_verify, seed=52)


# --------------------------------------------------------------------------- build_approximator
# Targets (module level: the student's process calls them), each with a bound M on |f'|.


def sine(x):
    return np.sin(x)


def log_one_plus(x):
    return np.log(np.asarray(x, dtype=float) + 1.0)


def cos3(x):
    return np.cos(3.0 * np.asarray(x, dtype=float))


def kink(x):
    return np.abs(np.asarray(x, dtype=float) - 0.3)


def parabola(x):
    return np.asarray(x, dtype=float) ** 2 - 1.0


_TARGETS = [  # (f, interval, n_hidden, M = max |f'| on the interval)
    (sine, (0.0, 2 * np.pi), 40, 1.0),
    (log_one_plus, (0.0, 5.0), 30, 1.0),
    (cos3, (-1.0, 2.0), 60, 3.0),
    (kink, (-1.0, 1.0), 25, 1.0),
    (parabola, (-2.0, 1.0), 50, 4.0),
    (parabola, (0.0, 0.5), 21, 1.0),  # a short interval: a steepness fixed in absolute terms is too gentle here
]


def tolerance(interval, n_hidden, M):
    """What the assignment asks: sup error at most 2 M (hi - lo) / n_hidden."""
    return 2.0 * M * (interval[1] - interval[0]) / n_hidden


def _approximator_cases(rng):
    return [Case((f, interval, n), (M,), f"f = {f.__name__} on [{interval[0]:.4g}, {interval[1]:.4g}], n_hidden = {n}")
            for f, interval, n, M in _TARGETS]


def _approximator_call(student, args):
    f, interval, n = args
    return student[0](f, n, interval)


def _approximator_verify(case, got):
    f, interval, n = case.args
    (M,) = case.expected
    w1, b1, w2, b2 = _weights(got, max_width=n)
    x = np.linspace(interval[0], interval[1], 20001)
    err = np.abs(network(x, w1, b1, w2, b2) - f(x))
    tol = tolerance(interval, n, M)
    if not err.max() <= tol:
        i = int(np.argmax(err))
        raise CheckFailure(f"sup error {err.max():.4g} at x = {x[i]:.4g} is above the tolerance {tol:.4g} "
                           f"(= 2 M (hi - lo) / n_hidden with M = {M:g})")


check_build_approximator = hidden_check("build_approximator", _approximator_cases, _approximator_verify,
                                        call=_approximator_call, seed=53)
