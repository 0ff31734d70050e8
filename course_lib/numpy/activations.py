"""Activation functions and their derivatives.

Each ``f(z)`` works elementwise on an array of any shape and keeps its dtype.
Each derivative ``f_prime(z, a=None)`` returns df/dz elementwise; pass
``a = f(z)`` when you already have it, because several derivatives are
cheapest in terms of the output (sigmoid: a(1-a), tanh: 1-a^2).

Softmax is not elementwise: it acts on each row of an (N, K) array, and its
derivative is a Jacobian, applied by :func:`softmax_backward`.
"""

from __future__ import annotations

import numpy as np

from course_lib.spec import ELU_ALPHA, LEAKY_RELU_SLOPE
from course_lib.validate import check_choice


def _float(z):
    """``z`` as a floating array: float32 and float64 are kept, integers become float64."""
    z = np.asarray(z)
    return z if np.issubdtype(z.dtype, np.floating) else z.astype(np.float64)


def identity(z):
    return z


def identity_prime(z, a=None):
    return np.ones_like(z)


def sigmoid(z):
    """sigma(z) = 1 / (1 + e^{-z}), stable for any z.

    ``exp(-z)`` overflows for z = -1000. With ``e = exp(-|z|)`` (always in (0, 1])
    sigma(z) = 1/(1+e) for z >= 0 and e/(1+e) for z < 0: no overflow, no warning,
    and full relative precision in both tails.
    """
    z = _float(z)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e)).astype(z.dtype, copy=False)


def sigmoid_prime(z, a=None):
    s = sigmoid(z) if a is None else a
    return s * (1 - s)


def tanh(z):
    return np.tanh(z)


def tanh_prime(z, a=None):
    t = np.tanh(z) if a is None else a
    return 1 - t * t  # 1 - tanh^2; not (1 - tanh)^2 (an error in one of the sources)


def relu(z):
    return np.maximum(z, 0)


def relu_prime(z, a=None):
    # The derivative at exactly 0 is taken as 0 (as PyTorch and TensorFlow do).
    z = _float(z)
    return (z > 0).astype(z.dtype)


def leaky_relu(z, slope: float = LEAKY_RELU_SLOPE):
    z = _float(z)
    return np.where(z > 0, z, z.dtype.type(slope) * z)


def leaky_relu_prime(z, a=None, slope: float = LEAKY_RELU_SLOPE):
    z = _float(z)
    return np.where(z > 0, 1, slope).astype(z.dtype)


def elu(z, alpha: float = ELU_ALPHA):
    z = _float(z)
    # expm1 of min(z, 0): never overflows for large positive z (that branch is discarded anyway)
    return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0))).astype(z.dtype, copy=False)


def elu_prime(z, a=None, alpha: float = ELU_ALPHA):
    z = _float(z)
    return np.where(z > 0, 1, alpha * np.exp(np.minimum(z, 0))).astype(z.dtype, copy=False)


def softmax(z, axis: int = -1):
    """Row-wise softmax of (N, K) logits, stable for any logits.

    softmax(z) = softmax(z - c) for any constant c; with c = max_k z_k every
    exponent is <= 0, so nothing overflows and the largest term is exactly 1.
    """
    z = _float(z)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(z, axis: int = -1):
    """log(softmax(z)) computed without ever taking log(0): z - c - log(sum exp(z - c))."""
    z = _float(z)
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def softmax_backward(da, s):
    """Gradient through a row-wise softmax.

    With s = softmax(z), ds_i/dz_j = s_i (delta_ij - s_j), so for an upstream
    gradient ``da`` (N, K): dz = s * (da - sum_i da_i s_i), row by row.
    """
    return s * (da - (da * s).sum(axis=-1, keepdims=True))


#: name -> (f, f_prime) for the elementwise activations.
ELEMENTWISE = {
    "identity": (identity, identity_prime),
    "sigmoid": (sigmoid, sigmoid_prime),
    "tanh": (tanh, tanh_prime),
    "relu": (relu, relu_prime),
    "leaky_relu": (leaky_relu, leaky_relu_prime),
    "elu": (elu, elu_prime),
}


def get_activation(name: str):
    """``(f, f_prime)`` for an elementwise activation name; ``softmax`` returns ``(softmax, None)``."""
    if name in ELEMENTWISE:  # the common case first: this runs for every layer of every batch
        return ELEMENTWISE[name]
    if name == "softmax":
        return softmax, None
    check_choice("activation", name, list(ELEMENTWISE) + ["softmax"])
