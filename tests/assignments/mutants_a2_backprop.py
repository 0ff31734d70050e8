"""Wrong and alternative correct implementations of a2_backprop's graded functions (see harness.py)."""

MUTANTS = {
    "dense_forward": [
        ("bias forgotten", ("out = x @ W + b", "out = x @ W")),
        ("hard-coded for the visible test's shape", ("    out = x @ W + b",
         "    out = x @ W + b if x.shape == (2, 3) else np.zeros((x.shape[0], W.shape[1]))")),
        ("cache in the wrong order", ("    cache = (x, W)", "    cache = (W, x)")),
    ],
    "dense_backward": [
        ("db averaged over the batch instead of summed", ("dout.sum(axis=0)", "dout.mean(axis=0)")),
        ("dW transposed", ("dW = x.T @ dout", "dW = dout.T @ x")),
        ("dout modified in place", ("dx = dout @ W.T", "dout *= 1.5\n    dx = dout @ W.T / 1.5")),
    ],
    "mlp_forward": [
        ("tanh forgotten on the hidden layers", ("a = np.tanh(a @ W + b)", "a = a @ W + b")),
        ("tanh also on the output layer", ("return a @ W + b, activations", "return np.tanh(a @ W + b), activations")),
        ("a^0 = x missing from the activations", ("activations = [x]", "activations = []")),
    ],
    "mlp_backward": [
        ("tanh derivative written (1 - a)^2", ("(1 - a_prev**2)", "(1 - a_prev)**2")),
        ("activation derivative forgotten", ("(delta @ params[l][0].T) * (1 - a_prev**2)", "delta @ params[l][0].T")),
        ("output layer skipped", ("for l in reversed(range(len(params))):", "grads[-1] = (np.zeros_like(params[-1][0]), np.zeros_like(params[-1][1]))\n    for l in reversed(range(len(params) - 1)):")),
    ],
    "sgd_step": [
        ("gradient ascent (sign)", ("W - lr * dW, b - lr * db", "W + lr * dW, b + lr * db")),
        ("parameters updated in place", "def sgd_step(params, grads, lr):\n    for (W, b), (dW, db) in zip(params, grads):\n        W -= lr * dW\n        b -= lr * db\n    return params"),
        ("biases not updated", ("b - lr * db", "b")),
    ],
}

CORRECT = {
    "dense_forward": [
        "def dense_forward(x, W, b):\n    return np.einsum('nd,dm->nm', x, W) + b[None, :], (x, W)",
        "def dense_forward(x, W, b):\n"
        "    N, M = x.shape[0], W.shape[1]\n"
        "    out = np.empty((N, M))\n"
        "    for n in range(N):\n"
        "        for m in range(M):\n"
        "            out[n, m] = sum(x[n, d] * W[d, m] for d in range(W.shape[0])) + b[m]\n"
        "    return out, (x, W)",
    ],
    "dense_backward": [
        "def dense_backward(dout, cache):\n"
        "    x, W = cache\n"
        "    return np.einsum('nm,dm->nd', dout, W), np.einsum('nd,nm->dm', x, dout), np.einsum('nm->m', dout)",
        "def dense_backward(dout, cache):\n"
        "    x, W = cache\n"
        "    dW = np.zeros_like(W)\n"
        "    db = np.zeros(W.shape[1])\n"
        "    for n in range(x.shape[0]):\n"
        "        dW += np.outer(x[n], dout[n])\n"
        "        db += dout[n]\n"
        "    return np.dot(W, dout.T).T, dW, db",
    ],
    "mlp_forward": [
        "def mlp_forward(x, params):\n"
        "    L = len(params)\n"
        "    activations = []\n"
        "    a = x\n"
        "    for l in range(L):\n"
        "        W, b = params[l]\n"
        "        z = np.dot(a, W) + b\n"
        "        if l == L - 1:\n"
        "            return z, activations + [a]\n"
        "        activations.append(a)\n"
        "        a = (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))",
        "def mlp_forward(x, params):\n"
        "    activations = [x]\n"
        "    for W, b in params[:-1]:\n"
        "        z, _ = dense_forward(activations[-1], W, b)\n"
        "        activations.append(2 / (1 + np.exp(-2 * z)) - 1)\n"
        "    out, _ = dense_forward(activations[-1], *params[-1])\n"
        "    return out, activations",
    ],
    "mlp_backward": [
        "def mlp_backward(dout, activations, params):\n"
        "    grads = []\n"
        "    delta = dout\n"
        "    for (W, b), a in zip(params[::-1], activations[::-1]):\n"
        "        grads.insert(0, (np.einsum('ni,nj->ij', a, delta), np.einsum('nj->j', delta)))\n"
        "        delta = np.einsum('nj,ij->ni', delta, W) * (1 - a * a)\n"
        "    return grads",
        "def mlp_backward(dout, activations, params):\n"
        "    grads = {}\n"
        "    delta = dout\n"
        "    for l in range(len(params) - 1, -1, -1):\n"
        "        dx, dW, db = dense_backward(delta, (activations[l], params[l][0]))\n"
        "        grads[l] = (dW, db)\n"
        "        delta = dx * (1 - np.square(activations[l]))\n"
        "    return [grads[l] for l in range(len(params))]",
    ],
    "sgd_step": [
        "def sgd_step(params, grads, lr):\n"
        "    new = []\n"
        "    for (W, b), (dW, db) in zip(params, grads):\n"
        "        W2, b2 = W.copy(), b.copy()\n"
        "        W2 -= lr * dW\n"
        "        b2 -= lr * db\n"
        "        new.append((W2, b2))\n"
        "    return new",
        "def sgd_step(params, grads, lr):\n"
        "    return [tuple(p - lr * g for p, g in zip(pair, gpair)) for pair, gpair in zip(params, grads)]",
    ],
}

# VISIBLE: {grade_id: {mutant description (in MUTANTS): a phrase its *visible* test failure must contain}}.
# tests/test_assignments.py::test_visible_tests_name_the_mistake runs the visible tests alone (no nbgrader):
# each of these mistakes fails them with a message that names its cause, and every correct version passes.
VISIBLE = {
    "dense_backward": {"db averaged over the batch instead of summed": "4 times too small, a factor of N, the number",
                       "dW transposed": "That is the transpose"},
}
