"""Wrong and alternative correct implementations of a1_activations_losses (see harness.py)."""

MUTANTS = {
    "sigmoid": [
        ("naive formula e^z / (1 + e^z): nan at z = 1000",
         ("e = np.exp(-np.abs(z))\n    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))", "return np.exp(z) / (1 + np.exp(z))")),
        ("derivative s (1 + s)", ("return s * (1 - s)", "return s * (1 + s)")),
        ("derivative written in terms of z instead of sigma(z)", ("return s * (1 - s)", "return s * (1 - z)")),
    ],
    "tanh": [
        ("derivative (1 - tanh)^2 (an erratum of the sources)", ("return 1 - t * t", "return (1 - t) ** 2")),
        ("derivative 1 - z^2", ("return 1 - t * t", "return 1 - z * z")),
        ("derivative forgot the square", ("return 1 - t * t", "return 1 - t")),
    ],
    "relu": [
        ("the input modified in place", ("return np.maximum(z, 0.0)", "z[z < 0] = 0\n    return z")),
        ("derivative 1 at z = 0", ("(z > 0)", "(z >= 0)")),
        ("derivative returned as booleans", ("return (z > 0).astype(np.float64)", "return z > 0")),
    ],
    "softmax": [
        ("no shift: overflows for large logits", ("np.exp(z - z.max(axis=1, keepdims=True))", "np.exp(z)")),
        ("normalised over the batch (axis 0)", ("e / e.sum(axis=1, keepdims=True)", "e / e.sum(axis=0, keepdims=True)")),
        ("one shift for the whole batch", ("z.max(axis=1, keepdims=True)", "z.max()")),
        ("the logits shifted in place", ("e = np.exp(z - z.max(axis=1, keepdims=True))", "z -= z.max(axis=1, keepdims=True)\n    e = np.exp(z)")),
    ],
    "mse_loss": [
        ("gradient without the factor 2", ("2 * diff / diff.size", "diff / diff.size")),
        ("averaged over the samples only", ("float(np.mean(diff**2)), 2 * diff / diff.size",
                                            "float(np.sum(diff**2) / len(diff)), 2 * diff / len(diff)")),
        ("gradient with the wrong sign", ("2 * diff / diff.size", "2 * (y - y_pred) / diff.size")),
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
VISIBLE = {
    "softmax": {"one shift for the whole batch": "Subtract each row's own maximum",
                "normalised over the batch (axis 0)": "the columns sum to 1, not the rows"},
    "mse_loss": {"averaged over the samples only": "2 times too large, a factor of K, the number of outputs"},
    "cross_entropy": {"averaged over classes as well (an erratum of the sources)":
                      "3 times too small, a factor of K, the number of classes",
                      "gradient not divided by N": "2 times too large, a factor of N, the number of samples"},
}
