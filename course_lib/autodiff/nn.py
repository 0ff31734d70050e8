"""A tiny multilayer perceptron made of :class:`Value` scalars (chapter 4).

Slow (one Python object per number) but every derivative is visible: it is
the NumPy MLP with the back-propagation equations replaced by the tape.
"""

from __future__ import annotations

import random

from course_lib.autodiff.reverse import Value


class Neuron:
    """a = f(sum_j w_j x_j + b) for one unit with ``n_in`` inputs."""

    def __init__(self, n_in: int, activation: str, rng: random.Random):
        scale = (1.0 / n_in) ** 0.5
        self.w = [Value(rng.gauss(0.0, scale)) for _ in range(n_in)]
        self.b = Value(0.0)
        self.activation = activation

    def __call__(self, x):
        z = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return z if self.activation == "identity" else getattr(z, self.activation)()

    def parameters(self):
        return self.w + [self.b]


class ValueMLP:
    """Layers of :class:`Neuron` s: ``sizes = [n_0, ..., n_L]``, ``activation`` on hidden layers, identity output."""

    def __init__(self, sizes, activation: str = "tanh", seed: int = 0):
        if activation not in ("tanh", "sigmoid", "relu"):
            raise ValueError(f"unknown activation {activation!r}; expected one of ['relu', 'sigmoid', 'tanh']")
        rng = random.Random(seed)
        self.layers = [
            [Neuron(n_in, activation if l < len(sizes) - 2 else "identity", rng) for _ in range(n_out)]
            for l, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]))
        ]

    def __call__(self, x):
        for layer in self.layers:
            x = [neuron(x) for neuron in layer]
        return x

    def parameters(self):
        return [p for layer in self.layers for neuron in layer for p in neuron.parameters()]

    def sgd_step(self, lr: float) -> None:
        """p <- p - lr * dL/dp for every parameter (after ``loss.backward()``)."""
        for p in self.parameters():
            p.data -= lr * p.grad
