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
from course_lib.validate import as_one_hot, check_2d, check_same_shape, check_targets


def _targets(pred: np.ndarray, y, loss: str) -> np.ndarray:
    """Targets as float rows shaped like ``pred`` (N, K), in its dtype.

    Read by the one rule of :func:`course_lib.validate.check_targets` (labels, one-hot
    rows, probabilities); integer labels become one-hot rows here.
    """
    y = check_targets(loss, y, pred.shape[1])
    if y.ndim == 1:
        y = as_one_hot(y, pred.shape[1])
    check_same_shape("predictions", pred, "targets", y)
    return y.astype(pred.dtype, copy=False)


def mse_loss(y_pred, y):
    """Mean squared error L = mean((y_pred - y)^2) over all N*K entries.

    Returns ``(L, dL/dy_pred)`` with the gradient 2 (y_pred - y) / (N K), shape (N, K).
    """
    y_pred = check_2d("predictions", y_pred)
    y = _targets(y_pred, y, "mse")
    diff = y_pred - y
    return float(np.mean(diff * diff)), (2 / diff.size) * diff


def binary_cross_entropy(p, y, eps: float = 1e-12):
    """L = -mean(y log p + (1 - y) log(1 - p)) for probabilities ``p`` (N, K) in (0, 1).

    ``p`` is clipped to [eps, 1 - eps] inside the logarithms only, so a
    saturated sigmoid gives a large finite loss instead of ``inf``. The clip is
    done in float64 whatever ``p``'s dtype: in float32, 1 - 1e-12 == 1, so a
    confident p = 1 would still reach log(0) and, with y = 1, 0 * log(0) = NaN.
    Returns ``(L, dL/dp)``, shape (N, K), in ``p``'s dtype.

    A network never calls this: its sigmoid output and this loss are computed together
    from the logits, by :func:`sigmoid_binary_cross_entropy` (exact where p has rounded to 1).
    """
    p = check_2d("probabilities", p)
    y = _targets(p, y, "binary_cross_entropy").astype(np.float64)
    pc = np.clip(p.astype(np.float64), eps, 1 - eps)
    loss = -np.mean(y * np.log(pc) + (1 - y) * np.log1p(-pc))
    grad = (pc - y) / (pc * (1 - pc)) / p.size
    return float(loss), grad.astype(p.dtype, copy=False)


def sigmoid_binary_cross_entropy(z, y):
    """Binary cross-entropy on *logits* z (N, K), fused with the sigmoid: exact for any finite z.

    With p = sigma(z): -log p = log(1 + e^{-z}) and -log(1 - p) = log(1 + e^{z}), so the
    loss of one entry is log(1 + e^z) - y z = max(z, 0) - y z + log1p(e^{-|z|}): no
    exponential overflows, and a confident right answer (z = 60, y = 1) gives its tiny
    loss e^{-60} instead of 0 - 0 or NaN. L is the mean over the N K entries and
    dL/dz = (sigma(z) - y) / (N K).
    """
    z = check_2d("logits", z)
    y = _targets(z, y, "sigmoid_binary_cross_entropy")
    loss = np.mean(np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z))))
    return float(loss), (sigmoid(z) - y) / z.size


def cross_entropy(p, y, eps: float = 1e-12):
    """Categorical cross-entropy of probabilities ``p`` (N, K): L = -(1/N) sum_n sum_k y_nk log p_nk.

    Returns ``(L, dL/dp)`` with dL/dp = -y / (N p). Prefer :func:`softmax_cross_entropy`
    on logits: it is stabler and its gradient is simpler (a network with a softmax output
    uses it: see :data:`course_lib.spec.LOGIT_LOSSES`).
    """
    p = check_2d("probabilities", p)
    y = _targets(p, y, "cross_entropy")
    pc = np.maximum(p, eps)  # 1e-12 is a normal float32: the clip holds in both dtypes
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
        if len(y) != n:
            raise ValueError(f"one label per row expected: {n} rows of logits {z.shape}, {len(y)} labels")
        labels = check_targets("softmax_cross_entropy", y, z.shape[1])
        rows = np.arange(n)
        loss = np.sum(np.log(total[:, 0]) - shifted[rows, labels]) / n  # -log softmax at the label
        probs[rows, labels] -= 1
    else:
        y = _targets(z, y, "softmax_cross_entropy")
        loss = -np.sum(y * (shifted - np.log(total))) / n
        probs -= y
    probs /= n
    return float(loss), probs


#: The loss of the network output a^L, by loss name (for a caller who has only a^L).
LOSSES = {
    "mse": mse_loss,
    "binary_cross_entropy": binary_cross_entropy,
    "cross_entropy": cross_entropy,
    "softmax_cross_entropy": softmax_cross_entropy,
}

#: The fused losses of :data:`course_lib.spec.LOGIT_LOSSES`, on the logits z^L: what the MLP trains with.
LOGIT_LOSSES = {
    "sigmoid_binary_cross_entropy": sigmoid_binary_cross_entropy,
    "softmax_cross_entropy": softmax_cross_entropy,
}
