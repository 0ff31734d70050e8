"""Loss functions. Each returns ``(loss, grad)``: a scalar and dloss/dprediction.

Every loss is a *mean over the N samples of the batch* (and, for the
elementwise losses, over the outputs too, as PyTorch and Keras define them).
The cross-entropies sum over classes and average over samples only: averaging
over classes as well would silently divide the gradient by K.

Shapes: predictions and targets are (N, K). Classification targets may also
be integer labels of shape (N,).
"""

from __future__ import annotations

import numpy as np

from course_lib.numpy.activations import sigmoid
from course_lib.validate import as_one_hot, check_2d, check_labels, check_same_shape


def _targets(pred: np.ndarray, y) -> np.ndarray:
    """Targets as an array shaped like ``pred`` (N, K), in its dtype.

    Integer labels (N,) become one-hot rows when K > 1; a (N,) target for a
    single output (K = 1) becomes a column.
    """
    y = np.asarray(y)
    if y.ndim == 1 and pred.shape[1] > 1:
        y = as_one_hot(y, pred.shape[1])
    elif y.ndim == 1:
        y = y[:, None]
    check_same_shape("predictions", pred, "targets", y)
    return y.astype(pred.dtype, copy=False)


def mse_loss(y_pred, y):
    """Mean squared error L = mean((y_pred - y)^2) over all N*K entries.

    Returns ``(L, dL/dy_pred)`` with the gradient 2 (y_pred - y) / (N K), shape (N, K).
    """
    y_pred = check_2d("predictions", y_pred)
    y = _targets(y_pred, y)
    diff = y_pred - y
    return float(np.mean(diff * diff)), (2 / diff.size) * diff


def binary_cross_entropy(p, y, eps: float = 1e-12):
    """L = -mean(y log p + (1 - y) log(1 - p)) for probabilities ``p`` (N, K) in (0, 1).

    ``p`` is clipped to [eps, 1 - eps] inside the logarithms only, so a
    saturated sigmoid gives a large finite loss instead of ``inf``.
    Returns ``(L, dL/dp)``, shape (N, K).
    """
    p = check_2d("probabilities", p)
    y = _targets(p, y)
    pc = np.clip(p, eps, 1 - eps)
    loss = -np.mean(y * np.log(pc) + (1 - y) * np.log1p(-pc))
    grad = (pc - y) / (pc * (1 - pc)) / p.size
    return float(loss), grad


def sigmoid_binary_cross_entropy(z, y):
    """Binary cross-entropy on *logits* z, fused with the sigmoid (stable for any z).

    log sigma(z) = -log(1 + e^{-z}) = -logaddexp(0, -z), so
    L = mean(logaddexp(0, z) - y z), and dL/dz = (sigma(z) - y) / (N K).
    """
    z = check_2d("logits", z)
    y = _targets(z, y)
    loss = np.mean(np.logaddexp(0, z) - y * z)
    return float(loss), (sigmoid(z) - y) / z.size


def cross_entropy(p, y, eps: float = 1e-12):
    """Categorical cross-entropy of probabilities ``p`` (N, K): L = -(1/N) sum_n sum_k y_nk log p_nk.

    Returns ``(L, dL/dp)`` with dL/dp = -y / (N p). Prefer :func:`softmax_cross_entropy`
    on logits: it is stabler and its gradient is simpler.
    """
    p = check_2d("probabilities", p)
    y = _targets(p, y)
    pc = np.maximum(p, eps)
    n = p.shape[0]
    return float(-np.sum(y * np.log(pc)) / n), -y / (n * pc)


def softmax_cross_entropy(z, y):
    """Softmax and cross-entropy fused, on logits z (N, K).

    L = -(1/N) sum_n log softmax(z_n)_{y_n}, computed with log-softmax so no
    probability is ever rounded to 0 before its logarithm. The gradient is the
    famous (softmax(z) - onehot(y)) / N. ``y`` is integer labels (N,) or
    target rows (N, K) (one-hot or any distribution).
    """
    z = check_2d("logits", z)
    n = z.shape[0]
    # One exponential serves both the loss and the gradient.
    shifted = z - z.max(axis=1, keepdims=True)  # every exponent <= 0: no overflow
    probs = np.exp(shifted)
    total = probs.sum(axis=1, keepdims=True)  # >= 1 (the largest term is e^0), so never log(0)
    probs /= total
    if np.ndim(y) == 1 and z.shape[1] > 1:
        # Integer labels (the training loop's case): pick each row's true class instead of
        # building and multiplying by a one-hot matrix.
        labels = check_labels(y, z.shape[1])
        if labels.shape[0] != n:
            raise ValueError(f"one label per row expected: {n} rows of logits {z.shape}, {labels.shape[0]} labels")
        rows = np.arange(n)
        loss = np.sum(np.log(total[:, 0]) - shifted[rows, labels]) / n  # -log softmax at the label
        probs[rows, labels] -= 1
    else:
        y = _targets(z, y)
        loss = -np.sum(y * (shifted - np.log(total))) / n
        probs -= y
    probs /= n
    return float(loss), probs


LOSSES = {
    "mse": mse_loss,
    "binary_cross_entropy": binary_cross_entropy,
    "cross_entropy": cross_entropy,
    "softmax_cross_entropy": softmax_cross_entropy,
}
