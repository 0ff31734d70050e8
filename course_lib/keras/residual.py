"""The residual block of :mod:`course_lib.numpy.residual` in Keras 3: same equation, same names.

    out = skip * x + f(f(x) W1 + b1) W2 + b2        (the pre-activation block, no batch norm)

:func:`residual_forward` is the equation in ``keras.ops`` (any backend), with the course's weight
layout W (n_in, n_out), which is also Keras's kernel layout. :class:`ResidualBlock` is the same as
a ``keras.layers.Layer`` holding two ``Dense``; the backend's autodiff gives the backward pass.
"""

from __future__ import annotations

import keras
import numpy as np

from course_lib.keras.mlp import ACTIVATIONS, as_keras_dtype
from course_lib.validate import check_weights

__all__ = ["residual_forward", "ResidualBlock"]


def residual_forward(x, W1, b1, W2, b2, activation: str = "relu", skip: float = 1.0):
    """``skip * x + f(f(x) W1 + b1) W2 + b2`` for x (N, D), W1 (D, H), b1 (H,), W2 (H, D), b2 (D,)."""
    f = keras.activations.get(ACTIVATIONS[activation])
    z2 = keras.ops.matmul(f(keras.ops.matmul(f(x), W1) + b1), W2) + b2
    return z2 + skip * x if skip else z2


@keras.saving.register_keras_serializable(package="course_lib")
class ResidualBlock(keras.layers.Layer):
    """One residual block of width ``width`` with ``hidden`` units in its branch (two ``Dense``).

    :meth:`get_params` / :meth:`set_params` take ``(W1, b1, W2, b2)`` with W (n_in, n_out), the
    order of :func:`residual_forward` in every framework of course_lib.
    Keras's own initialisation is left in place; set the weights to compare with NumPy or PyTorch.
    """

    def __init__(self, width: int, hidden: int | None = None, activation: str = "relu", skip: float = 1.0,
                 dtype="float32", **kwargs):
        super().__init__(dtype=as_keras_dtype(dtype), **kwargs)
        self.width, self.hidden = int(width), int(width if hidden is None else hidden)
        self.activation, self.skip = activation, float(skip)
        self.f = keras.layers.Activation(ACTIVATIONS[activation], dtype=self.dtype_policy)
        self.dense1 = keras.layers.Dense(self.hidden, dtype=self.dtype_policy, name="dense1")
        self.dense2 = keras.layers.Dense(self.width, dtype=self.dtype_policy, name="dense2")

    def build(self, input_shape):
        self.dense1.build(input_shape)
        self.dense2.build((*input_shape[:-1], self.hidden))

    def call(self, x):
        z2 = self.dense2(self.f(self.dense1(self.f(x))))
        return z2 + self.skip * x if self.skip else z2

    def get_params(self):
        """``(W1, b1, W2, b2)`` as float64 NumPy copies, W (n_in, n_out): the order of :func:`residual_forward`."""
        return tuple(np.array(keras.ops.convert_to_numpy(v), dtype=np.float64)
                     for d in (self.dense1, self.dense2) for v in (d.kernel, d.bias))

    def set_params(self, params) -> None:
        """Copy ``(W1, b1, W2, b2)`` into the two layers (building them if needed), checking every shape first."""
        if not self.built:
            self.build((None, self.width))
        layers = (self.dense1, self.dense2)
        W1, b1, W2, b2 = params
        pairs = check_weights([(W1, b1), (W2, b2)], [(tuple(d.kernel.shape), tuple(d.bias.shape)) for d in layers])
        for (W, b), d in zip(pairs, layers):
            d.kernel.assign(W.astype(d.kernel.dtype))  # same (n_in, n_out) layout: no transpose
            d.bias.assign(b.astype(d.bias.dtype))

    def get_config(self):
        return {**super().get_config(), "width": self.width, "hidden": self.hidden,
                "activation": self.activation, "skip": self.skip}
