"""The dense layer, cs231n style: forward values, backward against finite differences."""

import numpy as np
import pytest

from course_lib.gradcheck import numerical_jacobian_product, rel_error
from course_lib.numpy.layers import activation_backward, activation_forward, dense_backward, dense_forward


@pytest.mark.parametrize("seed", range(5))
def test_dense_backward_matches_finite_differences(seed):
    rng = np.random.default_rng(seed)
    n, d, m = rng.integers(1, 8, size=3)
    x, W, b = rng.normal(size=(n, d)), rng.normal(size=(d, m)), rng.normal(size=m)
    dout = rng.normal(size=(n, m))
    out, cache = dense_forward(x, W, b)
    np.testing.assert_allclose(out, x @ W + b)
    dx, dW, db = dense_backward(dout, cache)
    assert (dx.shape, dW.shape, db.shape) == (x.shape, W.shape, b.shape)
    for name, grad, param in (("dx", dx, x), ("dW", dW, W), ("db", db, b)):
        numeric = numerical_jacobian_product(lambda: dense_forward(x, W, b)[0], param, dout)
        assert rel_error(grad, numeric) < 1e-7, name


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "softmax", "identity"])
def test_activation_layer_backward(name):
    rng = np.random.default_rng(3)
    z = rng.normal(size=(4, 5)) + 0.01
    dout = rng.normal(size=(4, 5))
    a, cache = activation_forward(z, name)
    numeric = numerical_jacobian_product(lambda: activation_forward(z, name)[0], z, dout)
    assert rel_error(activation_backward(dout, cache), numeric) < 1e-7


def test_dense_shape_errors_say_what_was_expected():
    W, b = np.zeros((3, 2)), np.zeros(2)
    with pytest.raises(ValueError, match=r"x must have 3 features.*got shape \(4, 5\)"):
        dense_forward(np.zeros((4, 5)), W, b)
    with pytest.raises(ValueError, match=r"b must have shape \(2,\).*got \(3,\)"):
        dense_forward(np.zeros((4, 3)), W, np.zeros(3))
    _, cache = dense_forward(np.zeros((4, 3)), W, b)
    with pytest.raises(ValueError, match=r"dout must have shape \(4, 2\)"):
        dense_backward(np.zeros((2, 4)), cache)
