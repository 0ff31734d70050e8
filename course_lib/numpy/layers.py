"""Layers in the cs231n style: ``forward -> (out, cache)``, ``backward(dout, cache) -> gradients``.

The cache holds exactly what the backward pass needs, nothing more.
Shapes are batch-first: N samples, D inputs, M outputs. Every function keeps
its inputs' dtype (float32 in, float32 out).

These are the functions the NumPy :class:`~course_lib.numpy.MLP` is built from: its
forward pass is ``dense_forward`` then ``activation_forward``, layer by layer, and its
backward pass ``activation_backward`` then ``dense_backward``, in reverse. The optional
arguments (``overwrite``, ``dW``/``db``, ``need_dx``) only let the MLP reuse memory;
the numbers are the same with or without them.
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
    out = x @ W
    if out.dtype == np.result_type(out, b):
        out += b  # in place: saves one (N, M) temporary
    else:
        out = out + b
    return out, (x, W)


def dense_backward(dout, cache, dW=None, db=None, need_dx: bool = True):
    """Backward pass of :func:`dense_forward`.

    Parameters
    ----------
    dout : (N, M) upstream gradient dL/dz.
    cache : (x, W) from the forward pass.
    dW, db : optional arrays of shapes (D, M) and (M,) to write the gradients into
        (the MLP passes views of its flat gradient buffer, so no new arrays are made).
    need_dx : False skips dx (returned as None). The first layer of a network needs no
        dL/dx, and dout W^T is the largest product of its backward pass.

    Returns
    -------
    dx : (N, D) = dout W^T
    dW : (D, M) = x^T dout      (sums the N per-sample outer products)
    db : (M,)   = sum over the batch of dout
    """
    x, W = cache
    if dout.shape != (x.shape[0], W.shape[1]):
        raise ValueError(f"dout must have shape {(x.shape[0], W.shape[1])}; got {dout.shape}")
    dW = np.matmul(x.T, dout, out=dW)
    db = dout.sum(axis=0, out=db)
    return (dout @ W.T if need_dx else None), dW, db


def activation_forward(z, name: str, overwrite: bool = False):
    """a = f(z) for the activation called ``name``; returns ``(a, cache)`` with cache ``(z, a, name)``.

    ``overwrite=True`` lets ReLU write a over z (then z and a are one array): its backward
    pass needs only where z > 0, which is exactly where a > 0. Other activations ignore it.
    """
    if overwrite and name == "relu":
        a = np.maximum(z, 0, out=z)
        return a, (a, a, name)
    f, _ = get_activation(name)
    a = f(z)
    return a, (z, a, name)


def activation_backward(da, cache, overwrite: bool = False):
    """dL/dz (shape of z) from dL/da: elementwise ``da * f'(z)``, or the softmax Jacobian product.

    ``overwrite=True`` allows writing the result over ``da`` (when the caller owns it).
    """
    z, a, name = cache
    if name == "identity":
        return da
    if name == "softmax":
        return softmax_backward(da, a)
    if name == "relu" and overwrite:
        return np.multiply(da, z > 0, out=da)  # f'(z) is 0 or 1: a mask, applied in place
    _, f_prime = get_activation(name)
    return da * f_prime(z, a)
