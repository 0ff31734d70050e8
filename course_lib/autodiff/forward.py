"""Forward-mode automatic differentiation with dual numbers.

A dual number a + b eps with eps^2 = 0 carries a value and a derivative:
f(a + b eps) = f(a) + f'(a) b eps for any smooth f (Taylor's theorem, cut
after the first term). Seeding x = x0 + 1 eps and evaluating f gives f(x0)
and f'(x0) in one pass. For n inputs the gradient needs n passes, one per
seed direction: forward mode is cheap for few inputs, reverse mode for few outputs.
"""

from __future__ import annotations

import math

from course_lib.autodiff.domain import (
    DomainError, check_divisor, check_non_negative, check_positive, check_power, power_slope, sigmoid, sign)

__all__ = ["Dual", "DomainError", "derivative", "gradient_forward"]


class Dual:
    """``value + deriv * eps``, with eps^2 = 0.

    The operations and their names mirror :class:`~course_lib.autodiff.reverse.Value`: ``+ - * /``
    and ``**`` with a number on either side, ``exp log sqrt sin cos tanh sigmoid relu abs``.
    Outside a function's domain (``log`` of x <= 0, a negative base to a non-integer power,
    division by zero) they raise :class:`DomainError`.
    """

    __slots__ = ("value", "deriv")

    def __init__(self, value: float, deriv: float = 0.0):
        self.value = float(value)
        self.deriv = float(deriv)

    @staticmethod
    def lift(x) -> "Dual":
        """A constant (derivative 0) as a dual number; a Dual is returned unchanged."""
        return x if isinstance(x, Dual) else Dual(x, 0.0)

    # (a + a' eps) + (b + b' eps) = (a + b) + (a' + b') eps
    def __add__(self, other):
        other = Dual.lift(other)
        return Dual(self.value + other.value, self.deriv + other.deriv)

    # (a + a' eps)(b + b' eps) = ab + (a' b + a b') eps: the product rule, for free
    def __mul__(self, other):
        other = Dual.lift(other)
        return Dual(self.value * other.value, self.deriv * other.value + self.value * other.deriv)

    # (a/b)' = (a' b - a b') / b^2 = (a' - (a/b) b') / b
    def __truediv__(self, other):
        other = Dual.lift(other)
        check_divisor(other.value)
        q = self.value / other.value
        return Dual(q, (self.deriv - q * other.deriv) / other.value)

    def __pow__(self, k):
        if isinstance(k, Dual):  # both vary: d(a^b) = b a^(b-1) da + a^b log(a) db
            check_positive("pow with a varying exponent (a**b = exp(b log a))", self.value)
            p = self.value**k.value
            return Dual(p, k.value * p / self.value * self.deriv + p * math.log(self.value) * k.deriv)
        check_power(self.value, k)  # a constant k: (a^k)' = k a^(k-1) a'
        return Dual(self.value**k, power_slope(self.value, k) * self.deriv)

    def __rpow__(self, c):  # c ** self, c a number
        return Dual.lift(c) ** self

    def __rtruediv__(self, other):
        return Dual.lift(other) / self

    def __neg__(self):
        return Dual(-self.value, -self.deriv)

    def __sub__(self, other):
        return self + (-Dual.lift(other))

    def __rsub__(self, other):
        return Dual.lift(other) + (-self)

    def __abs__(self):
        return self.abs()

    __radd__ = __add__
    __rmul__ = __mul__

    # Elementary functions: f(a + a' eps) = f(a) + f'(a) a' eps
    def exp(self):
        e = math.exp(self.value)
        return Dual(e, e * self.deriv)

    def log(self):
        check_positive("log", self.value)
        return Dual(math.log(self.value), self.deriv / self.value)

    def sqrt(self):
        check_non_negative("sqrt", self.value)
        r = math.sqrt(self.value)
        return Dual(r, self.deriv * (0.5 / r if r > 0 else math.inf))  # vertical tangent at 0

    def sin(self):
        return Dual(math.sin(self.value), math.cos(self.value) * self.deriv)

    def cos(self):
        return Dual(math.cos(self.value), -math.sin(self.value) * self.deriv)

    def tanh(self):
        t = math.tanh(self.value)
        return Dual(t, (1 - t * t) * self.deriv)

    def sigmoid(self):
        s = sigmoid(self.value)
        return Dual(s, s * (1 - s) * self.deriv)

    def relu(self):
        return Dual(max(self.value, 0.0), (self.value > 0) * self.deriv)

    def abs(self):
        return Dual(abs(self.value), sign(self.value) * self.deriv)

    def __repr__(self) -> str:
        return f"Dual({self.value:.6g}, {self.deriv:.6g})"


def derivative(f, x: float) -> tuple[float, float]:
    """``(f(x), f'(x))`` for a scalar function of one variable, in one forward pass."""
    out = f(Dual(x, 1.0))
    return out.value, out.deriv


def gradient_forward(f, xs) -> tuple[float, list[float]]:
    """``(f(xs), grad f(xs))`` for f of n variables: n forward passes, one per seed e_i."""
    xs = [float(x) for x in xs]
    grad, value = [], None
    for i in range(len(xs)):
        out = f([Dual(x, 1.0 if j == i else 0.0) for j, x in enumerate(xs)])
        value = out.value
        grad.append(out.deriv)
    return value, grad
