"""A data set cut into training, validation and test parts, and the scaling fitted on them.

Every loader in :mod:`course_lib.datasets` returns a :class:`Split`. The three
parts are disjoint, drawn with a seed (the same seed gives the same split),
and any scaling is *fitted on the training part only*: the validation and
test parts are transformed with the training mean and standard deviation, as
new data would be. Fitting the scaler on all the data would leak information
about the test set into training (chapter 7).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import MinMaxScaler, StandardScaler

#: Values accepted by ``scale=``: ``True`` means ``"standard"``, ``False``/``None`` no scaling.
SCALINGS = ("standard", "minmax")


# eq=False: comparing Splits with == would compare arrays elementwise, which has no single truth value.
@dataclass(frozen=True, eq=False)
class Split:
    """Training, validation and test data, batch-first.

    Attributes
    ----------
    X_train, X_val, X_test : (N_part, D) float arrays
        Inputs, one row per sample (``D`` features; images flattened unless said otherwise).
    y_train, y_val, y_test :
        Classification: integer labels of shape (N_part,) in ``[0, n_classes)``.
        Regression: targets of shape (N_part, 1).
    name : str
        The data set, e.g. ``"circles"``.
    task : str
        ``"classification"`` or ``"regression"``.
    class_names : tuple of str, or None
        Name of each label (classification only).
    scaler : fitted scikit-learn transformer, or None
        What was applied to every ``X`` part, fitted on ``X_train`` only.
        ``scaler.transform(X_new)`` prepares new data the same way;
        ``scaler.inverse_transform(X)`` undoes it (to show images, for instance).
    scaling : str
        The scaling in words, e.g. ``"standardised with the training mean and std"``.
    target_fn : callable or None
        Regression only: the noise-free function ``f`` with ``y = f(x) + noise``,
        mapping (M, D) inputs *before scaling* to (M, 1); for plotting the true curve.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    name: str = ""
    task: str = "classification"
    class_names: tuple[str, ...] | None = None
    scaler: object | None = None
    scaling: str = "none"
    target_fn: Callable[[np.ndarray], np.ndarray] | None = None

    @property
    def train(self) -> tuple[np.ndarray, np.ndarray]:
        """``(X_train, y_train)``."""
        return self.X_train, self.y_train

    @property
    def val(self) -> tuple[np.ndarray, np.ndarray]:
        """``(X_val, y_val)``."""
        return self.X_val, self.y_val

    @property
    def test(self) -> tuple[np.ndarray, np.ndarray]:
        """``(X_test, y_test)``."""
        return self.X_test, self.y_test

    @property
    def n_features(self) -> int:
        """Number of input features ``D`` (the product of the trailing dimensions)."""
        return int(np.prod(self.X_train.shape[1:]))

    @property
    def n_classes(self) -> int | None:
        """Number of classes, or None for regression."""
        return None if self.class_names is None else len(self.class_names)

    @property
    def sizes(self) -> tuple[int, int, int]:
        """``(N_train, N_val, N_test)``."""
        return len(self.X_train), len(self.X_val), len(self.X_test)

    def __repr__(self) -> str:
        n_tr, n_va, n_te = self.sizes
        return (
            f"Split({self.name!r}, {self.task}: train {n_tr}, val {n_va}, test {n_te}; "
            f"X_train {self.X_train.shape} {self.X_train.dtype}, y_train {self.y_train.shape} {self.y_train.dtype}; "
            f"scaling: {self.scaling})"
        )


def _count(size: float | int, n: int, what: str) -> int:
    """A part's size as a number of samples: a float in [0, 1) is a fraction of ``n``."""
    if isinstance(size, (float, np.floating)) and not float(size).is_integer():
        if not 0 <= size < 1:
            raise ValueError(f"{what} must be a fraction in [0, 1) or a number of samples; got {size}")
        return int(round(size * n))
    size = int(size)
    if not 0 <= size < n:
        raise ValueError(f"{what} must be a fraction in [0, 1) or a number of samples below {n}; got {size}")
    return size


def split_indices(
    n: int,
    val_size: float | int,
    test_size: float | int,
    seed: int = 0,
    stratify: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Disjoint index arrays ``(train, val, test)`` that together cover ``range(n)``.

    ``val_size`` and ``test_size`` are fractions of all ``n`` samples (``0.2``)
    or numbers of samples (``200``). With ``stratify`` (the labels, (n,)) each
    part keeps the class proportions of the whole.
    """
    n_val, n_test = _count(val_size, n, "val_size"), _count(test_size, n, "test_size")
    if n - n_val - n_test < 1:
        raise ValueError(f"val_size + test_size leave no training data out of {n} samples")
    idx = np.arange(n)
    # Two cuts: first the test part, then the validation part from what is left.
    # Integer sizes make the part sizes exact, whatever the rounding of fractions.
    rest, test = (idx, idx[:0]) if n_test == 0 else train_test_split(
        idx, test_size=n_test, random_state=seed, stratify=stratify)
    if n_val == 0:
        return rest, idx[:0], test
    train, val = train_test_split(
        rest, test_size=n_val, random_state=seed + 1,
        stratify=None if stratify is None else stratify[rest])
    return train, val, test


def make_scaler(scale: bool | str | None):
    """An unfitted scikit-learn scaler for ``scale`` (see :data:`SCALINGS`), or None."""
    if scale is None or scale is False:
        return None
    if scale is True:
        scale = "standard"
    if scale == "standard":
        return StandardScaler()
    if scale == "minmax":
        return MinMaxScaler()
    raise ValueError(f"unknown scaling {scale!r}; expected True, False, or one of {list(SCALINGS)}")


_SCALING_WORDS = {
    "StandardScaler": "standardised with the training mean and std",
    "MinMaxScaler": "min-max scaled to [0, 1] with the training min and max",
}


def make_split(
    X: np.ndarray,
    y: np.ndarray,
    *,
    name: str,
    task: str,
    val_size: float | int,
    test_size: float | int,
    seed: int,
    scale: bool | str | None,
    dtype=np.float32,
    class_names: tuple[str, ...] | None = None,
    target_fn: Callable | None = None,
) -> Split:
    """Cut ``(X, y)`` into a :class:`Split` and scale it, fitting the scaler on the training part only.

    ``X`` is (N, D); ``y`` is (N,) integer labels (classification) or (N,) / (N, 1) targets
    (regression, returned as (N, 1) in ``dtype``).
    """
    X = np.asarray(X)
    y = np.asarray(y)
    if task == "classification":
        y = y.astype(np.int64)
        stratify = y
    else:
        y = y.reshape(-1, 1).astype(dtype)
        stratify = None
    train, val, test = split_indices(len(X), val_size, test_size, seed=seed, stratify=stratify)
    # Scale in float64 and convert once at the end: float32 statistics would differ in the last bits.
    parts = [X[i].astype(np.float64) for i in (train, val, test)]
    scaler = make_scaler(scale)
    scaling = "none"
    if scaler is not None:
        scaler.fit(parts[0])  # the training part only: no leakage from validation or test
        parts = [scaler.transform(p) if len(p) else p for p in parts]
        scaling = _SCALING_WORDS[type(scaler).__name__]
    Xtr, Xva, Xte = (p.astype(dtype) for p in parts)
    return Split(
        Xtr, y[train], Xva, y[val], Xte, y[test],
        name=name, task=task, class_names=class_names, scaler=scaler, scaling=scaling, target_fn=target_fn,
    )
