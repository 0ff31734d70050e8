"""Argument checks shared by every module, and by NumPy, PyTorch and Keras alike.

Every error says what was expected and what was given, so that a student who
passes the wrong thing learns what to pass instead. Two rules live here and
nowhere else: what an input array may hold (:func:`check_inputs`) and how
targets are read (:func:`check_targets`).
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


def check_inputs(name: str, x, n_features: int | None = None) -> np.ndarray:
    """``x`` as a 2-D numeric array (N, n_features) of finite numbers, or a ValueError saying why not.

    Run once on the data a user passes in (``fit``, ``evaluate``, ``predict`` of every
    framework), not in the inner loop. It catches what would otherwise fail late and
    misleadingly: a NaN in X makes the loss NaN and the training loop blame the learning
    rate; an object array (a list with a None in it) becomes NaN without a word.
    Integer and boolean arrays are accepted (each framework casts to its own float dtype).
    """
    return check_numbers(name, check_2d(name, check_numbers(name, x, finite=False), n_features))


def check_numbers(name: str, x, finite: bool = True) -> np.ndarray:
    """``x`` (any shape) as a numeric array, finite when ``finite``: the dtype and value half of
    :func:`check_inputs`, for inputs that are not rows of features (images for a CNN)."""
    x = np.asarray(x)
    if x.dtype == object:
        raise ValueError(
            f"{name} is an array of Python objects (dtype object), e.g. numbers mixed with None or strings; "
            f"pass a float array: remove or fill in the missing entries, then np.asarray({name}, dtype=float)"
        )
    if x.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold numbers (float, int or bool); got dtype {x.dtype}")
    if finite and x.dtype.kind == "f" and not np.isfinite(x).all():
        bad = ~np.isfinite(x)
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"{name} contains {int(bad.sum())} NaN or infinite value(s), the first at index {where} "
            f"({x[where]}); a network cannot compute with them: remove or fill in those entries first"
        )
    return x


#: Which kind of targets each loss reads (see :func:`check_targets`).
TARGET_KINDS = {
    "mse": "values",
    "binary_cross_entropy": "binary", "sigmoid_binary_cross_entropy": "binary",
    "cross_entropy": "classes", "softmax_cross_entropy": "classes",
}


def check_targets(loss: str, y, n_outputs: int, n_samples: int | None = None) -> np.ndarray:
    """The one rule for targets, for every loss and every framework.

    Parameters
    ----------
    loss : a loss name (:data:`course_lib.spec.LOSS_NAMES`, or a fused name such as
        ``sigmoid_binary_cross_entropy``).
    y : the targets as given.
    n_outputs : K, the network's number of outputs.
    n_samples : N, when known: the number of rows ``y`` must have.

    Returns
    -------
    * ``mse``: float rows (N, K) (a (N,) vector is a column when K = 1);
    * binary cross-entropy: float rows (N, K) of probabilities in [0, 1] (a (N,) vector
      is a column when K = 1; integer labels (N,) in [0, K) become one-hot rows when K > 1);
    * (softmax) cross-entropy: integer labels (N,) in [0, K), kept as labels, or float rows
      (N, K) of probabilities: one-hot or any distribution (entries in [0, 1], rows summing to 1).

    Non-finite values, object arrays and non-numeric dtypes raise a ValueError, as for inputs.
    """
    kind = TARGET_KINDS[loss]
    y = check_numbers("targets", y)
    if n_samples is not None and (y.ndim == 0 or y.shape[0] != n_samples):
        what = f"{y.shape[0]}" if y.ndim else "a scalar"
        raise ValueError(f"one target per sample expected: {n_samples} samples, targets of shape {y.shape} ({what})")
    if kind == "classes" and y.ndim == 1:
        return check_labels(y, n_outputs)
    if y.ndim == 1 and kind == "binary" and n_outputs > 1 and y.dtype.kind in "iu":
        return as_one_hot(y, n_outputs)
    if y.ndim == 1 and n_outputs == 1:
        y = y[:, None]
    if y.ndim != 2 or y.shape[1] != n_outputs:
        expected = f"(N, {n_outputs})" + (" or integer labels (N,)" if kind == "classes" else "")
        raise ValueError(f"targets must have shape {expected} to match {n_outputs} outputs; got shape {y.shape}")
    if kind != "values" and y.size and (y.min() < 0 or y.max() > 1):
        raise ValueError(f"targets of {loss} must be probabilities in [0, 1]; got values from {y.min()} to {y.max()}")
    if kind == "classes" and y.size and not np.allclose(y.sum(axis=1), 1, atol=1e-3):
        raise ValueError("target rows for a cross-entropy must be one-hot or distributions summing to 1; "
                         f"got row sums from {y.sum(axis=1).min():.4g} to {y.sum(axis=1).max():.4g}")
    return y


def check_weights(params, shapes) -> list[tuple[np.ndarray, np.ndarray]]:
    """``[(W^1, b^1), ...]`` as arrays, checked against ``shapes`` = ``[(W shape, b shape), ...]``
    (:meth:`course_lib.spec.MLPSpec.shapes`) *before* anything is copied, so a wrong list
    leaves a model as it was. The one weight check of NumPy's, PyTorch's and Keras's ``set_weights``.
    """
    if len(params) != len(shapes):
        raise ValueError(f"expected {len(shapes)} (W, b) pairs; got {len(params)}")
    params = [(np.asarray(W), np.asarray(b)) for W, b in params]
    for l, ((W, b), (w_shape, b_shape)) in enumerate(zip(params, shapes), start=1):
        if W.shape != tuple(w_shape) or b.shape != tuple(b_shape):
            raise ValueError(f"layer {l}: expected W {tuple(w_shape)} and b {tuple(b_shape)}; got W {W.shape} and b {b.shape}")
    return params


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
