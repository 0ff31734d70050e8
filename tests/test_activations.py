"""Activations: values against definitions, derivatives against finite differences, stability."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from course_lib.gradcheck import numerical_jacobian_product, rel_error
from course_lib.numpy import activations as A

ELEMENTWISE = list(A.ELEMENTWISE)


def random_z(rng, shape=(7, 5)):
    z = rng.normal(0, 2, size=shape)
    # keep away from the kinks of relu / leaky relu / elu, where finite differences straddle two branches
    z[np.abs(z) < 1e-3] = 0.5
    return z


@pytest.mark.parametrize("name", ELEMENTWISE)
@pytest.mark.parametrize("seed", range(3))
def test_derivative_matches_finite_differences(name, seed):
    rng = np.random.default_rng(seed)
    shape = tuple(rng.integers(1, 9, size=2))
    z = random_z(rng, shape)
    f, f_prime = A.get_activation(name)
    dout = rng.normal(size=shape)
    numeric = numerical_jacobian_product(lambda: f(z), z, dout)
    assert rel_error(dout * f_prime(z), numeric) < 1e-7
    # the derivative from the cached output must be the same
    np.testing.assert_allclose(f_prime(z, f(z)), f_prime(z), rtol=1e-12)


def test_softmax_backward_matches_finite_differences():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(6, 4))
    dout = rng.normal(size=(6, 4))
    numeric = numerical_jacobian_product(lambda: A.softmax(z), z, dout)
    assert rel_error(A.softmax_backward(dout, A.softmax(z)), numeric) < 1e-7


def test_values_against_definitions():
    z = np.linspace(-5, 5, 41)
    np.testing.assert_allclose(A.sigmoid(z), 1 / (1 + np.exp(-z)), rtol=1e-14)
    np.testing.assert_allclose(A.relu(z), np.where(z > 0, z, 0))
    np.testing.assert_allclose(A.leaky_relu(z), np.where(z > 0, z, 0.01 * z))
    np.testing.assert_allclose(A.elu(z), np.where(z > 0, z, np.exp(z) - 1), rtol=1e-14)
    np.testing.assert_allclose(A.tanh_prime(z), 1 - np.tanh(z) ** 2)  # not (1 - tanh)^2
    s = A.softmax(z.reshape(1, -1))
    np.testing.assert_allclose(s[0], np.exp(z) / np.exp(z).sum(), rtol=1e-13)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_inputs_are_finite_correct_and_silent(dtype):
    z = np.array([[-1000.0, -50.0, 0.0, 50.0, 1000.0]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any overflow / divide warning fails the test
        s = A.sigmoid(z)
        sm = A.softmax(z)
        lsm = A.log_softmax(z)
        e = A.elu(z)
    for out in (s, sm, lsm, e):
        assert out.dtype == dtype and np.all(np.isfinite(out))
    assert s[0, 0] == 0 and s[0, -1] == 1 and s[0, 2] == 0.5
    np.testing.assert_allclose(sm[0], [0, 0, 0, 0, 1], atol=1e-30)
    assert lsm[0, -1] == 0 and lsm[0, 0] == pytest.approx(-2000, rel=1e-6)
    assert e[0, 0] == -1 and e[0, -1] == 1000


def test_sigmoid_keeps_relative_precision_in_the_tail():
    # 1 / (1 + exp(30)) computed naively loses nothing here, but 1 - sigmoid(30) would
    assert A.sigmoid(np.array(-30.0)) == pytest.approx(np.exp(-30) / (1 + np.exp(-30)), rel=1e-14)


@settings(max_examples=50, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 6)),
              elements=st.floats(-700, 700, allow_nan=False)))
def test_softmax_rows_are_distributions_and_shift_invariant(z):
    s = A.softmax(z)
    assert np.all(s >= 0) and np.allclose(s.sum(axis=1), 1)
    np.testing.assert_allclose(A.softmax(z + 123.0), s, atol=1e-12)
    np.testing.assert_allclose(np.exp(A.log_softmax(z)), s, atol=1e-12)


def test_unknown_activation_names_the_choices():
    with pytest.raises(ValueError, match=r"unknown activation 'swish'.*relu"):
        A.get_activation("swish")
