"""Hidden checks of assignment a3_autodiff: backward rules, topological order, forward mode with dual numbers.

References: the closed-form derivatives, float64 centred finite differences of ``math`` functions,
and ``course_lib.autodiff`` (its ``Dual`` for forward mode). Graphs for the topological order are
random DAGs with shared nodes, a chain of 3,000 nodes (deeper than Python's recursion limit: the text asks for an explicit stack) and single leaves, made of a plain node class with a
``_prev`` tuple (what the notebook's ``Value`` has).
"""

from __future__ import annotations

import math

import numpy as np

from autograder.checks.isolation import Case, CheckFailure, expect_scalar, expect_sequence, hidden_check
from course_lib.autodiff import Dual as RefDual

H = 1e-6


def _fd(f, a):
    return (f(a + H) - f(a - H)) / (2 * H)


# --------------------------------------------------------------------------- backward rules


def _binary_call(student, args):
    add_backward, mul_backward = student
    a, b, grad = args
    return add_backward(a, b, a + b, grad), mul_backward(a, b, a * b, grad)


def _binary_cases(rng):
    cases = []
    for _ in range(6):
        a, b, g = (float(v) for v in rng.uniform(-3, 3, size=3))
        assert abs(_fd(lambda t: t * b, a) - b) < 1e-6
        cases.append(Case((a, b, g), ((g, g), (b * g, a * g)), f"a = {a:.4g}, b = {b:.4g}, upstream grad {g:.4g}"))
    return cases


def _binary_verify(case, got):
    add, mul = expect_sequence("(add_backward(...), mul_backward(...))", got, 2)
    for name, pair, exp in (("add_backward", add, case.expected[0]), ("mul_backward", mul, case.expected[1])):
        ga, gb = expect_sequence(f"{name}'s return value (grad_a, grad_b)", pair, 2)
        expect_scalar(f"{name}: grad_a", ga, exp[0], rtol=1e-9)
        expect_scalar(f"{name}: grad_b", gb, exp[1], rtol=1e-9)


check_binary_rules = hidden_check("binary_rules", _binary_cases, _binary_verify, call=_binary_call, seed=31)


def _unary_call(student, args):
    pow_backward, exp_backward, log_backward, tanh_backward = student
    a, k, grad = args
    return (pow_backward(a, k, a**k, grad), exp_backward(a, math.exp(a), grad),
            log_backward(a, math.log(a), grad), tanh_backward(a, math.tanh(a), grad))


def _unary_cases(rng):
    cases = []
    for k in (2.0, 3.0, -1.0, 0.5, 1.5, 2.0):
        a, g = float(rng.uniform(0.2, 3)), float(rng.uniform(-2, 2))
        expected = (k * a ** (k - 1) * g, math.exp(a) * g, g / a, (1 - math.tanh(a) ** 2) * g)
        numeric = (_fd(lambda t: t**k, a) * g, _fd(math.exp, a) * g, _fd(math.log, a) * g, _fd(math.tanh, a) * g)
        assert np.allclose(expected, numeric, rtol=1e-6)
        cases.append(Case((a, k, g), expected, f"a = {a:.4g}, k = {k:g}, upstream grad {g:.4g}"))
    return cases


def _unary_verify(case, got):
    names = ("pow_backward", "exp_backward", "log_backward", "tanh_backward")
    got = expect_sequence("the four rules' results", got, 4)
    for name, g, e in zip(names, got, case.expected):
        expect_scalar(f"{name}: grad_a", g, e, rtol=1e-9)


check_unary_rules = hidden_check("unary_rules", _unary_cases, _unary_verify, call=_unary_call, seed=32)


# --------------------------------------------------------------------------- topological order


#: the long chain: deeper than Python's recursion limit (about 1,000), as the assignment's text says.
CHAIN = 3000


class _Node:
    """A graph node as the notebook's Value has it: ``_prev`` holds its inputs."""

    def __init__(self, label, children=()):
        self.label = label
        self._prev = tuple(children)
        self.data = 0.0
        self.grad = 0.0


def _graph(rng, kind):
    if kind == "leaf":
        nodes = [_Node(0)]
    elif kind == "chain":
        nodes = [_Node(0)]
        for i in range(1, CHAIN):
            nodes.append(_Node(i, (nodes[-1],)))
    elif kind == "diamond":  # a shared node reached along two paths, and x used twice by one node
        x = _Node(0)
        a, b = _Node(1, (x, x)), _Node(2, (x,))
        nodes = [x, a, b, _Node(3, (a, b))]
    else:  # a random DAG: each node uses up to 3 earlier ones; the root uses the dangling ones
        nodes = []
        for i in range(int(rng.integers(20, 40))):
            k = min(i, int(rng.integers(0, 4)))
            nodes.append(_Node(i, tuple(nodes[j] for j in rng.choice(i, size=k, replace=False)) if k else ()))
        used = {id(c) for n in nodes for c in n._prev}
        nodes.append(_Node(len(nodes), tuple(n for n in nodes if id(n) not in used)))
    order = list(rng.permutation(len(nodes)))  # shuffle the list, so its order reveals nothing
    return nodes[-1], [nodes[i] for i in order]


def _topo_call(student, args):
    # The graph travels as plain data and is built here: pickling (or deep-copying) a chain of CHAIN
    # linked nodes would itself recurse deeper than Python's limit.
    root, children = args
    nodes = [_Node(i) for i in range(len(children))]
    for node, kids in zip(nodes, children):
        node._prev = tuple(nodes[k] for k in kids)
    index = {id(n): i for i, n in enumerate(nodes)}
    result = student[0](nodes[root])
    return [index.get(id(n), -1) for n in result]


def _topo_cases(rng):
    cases = []
    for kind in ("leaf", "diamond", "chain", "random", "random"):
        root, nodes = _graph(rng, kind)
        position = {id(n): i for i, n in enumerate(nodes)}
        children = [[position[id(c)] for c in n._prev] for n in nodes]
        cases.append(Case((position[id(root)], children), (position[id(root)], children),
                          f"a {kind} graph of {len(nodes)} nodes" if kind != "leaf" else "a single node"))
    return cases


def _topo_verify(case, got):
    root, children = case.expected
    if type(got) is not list or any(type(i) is not int for i in got):
        raise CheckFailure("expected a list of the graph's nodes")
    if -1 in got:
        raise CheckFailure("the list contains objects that are not nodes of the graph")
    if len(set(got)) != len(got):
        raise CheckFailure("a node appears more than once (a node used by several others must be listed once)")
    if set(got) != set(range(len(children))):
        raise CheckFailure(f"expected all {len(children)} nodes the output depends on; got {len(got)}")
    position = {node: i for i, node in enumerate(got)}
    for node, kids in enumerate(children):
        if any(position[k] > position[node] for k in kids):
            raise CheckFailure("a node comes before one of its inputs (each node must come after all of its inputs)")
    if got[-1] != root:
        raise CheckFailure("the output node must come last")


check_topological_order = hidden_check("topological_order", _topo_cases, _topo_verify, call=_topo_call,
                                       seed=33, check_inputs=False)


# --------------------------------------------------------------------------- forward mode


def _f_poly(x):
    return x * x + 3 * x + 1


def _f_exp_square(x):
    return (x**2).exp()


def _f_nested(x):
    return (x**2 + (x**2).exp()) ** 0.5


def _f_log_tanh(x):
    return x.log() * x.tanh() + 2 * x


def _f_mixed(x):
    return ((x * 0.5).exp() * x).tanh() + x**-1


FUNCTIONS = {f.__name__: f for f in (_f_poly, _f_exp_square, _f_nested, _f_log_tanh, _f_mixed)}


def _dual_call(student, args):
    (Dual,) = student
    name, x0 = args
    out = FUNCTIONS[name](Dual(x0, 1.0))
    return float(out.value), float(out.deriv)


def _dual_cases(rng):
    cases = []
    for name, f in FUNCTIONS.items():
        x0 = float(rng.uniform(0.3, 1.5))
        ref = f(RefDual(x0, 1.0))
        numeric = _fd(lambda t: f(RefDual(t, 0.0)).value, x0)
        assert abs(numeric - ref.deriv) < 1e-5 * max(1, abs(ref.deriv))
        cases.append(Case((name, x0), (ref.value, ref.deriv), f"f(x) = {f.__doc__ or name[3:]} at x = {x0:.4g}"))
    return cases


_f_poly.__doc__ = "x*x + 3*x + 1"
_f_exp_square.__doc__ = "exp(x**2)"
_f_nested.__doc__ = "sqrt(x**2 + exp(x**2))"
_f_log_tanh.__doc__ = "log(x)*tanh(x) + 2*x"
_f_mixed.__doc__ = "tanh(exp(x*0.5)*x) + x**-1"


def _dual_verify(case, got):
    value, deriv = expect_sequence("(value, deriv)", got, 2)
    expect_scalar("value", value, case.expected[0], rtol=1e-9)
    expect_scalar("derivative", deriv, case.expected[1], rtol=1e-9)


check_dual_numbers = hidden_check("dual_numbers", _dual_cases, _dual_verify, call=_dual_call, seed=34, check_inputs=False)
