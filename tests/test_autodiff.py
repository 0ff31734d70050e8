"""Forward mode (dual numbers) and reverse mode (Value tape) against calculus and each other."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.autodiff import Dual, Value, derivative, gradient_forward, gradient_reverse, topological_order
from course_lib.autodiff.nn import ValueMLP


def exp_square(x):  # the chapter's first worked example
    return (x**2).exp()


def sqrt_example(x):  # the second: sqrt(x^2 + exp(x^2))
    return (x**2 + (x**2).exp()).sqrt()


def exp_square_prime(x):
    return 2 * x * math.exp(x * x)


def sqrt_example_prime(x):
    return (x + x * math.exp(x * x)) / math.sqrt(x * x + math.exp(x * x))


@settings(max_examples=40, deadline=None)
@given(st.floats(-2.5, 2.5))
def test_worked_examples_match_their_analytic_derivatives(x):
    for f, f_prime in ((exp_square, exp_square_prime), (sqrt_example, sqrt_example_prime)):
        value, d_forward = derivative(f, x)
        node = Value(x)
        out = f(node)
        out.backward()
        assert value == pytest.approx(out.data, rel=1e-15)
        assert d_forward == pytest.approx(f_prime(x), rel=1e-12, abs=1e-12)
        assert node.grad == pytest.approx(f_prime(x), rel=1e-12, abs=1e-12)


def mixed(xs):
    """Uses every rule: + - * / ** exp log sqrt tanh sigmoid relu sin cos (forward mode only has sin/cos)."""
    x, y, z = xs
    return (x * y - z / (y**2 + 1)).tanh() + (x**2 + z**2 + 1).log() * (y.exp() + 2).sqrt() - 3 / (1 + x**2)


def finite_difference_gradient(f, xs, h=1e-6):
    xs = np.asarray(xs, dtype=float)
    grad = []
    for i in range(len(xs)):
        e = np.zeros_like(xs)
        e[i] = h
        grad.append((f([Value(v) for v in xs + e]).data - f([Value(v) for v in xs - e]).data) / (2 * h))
    return np.array(grad)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-2, 2), min_size=3, max_size=3))
def test_forward_and_reverse_agree_with_each_other_and_finite_differences(xs):
    v_f, g_f = gradient_forward(mixed, xs)
    v_r, g_r = gradient_reverse(mixed, xs)
    assert v_f == pytest.approx(v_r, rel=1e-14)
    np.testing.assert_allclose(g_f, g_r, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(g_r, finite_difference_gradient(mixed, xs), rtol=1e-6, atol=1e-8)


def test_activation_rules_of_value():
    for x in (-1.3, 0.4, 2.0):
        for op, d in (("sigmoid", lambda s: s * (1 - s)), ("relu", None)):
            v = Value(x)
            out = getattr(v, op)()
            out.backward()
            expected = d(out.data) if d else float(x > 0)
            assert v.grad == pytest.approx(expected)
    s = Value(-800.0).sigmoid()  # no overflow in the tail
    assert s.data == pytest.approx(0.0)


def test_dual_sin_cos():
    assert derivative(lambda x: x.sin() * x.cos(), 0.3)[1] == pytest.approx(math.cos(0.6))


def test_shared_subexpressions_accumulate_gradients():
    x = Value(3.0)
    y = x * x + x  # x is used three times
    y.backward()
    assert x.grad == 7.0
    y.backward()  # calling backward again gives the same gradient, not twice it
    assert x.grad == 7.0


def test_topological_order_puts_inputs_first_and_handles_deep_graphs():
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    order = topological_order(d)
    assert order[-1] is d and len(order) == 4
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:
        assert all(position[id(child)] < position[id(node)] for child in node._prev)
    # a chain of 20,000 operations would overflow a recursive depth-first search
    x = Value(0.5)
    y = x
    for _ in range(20_000):
        y = y * 1.0 + 0.0
    y.backward()
    assert x.grad == pytest.approx(1.0)


def test_constant_exponents_only():
    with pytest.raises(TypeError, match="constant exponents"):
        Value(2.0) ** Value(3.0)
    with pytest.raises(TypeError, match="constant exponents"):
        Dual(2.0) ** Dual(3.0)


def test_value_mlp_learns_xor():
    X, Y = [[0, 0], [0, 1], [1, 0], [1, 1]], [0, 1, 1, 0]
    model = ValueMLP([2, 4, 1], "tanh", seed=1)
    for _ in range(300):
        loss = sum(((model(x)[0] - y) ** 2 for x, y in zip(X, Y)), Value(0.0)) * 0.25
        loss.backward()
        model.sgd_step(0.2)
    assert loss.data < 1e-3
    assert [round(model(x)[0].data) for x in X] == Y
