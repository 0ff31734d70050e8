"""The residual block in the cs231n style of :mod:`course_lib.numpy.layers`.

A block of width D adds a two-layer branch to its input (the "pre-activation" form of He et al.
2016, *Identity mappings in deep residual networks*, without batch normalisation):

    h1  = f(x)                 z1 = h1 W1 + b1        (the branch's first layer)
    h2  = f(z1)                z2 = h2 W2 + b2        (its second)
    out = skip * x + z2                               (the identity path joins)

``skip = 1`` is the residual block; ``skip = 0`` removes the identity path and leaves two ordinary
layers of the MLP. A stack ``dense -> block -> ... -> block -> f -> dense`` with ``skip = 0`` is
exactly :class:`~course_lib.numpy.MLP` with 2K + 2 layers (every hidden layer followed by f): the
ablation of chapter 7. The block is built from ``dense_forward`` / ``activation_forward`` and their
backward passes, nothing else.

Backward, with g = dC/d out: x reaches the output twice, through the identity and through the
branch, so (BP2 with an identity path)

    dC/dx = skip * g  +  ((g W2^T) * f'(z1)) W1^T * f'(x)

The first term carries the error to x without multiplying it by any weight matrix or slope, so
it cannot vanish through a product of many small factors (chapter 7).
"""

from __future__ import annotations

import numpy as np

from course_lib.numpy.init import init_weight
from course_lib.numpy.layers import activation_backward, activation_forward, dense_backward, dense_forward
from course_lib.validate import check_2d

__all__ = ["residual_forward", "residual_backward", "init_residual"]


def residual_forward(x, W1, b1, W2, b2, activation: str = "relu", skip: float = 1.0):
    """One residual block ``out = skip * x + f(f(x) W1 + b1) W2 + b2``.

    Parameters
    ----------
    x : (N, D) inputs.  W1 : (D, H), b1 : (H,): the branch's first layer.
    W2 : (H, D), b2 : (D,): its second layer, back to the width D of x (so the two can be added).
    activation : a name of :mod:`course_lib.numpy.activations`, applied before each of the two layers.
    skip : the weight of the identity path: 1 for a residual block, 0 for two plain layers.

    Returns
    -------
    out : (N, D)
    cache : what :func:`residual_backward` needs.
    """
    x = check_2d("x", x, n_features=W1.shape[0])
    if W2.shape != (W1.shape[1], W1.shape[0]):
        raise ValueError(f"W2 must have shape {(W1.shape[1], W1.shape[0])} to bring the branch back to x's width; "
                         f"got {W2.shape}")
    h1, act1 = activation_forward(x, activation)
    z1, dense1 = dense_forward(h1, W1, b1)
    h2, act2 = activation_forward(z1, activation)
    z2, dense2 = dense_forward(h2, W2, b2)
    out = z2 + skip * x if skip else z2    # skip = 0: exactly the plain layers (not z2 + 0 * x)
    return out, (act1, dense1, act2, dense2, float(skip))


def residual_backward(dout, cache):
    """Backward pass of :func:`residual_forward`.

    Parameters
    ----------
    dout : (N, D) upstream gradient dC/d out.  cache : from the forward pass.

    Returns
    -------
    dx : (N, D) = skip * dout + ((dout W2^T) * f'(z1)) W1^T * f'(x)
    grads : ``(dW1, db1, dW2, db2)`` of shapes (D, H), (H,), (H, D), (D,), in the order of the parameters.
    """
    act1, dense1, act2, dense2, skip = cache
    dh2, dW2, db2 = dense_backward(dout, dense2)         # the branch's second layer
    dz1 = activation_backward(dh2, act2)
    dh1, dW1, db1 = dense_backward(dz1, dense1)          # and its first
    dx = activation_backward(dh1, act1)
    if skip:
        dx = dx + skip * dout                            # the identity path: dout itself reaches x
    return dx, (dW1, db1, dW2, db2)


def init_residual(width: int, hidden: int, rng: np.random.Generator, method: str = "he", scale: float = 0.01):
    """``(W1, b1, W2, b2)`` in float64 for a block of width ``width`` with ``hidden`` branch units:
    each weight drawn by :func:`~course_lib.numpy.init.init_weight` (``method``), in the order an
    :class:`~course_lib.numpy.MLP` of the same layers would draw them; biases zero."""
    return (init_weight(width, hidden, method, rng, scale), np.zeros(hidden),
            init_weight(hidden, width, method, rng, scale), np.zeros(width))
