"""Reverse-mode automatic differentiation: a scalar ``Value`` and its tape.

Every operation on Values creates a new node that remembers its inputs and a
small ``_backward`` closure holding the *local* derivative rule. After the
forward computation, :meth:`Value.backward` visits the nodes from the output
back to the inputs (reverse topological order) and applies the chain rule:

    input.grad += (d node / d input) * node.grad

One backward pass gives the derivative of the output with respect to *every*
input: reverse mode is cheap for many inputs and one output (a loss).
"""

from __future__ import annotations

import math

from course_lib.autodiff.domain import (
    DomainError, check_divisor, check_non_negative, check_positive, check_power, power_slope, sigmoid, sign)

__all__ = ["Value", "DomainError", "gradient_reverse", "topological_order"]


class Value:
    """A scalar in a computation graph: ``data``, and ``grad`` = d(output)/d(this node).

    The operations and their names mirror :class:`~course_lib.autodiff.forward.Dual`: ``+ - * /``
    and ``**`` with a number or a Value on either side, ``exp log sqrt sin cos tanh sigmoid relu
    abs``. Outside a function's domain (``log`` of x <= 0, a negative base to a non-integer
    power, division by zero) they raise :class:`DomainError` when the node is made.
    """

    def __init__(self, data: float, _children: tuple = (), _op: str = "", label: str = ""):
        self.data = float(data)
        self.grad = 0.0
        self._backward = lambda: None  # the local chain-rule step, set by the op that made this node
        self._prev = _children
        self._op = _op
        self.label = label

    @staticmethod
    def lift(x) -> "Value":
        """A number as a constant leaf node; a Value is returned unchanged."""
        return x if isinstance(x, Value) else Value(x)

    def __add__(self, other):
        other = Value.lift(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():  # d(a + b)/da = d(a + b)/db = 1
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = Value.lift(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():  # d(ab)/da = b, d(ab)/db = a
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __truediv__(self, other):
        other = Value.lift(other)
        check_divisor(other.data)
        out = Value(self.data / other.data, (self, other), "/")

        def _backward():  # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2 = -(a/b)/b
            self.grad += out.grad / other.data
            other.grad -= out.data / other.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, k):
        if isinstance(k, Value):
            return self._pow_value(k)
        check_power(self.data, k)
        out = Value(self.data**k, (self,), f"**{k:g}")

        def _backward():  # d(a^k)/da = k a^(k-1)
            self.grad += power_slope(self.data, k) * out.grad

        out._backward = _backward
        return out

    def _pow_value(self, k: "Value"):
        """a ** b with both a and b nodes of the graph."""
        check_positive("pow with a varying exponent (a**b = exp(b log a))", self.data)
        out = Value(self.data**k.data, (self, k), "**")

        def _backward():  # d(a^b)/da = b a^(b-1) = b a^b / a, d(a^b)/db = a^b log a
            self.grad += k.data * out.data / self.data * out.grad
            k.grad += out.data * math.log(self.data) * out.grad

        out._backward = _backward
        return out

    def exp(self):
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward():  # d(e^a)/da = e^a, which is out.data: no recomputation
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    def log(self):
        check_positive("log", self.data)
        out = Value(math.log(self.data), (self,), "log")

        def _backward():  # d(log a)/da = 1/a
            self.grad += out.grad / self.data

        out._backward = _backward
        return out

    def sqrt(self):
        check_non_negative("sqrt", self.data)
        out = Value(math.sqrt(self.data), (self,), "sqrt")

        def _backward():  # d(sqrt a)/da = 1 / (2 sqrt a): a vertical tangent (inf) at 0
            self.grad += (0.5 / out.data if out.data > 0 else math.inf) * out.grad

        out._backward = _backward
        return out

    def sin(self):
        out = Value(math.sin(self.data), (self,), "sin")

        def _backward():  # d(sin a)/da = cos a
            self.grad += math.cos(self.data) * out.grad

        out._backward = _backward
        return out

    def cos(self):
        out = Value(math.cos(self.data), (self,), "cos")

        def _backward():  # d(cos a)/da = -sin a
            self.grad += -math.sin(self.data) * out.grad

        out._backward = _backward
        return out

    def tanh(self):
        out = Value(math.tanh(self.data), (self,), "tanh")

        def _backward():  # d(tanh a)/da = 1 - tanh(a)^2
            self.grad += (1 - out.data**2) * out.grad

        out._backward = _backward
        return out

    def sigmoid(self):
        out = Value(sigmoid(self.data), (self,), "sigmoid")

        def _backward():  # d(sigma a)/da = sigma(a)(1 - sigma(a))
            self.grad += out.data * (1 - out.data) * out.grad

        out._backward = _backward
        return out

    def relu(self):
        out = Value(max(self.data, 0.0), (self,), "relu")

        def _backward():  # 1 for a > 0, else 0 (0 at the kink, as in PyTorch)
            self.grad += (self.data > 0) * out.grad

        out._backward = _backward
        return out

    def abs(self):
        out = Value(abs(self.data), (self,), "abs")

        def _backward():  # d|a|/da = sign(a) (0 at the kink, as in PyTorch)
            self.grad += sign(self.data) * out.grad

        out._backward = _backward
        return out

    # Everything else is built from the rules above.
    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        return self + (-Value.lift(other))

    def __rsub__(self, other):
        return Value.lift(other) + (-self)

    def __rtruediv__(self, other):
        return Value.lift(other) / self

    def __rpow__(self, c):  # c ** self, c a number
        return Value.lift(c) ** self

    def __abs__(self):
        return self.abs()

    __radd__ = __add__
    __rmul__ = __mul__

    def backward(self) -> None:
        """Fill ``.grad`` of every node this one depends on with d(self)/d(node)."""
        order = topological_order(self)
        for node in order:  # start from zero, so calling backward twice gives the same grads
            node.grad = 0.0
        self.grad = 1.0  # d(self)/d(self)
        for node in reversed(order):  # a node's grad is complete before it is passed on
            node._backward()

    def __repr__(self) -> str:
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g})"


def topological_order(root: Value) -> list[Value]:
    """All nodes ``root`` depends on, each after all of its inputs (``root`` last).

    Depth-first search with an explicit stack rather than recursion, so a graph
    of 100,000 chained operations does not hit Python's recursion limit.
    """
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if children_done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))  # appended to the order once its inputs are
        stack.extend((child, False) for child in node._prev if id(child) not in visited)
    return order


def gradient_reverse(f, xs) -> tuple[float, list[float]]:
    """``(f(xs), grad f(xs))`` for f of n variables: one forward and one backward pass."""
    inputs = [Value(x) for x in xs]
    out = f(inputs)
    out.backward()
    return out.data, [x.grad for x in inputs]
