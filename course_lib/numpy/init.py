"""Weight initialisation.

Why it matters (chapter 7): the variance of z^l is n_{l-1} Var(W) Var(a^{l-1}).
Choosing Var(W) ~ 1/n_{l-1} keeps activations, and hence gradients, from
shrinking or growing geometrically with depth.

* ``normal``: W ~ N(0, scale^2), the naive choice.
* ``glorot``: W ~ U(-r, r) with r = sqrt(6 / (n_in + n_out)) (Glorot & Bengio 2010), for tanh/sigmoid.
* ``he``:     W ~ N(0, 2 / n_in) (He et al. 2015), for ReLU.
"""

from __future__ import annotations

import numpy as np

from course_lib.validate import check_choice


def init_weight(n_in: int, n_out: int, method: str, rng: np.random.Generator, scale: float = 0.01):
    """A float64 (n_in, n_out) weight matrix drawn by ``method``."""
    check_choice("initializer", method, ("normal", "glorot", "he"))
    if method == "normal":
        return rng.normal(0.0, scale, size=(n_in, n_out))
    if method == "glorot":
        r = np.sqrt(6.0 / (n_in + n_out))
        return rng.uniform(-r, r, size=(n_in, n_out))
    return rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out))


def init_params(spec, seed: int | None = None):
    """``[(W^1, b^1), ..., (W^L, b^L)]`` in float64 for an :class:`~course_lib.spec.MLPSpec`.

    Every framework part of course_lib starts from these arrays, so a given
    spec and seed give the same initial network in NumPy, PyTorch and Keras.
    """
    rng = np.random.default_rng(spec.seed if seed is None else seed)
    return [
        (init_weight(n_in, n_out, spec.init, rng, spec.init_scale), np.zeros(n_out))
        for n_in, n_out in zip(spec.sizes[:-1], spec.sizes[1:])
    ]
