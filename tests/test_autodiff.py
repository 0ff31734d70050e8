"""Forward mode (dual numbers) and reverse mode (Value tape) against calculus, each other and PyTorch.

Every operation is compared with torch.autograd in float64 in both modes: ``Dual`` with torch's
forward mode (``torch.autograd.forward_ad``), ``Value`` with ``backward()``; micrograd's engine
tests (``test/test_engine.py``) are reproduced as an outside oracle.
"""

import math
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.autodiff import DomainError, Dual, Value, derivative, gradient_forward, gradient_reverse, topological_order
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
    """Uses many rules: + - * / ** exp log sqrt tanh."""
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


def test_value_mlp_learns_xor():
    X, Y = [[0, 0], [0, 1], [1, 0], [1, 1]], [0, 1, 1, 0]
    model = ValueMLP([2, 4, 1], "tanh", seed=1)
    for _ in range(300):
        loss = sum(((model(x)[0] - y) ** 2 for x, y in zip(X, Y)), Value(0.0)) * 0.25
        loss.backward()
        model.sgd_step(0.2)
    assert loss.data < 1e-3
    assert [round(model(x)[0].data) for x in X] == Y


# --------------------------------------------------------------------------- every operation against torch.autograd
#
# One expression, written once, runs on a Dual, a Value and a torch tensor: the operations have
# the same names in all three (x.exp(), x.relu(), abs(x), x ** 2, 2 ** x, ...).

UNARY = {  # name: (f, low, high): points are drawn uniformly from [low, high]
    "x + 3": (lambda x: x + 3, -3, 3),
    "3 + x": (lambda x: 3 + x, -3, 3),
    "x - 3": (lambda x: x - 3, -3, 3),
    "3 - x": (lambda x: 3 - x, -3, 3),
    "-x": (lambda x: -x, -3, 3),
    "x * 3": (lambda x: x * 3, -3, 3),
    "3 * x": (lambda x: 3 * x, -3, 3),
    "x * x": (lambda x: x * x, -3, 3),
    "x / 3": (lambda x: x / 3, -3, 3),
    "3 / x": (lambda x: 3 / x, 0.2, 3),
    "-3 / x": (lambda x: -3 / x, -3, -0.2),
    "x ** 3": (lambda x: x**3, -3, 3),
    "x ** -2": (lambda x: x**-2, -3, -0.2),
    "x ** 0.5": (lambda x: x**0.5, 0.1, 4),
    "x ** -1.5": (lambda x: x**-1.5, 0.1, 4),
    "2.5 ** x": (lambda x: 2.5**x, -3, 3),
    "0.3 ** x": (lambda x: 0.3**x, -3, 3),
    "x ** x": (lambda x: x**x, 0.1, 3),
    "exp": (lambda x: x.exp(), -5, 5),
    "log": (lambda x: x.log(), 0.01, 10),
    "sqrt": (lambda x: x.sqrt(), 0.01, 10),
    "sin": (lambda x: x.sin(), -6, 6),
    "cos": (lambda x: x.cos(), -6, 6),
    "tanh": (lambda x: x.tanh(), -4, 4),
    "sigmoid": (lambda x: x.sigmoid(), -10, 10),
    "relu": (lambda x: x.relu(), -3, 3),
    "abs": (lambda x: abs(x), -3, 3),
    "x.abs()": (lambda x: x.abs(), -3, 3),
}

BINARY = {  # name: (f, (low, high) of a, (low, high) of b)
    "a + b": (lambda a, b: a + b, (-3, 3), (-3, 3)),
    "a - b": (lambda a, b: a - b, (-3, 3), (-3, 3)),
    "a * b": (lambda a, b: a * b, (-3, 3), (-3, 3)),
    "a / b": (lambda a, b: a / b, (-3, 3), (0.2, 3)),
    "a / -b": (lambda a, b: a / -b, (-3, 3), (0.2, 3)),
    "a ** b": (lambda a, b: a**b, (0.1, 4), (-2, 2)),
    "a used twice": (lambda a, b: (a * b).sin() + a.exp() / (b * b + 1), (-2, 2), (-2, 2)),
}


def torch_reverse(f, xs):
    """``(f(xs), gradient)`` from torch's reverse mode, in float64."""
    torch = pytest.importorskip("torch")
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    out = f(*ts)
    grads = torch.autograd.grad(out, ts)
    return out.item(), [g.item() for g in grads]


def torch_forward(f, xs, seed):
    """``(f(xs), directional derivative along seed)`` from torch's forward mode (dual tensors), in float64."""
    torch = pytest.importorskip("torch")
    import torch.autograd.forward_ad as fwAD

    with fwAD.dual_level():
        ts = [fwAD.make_dual(torch.tensor(x, dtype=torch.float64), torch.tensor(s, dtype=torch.float64))
              for x, s in zip(xs, seed)]
        primal, tangent = fwAD.unpack_dual(f(*ts))
        return primal.item(), (0.0 if tangent is None else tangent.item())


def value_reverse(f, xs):
    nodes = [Value(x) for x in xs]
    out = f(*nodes)
    out.backward()
    return out.data, [n.grad for n in nodes]


def dual_forward(f, xs, seed):
    out = f(*[Dual(x, s) for x, s in zip(xs, seed)])
    return out.value, out.deriv


def assert_matches_torch(f, xs, what):
    """Both modes of course_lib against both modes of torch at the point xs, for every seed e_i."""
    value, grad = value_reverse(f, xs)
    t_value, t_grad = torch_reverse(f, xs)
    np.testing.assert_allclose([value] + grad, [t_value] + t_grad, rtol=1e-12, atol=1e-14,
                               err_msg=f"reverse mode (Value) of {what} at {xs}")
    for i in range(len(xs)):
        seed = [float(j == i) for j in range(len(xs))]
        np.testing.assert_allclose(dual_forward(f, xs, seed), torch_forward(f, xs, seed), rtol=1e-12, atol=1e-14,
                                   err_msg=f"forward mode (Dual) of {what} at {xs}, seed {seed}")


@pytest.mark.parametrize("name", UNARY)
def test_unary_operation_matches_torch_in_both_modes(name):
    f, low, high = UNARY[name]
    rng = np.random.default_rng(zlib.crc32(name.encode()))  # hash() is salted per process
    for x in rng.uniform(low, high, size=8):
        assert_matches_torch(f, [float(x)], name)


@pytest.mark.parametrize("name", BINARY)
def test_binary_operation_matches_torch_in_both_modes(name):
    f, a_range, b_range = BINARY[name]
    rng = np.random.default_rng(zlib.crc32(name.encode()))  # hash() is salted per process
    for _ in range(8):
        assert_matches_torch(f, [float(rng.uniform(*a_range)), float(rng.uniform(*b_range))], name)


@pytest.mark.parametrize("name, f, x", [
    ("relu at its kink", lambda x: x.relu(), 0.0),
    ("abs at its kink", lambda x: abs(x), 0.0),
    ("x ** 0 at 0", lambda x: x**0, 0.0),  # used to raise ZeroDivisionError in backward()
    ("x ** 1 at 0", lambda x: x**1, 0.0),
    ("x ** 2 at 0", lambda x: x**2, 0.0),
    ("x ** 1.5 at 0", lambda x: x**1.5, 0.0),
    ("x ** 0.5 at 0 (infinite slope)", lambda x: x**0.5, 0.0),
    ("sqrt at 0 (infinite slope)", lambda x: x.sqrt(), 0.0),
    ("x ** 3 at a negative x", lambda x: x**3, -2.0),
    ("x ** -1 at a negative x", lambda x: x**-1, -2.0),
    ("x ** 2.0 at a negative x (an integer given as a float)", lambda x: x**2.0, -2.0),
    ("sigmoid far in the tails", lambda x: x.sigmoid() + (-x).sigmoid(), 800.0),
])
def test_boundary_points_match_torch(name, f, x):
    assert_matches_torch(f, [x], name)


@pytest.mark.parametrize("make", [Dual, Value], ids=["Dual", "Value"])
@pytest.mark.parametrize("f, x, message", [
    (lambda x: x.log(), 0.0, "log: the argument must be positive, got 0"),
    (lambda x: x.log(), -1.5, "log: the argument must be positive, got -1.5"),
    (lambda x: x.sqrt(), -4.0, "sqrt: the argument must be non-negative, got -4"),
    (lambda x: x ** (1 / 3), -8.0, "pow: a negative base (-8) to a non-integer power (0.333333) is not a real number"),
    (lambda x: x**-1, 0.0, "pow: zero to a negative power (-1) divides by zero"),
    (lambda x: x / 0, 1.0, "division: division by zero"),
    (lambda x: 1 / x, 0.0, "division: division by zero"),
    (lambda x: (-2.0) ** x, 3.0, "pow with a varying exponent (a**b = exp(b log a)): the argument must be positive, got -2"),
    (lambda x: x ** (x * 0 + 2), -3.0, "pow with a varying exponent"),
])
def test_outside_the_domain_a_one_line_error_names_the_operation(make, f, x, message):
    with pytest.raises(DomainError) as info:
        f(make(x))
    assert str(info.value).startswith(message) and "\n" not in str(info.value)
    assert isinstance(info.value, ValueError)  # `except ValueError` catches it


def test_value_to_a_value_power_is_one_node_with_both_partials():
    a, b = Value(2.0), Value(3.0)
    out = a**b
    out.backward()
    assert out._prev == (a, b) and out.data == 8.0
    assert a.grad == pytest.approx(3 * 4.0, rel=1e-15) and b.grad == pytest.approx(8 * math.log(2), rel=1e-15)


# --------------------------------------------------------------------------- micrograd's engine tests as an oracle
#
# karpathy/micrograd test/test_engine.py: the same expressions, compared with torch. micrograd
# checks the reverse mode; here Dual runs them too (one seed per input).


def micrograd_sanity_check(x):
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    return h + q + q * x


def micrograd_more_ops(a, b):
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    return g


def test_micrograd_sanity_check():
    value, (grad,) = value_reverse(micrograd_sanity_check, [-4.0])
    t_value, (t_grad,) = torch_reverse(micrograd_sanity_check, [-4.0])
    assert value == t_value and grad == t_grad  # micrograd asserts exact equality here too
    assert dual_forward(micrograd_sanity_check, [-4.0], [1.0]) == (t_value, t_grad)
    assert (value, grad) == (-20.0, 46.0)  # and the numbers themselves, so the oracle cannot drift


def test_micrograd_more_ops():
    assert_matches_torch(micrograd_more_ops, [-4.0, 2.0], "micrograd's more_ops")
    value, grads = value_reverse(micrograd_more_ops, [-4.0, 2.0])
    assert value == pytest.approx(24.70408163265306, rel=1e-12)  # micrograd README: 24.7041, 138.8338, 645.5773
    assert grads == pytest.approx([138.83381924198252, 645.5772594752186], rel=1e-12)


def test_micrograd_unary_tensor_fns():
    for x in (-1.0, 0.123, 2.0):
        assert_matches_torch(lambda t: t.tanh(), [x], "tanh")
        assert_matches_torch(lambda t: t.exp(), [x], "exp")
