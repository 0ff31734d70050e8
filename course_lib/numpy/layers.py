"""Layers in the cs231n style: ``forward -> (out, cache)``, ``backward(dout, cache) -> gradients``.

The cache holds exactly what the backward pass needs, nothing more.
Shapes are batch-first: N samples, D inputs, M outputs.
"""

from __future__ import annotations

import numpy as np

from course_lib.numpy.activations import get_activation, softmax_backward
from course_lib.validate import check_2d


def dense_forward(x, W, b):
    """Affine layer z = x W + b.

    Parameters
    ----------
    x : (N, D) inputs;  W : (D, M) weights;  b : (M,) biases.

    Returns
    -------
    out : (N, M)
    cache : (x, W), for :func:`dense_backward`.
    """
    x = check_2d("x", x, n_features=W.shape[0])
    if b.shape != (W.shape[1],):
        raise ValueError(f"b must have shape ({W.shape[1]},) to match W {W.shape}; got {b.shape}")
    return x @ W + b, (x, W)


def dense_backward(dout, cache):
    """Backward pass of :func:`dense_forward`.

    Parameters
    ----------
    dout : (N, M) upstream gradient dL/dz.
    cache : (x, W) from the forward pass.

    Returns
    -------
    dx : (N, D) = dout W^T
    dW : (D, M) = x^T dout      (sums the N per-sample outer products)
    db : (M,)   = sum over the batch of dout
    """
    x, W = cache
    if dout.shape != (x.shape[0], W.shape[1]):
        raise ValueError(f"dout must have shape {(x.shape[0], W.shape[1])}; got {dout.shape}")
    return dout @ W.T, x.T @ dout, dout.sum(axis=0)


def activation_forward(z, name: str):
    """a = f(z) for the activation called ``name``; returns ``(a, cache)``."""
    f, _ = get_activation(name)
    a = f(z)
    return a, (z, a, name)


def activation_backward(da, cache):
    """dL/dz from dL/da: elementwise ``da * f'(z)``, or the softmax Jacobian product."""
    z, a, name = cache
    if name == "softmax":
        return softmax_backward(da, a)
    _, f_prime = get_activation(name)
    return da * f_prime(z, a)
