"""Finite-difference gradient checks: how every gradient formula in the course is verified.

The centred difference (f(x + h) - f(x - h)) / 2h has truncation error O(h^2)
and rounding error O(eps / h); with float64 (eps ~ 1e-16) and h = 1e-6 both
are around 1e-10 to 1e-12, far below the 1e-7 tolerance the tests use.
In float32 (eps ~ 1e-7) the same check cannot pass, which is why it runs in float64.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def numerical_gradient(f: Callable[[], float], x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Centred-difference gradient of the scalar ``f()`` with respect to the array ``x``.

    ``f`` takes no argument and reads ``x``, which is perturbed *in place* one
    entry at a time (and always restored): so ``x`` can be a weight matrix
    inside a model. Returns an array of ``x``'s shape.
    """
    if x.dtype != np.float64:
        raise ValueError(f"gradient checks need float64 arrays (float32 rounding swamps the difference); got {x.dtype}")
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        saved = x[i]
        x[i] = saved + h
        f_plus = f()
        x[i] = saved - h
        f_minus = f()
        x[i] = saved
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def numerical_jacobian_product(f: Callable[[], np.ndarray], x: np.ndarray, dout: np.ndarray, h: float = 1e-6):
    """Finite-difference ``d(sum(f() * dout))/dx``: the gradient a layer's backward should return.

    ``f`` returns an array (a layer's output) and ``dout`` is an upstream
    gradient of the same shape (cs231n's ``eval_numerical_gradient_array``).
    """
    return numerical_gradient(lambda: float(np.sum(f() * dout)), x, h)


def rel_error(a, b) -> float:
    """Relative error ||a - b|| / max(||a|| + ||b||, tiny), a single number for two arrays.

    Norm-based, so entries that are both (nearly) zero do not blow it up.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare arrays of shapes {a.shape} and {b.shape}")
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-300))


def check_gradient(f: Callable[[], float], x: np.ndarray, analytic, tol: float = 1e-7, name: str = "gradient", h: float = 1e-6) -> float:
    """Compare ``analytic`` with the finite-difference gradient of ``f`` wrt ``x``.

    Returns the relative error; raises AssertionError with the worst entry if it exceeds ``tol``.
    """
    numeric = numerical_gradient(f, x, h)
    analytic = np.asarray(analytic)
    if analytic.shape != numeric.shape:
        raise AssertionError(f"{name}: expected shape {numeric.shape}, got {analytic.shape}")
    err = rel_error(analytic, numeric)
    if not err < tol:
        worst = tuple(int(i) for i in np.unravel_index(np.argmax(np.abs(analytic - numeric)), numeric.shape))
        raise AssertionError(
            f"{name}: relative error {err:.3g} > {tol:g}; worst entry {worst}: "
            f"analytic {analytic[worst]:.6g} vs finite difference {numeric[worst]:.6g}"
        )
    return err
