"""Argument checks shared by every module.

Every error says what was expected and what was given, so that a student who
passes the wrong thing learns what to pass instead.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


def check_choice(what: str, given: str, options: Iterable[str]) -> str:
    """Return ``given`` if it is one of ``options``; otherwise raise a ValueError naming them."""
    options = sorted(options)
    if given not in options:
        raise ValueError(f"unknown {what} {given!r}; expected one of {options}")
    return given


def check_2d(name: str, x, n_features: int | None = None) -> np.ndarray:
    """Return ``x`` as a 2-D array (N x features), checking the number of features."""
    x = np.asarray(x)
    if x.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array of shape (N, features); got shape {x.shape}")
    if n_features is not None and x.shape[1] != n_features:
        raise ValueError(
            f"{name} must have {n_features} features (shape (N, {n_features})); got shape {x.shape}"
        )
    return x


def check_same_shape(name_a: str, a: np.ndarray, name_b: str, b: np.ndarray) -> None:
    """Raise a ValueError unless ``a`` and ``b`` have the same shape."""
    if a.shape != b.shape:
        raise ValueError(f"{name_a} and {name_b} must have the same shape; got {a.shape} and {b.shape}")


def check_labels(y, n_classes: int) -> np.ndarray:
    """Return ``y`` as integer class labels (N,) in ``[0, n_classes)``, or raise a ValueError saying why."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"class labels must have shape (N,); got shape {y.shape}")
    if not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"class labels must be integers; got dtype {y.dtype}")
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(
            f"labels must lie in [0, {n_classes}) to match {n_classes} outputs; "
            f"got labels from {y.min()} to {y.max()}"
        )
    return y


def as_one_hot(y, n_classes: int, dtype=np.float64) -> np.ndarray:
    """Targets for an ``n_classes`` output, as one-hot rows of shape (N, n_classes).

    Accepts integer labels of shape (N,) in ``[0, n_classes)`` or one-hot rows of
    shape (N, n_classes); anything else raises a ValueError that says why.
    """
    y = np.asarray(y)
    if y.ndim == 1:
        y = check_labels(y, n_classes)
        one_hot = np.zeros((y.shape[0], n_classes), dtype=dtype)
        one_hot[np.arange(y.shape[0]), y] = 1
        return one_hot
    if y.ndim == 2 and y.shape[1] == n_classes:
        return y.astype(dtype, copy=False)
    raise ValueError(
        f"targets must be integer labels of shape (N,) or one-hot rows of shape (N, {n_classes}); "
        f"got shape {y.shape}"
    )
