"""One network, three frameworks: NumPy, PyTorch and Keras agree number for number.

Given the same spec, the same weights and the same batch, every pair of
frameworks must give the same outputs, the same loss (L2 included) and the same
gradient for every parameter: to 1e-10 (norm-based relative error) in float64,
1e-5 in float32. Every activation appears in a hidden layer with every loss,
and every activation appears as an output layer (with the MSE).

The Keras cases run here on this process's backend and, through
tests/test_keras_mlp.py::test_keras_suite_on_other_backend, on the other one.
"""

from __future__ import annotations

import functools
import subprocess
import sys

import numpy as np
import pytest

import course_lib.keras as ck
import course_lib.numpy as cn
import course_lib.torch as ct
import keras
import torch
from course_lib.gradcheck import rel_error
from course_lib.numpy.init import init_params
from course_lib.spec import MLPSpec

HIDDEN = ("identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu")
LOSSES = ("mse", "binary_cross_entropy", "cross_entropy", "softmax_cross_entropy")
#: the output activation each loss goes with (MSE: the hidden one, so every activation is an output once)
OUTPUT = {"binary_cross_entropy": "sigmoid", "cross_entropy": "softmax", "softmax_cross_entropy": "identity"}
CASES = [(act, OUTPUT.get(loss, act), loss) for act in HIDDEN for loss in LOSSES] + [("tanh", "softmax", "mse")]
TOL = {"float64": 1e-10, "float32": 1e-5}
#: Keras 3 computes float64 in float64 only on TensorFlow: on the other backends keras.ops
#: promotes float64 to float32 (keras/src/backend/common/dtypes.py, BIT64_TO_BIT32_DTYPE),
#: so there a float64 Keras model agrees with the others to float32 precision only.
KERAS_FLOAT64 = keras.backend.backend() == "tensorflow"


def tolerance(frameworks, dtype: str) -> float:
    if dtype == "float64" and "keras" in frameworks and not KERAS_FLOAT64:
        return TOL["float32"]
    return TOL[dtype]

PAIRS = [("numpy", "torch"), ("numpy", "keras"), ("torch", "keras")]
SIZES = (5, 7, 6, 4)  # two hidden layers, so the error is carried back through a hidden activation
N = 11


def make_case(hidden: str, output: str, loss: str):
    """A spec, random weights (biases too), a batch and targets, all float64, seeded by the case."""
    seed = CASES.index((hidden, output, loss))
    spec = MLPSpec(SIZES, activations=(hidden, hidden, output), loss=loss, init="glorot", l2=0.05, seed=seed)
    rng = np.random.default_rng(1000 + seed)
    params = [(W, rng.normal(0, 0.5, size=b.shape)) for W, b in init_params(spec)]
    x = rng.normal(size=(N, SIZES[0]))
    k = SIZES[-1]
    if loss == "mse":
        y = rng.normal(size=(N, k))
    elif loss == "binary_cross_entropy":
        y = rng.integers(0, 2, size=(N, k)).astype(np.float64)  # k independent yes/no targets
    else:
        y = rng.integers(0, k, size=N)  # integer class labels
    return spec, params, x, y


@functools.lru_cache(maxsize=None)
def run(framework: str, case: tuple[str, str, str], dtype: str):
    """``(output, loss, [(dW, db), ...])`` of one framework on one case, all as float64 NumPy."""
    spec, params, x, y = make_case(*case)
    if framework == "numpy":
        model = cn.MLP(spec, dtype=dtype, params=params)
        out = model.forward(x)[0]
        loss, grads = model.loss(x, y)
        grads = [(dW.copy(), db.copy()) for dW, db in grads]  # the NumPy MLP's gradients are reused buffers
    elif framework == "torch":
        model = ct.MLP(spec, dtype=dtype, params=params)
        out = model(torch.as_tensor(x, dtype=model.dtype)).detach().numpy()
        loss, grads = ct.loss_and_grads(model, x, y)
    else:
        model = ck.MLP(spec, dtype=dtype, params=params)
        out = keras.ops.convert_to_numpy(model(x.astype(dtype)))
        loss, grads = ck.loss_and_grads(model, x, y)
    assert out.dtype == np.dtype(dtype), f"{framework} computed in {out.dtype}, not {dtype}"
    return np.asarray(out, np.float64), float(loss), [(np.asarray(dW, np.float64), np.asarray(db, np.float64)) for dW, db in grads]


def worst_error(a, b) -> tuple[float, str]:
    """The largest relative error between two runs, and what it was measured on."""
    (out_a, loss_a, grads_a), (out_b, loss_b, grads_b) = a, b
    errors = {"output": rel_error(out_a, out_b), "loss": rel_error(loss_a, loss_b)}
    assert len(grads_a) == len(grads_b) == len(SIZES) - 1
    for l, ((dW_a, db_a), (dW_b, db_b)) in enumerate(zip(grads_a, grads_b), start=1):
        errors[f"dW^{l}"] = rel_error(dW_a, dW_b)
        errors[f"db^{l}"] = rel_error(db_a, db_b)
    what = max(errors, key=errors.get)
    return errors[what], what


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: "-".join(p))
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}-{c[2]}")
def test_outputs_losses_and_gradients_agree(case, pair, dtype):
    a, b = (run(framework, case, dtype) for framework in pair)
    # The gradients must be worth comparing: not all zero (a dead network would agree trivially).
    for _, _, grads in (a, b):
        assert all(np.linalg.norm(dW) > 0 for dW, _ in grads)
    err, what = worst_error(a, b)
    assert err < tolerance(pair, dtype), f"{pair[0]} vs {pair[1]} ({dtype}): {what} differs by {err:.2e} (relative)"


def test_keras_float64_is_float64_only_on_tensorflow():
    """The reason for :func:`tolerance`; if a Keras release lifts the limit, this fails: tighten then."""
    a = keras.ops.convert_to_tensor(np.ones((2, 2)), dtype="float64")
    assert (keras.backend.standardize_dtype(keras.ops.matmul(a, a).dtype) == "float64") == KERAS_FLOAT64


def test_float32_is_really_float32():
    """The float32 runs must differ from float64 by float32 rounding, or the 1e-5 test means nothing."""
    case = ("tanh", "identity", "softmax_cross_entropy")
    for framework in ("numpy", "torch", "keras") if KERAS_FLOAT64 else ("numpy", "torch"):
        err, _ = worst_error(run(framework, case, "float32"), run(framework, case, "float64"))
        assert 1e-9 < err < 1e-5, f"{framework}: float32 vs float64 differ by {err:.2e}"


@pytest.mark.parametrize("dst", ["numpy", "torch", "keras"])
@pytest.mark.parametrize("src", ["numpy", "torch", "keras"])
def test_weights_move_between_frameworks(src, dst):
    """get_weights from one framework, set_weights into another: the same function of x."""
    spec = MLPSpec((4, 5, 3), activations="tanh", loss="softmax_cross_entropy", init="glorot", seed=3)
    build = {"numpy": cn.MLP, "torch": ct.MLP, "keras": ck.MLP}
    lib = {"numpy": cn, "torch": ct, "keras": ck}
    trained = [(W + 0.1, b + 0.2) for W, b in init_params(spec, seed=7)]  # not the spec's initial weights
    source = build[src](spec, dtype="float64", params=trained)
    target = build[dst](spec, dtype="float64")
    x = np.random.default_rng(0).normal(size=(6, 4))
    assert rel_error(lib[src].predict_proba(source, x), lib[dst].predict_proba(target, x)) > 1e-3

    lib[dst].set_weights(target, lib[src].get_weights(source))
    for (W, b), (W_t, b_t) in zip(trained, lib[dst].get_weights(target)):
        assert W_t.shape == W.shape and W_t.dtype == np.float64
        np.testing.assert_array_equal(W_t, W)
        np.testing.assert_array_equal(b_t, b)
    assert rel_error(lib[src].predict_proba(source, x), lib[dst].predict_proba(target, x)) < tolerance((src, dst), "float64")
    np.testing.assert_array_equal(lib[src].predict(source, x), lib[dst].predict(target, x))


@pytest.mark.parametrize("framework", ["numpy", "torch", "keras"])
def test_same_spec_same_initial_network(framework):
    """A spec and its seed give the same initial weights everywhere: init_params(spec)."""
    spec = MLPSpec((6, 8, 3), activations="relu", init="he", seed=11)
    model = {"numpy": cn.MLP, "torch": ct.MLP, "keras": ck.MLP}[framework](spec, dtype="float64")
    lib = {"numpy": cn, "torch": ct, "keras": ck}[framework]
    for (W, b), (W0, b0) in zip(lib.get_weights(model), init_params(spec)):
        np.testing.assert_array_equal(W, W0)
        np.testing.assert_array_equal(b, b0)


TRAIN_SPEC = MLPSpec((5, 8, 3), activations="elu", loss="softmax_cross_entropy", init="glorot", l2=0.01, seed=4)


def _train_data():
    rng = np.random.default_rng(5)
    return rng.normal(size=(40, 5)), rng.integers(0, 3, size=40)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adagrad", "rmsprop", "adam"])
def test_torch_training_follows_numpy(optimizer):
    """Full-batch training (so the shuffle cannot matter): the same weights after every step.

    This checks torch.optim's updates against the NumPy optimizers and the L2 term in the loop.
    """
    X, y = _train_data()
    a, b = cn.MLP(TRAIN_SPEC, dtype="float64"), ct.MLP(TRAIN_SPEC, dtype="float64")
    kw = dict(optimizer=optimizer, lr=0.05, epochs=5, batch_size=len(X), progress=False)
    ha, hb = cn.fit(a, X, y, **kw), ct.fit(b, X, y, device="cpu", **kw)
    assert rel_error(ha["loss"], hb["loss"]) < 1e-10
    assert ha["loss"][-1] < ha["loss"][0]  # it did train
    for (Wa, ba), (Wb, bb) in zip(cn.get_weights(a), ct.get_weights(b)):
        assert rel_error(Wa, Wb) < 1e-10 and rel_error(ba, bb) < 1e-10


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adagrad", "rmsprop", "adam"])
@pytest.mark.parametrize("how", ["fit", "fit_custom"])
def test_keras_training_follows_numpy(how, optimizer):
    """Keras's compile/fit and the GradientTape loop, full batch: the NumPy weights after every step.

    Every optimizer, and lr = 0.05 (not a power of 2): course_lib.keras's optimizers are the
    book's formulas with the learning rate and constants in the model's dtype, so nothing is
    rounded to float32 (Keras's own keep the learning rate in a float32 variable, and its
    Adagrad, RMSprop and Adam put eps elsewhere).
    """
    X, y = _train_data()
    a, b = cn.MLP(TRAIN_SPEC, dtype="float64"), ck.MLP(TRAIN_SPEC, dtype="float64")
    kw = dict(optimizer=optimizer, lr=0.05, epochs=5, batch_size=len(X), progress=False)
    ha, hb = cn.fit(a, X, y, **kw), getattr(ck, how)(b, X, y, **kw)
    tol = tolerance(("numpy", "keras"), "float64")
    assert rel_error(ha["loss"], hb["loss"]) < tol
    assert ha["loss"][-1] < ha["loss"][0]
    for (Wa, ba), (Wb, bb) in zip(cn.get_weights(a), ck.get_weights(b)):
        assert rel_error(Wa, Wb) < tol and rel_error(ba, bb) < tol


def test_importing_course_lib_imports_no_framework():
    code = (
        "import sys, course_lib, course_lib.numpy\n"
        "loaded = sorted(m for m in ('torch', 'keras', 'tensorflow') if m in sys.modules)\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
