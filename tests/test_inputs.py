"""Inputs and targets are checked once, by one rule, with one message, in every framework.

NaN or inf in X used to reach the loss: ``fit`` then blamed the learning rate,
``evaluate`` returned an accuracy (NaN rows counted as class 0) and ``predict`` returned
labels; an object array holding None silently became NaN. Now each of these raises a
ValueError that says what is wrong, the same in NumPy, PyTorch and Keras.
"""

from __future__ import annotations

import numpy as np
import pytest

import course_lib.keras as ck
import course_lib.numpy as cn
import course_lib.torch as ct
from course_lib.spec import MLPSpec
from course_lib.validate import check_targets

SPEC = MLPSpec((3, 5, 2), activations="tanh", loss="softmax_cross_entropy", seed=0)
LIBS = {"numpy": (cn, cn.MLP), "torch": (ct, ct.MLP), "keras": (ck, ck.MLP)}


def good_data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(6, 3)), rng.integers(0, 2, size=6)


def bad_inputs():
    X, _ = good_data()
    nan, inf = X.copy(), X.copy()
    nan[2, 1] = np.nan
    inf[4, 0] = -np.inf
    with_none = X.astype(object)
    with_none[1, 2] = None
    return [
        (nan, r"X contains 1 NaN or infinite value\(s\), the first at index \(2, 1\) \(nan\)"),
        (inf, r"X contains 1 NaN or infinite value\(s\), the first at index \(4, 0\) \(-inf\)"),
        (with_none, r"X is an array of Python objects \(dtype object\).*None"),
        (X.astype(str), r"X must hold numbers \(float, int or bool\); got dtype <U"),
    ]


@pytest.mark.parametrize("case", range(4), ids=["nan", "inf", "object", "strings"])
@pytest.mark.parametrize("framework", LIBS)
@pytest.mark.parametrize("call", ["fit", "evaluate", "predict", "predict_proba", "loss_and_grads"])
def test_bad_inputs_are_refused_with_one_message(call, framework, case):
    lib, build = LIBS[framework]
    X, message = bad_inputs()[case]
    _, y = good_data()
    model = build(SPEC)
    before = lib.get_weights(model)
    args = (model, X) if call.startswith("predict") else (model, X, y)
    kwargs = {"progress": False, "epochs": 1} if call == "fit" else {}
    with pytest.raises(ValueError, match=message):
        getattr(lib, call)(*args, **kwargs)
    for (W0, b0), (W1, b1) in zip(before, lib.get_weights(model)):  # nothing was trained
        np.testing.assert_array_equal(W0, W1)


@pytest.mark.parametrize("framework", LIBS)
def test_bad_validation_inputs_are_named(framework):
    lib, build = LIBS[framework]
    X, y = good_data()
    X_val = X.copy()
    X_val[0, 0] = np.nan
    with pytest.raises(ValueError, match=r"X_val contains 1 NaN"):
        lib.fit(build(SPEC), X, y, validation_data=(X_val, y), epochs=1, progress=False)


@pytest.mark.parametrize("loss, y, message", [
    ("softmax_cross_entropy", np.array([0, 1, np.nan]), r"targets contains 1 NaN or infinite"),
    ("softmax_cross_entropy", np.array([0.0, 1.0, 1.0]), r"class labels must be integers; got dtype float64"),
    ("softmax_cross_entropy", np.array([0, 1, 2]), r"labels must lie in \[0, 2\).*got labels from 0 to 2"),
    ("cross_entropy", np.array([[0.5, 0.6], [1, 0], [0, 1]]), r"one-hot or distributions summing to 1.*1\.1"),
    ("binary_cross_entropy", np.array([[0.5, 1.5], [1, 0], [0, 1]]), r"probabilities in \[0, 1\]; got values from 0.0 to 1.5"),
    ("mse", np.ones((3, 3)), r"targets must have shape \(N, 2\) to match 2 outputs; got shape \(3, 3\)"),
    ("mse", np.array([[1, None]] * 3), r"targets is an array of Python objects"),
])
def test_one_rule_for_targets(loss, y, message):
    with pytest.raises(ValueError, match=message):
        check_targets(loss, y, 2)


def test_targets_are_read_the_same_way_everywhere():
    """Labels, one-hot rows and probability rows give one loss in each framework, and the
    frameworks agree (float64)."""
    X, labels = good_data()
    one_hot = np.eye(2)[labels]
    soft = 0.9 * one_hot + 0.05  # label smoothing: rows still sum to 1
    losses = {}
    for framework, (lib, build) in LIBS.items():
        model = build(SPEC, dtype="float64")
        got = [lib.loss_and_grads(model, X, y)[0] for y in (labels, one_hot, soft)]
        assert got[0] == pytest.approx(got[1], rel=1e-12) and got[2] != pytest.approx(got[0], rel=1e-6)
        losses[framework] = got
    for framework in ("torch", "keras"):
        np.testing.assert_allclose(losses[framework], losses["numpy"], rtol=1e-6)


def test_a_binary_target_vector_is_a_column_in_every_framework():
    spec = MLPSpec((3, 4, 1), ("tanh", "sigmoid"), loss="binary_cross_entropy", seed=1)
    X, y = good_data()
    values = [lib.loss_and_grads(build(spec, dtype="float64"), X, y)[0] for lib, build in LIBS.values()]
    np.testing.assert_allclose(values, values[0], rtol=1e-6)
