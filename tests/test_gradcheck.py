"""The gradient checker itself must catch wrong gradients, not only accept right ones."""

import numpy as np
import pytest

from course_lib.gradcheck import check_gradient, numerical_gradient, rel_error


def test_numerical_gradient_of_a_quadratic_and_restores_x():
    rng = np.random.default_rng(0)
    A, x = rng.normal(size=(4, 4)), rng.normal(size=(4,))
    saved = x.copy()
    g = numerical_gradient(lambda: float(x @ A @ x), x)
    np.testing.assert_allclose(g, (A + A.T) @ x, rtol=1e-8)
    assert np.array_equal(x, saved)


def test_check_gradient_rejects_a_wrong_gradient_and_names_the_worst_entry():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert check_gradient(lambda: float(np.sum(x**3)), x, 3 * x**2) < 1e-9
    wrong = 3 * x**2
    wrong[1, 0] += 1e-3
    with pytest.raises(AssertionError, match=r"worst entry \(1, 0\)"):
        check_gradient(lambda: float(np.sum(x**3)), x, wrong)
    with pytest.raises(AssertionError, match=r"expected shape \(2, 2\), got \(2, 2, 1\)"):
        check_gradient(lambda: float(np.sum(x**3)), x, wrong[..., None])


def test_float32_is_refused():
    with pytest.raises(ValueError, match="float64"):
        numerical_gradient(lambda: 0.0, np.zeros(3, dtype=np.float32))


def test_rel_error():
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert rel_error([1.0, 0.0], [1.0, 1e-9]) == pytest.approx(5e-10, rel=1e-6)
    with pytest.raises(ValueError, match="shapes"):
        rel_error(np.zeros(2), np.zeros(3))
