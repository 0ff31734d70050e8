"""Saturated outputs: the same, exact loss and gradients in NumPy, PyTorch and Keras (both backends).

Logits of magnitude 20-60 round a sigmoid or softmax to exactly 0 or 1 (in float32 from
|z| of about 17, in float64 from about 37), so a loss computed from the probabilities is
clipped, and each framework clips differently. course_lib computes every cross-entropy
from the logits (course_lib.spec.LOGIT_LOSSES); these tests hold all four implementations
to the exact value, computed here with mpmath (50 digits) from the same logits, and to
the exact gradient (softmax(z) - y) / N or (sigmoid(z) - y) / (N K) pulled back through
the layer.

The Keras cases run on this process's backend and, in test_on_the_other_keras_backend,
on the other one (the backend is fixed when keras is first imported).
"""

from __future__ import annotations


import mpmath
import numpy as np
import pytest

import course_lib.keras as ck
import course_lib.numpy as cn
import course_lib.torch as ct
import keras
from course_lib.gradcheck import rel_error
from course_lib.spec import MLPSpec
from tests.keras_backends import assert_passes_on_the_other_backend

mpmath.mp.dps = 50
N, D = 8, 4
#: (output activation, loss, K)
CASES = [("softmax", "cross_entropy", 3), ("identity", "softmax_cross_entropy", 3),
         ("sigmoid", "binary_cross_entropy", 1), ("sigmoid", "binary_cross_entropy", 2)]
#: Keras on torch computes a float64 model's products in float32 (see course_lib.keras.mlp)
KERAS_FLOAT64 = keras.backend.backend() == "tensorflow"


def make_case(output: str, loss: str, k: int):
    """One dense layer whose logits z = x W + b have magnitudes of about 20 to 60, and targets
    that make some rows confidently right and some confidently wrong. All float64."""
    rng = np.random.default_rng(k + 10 * len(loss))
    x = rng.normal(size=(N, D))
    W = rng.normal(size=(D, k)) * 15
    b = rng.normal(size=k) * 5
    z = x @ W + b
    assert np.abs(z).max() > 20
    if loss == "binary_cross_entropy":
        y = (rng.random((N, k)) < 0.5).astype(np.float64)
        y[0] = z[0] > 0  # one row surely right
    else:
        y = rng.integers(0, k, size=N)
        y[0] = np.argmax(z[0])
    spec = MLPSpec((D, k), (output,), loss=loss, seed=0)
    return spec, [(W, b)], x, y


def exact(output: str, loss: str, k: int):
    """The exact loss and gradients (dW, db), from the float64 logits, with mpmath."""
    spec, [(W, b)], x, y = make_case(output, loss, k)
    z = x @ W + b
    dz = np.zeros_like(z)
    total = mpmath.mpf(0)
    for n in range(N):
        if loss == "binary_cross_entropy":
            for j in range(k):
                zj = mpmath.mpf(z[n, j])
                total += mpmath.log1p(mpmath.exp(zj)) - y[n, j] * zj  # -log sigma(z) or -log(1 - sigma(z))
                dz[n, j] = float((1 / (1 + mpmath.exp(-zj)) - y[n, j]) / (N * k))
        else:
            zs = [mpmath.mpf(v) for v in z[n]]
            lse = mpmath.log(mpmath.fsum(mpmath.exp(v) for v in zs))
            total += lse - zs[y[n]]
            for j in range(k):
                dz[n, j] = float((mpmath.exp(zs[j] - lse) - (j == y[n])) / N)
    data_loss = float(total / (N * k if loss == "binary_cross_entropy" else N))
    return data_loss, [(x.T @ dz, dz.sum(axis=0))]


def run(framework: str, case, dtype: str):
    spec, params, x, y = make_case(*case)
    if framework == "numpy":
        model = cn.MLP(spec, dtype=dtype, params=params)
        loss, grads = model.loss(x.astype(dtype), y)
    elif framework == "torch":
        loss, grads = ct.loss_and_grads(ct.MLP(spec, dtype=dtype, params=params), x, y)
    else:
        loss, grads = ck.loss_and_grads(ck.MLP(spec, dtype=dtype, params=params), x, y)
    return float(loss), [(np.asarray(dW, np.float64), np.asarray(db, np.float64)) for dW, db in grads]


def tolerance(framework: str, dtype: str) -> float:
    if dtype == "float32" or (framework == "keras" and not KERAS_FLOAT64):
        return 1e-5
    return 1e-11


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("framework", ["numpy", "torch", "keras"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}-{c[2]}")
def test_saturated_loss_and_gradients_are_exact(case, framework, dtype):
    loss, grads = run(framework, case, dtype)
    exact_loss, exact_grads = exact(*case)
    tol = tolerance(framework, dtype)
    assert np.isfinite(loss)
    assert abs(loss - exact_loss) <= tol * abs(exact_loss), f"{framework} {dtype}: {loss!r} vs exact {exact_loss!r}"
    # all the gradient as one vector: db sums terms that cancel to 1e-5 of themselves, so
    # on its own it keeps only a few digits in float32 (whatever the framework)
    flat = np.concatenate([g.ravel() for pair in grads for g in pair])
    flat_exact = np.concatenate([g.ravel() for pair in exact_grads for g in pair])
    assert rel_error(flat, flat_exact) < tol


def confident_data(k: int = 1):
    """Separable data and a float32 sigmoid network that already classifies it with logits
    of +-40: sigma(40) rounds to exactly 1 in float32, sigma(-40) to 1e-18."""
    x = np.array([[1.0], [-1.0], [2.0], [-2.0]], dtype=np.float32)
    y = (x[:, 0] > 0).astype(np.float32)
    spec = MLPSpec((1, 1), ("sigmoid",), loss="binary_cross_entropy", seed=0)
    return spec, [(np.array([[40.0]]), np.array([0.0]))], x, y


@pytest.mark.parametrize("framework", ["numpy", "torch", "keras"])
def test_float32_binary_cross_entropy_of_confident_predictions(framework):
    """Right and sure: a tiny finite loss, no NaN, and training goes on (it used to stop
    with TrainingDiverged, blaming the learning rate)."""
    spec, params, x, y = confident_data()
    build, lib = {"numpy": (cn.MLP, cn), "torch": (ct.MLP, ct), "keras": (ck.MLP, ck)}[framework]
    model = build(spec, dtype="float32", params=params)
    loss, grads = lib.loss_and_grads(model, x, y)
    # exact: mean(log(1 + e^{-|z|})) with |z| = 40, 40, 80, 80
    expected = np.mean(np.log1p(np.exp(-np.array([40.0, 40.0, 80.0, 80.0]))))
    # (torch's own formula rounds log(1 + e^-40) to 0 in float32: the loss is right to 1e-18, not 1e-24)
    assert np.isfinite(loss) and 0 <= loss < 1e-15 and abs(loss - expected) <= 1e-17
    assert all(np.isfinite(dW).all() and np.isfinite(db).all() for dW, db in grads)
    fit = lib.fit if framework != "keras" else ck.fit_custom
    kw = {"device": "cpu"} if framework == "torch" else {}
    history = fit(model, x, y, optimizer="sgd", lr=0.1, epochs=3, batch_size=4, progress=False, **kw)
    assert np.all(np.isfinite(history["loss"])) and history["accuracy"][-1] == 1.0
    # ... and confidently wrong: a large, exact loss (mean of 40, 40, 80, 80), not a clipped one
    loss, _ = lib.loss_and_grads(build(spec, dtype="float32", params=params), x, 1 - y)
    assert loss == pytest.approx(60.0, rel=1e-6)


def test_keras_fit_uses_the_fused_loss_too():
    """compile/fit trains the logits model: its loss on saturated outputs is the exact one."""
    case = ("sigmoid", "binary_cross_entropy", 1)
    spec, params, x, y = make_case(*case)
    model = ck.MLP(spec, dtype="float32", params=params)
    history = ck.fit(model, x, y, optimizer="sgd", lr=1e-12, epochs=1, batch_size=N, progress=False)
    assert history["loss"][0] == pytest.approx(exact(*case)[0], rel=1e-5)
    assert model(x.astype("float32")).shape == (N, 1)  # the model itself still outputs probabilities
    assert np.all((keras.ops.convert_to_numpy(model(x.astype("float32"))) >= 0))


@pytest.mark.slow
def test_on_the_other_keras_backend():
    assert_passes_on_the_other_backend("tests/test_saturation.py", expected_passed=10)
