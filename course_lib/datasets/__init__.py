"""Data sets of the course, each returned as a :class:`Split` (train / validation / test).

Offline, generated or shipped with scikit-learn (:mod:`~course_lib.datasets.toy`):

======================  ===========================================  ==============
function                what                                         X, y shapes
======================  ===========================================  ==============
``load_digits``         8x8 handwritten digits, 10 classes           (N, 64), (N,)
``make_circles``        two concentric circles                       (N, 2), (N,)
``make_moons``          two interleaving half moons                  (N, 2), (N,)
``xor_points``          the 4 XOR points (a tuple, not a Split)      (4, 2), (4,)
``make_xor``            noisy XOR clusters                           (N, 2), (N,)
``make_linear``         y = 2x + 3 + noise                           (N, 1), (N, 1)
``make_log1p``          y = ln(x + 1)                                (N, 1), (N, 1)
``make_noisy_sine``     y = sin(x) + noise                           (N, 1), (N, 1)
``make_2d_function``    y = sin(pi x1) cos(pi x2)                    (N, 2), (N, 1)
======================  ===========================================  ==============

Downloaded once, checked by SHA-256, cached (:mod:`~course_lib.datasets.mnist`):
``load_mnist(kind="mnist" | "fashion")``, images (N, 784), labels (N,).

Example::

    from course_lib.datasets import make_circles
    data = make_circles(n=600, noise=0.1, seed=0)
    X_train, y_train = data.train        # (360, 2) float32, (360,) int64
"""

from course_lib.datasets.idx import read_idx
from course_lib.datasets.mnist import (
    DATA_DIR_ENV, REGISTRY, ChecksumMismatch, DatasetUnavailable, data_dir, fetch_mnist, load_mnist,
)
from course_lib.datasets.split import Split, make_split, split_indices
from course_lib.datasets.toy import (
    load_digits, make_2d_function, make_circles, make_linear, make_log1p, make_moons, make_noisy_sine,
    make_xor, sin_cos, xor_points,
)

__all__ = [
    "Split", "make_split", "split_indices",
    "load_digits", "make_circles", "make_moons", "xor_points", "make_xor",
    "make_linear", "make_log1p", "make_noisy_sine", "make_2d_function", "sin_cos",
    "load_mnist", "fetch_mnist", "data_dir", "read_idx", "DatasetUnavailable", "ChecksumMismatch",
    "REGISTRY", "DATA_DIR_ENV",
]
