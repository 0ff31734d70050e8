"""Where the scalar functions of both modes are defined, and the one error for outside it.

Forward mode (:class:`~course_lib.autodiff.forward.Dual`) and reverse mode
(:class:`~course_lib.autodiff.reverse.Value`) apply the same elementary functions, so they
share these checks and give the same one-line message, naming the operation, for the same
mistake. Without them Python's own errors are misleading: ``math.log(-1)`` says "math domain
error", ``(-8.0) ** (1/3)`` silently returns a complex number, ``0.0 ** -1`` raises a
ZeroDivisionError from inside a derivative rule.

Boundary points where the function is defined but its derivative is infinite (``sqrt`` at 0,
``x ** 0.5`` at 0) are *not* errors: the derivative is ``inf``, as in PyTorch.
"""

from __future__ import annotations

import math


class DomainError(ValueError):
    """An operation applied outside the set of real numbers where it is defined, e.g. ``log(-1)``."""


def check_positive(op: str, x: float) -> None:
    """log, and a**b with a varying exponent (its derivative has log a), need x > 0."""
    if not x > 0:  # `not >` so that NaN is caught too
        raise DomainError(f"{op}: the argument must be positive, got {x:g}")


def check_non_negative(op: str, x: float) -> None:
    if not x >= 0:
        raise DomainError(f"{op}: the argument must be non-negative, got {x:g}")


def check_divisor(x: float) -> None:
    if x == 0:
        raise DomainError("division: division by zero")


def check_power(base: float, k: float) -> None:
    """base ** k with a constant exponent k: real only for base >= 0 or integer k; finite only for base != 0 or k >= 0."""
    if base < 0 and not float(k).is_integer():
        raise DomainError(f"pow: a negative base ({base:g}) to a non-integer power ({k:g}) is not a real number")
    if base == 0 and k < 0:
        raise DomainError(f"pow: zero to a negative power ({k:g}) divides by zero")


def power_slope(base: float, k: float) -> float:
    """d(base ** k)/d base = k base^(k-1), for a constant k and a base that passed :func:`check_power`.

    At base = 0 the formula needs 0^(negative) when k < 1: the slope is 0 for k = 0 (x^0 = 1 is
    constant) and +inf for 0 < k < 1 (like sqrt at 0); Python would raise ZeroDivisionError.
    """
    if base == 0 and k < 1:
        return 0.0 if k == 0 else math.inf
    return k * base ** (k - 1)


def sigmoid(x: float) -> float:
    """1 / (1 + e^-x) without overflow: e^-x overflows for x < -709, so use e^x / (1 + e^x) there."""
    if x >= 0:
        return 1 / (1 + math.exp(-x))
    e = math.exp(x)
    return e / (1 + e)


def sign(x: float) -> float:
    """The slope of |x|: -1, 0 or 1 (0 at the kink, PyTorch's choice of subgradient)."""
    return float((x > 0) - (x < 0))
