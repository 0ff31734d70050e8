"""The residual block of :mod:`course_lib.numpy.residual` in PyTorch: same equation, same names.

    out = skip * x + f(f(x) W1 + b1) W2 + b2        (the pre-activation block, no batch norm)

:func:`residual_forward` is the equation on tensors with the course's weight layout (W of shape
(n_in, n_out)); autograd provides the backward pass that the NumPy module writes out.
:class:`ResidualBlock` is the same as an ``nn.Module`` with two ``nn.Linear`` (which store W^T).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from course_lib.torch.mlp import as_torch_dtype, make_activation
from course_lib.validate import check_weights

__all__ = ["residual_forward", "ResidualBlock"]


def residual_forward(x, W1, b1, W2, b2, activation: str = "relu", skip: float = 1.0) -> torch.Tensor:
    """``skip * x + f(f(x) W1 + b1) W2 + b2`` for tensors x (N, D), W1 (D, H), b1 (H,), W2 (H, D), b2 (D,)."""
    f = make_activation(activation)
    z2 = f(f(x) @ W1 + b1) @ W2 + b2
    return z2 + skip * x if skip else z2


class ResidualBlock(nn.Module):
    """One residual block of width ``width`` with ``hidden`` units in its branch.

    ``linear1.weight`` is W1^T (hidden, width) and ``linear2.weight`` is W2^T (width, hidden):
    :meth:`get_params` / :meth:`set_params` take ``(W1, b1, W2, b2)`` with W (n_in, n_out), the
    order of :func:`residual_forward` in every framework of course_lib.
    Torch's own initialisation is left in place; set the weights to compare with NumPy or Keras.
    """

    def __init__(self, width: int, hidden: int | None = None, activation: str = "relu", skip: float = 1.0,
                 dtype=torch.float32):
        super().__init__()
        hidden = width if hidden is None else hidden
        dtype = as_torch_dtype(dtype)
        self.linear1 = nn.Linear(width, hidden, dtype=dtype)
        self.linear2 = nn.Linear(hidden, width, dtype=dtype)
        self.f = make_activation(activation)
        self.activation, self.skip = activation, float(skip)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z2 = self.linear2(self.f(self.linear1(self.f(x))))
        return z2 + self.skip * x if self.skip else z2

    def get_params(self):
        """``(W1, b1, W2, b2)`` as float64 NumPy copies, W (n_in, n_out): the order of :func:`residual_forward`."""
        return tuple(t.detach().cpu().double().numpy().copy()
                     for layer in (self.linear1, self.linear2) for t in (layer.weight.T, layer.bias))

    def set_params(self, params) -> None:
        """Copy ``(W1, b1, W2, b2)`` (W of shape (n_in, n_out)) into the two layers, checking every shape first."""
        layers = (self.linear1, self.linear2)
        W1, b1, W2, b2 = params
        pairs = check_weights([(W1, b1), (W2, b2)],
                              [(tuple(layer.weight.shape[::-1]), tuple(layer.bias.shape)) for layer in layers])
        with torch.no_grad():
            for (W, b), layer in zip(pairs, layers):
                layer.weight.copy_(torch.from_numpy(np.ascontiguousarray(W.T)))  # nn.Linear keeps W^T
                layer.bias.copy_(torch.from_numpy(np.ascontiguousarray(b)))

    def extra_repr(self) -> str:
        return f"activation={self.activation}, skip={self.skip}"
