"""Losses: values against definitions, gradients against finite differences, bad targets."""

import warnings

import numpy as np
import pytest

from course_lib.gradcheck import numerical_gradient, rel_error
from course_lib.numpy import losses as L
from course_lib.numpy.activations import sigmoid, softmax


def case(rng, loss):
    n, k = rng.integers(2, 9), rng.integers(2, 6)
    labels = rng.integers(0, k, size=n)
    if loss == "mse":
        return rng.normal(size=(n, k)), rng.normal(size=(n, k))
    if loss == "binary_cross_entropy":
        return sigmoid(rng.normal(size=(n, k))), rng.integers(0, 2, size=(n, k)).astype(float)
    if loss == "sigmoid_binary_cross_entropy":
        return rng.normal(size=(n, k)), rng.integers(0, 2, size=(n, k)).astype(float)
    if loss == "cross_entropy":
        return softmax(rng.normal(size=(n, k))), labels
    return rng.normal(size=(n, k)), labels  # softmax_cross_entropy on logits


LOSS_FUNCTIONS = {
    "mse": L.mse_loss,
    "binary_cross_entropy": L.binary_cross_entropy,
    "sigmoid_binary_cross_entropy": L.sigmoid_binary_cross_entropy,
    "cross_entropy": L.cross_entropy,
    "softmax_cross_entropy": L.softmax_cross_entropy,
}


@pytest.mark.parametrize("name", LOSS_FUNCTIONS)
@pytest.mark.parametrize("seed", range(3))
def test_gradient_matches_finite_differences(name, seed):
    rng = np.random.default_rng(seed)
    pred, y = case(rng, name)
    fn = LOSS_FUNCTIONS[name]
    _, grad = fn(pred, y)
    assert grad.shape == pred.shape
    assert rel_error(grad, numerical_gradient(lambda: fn(pred, y)[0], pred)) < 1e-7


def test_values_against_definitions():
    rng = np.random.default_rng(1)
    z = rng.normal(size=(5, 3))
    labels = np.array([0, 2, 1, 1, 0])
    onehot = np.eye(3)[labels]
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    expected_ce = -np.mean(np.log(p[np.arange(5), labels]))  # mean over samples only
    assert L.softmax_cross_entropy(z, labels)[0] == pytest.approx(expected_ce, rel=1e-12)
    assert L.softmax_cross_entropy(z, onehot)[0] == pytest.approx(expected_ce, rel=1e-12)
    assert L.cross_entropy(p, labels)[0] == pytest.approx(expected_ce, rel=1e-12)
    np.testing.assert_allclose(L.softmax_cross_entropy(z, labels)[1], (p - onehot) / 5, rtol=1e-12)
    np.testing.assert_allclose(L.softmax_cross_entropy(z, onehot)[1], (p - onehot) / 5, rtol=1e-12)
    y = rng.normal(size=(5, 3))
    assert L.mse_loss(z, y)[0] == pytest.approx(np.mean((z - y) ** 2))
    q, t = sigmoid(z), (z > 0).astype(float)
    bce = -np.mean(t * np.log(q) + (1 - t) * np.log(1 - q))
    assert L.binary_cross_entropy(q, t)[0] == pytest.approx(bce, rel=1e-12)
    assert L.sigmoid_binary_cross_entropy(z, t)[0] == pytest.approx(bce, rel=1e-12)


def test_fused_losses_are_stable_for_huge_logits():
    z = np.array([[1000.0, -1000.0], [-1000.0, 1000.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss, grad = L.softmax_cross_entropy(z, np.array([1, 1]))
        bloss, bgrad = L.sigmoid_binary_cross_entropy(z, np.array([[1.0, 0.0], [1.0, 0.0]]))
    assert loss == pytest.approx(1000.0)  # one sample is 2000 nats wrong, one is right: mean 1000
    assert np.all(np.isfinite(grad)) and np.all(np.isfinite(bgrad)) and np.isfinite(bloss)


def test_float32_in_float32_out():
    z = np.ones((4, 3), dtype=np.float32)
    assert L.softmax_cross_entropy(z, np.array([0, 1, 2, 0]))[1].dtype == np.float32
    assert L.mse_loss(z, np.zeros((4, 3), np.float32))[1].dtype == np.float32


@pytest.mark.parametrize(
    "pred, y, message",
    [
        (np.zeros((4, 3)), np.array([0, 1, 3, 0]), r"labels must lie in \[0, 3\).*got labels from 0 to 3"),
        (np.zeros((4, 3)), np.array([0, 1, 2]), r"one label per row expected: 4 rows of logits \(4, 3\), 3 labels"),
        (np.zeros((4, 3)), np.zeros((4, 2)), r"targets must have shape \(N, 3\) or integer labels \(N,\).*got shape \(4, 2\)"),
        (np.zeros(4), np.zeros(4), r"2-D array of shape \(N, features\); got shape \(4,\)"),
    ],
)
def test_mismatched_targets_raise_clear_errors(pred, y, message):
    with pytest.raises(ValueError, match=message):
        L.softmax_cross_entropy(pred, y)
