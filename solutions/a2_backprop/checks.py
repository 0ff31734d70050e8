"""Hidden checks of assignment a2_backprop: dense layer, MLP forward/backward (the four equations), SGD.

Every reference comes from ``course_lib`` and, for gradients, also from float64 finite differences
of the reference forward pass, computed in the clean process before the student's code is loaded.
Shapes are random (non-square, so a transposed matrix cannot slip through) and include N = 1.
"""

from __future__ import annotations

import numpy as np

from autograder.checks.isolation import Case, CheckFailure, expect_array, expect_sequence, hidden_check
from course_lib.gradcheck import numerical_gradient
from course_lib.numpy import layers as ref


def _shapes(rng, n=4):
    """Random (N, D, M), all different so that no transposition has the right shape; N = 1 included."""
    out = []
    while len(out) < n:
        N, D, M = (int(v) for v in rng.integers(1 if not out else 2, 9, size=3))
        if len({N, D, M}) == 3:
            out.append((N, D, M))
    return out


def _layer(rng, N, D, M):
    return rng.standard_normal((N, D)), rng.standard_normal((D, M)), rng.standard_normal(M)


# --------------------------------------------------------------------------- dense_forward


def _dense_forward_cases(rng):
    cases = []
    for N, D, M in _shapes(rng):
        x, W, b = _layer(rng, N, D, M)
        out, _ = ref.dense_forward(x, W, b)
        cases.append(Case((x, W, b), out, f"x {x.shape}, W {W.shape}, b {b.shape}"))
    return cases


def _dense_forward_verify(case, got):
    out, cache = expect_sequence("dense_forward's return value (out, cache)", got, 2)
    expect_array("out", out, case.expected, dtype=np.float64)
    x, W, _ = case.args
    cache = expect_sequence("cache", cache, 2)
    expect_array("cache[0] (should be x)", cache[0], x, rtol=1e-12, dtype=np.float64)
    expect_array("cache[1] (should be W)", cache[1], W, rtol=1e-12, dtype=np.float64)


check_dense_forward = hidden_check("dense_forward", _dense_forward_cases, _dense_forward_verify, seed=21)


# --------------------------------------------------------------------------- dense_backward


def _dense_backward_cases(rng):
    cases = []
    for N, D, M in _shapes(rng):
        x, W, b = _layer(rng, N, D, M)
        dout = rng.standard_normal((N, M))
        expected = ref.dense_backward(dout, (x, W))
        # an independent reference: finite differences of sum(out * dout)
        f = lambda: float(np.sum(ref.dense_forward(x, W, b)[0] * dout))  # noqa: E731
        numeric = tuple(numerical_gradient(f, v) for v in (x, W, b))
        for e, n in zip(expected, numeric):
            assert np.allclose(e, n, atol=1e-6), "reference and finite differences disagree"
        cases.append(Case((dout, (x, W)), expected, f"x {x.shape}, W {W.shape}, dout {dout.shape}"))
    return cases


def _dense_backward_verify(case, got):
    dx, dW, db = expect_sequence("dense_backward's return value (dx, dW, db)", got, 3)
    for name, g, e in zip(("dx", "dW", "db"), (dx, dW, db), case.expected):
        expect_array(name, g, e, dtype=np.float64)


check_dense_backward = hidden_check("dense_backward", _dense_backward_cases, _dense_backward_verify, seed=22)


# --------------------------------------------------------------------------- MLP


def _params(rng, sizes):
    return [(rng.standard_normal((m, n)) / np.sqrt(m), 0.5 * rng.standard_normal(n))
            for m, n in zip(sizes[:-1], sizes[1:])]


def _reference_forward(x, params):
    """tanh hidden layers, linear output; returns (out, [a^0, ..., a^{L-1}])."""
    acts, a = [x], x
    for l, (W, b) in enumerate(params):
        z = a @ W + b
        if l == len(params) - 1:
            return z, acts
        a = np.tanh(z)
        acts.append(a)


def _mlp_sizes(rng):
    cases = [[3, 4, 2], [5, 7, 3, 2], [2, 6, 5, 4, 3]]
    return [[int(v) for v in rng.integers(2, 8, size=len(s))] for s in cases] + [[4, 3, 1]]


def _mlp_batches(rng):
    """Yield (x, params, out, activations, description) for networks of several depths."""
    for sizes in _mlp_sizes(rng):
        N = int(rng.integers(1, 7))
        x = rng.standard_normal((N, sizes[0]))
        params = _params(rng, sizes)
        out, acts = _reference_forward(x, params)
        yield x, params, out, acts, f"layer sizes {sizes}, N = {N}"


def _mlp_forward_cases(rng):
    return [Case((x, params), (out, acts), what) for x, params, out, acts, what in _mlp_batches(rng)]


def _mlp_forward_verify(case, got):
    out, acts = expect_sequence("mlp_forward's return value (out, activations)", got, 2)
    exp_out, exp_acts = case.expected
    expect_array("out", out, exp_out, dtype=np.float64)
    if type(acts) not in (list, tuple) or len(acts) != len(exp_acts):
        raise CheckFailure(f"activations: expected a list of {len(exp_acts)} arrays [a^0 = x, a^1, ..., "
                           f"a^(L-1)]; got {type(acts).__name__} of length "
                           f"{len(acts) if type(acts) in (list, tuple) else '?'}")
    for l, (g, e) in enumerate(zip(acts, exp_acts)):
        expect_array(f"activations[{l}] (a^{l})", g, e, dtype=np.float64)


check_mlp_forward = hidden_check("mlp_forward", _mlp_forward_cases, _mlp_forward_verify, seed=23)


def _mlp_backward_cases(rng):
    cases = []
    for x, params, out, acts, what in _mlp_batches(rng):
        dout = rng.standard_normal(out.shape)
        # reference: finite differences of sum(out * dout) with respect to every W^l and b^l
        f = lambda: float(np.sum(_reference_forward(x, params)[0] * dout))  # noqa: E731
        grads = [(numerical_gradient(f, W), numerical_gradient(f, b)) for W, b in params]
        cases.append(Case((dout, acts, params), grads, what))
    return cases


def _mlp_backward_verify(case, got):
    L = len(case.expected)
    if type(got) not in (list, tuple) or len(got) != L:
        raise CheckFailure(f"expected a list of {L} pairs (dW, db), one per layer; got "
                           f"{type(got).__name__}" + (f" of length {len(got)}" if type(got) in (list, tuple) else ""))
    for l, (pair, (eW, eb)) in enumerate(zip(got, case.expected), start=1):
        dW, db = expect_sequence(f"grads[{l - 1}]", pair, 2)
        expect_array(f"dW^{l}", dW, eW, rtol=1e-6, dtype=np.float64)
        expect_array(f"db^{l}", db, eb, rtol=1e-6, dtype=np.float64)


check_mlp_backward = hidden_check("mlp_backward", _mlp_backward_cases, _mlp_backward_verify, seed=24)


# --------------------------------------------------------------------------- SGD


def _sgd_cases(rng):
    cases = []
    for sizes in _mlp_sizes(rng):
        params = _params(rng, sizes)
        grads = _params(rng, sizes)
        lr = float(rng.choice([0.5, 0.1, 0.03]))
        expected = [(W - lr * dW, b - lr * db) for (W, b), (dW, db) in zip(params, grads)]
        cases.append(Case((params, grads, lr), expected, f"layer sizes {sizes}, lr = {lr}"))
    return cases


def _sgd_verify(case, got):
    L = len(case.expected)
    if type(got) not in (list, tuple) or len(got) != L:
        raise CheckFailure(f"expected a list of {L} pairs (W, b); got {type(got).__name__}")
    for l, (pair, (eW, eb)) in enumerate(zip(got, case.expected), start=1):
        W, b = expect_sequence(f"new_params[{l - 1}]", pair, 2)
        expect_array(f"W^{l}", W, eW, rtol=1e-12, dtype=np.float64)
        expect_array(f"b^{l}", b, eb, rtol=1e-12, dtype=np.float64)


check_sgd_step = hidden_check("sgd_step", _sgd_cases, _sgd_verify, seed=25)
