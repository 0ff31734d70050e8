"""Forward-mode automatic differentiation with dual numbers.

A dual number a + b eps with eps^2 = 0 carries a value and a derivative:
f(a + b eps) = f(a) + f'(a) b eps for any smooth f (Taylor's theorem, cut
after the first term). Seeding x = x0 + 1 eps and evaluating f gives f(x0)
and f'(x0) in one pass. For n inputs the gradient needs n passes, one per
seed direction: forward mode is cheap for few inputs, reverse mode for few outputs.
"""

from __future__ import annotations

import math


class Dual:
    """``value + deriv * eps``, with eps^2 = 0."""

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

    def __pow__(self, k: float):
        if isinstance(k, Dual):
            raise TypeError("only constant exponents are supported: write exp(k * log(x)) for x**k with k varying")
        return Dual(self.value**k, k * self.value ** (k - 1) * self.deriv)

    def __truediv__(self, other):
        return self * Dual.lift(other) ** -1

    def __rtruediv__(self, other):
        return Dual.lift(other) * self**-1

    def __neg__(self):
        return Dual(-self.value, -self.deriv)

    def __sub__(self, other):
        return self + (-Dual.lift(other))

    def __rsub__(self, other):
        return Dual.lift(other) + (-self)

    __radd__ = __add__
    __rmul__ = __mul__

    # Elementary functions: f(a + a' eps) = f(a) + f'(a) a' eps
    def exp(self):
        e = math.exp(self.value)
        return Dual(e, e * self.deriv)

    def log(self):
        return Dual(math.log(self.value), self.deriv / self.value)

    def sqrt(self):
        r = math.sqrt(self.value)
        return Dual(r, self.deriv / (2 * r))

    def sin(self):
        return Dual(math.sin(self.value), math.cos(self.value) * self.deriv)

    def cos(self):
        return Dual(math.cos(self.value), -math.sin(self.value) * self.deriv)

    def tanh(self):
        t = math.tanh(self.value)
        return Dual(t, (1 - t * t) * self.deriv)

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
