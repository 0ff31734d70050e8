"""Batch normalisation and inverted dropout, in the cs231n style of :mod:`course_lib.numpy.layers`.

``forward -> (out, cache)`` and ``backward(dout, cache) -> gradients``; shapes are batch-first,
(N, D): N samples, D features. Both layers behave differently in training and at inference
(``mode="train"`` or ``mode="eval"``), which is the point of chapter 7's section on them:

* batch normalisation normalises with the statistics of the mini-batch in training and keeps
  running averages of them, which it uses, fixed, at inference (where it is an affine map);
* inverted dropout zeroes each unit with probability ``p`` and scales the kept ones by
  ``1/(1-p)`` in training, and is the identity at inference.
"""

from __future__ import annotations

import numpy as np

from course_lib.validate import check_2d

__all__ = ["batchnorm_forward", "batchnorm_backward", "dropout_forward", "dropout_backward"]

MODES = ("train", "eval")


def _check_mode(mode: str) -> str:
    if mode not in MODES:
        raise ValueError(f"mode must be 'train' or 'eval'; got {mode!r}")
    return mode


def batchnorm_forward(x, gamma, beta, bn_param: dict):
    """Batch normalisation of each feature: y = gamma * (x - mu) / sqrt(var + eps) + beta.

    Parameters
    ----------
    x : (N, D) pre-activations;  gamma, beta : (D,) learned scale and shift.
    bn_param : a dict, the layer's state, updated in place:

        ``mode``          ``"train"`` (batch statistics; the running averages are updated) or
                          ``"eval"`` (the running averages are used; nothing is updated)
        ``eps``           added to the variance, default 1e-5
        ``momentum``      running = momentum * running + (1 - momentum) * batch, default 0.9
        ``running_mean``  (D,), created as zeros on the first call
        ``running_var``   (D,), created as ones on the first call

    In training, mu and var are the batch mean and the *biased* batch variance (divide by N),
    which the normalisation uses; the running variance is updated with the same biased variance
    (cs231n's convention; PyTorch's BatchNorm1d stores the unbiased one instead).

    Returns
    -------
    out : (N, D)
    cache : what :func:`batchnorm_backward` needs (for the mode it was run in).
    """
    mode = _check_mode(bn_param.get("mode", "train"))
    x = check_2d("x", x)
    n, d = x.shape
    gamma, beta = np.asarray(gamma), np.asarray(beta)
    if gamma.shape != (d,) or beta.shape != (d,):
        raise ValueError(f"gamma and beta must have shape ({d},); got {gamma.shape} and {beta.shape}")
    eps = float(bn_param.get("eps", 1e-5))
    momentum = float(bn_param.get("momentum", 0.9))
    running_mean = bn_param.setdefault("running_mean", np.zeros(d, dtype=x.dtype))
    running_var = bn_param.setdefault("running_var", np.ones(d, dtype=x.dtype))

    if mode == "train":
        if n < 2:
            raise ValueError("batch normalisation in training mode needs at least 2 samples per batch")
        mu = x.mean(axis=0)
        var = x.var(axis=0)
        running_mean *= momentum
        running_mean += (1 - momentum) * mu
        running_var *= momentum
        running_var += (1 - momentum) * var
    else:
        mu, var = running_mean, running_var
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mu) * inv_std
    out = gamma * x_hat + beta
    return out, (mode, x_hat, gamma, inv_std)


def batchnorm_backward(dout, cache):
    """Backward pass of :func:`batchnorm_forward`.

    Parameters
    ----------
    dout : (N, D) upstream gradient dL/dy.  cache : from the forward pass.

    Returns
    -------
    dx : (N, D). In training mode every x_n enters mu and var, and
         dx = (inv_std / N) * (N h - sum_n h - x_hat * sum_n h * x_hat),  h = gamma * dout;
         in eval mode the layer is affine and dx = gamma * inv_std * dout.
    dgamma : (D,) = sum_n dout * x_hat;   dbeta : (D,) = sum_n dout.
    """
    mode, x_hat, gamma, inv_std = cache
    if dout.shape != x_hat.shape:
        raise ValueError(f"dout must have shape {x_hat.shape}; got {dout.shape}")
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    h = dout * gamma
    if mode == "eval":
        return h * inv_std, dgamma, dbeta
    n = dout.shape[0]
    dx = (inv_std / n) * (n * h - h.sum(axis=0) - x_hat * (h * x_hat).sum(axis=0))
    return dx, dgamma, dbeta


def dropout_forward(x, p: float, mode: str = "train", rng=None):
    """Inverted dropout: each unit is zeroed with probability ``p`` in training.

    Parameters
    ----------
    x : (N, D) activations.  p : the dropout rate, 0 <= p < 1.
    mode : ``"train"`` (random mask, kept units scaled by 1/(1-p), so E[out] = x) or
        ``"eval"`` (the identity: out is x itself, deterministic).
    rng : a ``numpy.random.Generator`` (needed in training with p > 0).

    Returns
    -------
    out : (N, D)
    cache : (mode, mask) with mask = keep / (1 - p) in training, None in eval mode.
    """
    mode = _check_mode(mode)
    if not 0.0 <= p < 1.0:
        raise ValueError(f"the dropout rate p must be in [0, 1); got {p}")
    x = np.asarray(x)
    if mode == "eval" or p == 0.0:
        return x, ("eval", None)
    if rng is None:
        raise ValueError("dropout in training mode needs rng, a numpy.random.Generator")
    mask = (rng.random(x.shape) >= p).astype(x.dtype) / x.dtype.type(1.0 - p)
    return x * mask, ("train", mask)


def dropout_backward(dout, cache):
    """Backward pass of :func:`dropout_forward`: dx = mask * dout (dout itself in eval mode)."""
    mode, mask = cache
    if mask is None:
        return dout
    if dout.shape != mask.shape:
        raise ValueError(f"dout must have shape {mask.shape}; got {dout.shape}")
    return dout * mask
