"""Small data sets that need no download: generated (circles, moons, XOR, regression
curves, a 2-D function) or shipped with scikit-learn (the 8x8 digits).

Every function takes a ``seed`` and returns a :class:`~course_lib.datasets.split.Split`:
the same seed gives the same data and the same split. Classification inputs
are standardised by default (``scale=True``); the regression curves are not
(``scale=False``), so that the plotted x is the x of the formula.
"""

from __future__ import annotations

import numpy as np
from sklearn import datasets as skd

from course_lib.datasets.split import Split, make_split


def load_digits(
    val_size: float | int = 0.2,
    test_size: float | int = 0.2,
    seed: int = 0,
    scale: bool | str | None = True,
    dtype=np.float32,
) -> Split:
    """scikit-learn's handwritten digits: 1797 images of 8x8 pixels, 10 classes (offline).

    Returns a :class:`Split` with ``X`` of shape (N, 64) (pixel intensities 0..16
    before scaling; ``X[i].reshape(8, 8)`` is the image) and labels (N,) in 0..9.
    The parts are stratified: each keeps the class proportions of the whole.
    """
    digits = skd.load_digits()
    return make_split(
        digits.data, digits.target, name="digits", task="classification",
        val_size=val_size, test_size=test_size, seed=seed, scale=scale, dtype=dtype,
        class_names=tuple(str(d) for d in range(10)),
    )


def make_circles(
    n: int = 600,
    noise: float = 0.1,
    factor: float = 0.5,
    seed: int = 0,
    val_size: float | int = 0.2,
    test_size: float | int = 0.2,
    scale: bool | str | None = True,
    dtype=np.float32,
) -> Split:
    """Two concentric circles in the plane: not linearly separable (chapter 6).

    Class 0 is the outer circle (radius 1), class 1 the inner one (radius ``factor``),
    each point moved by Gaussian noise of std ``noise``. ``X`` is (N, 2), ``y`` is (N,).
    """
    X, y = skd.make_circles(n_samples=n, noise=noise, factor=factor, random_state=seed)
    return make_split(
        X, y, name="circles", task="classification", val_size=val_size, test_size=test_size,
        seed=seed, scale=scale, dtype=dtype, class_names=("outer", "inner"),
    )


def make_moons(
    n: int = 600,
    noise: float = 0.2,
    seed: int = 0,
    val_size: float | int = 0.2,
    test_size: float | int = 0.2,
    scale: bool | str | None = True,
    dtype=np.float32,
) -> Split:
    """Two interleaving half circles with Gaussian noise of std ``noise``. ``X`` (N, 2), ``y`` (N,)."""
    X, y = skd.make_moons(n_samples=n, noise=noise, random_state=seed)
    return make_split(
        X, y, name="moons", task="classification", val_size=val_size, test_size=test_size,
        seed=seed, scale=scale, dtype=dtype, class_names=("upper", "lower"),
    )


def xor_points(dtype=np.float32) -> tuple[np.ndarray, np.ndarray]:
    """The four XOR points, the smallest problem a linear model cannot solve (chapter 3).

    Returns ``X`` (4, 2) = [[0,0], [0,1], [1,0], [1,1]] and ``y`` (4,) = [0, 1, 1, 0].
    There is nothing to split: the exercise is to fit these four points exactly.
    For a noisy version with train/validation/test parts use :func:`make_xor`.
    """
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=dtype)
    y = np.array([0, 1, 1, 0], dtype=np.int64)
    return X, y


def make_xor(
    n: int = 400,
    noise: float = 0.15,
    seed: int = 0,
    val_size: float | int = 0.2,
    test_size: float | int = 0.2,
    scale: bool | str | None = False,
    dtype=np.float32,
) -> Split:
    """Noisy XOR: ``n`` points scattered (Gaussian, std ``noise``) around the four corners of :func:`xor_points`.

    Each point takes the label of its corner, ``x1 XOR x2``. ``X`` (N, 2), ``y`` (N,).
    Not scaled by default, so the corners stay at 0 and 1.
    """
    rng = np.random.default_rng(seed)
    corners, labels = xor_points(np.float64)
    which = rng.integers(0, 4, size=n)
    X = corners[which] + rng.normal(0.0, noise, size=(n, 2))
    return make_split(
        X, labels[which], name="xor", task="classification", val_size=val_size, test_size=test_size,
        seed=seed, scale=scale, dtype=dtype, class_names=("0", "1"),
    )


def _curve(name, f, n, noise, x_range, seed, val_size, test_size, scale, dtype) -> Split:
    """y = f(x) + N(0, noise^2) at ``n`` points x drawn uniformly in ``x_range``; x and y are (N, 1)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(*x_range, size=(n, 1))
    y = f(x) + rng.normal(0.0, noise, size=(n, 1))
    return make_split(
        x, y, name=name, task="regression", val_size=val_size, test_size=test_size,
        seed=seed, scale=scale, dtype=dtype, target_fn=f,
    )


def make_linear(
    n: int = 200,
    noise: float = 1.0,
    seed: int = 0,
    x_range: tuple[float, float] = (-3.0, 3.0),
    val_size: float | int = 0.2,
    test_size: float | int = 0.2,
    scale: bool | str | None = False,
    dtype=np.float32,
) -> Split:
    """Linear regression data: y = 2x + 3 + noise, noise ~ N(0, ``noise``^2). ``X`` and ``y`` are (N, 1).

    The true line is ``split.target_fn``; a fitted model should find slope 2 and intercept 3 (chapter 5).
    """
    return _curve("linear", lambda x: 2 * x + 3, n, noise, x_range, seed, val_size, test_size, scale, dtype)


def make_log1p(
    n: int = 200,
    noise: float = 0.0,
    seed: int = 0,
    x_range: tuple[float, float] = (0.0, 5.0),
    val_size: float | int = 0.2,
    test_size: float | int = 0.2,
    scale: bool | str | None = False,
    dtype=np.float32,
) -> Split:
    """y = ln(x + 1) (+ optional Gaussian noise of std ``noise``) on ``x_range``. ``X`` and ``y`` are (N, 1)."""
    return _curve("log1p", np.log1p, n, noise, x_range, seed, val_size, test_size, scale, dtype)


def make_noisy_sine(
    n: int = 200,
    noise: float = 0.1,
    seed: int = 0,
    x_range: tuple[float, float] = (-np.pi, np.pi),
    val_size: float | int = 0.2,
    test_size: float | int = 0.2,
    scale: bool | str | None = False,
    dtype=np.float32,
) -> Split:
    """y = sin(x) + noise, noise ~ N(0, ``noise``^2), on ``x_range`` (one period by default). ``X``, ``y`` (N, 1)."""
    return _curve("sine", np.sin, n, noise, x_range, seed, val_size, test_size, scale, dtype)


def sin_cos(X: np.ndarray) -> np.ndarray:
    """f(x1, x2) = sin(pi x1) cos(pi x2) for (M, 2) inputs; returns (M, 1)."""
    X = np.asarray(X)
    return (np.sin(np.pi * X[:, 0]) * np.cos(np.pi * X[:, 1]))[:, None]


def make_2d_function(
    n: int = 1000,
    noise: float = 0.0,
    seed: int = 0,
    val_size: float | int = 0.2,
    test_size: float | int = 0.2,
    scale: bool | str | None = False,
    dtype=np.float32,
) -> Split:
    """A smooth function of two variables for universal approximation (chapter 2):

        f(x1, x2) = sin(pi x1) cos(pi x2)   on the square [-1, 1]^2,

    sampled at ``n`` uniform random points, plus optional Gaussian noise of std ``noise``.
    ``X`` is (N, 2), ``y`` is (N, 1); ``split.target_fn`` is ``f`` (see :func:`sin_cos`).
    """
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, size=(n, 2))
    y = sin_cos(X) + rng.normal(0.0, noise, size=(n, 1))
    return make_split(
        X, y, name="sin_cos_2d", task="regression", val_size=val_size, test_size=test_size,
        seed=seed, scale=scale, dtype=dtype, target_fn=sin_cos,
    )
