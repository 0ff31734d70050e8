"""Wrong and alternative correct implementations of a1_activations_losses (see harness.py)."""

MUTANTS = {
    "sigmoid": [
        ("naive formula e^z / (1 + e^z): nan at z = 1000",
         ("e = np.exp(-np.abs(z))\n    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))", "return np.exp(z) / (1 + np.exp(z))")),
        ("derivative s (1 + s)", ("return s * (1 - s)", "return s * (1 + s)")),
        ("derivative written in terms of z instead of sigma(z)", ("return s * (1 - s)", "return s * (1 - z)")),
        ("sign of the exponent flipped: 1 / (1 + e^z)",
         ("return np.where(z >= 0, 1 / (1 + e), e / (1 + e))", "return np.where(z >= 0, e / (1 + e), 1 / (1 + e))")),
        ("derivative e^-z / (1 + e^-z)^2: nan at z = -1000",
         ("s = sigmoid(z)\n    return s * (1 - s)", "return np.exp(-z) / (1 + np.exp(-z)) ** 2")),
        ("float32 result", ("return np.where(z >= 0, 1 / (1 + e), e / (1 + e))",
                            "return np.where(z >= 0, 1 / (1 + e), e / (1 + e)).astype(np.float32)")),
        ("the input overwritten in place (np.abs(z, out=z))", ("e = np.exp(-np.abs(z))", "sign = z >= 0\n    e = np.exp(-np.abs(z, out=z))\n    z = np.where(sign, 1.0, -1.0)")),
    ],
    "tanh": [
        ("derivative (1 - tanh)^2 (an erratum of the sources)", ("return 1 - t * t", "return (1 - t) ** 2")),
        ("derivative 1 - z^2", ("return 1 - t * t", "return 1 - z * z")),
        ("derivative forgot the square", ("return 1 - t * t", "return 1 - t")),
        ("the definition with e^z: nan at z = 1000", ("return np.tanh(z)", "return (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))")),
        ("derivative 1 + tanh^2", ("return 1 - t * t", "return 1 + t * t")),
        ("tanh computed into the input (np.tanh(z, out=z))", ("return np.tanh(z)", "return np.tanh(z, out=z)")),
        ("tanh(z) = 2 sigma(z) - 1 (the 2 inside forgotten)", ("return np.tanh(z)", "return 2 / (1 + np.exp(-np.clip(z, -500, 500))) - 1")),
    ],
    "relu": [
        ("the input modified in place", ("return np.maximum(z, 0.0)", "z[z < 0] = 0\n    return z")),
        ("derivative 1 at z = 0", ("(z > 0)", "(z >= 0)")),
        ("derivative returned as booleans", ("return (z > 0).astype(np.float64)", "return z > 0")),
        ("derivative as integers", ("return (z > 0).astype(np.float64)", "return (z > 0).astype(int)")),
        ("relu of the absolute value", ("return np.maximum(z, 0.0)", "return np.abs(z)")),
        ("derivative in place into the input", ("return (z > 0).astype(np.float64)", "z[...] = z > 0\n    return z")),
        ("the whole array compared: max(z.max(), 0)", ("return np.maximum(z, 0.0)", "return np.maximum(z, 0.0) * 0 + max(z.max(), 0.0)")),
    ],
    "softmax": [
        ("no shift: overflows for large logits", ("np.exp(z - z.max(axis=1, keepdims=True))", "np.exp(z)")),
        ("normalised over the batch (axis 0)", ("e / e.sum(axis=1, keepdims=True)", "e / e.sum(axis=0, keepdims=True)")),
        ("one shift for the whole batch", ("z.max(axis=1, keepdims=True)", "z.max()")),
        ("the logits shifted in place", ("e = np.exp(z - z.max(axis=1, keepdims=True))", "z -= z.max(axis=1, keepdims=True)\n    e = np.exp(z)")),
        ("each row divided by the total of the whole batch", ("e / e.sum(axis=1, keepdims=True)", "e / e.sum()")),
        ("the shift subtracted column-wise (max over axis 0)", ("z.max(axis=1, keepdims=True)", "z.max(axis=0, keepdims=True)")),
        ("float32 result", ("return e / e.sum(axis=1, keepdims=True)", "return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)")),
        ("shift by the minimum instead of the maximum", ("z.max(axis=1, keepdims=True)", "z.min(axis=1, keepdims=True)")),
    ],
    "mse_loss": [
        ("gradient without the factor 2", ("2 * diff / diff.size", "diff / diff.size")),
        ("averaged over the samples only", ("float(np.mean(diff**2)), 2 * diff / diff.size",
                                            "float(np.sum(diff**2) / len(diff)), 2 * diff / len(diff)")),
        ("gradient with the wrong sign", ("2 * diff / diff.size", "2 * (y - y_pred) / diff.size")),
        ("a sum, not a mean", ("float(np.mean(diff**2)), 2 * diff / diff.size", "float(np.sum(diff**2)), 2 * diff")),
        ("the 1/2 convention: half the loss", ("float(np.mean(diff**2)), 2 * diff / diff.size", "float(np.mean(diff**2) / 2), diff / diff.size")),
        ("averaged over the outputs only", ("float(np.mean(diff**2)), 2 * diff / diff.size",
                                            "float(np.sum(diff**2) / diff.shape[1]), 2 * diff / diff.shape[1]")),
        ("the predictions modified in place", ("diff = y_pred - y", "y_pred -= y\n    diff = y_pred")),
        ("the loss returned as an array", ("return float(np.mean(diff**2)),", "return np.mean(diff**2, keepdims=True),")),
        ("gradient divided by N only", ("2 * diff / diff.size", "2 * diff / len(diff)")),
    ],
    "cross_entropy": [
        ("averaged over classes as well (an erratum of the sources)",
         ("loss = -log_p[np.arange(n), y].mean()", "loss = -log_p[np.arange(n), y].mean() / z.shape[1]")),
        ("gradient not divided by N", ("return float(loss), grad / n", "return float(loss), grad")),
        ("log of the softmax instead of the log-softmax: -inf for extreme logits",
         ("log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))",
          "log_p = np.log(np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True))")),
        ("the logits shifted in place", ("shifted = z - z.max(axis=1, keepdims=True)",
                                         "z -= z.max(axis=1, keepdims=True)\n    shifted = z")),
        ("labels indexed log_p[:, y] (an (N, N) block)", ("loss = -log_p[np.arange(n), y].mean()", "loss = -log_p[:, y].mean()")),
        ("the one-hot not subtracted", ("    grad[np.arange(n), y] -= 1\n", "")),
        ("a sum over the samples, not a mean", ("loss = -log_p[np.arange(n), y].mean()", "loss = -log_p[np.arange(n), y].sum()")),
        ("the loss's sign flipped", ("loss = -log_p[np.arange(n), y].mean()", "loss = log_p[np.arange(n), y].mean()")),
        ("the log-sum-exp over the batch (axis 0)", ("np.exp(shifted).sum(axis=1, keepdims=True)", "np.exp(shifted).sum(axis=0, keepdims=True)")),
        ("one shift for the whole batch", ("z.max(axis=1, keepdims=True)", "z.max()")),
        ("gradient Y - p (sign)", ("return float(loss), grad / n", "return float(loss), -grad / n")),
    ],
}

CORRECT = {
    "sigmoid": [
        "def sigmoid(z):\n    return 0.5 * (1 + np.tanh(0.5 * z))\n\n\n"
        "def sigmoid_prime(z):\n    return 0.25 / np.cosh(0.5 * z) ** 2",
        "def sigmoid(z):\n"
        "    out = np.empty_like(z)\n"
        "    for i, v in np.ndenumerate(z):\n"
        "        out[i] = 1 / (1 + np.exp(-v)) if v >= 0 else np.exp(v) / (1 + np.exp(v))\n"
        "    return out\n\n\n"
        "def sigmoid_prime(z):\n    return sigmoid(z) * sigmoid(-z)",
    ],
    "tanh": [
        "def tanh(z):\n    e = np.exp(-2 * np.abs(z))\n    return np.sign(z) * (1 - e) / (1 + e)\n\n\n"
        "def tanh_prime(z):\n    return 1 - tanh(z) ** 2",
        "def tanh(z):\n    return 2 / (1 + np.exp(-2 * np.clip(z, -300, 300))) - 1\n\n\n"
        "def tanh_prime(z):\n    e = np.exp(-2 * np.abs(z))\n    return 4 * e / (1 + e) ** 2",
    ],
    "relu": [
        "def relu(z):\n    return np.where(z > 0, z, 0.0)\n\n\n"
        "def relu_prime(z):\n    return np.heaviside(z, 0.0)",
        "def relu(z):\n    out = z.copy()\n    out[out < 0] = 0\n    return out\n\n\n"
        "def relu_prime(z):\n    return np.where(z > 0, 1.0, 0.0)",
    ],
    "softmax": [
        "def softmax(z):\n"
        "    m = z.max(axis=-1, keepdims=True)\n"
        "    log_norm = m + np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True))\n"
        "    return np.exp(z - log_norm)",
        "def softmax(z):\n"
        "    out = np.empty_like(z)\n"
        "    for n, row in enumerate(z):\n"
        "        e = np.exp(row - max(row))\n"
        "        out[n] = e / sum(e)\n"
        "    return out",
    ],
    "mse_loss": [
        "def mse_loss(y_pred, y):\n"
        "    d = y_pred - y\n"
        "    n = d.shape[0] * d.shape[1]\n"
        "    return np.einsum('nk,nk->', d, d) / n, (2.0 / n) * d",
        "def mse_loss(y_pred, y):\n"
        "    N, K = y_pred.shape\n"
        "    loss = sum((y_pred[n, k] - y[n, k]) ** 2 for n in range(N) for k in range(K)) / (N * K)\n"
        "    return float(loss), np.array([[2 * (y_pred[n, k] - y[n, k]) / (N * K) for k in range(K)] for n in range(N)])",
    ],
    "cross_entropy": [
        "def cross_entropy(z, y):\n"
        "    N, K = z.shape\n"
        "    Y = np.eye(K)[y]\n"
        "    m = z.max(axis=1, keepdims=True)\n"
        "    lse = m + np.log(np.exp(z - m).sum(axis=1, keepdims=True))\n"
        "    loss = np.sum(Y * (lse - z)) / N\n"
        "    p = np.exp(z - lse)\n"
        "    return loss, (p - Y) / N",
        "def cross_entropy(z, y):\n"
        "    N = len(z)\n"
        "    loss, grad = 0.0, np.zeros_like(z)\n"
        "    for n in range(N):\n"
        "        row = z[n] - np.max(z[n])\n"
        "        lse = np.log(np.sum(np.exp(row)))\n"
        "        loss += (lse - row[y[n]]) / N\n"
        "        grad[n] = np.exp(row - lse) / N\n"
        "        grad[n, y[n]] -= 1 / N\n"
        "    return loss, grad",
    ],
}

# VISIBLE: {grade_id: {mutant description (in MUTANTS): a phrase its *visible* test failure must contain}}.
# tests/test_assignments.py::test_visible_tests_name_the_mistake runs the visible tests alone (no nbgrader):
# each of these mistakes fails them with a message that names its cause, and every correct version passes.
# NOT_VISIBLE: the others, with the reason the visible tests cannot name them.
VISIBLE = {
    'sigmoid': {
        'naive formula e^z / (1 + e^z): nan at z = 1000': 'overflow',
        'derivative s (1 + s)': 'against finite differences',
        'derivative written in terms of z instead of sigma(z)': 'against finite differences',
        'sign of the exponent flipped: 1 / (1 + e^z)': 'sigmoid(z): relative error',
        'derivative e^-z / (1 + e^-z)^2: nan at z = -1000': 'overflow',
        'float32 result': 'expected dtype',
        'the input overwritten in place (np.abs(z, out=z))': 'changed its input',
    },
    'tanh': {
        'derivative (1 - tanh)^2 (an erratum of the sources)': 'against finite differences',
        'derivative 1 - z^2': 'against finite differences',
        'derivative forgot the square': 'against finite differences',
        'the definition with e^z: nan at z = 1000': 'overflow',
        'derivative 1 + tanh^2': 'against finite differences',
        'tanh computed into the input (np.tanh(z, out=z))': 'changed its input',
        'tanh(z) = 2 sigma(z) - 1 (the 2 inside forgotten)': 'tanh(z): relative error',
    },
    'relu': {
        'the input modified in place': 'changed its input',
        'derivative 1 at z = 0': '0 at z = 0',
        'derivative returned as booleans': 'expected dtype',
        'derivative as integers': 'expected dtype',
        'relu of the absolute value': 'relu(z): relative error',
        'derivative in place into the input': 'changed its input',
        'the whole array compared: max(z.max(), 0)': 'relu(z): relative error',
    },
    'softmax': {
        'no shift: overflows for large logits': 'keepdims',
        'normalised over the batch (axis 0)': 'keepdims',
        'one shift for the whole batch': 'keepdims',
        'the logits shifted in place': 'changed its input',
        'each row divided by the total of the whole batch': 'keepdims',
        'the shift subtracted column-wise (max over axis 0)': 'keepdims',
        'float32 result': 'expected dtype',
        'shift by the minimum instead of the maximum': 'overflow',
    },
    'mse_loss': {
        'gradient without the factor 2': 'times too',
        'averaged over the samples only': 'times too',
        'gradient with the wrong sign': 'wrong sign',
        'a sum, not a mean': 'times too',
        'the 1/2 convention: half the loss': 'times too',
        'averaged over the outputs only': 'times too',
        'the predictions modified in place': 'changed its input',
        'the loss returned as an array': 'Python float',
        'gradient divided by N only': 'times too',
    },
    'cross_entropy': {
        'averaged over classes as well (an erratum of the sources)': 'times too',
        'gradient not divided by N': 'times too',
        'log of the softmax instead of the log-softmax: -inf for extreme logits': 'use the log-softmax',
        'the logits shifted in place': 'changed its input',
        'labels indexed log_p[:, y] (an (N, N) block)': 'loss: expected 2.035104111700061',
        'the one-hot not subtracted': 'gradient: relative error',
        'a sum over the samples, not a mean': 'times too',
        "the loss's sign flipped": 'wrong sign',
        'the log-sum-exp over the batch (axis 0)': 'loss: expected 2.035104111700061',
        'one shift for the whole batch': 'shifted',
        'gradient Y - p (sign)': 'wrong sign',
    },
}

NOT_VISIBLE = {}
