"""Wrong and alternative correct implementations of a2_backprop's graded functions (see harness.py)."""

MUTANTS = {
    "dense_forward": [
        ("bias forgotten", ("out = x @ W + b", "out = x @ W")),
        ("hard-coded for the visible test's shape", ("    out = x @ W + b",
         "    out = x @ W + b if x.shape == (2, 3) else np.zeros((x.shape[0], W.shape[1]))")),
        ("cache in the wrong order", ("    cache = (x, W)", "    cache = (W, x)")),
        ("bias reshaped to a column", ("out = x @ W + b", "out = x @ W + b.reshape(-1, 1)")),
        ("the transposed product (x W)^T", ("out = x @ W + b", "out = (x @ W).T + b[:, None]")),
        ("float32 output", ("out = x @ W + b", "out = (x @ W + b).astype(np.float32)")),
        ("the cache holds x W instead of x", ("    cache = (x, W)", "    cache = (x @ W, W)")),
        ("x overwritten by the layer's input scaled in place", ("out = x @ W + b", "out = x @ W + b\n    x *= 1.0000001")),
        ("the bias summed into one number", ("out = x @ W + b", "out = x @ W + b.sum()")),
    ],
    "dense_backward": [
        ("db averaged over the batch instead of summed", ("dout.sum(axis=0)", "dout.mean(axis=0)")),
        ("dW transposed", ("dW = x.T @ dout", "dW = dout.T @ x")),
        ("dout modified in place", ("dx = dout @ W.T", "dout *= 1.5\n    dx = dout @ W.T / 1.5")),
        ("db summed over the wrong axis", ("dout.sum(axis=0)", "dout.sum(axis=1)")),
        ("db with keepdims", ("dout.sum(axis=0)", "dout.sum(axis=0, keepdims=True)")),
        ("dx without the transpose: W dout^T", ("dx = dout @ W.T", "dx = W @ dout.T")),
        ("dW divided by N", ("dW = x.T @ dout", "dW = x.T @ dout / x.shape[0]")),
        ("db summed over everything", ("dout.sum(axis=0)", "dout.sum() * np.ones(dout.shape[1])")),
        ("db forgotten (zeros)", ("dout.sum(axis=0)", "np.zeros(dout.shape[1])")),
    ],
    "mlp_forward": [
        ("tanh forgotten on the hidden layers", ("a = np.tanh(a @ W + b)", "a = a @ W + b")),
        ("tanh also on the output layer", ("return a @ W + b, activations", "return np.tanh(a @ W + b), activations")),
        ("a^0 = x missing from the activations", ("activations = [x]", "activations = []")),
        ("the output appended to the activations too", ("return a @ W + b, activations",
                                                        "out = a @ W + b\n    activations.append(out)\n    return out, activations")),
        ("pre-activations z stored instead of a", ("a = np.tanh(a @ W + b)\n        activations.append(a)",
                                                   "z = a @ W + b\n        activations.append(z)\n        a = np.tanh(z)")),
        ("sigmoid instead of tanh", ("a = np.tanh(a @ W + b)", "a = 1 / (1 + np.exp(-(a @ W + b)))")),
        ("only the first hidden layer gets tanh", ("    for W, b in params[:-1]:\n        a = np.tanh(a @ W + b)",
                                                  "    for l, (W, b) in enumerate(params[:-1]):\n        a = np.tanh(a @ W + b) if l == 0 else a @ W + b")),
        ("the last layer skipped: the output is a^(L-1)", ("return a @ W + b, activations", "return a, activations")),
        ("x updated in place by the first layer", ("a = x\n", "a = x\n    x += 0.0 * x + 1e-3\n")),
    ],
    "mlp_backward": [
        ("tanh derivative written (1 - a)^2", ("(1 - a_prev**2)", "(1 - a_prev)**2")),
        ("activation derivative forgotten", ("(delta @ params[l][0].T) * (1 - a_prev**2)", "delta @ params[l][0].T")),
        ("output layer skipped", ("for l in reversed(range(len(params))):", "grads[-1] = (np.zeros_like(params[-1][0]), np.zeros_like(params[-1][1]))\n    for l in reversed(range(len(params) - 1)):")),
        ("db averaged over the batch", ("delta.sum(axis=0))", "delta.mean(axis=0))")),
        ("dW transposed", ("(a_prev.T @ delta,", "(delta.T @ a_prev,")),
        ("delta sent back through W, not W^T", ("(delta @ params[l][0].T)", "(delta @ params[l][0])")),
        ("the gradients in reverse order", ("    return grads", "    return grads[::-1]")),
        ("the derivative of the layer above: 1 - a^2 of the wrong layer", ("(1 - a_prev**2)", "(1 - activations[min(l + 1, len(activations) - 1)]**2)")),
        ("dout modified in place", ("delta = dout  ", "delta = dout\n    delta *= 1.0\n    dout += 0.0 * dout + 1e-3\n    delta = dout  ")),
        ("db with keepdims", ("delta.sum(axis=0))", "delta.sum(axis=0, keepdims=True))")),
    ],
    "sgd_step": [
        ("gradient ascent (sign)", ("W - lr * dW, b - lr * db", "W + lr * dW, b + lr * db")),
        ("parameters updated in place", "def sgd_step(params, grads, lr):\n    for (W, b), (dW, db) in zip(params, grads):\n        W -= lr * dW\n        b -= lr * db\n    return params"),
        ("biases not updated", ("b - lr * db", "b")),
        ("the learning rate forgotten on the biases", ("b - lr * db", "b - db")),
        ("the learning rate divided, not multiplied", ("W - lr * dW, b - lr * db", "W - dW / lr, b - db / lr")),
        ("np.subtract(..., out=W): in place", ("W - lr * dW, b - lr * db", "np.subtract(W, lr * dW, out=W), np.subtract(b, lr * db, out=b)")),
        ("the gradients of the layers in reverse order", ("zip(params, grads)", "zip(params, grads[::-1])")),
        ("only the first layer updated", "def sgd_step(params, grads, lr):\n    (W, b), (dW, db) = params[0], grads[0]\n    return [(W - lr * dW, b - lr * db)] + list(params[1:])"),
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
# NOT_VISIBLE: the others, with the reason the visible tests cannot name them.
VISIBLE = {
    'dense_forward': {
        'bias forgotten': 'All zeros',
        "hard-coded for the visible test's shape": 'All zeros',
        'cache in the wrong order': 'cache[0] (x)',
        'bias reshaped to a column': 'shapes do not fit',
        'the transposed product (x W)^T': 'transpose',
        'float32 output': 'expected dtype',
        'the cache holds x W instead of x': 'cache[0] (x)',
        "x overwritten by the layer's input scaled in place": 'changed its input',
        'the bias summed into one number': 'b added to every row',
    },
    'dense_backward': {
        'db averaged over the batch instead of summed': 'times too',
        'dW transposed': 'transpose',
        'dout modified in place': 'changed its input',
        'db summed over the wrong axis': 'wrong axis',
        'db with keepdims': 'keepdims',
        'dx without the transpose: W dout^T': 'transpose',
        'dW divided by N': 'times too',
        'db forgotten (zeros)': 'All zeros',
    },
    'mlp_forward': {
        'tanh forgotten on the hidden layers': 'a^1 = tanh',
        'tanh also on the output layer': 'no activation',
        'a^0 = x missing from the activations': "the layers' inputs",
        'the output appended to the activations too': "the layers' inputs",
        'pre-activations z stored instead of a': 'a^1 = tanh',
        'sigmoid instead of tanh': 'a^1 = tanh',
        'only the first hidden layer gets tanh': 'of the 3-layer network',
        'the last layer skipped: the output is a^(L-1)': 'no activation',
        'x updated in place by the first layer': 'changed its input',
    },
    'mlp_backward': {
        'tanh derivative written (1 - a)^2': 'BP2',
        'activation derivative forgotten': 'BP2',
        'output layer skipped': 'shapes do not fit',
        'db averaged over the batch': 'times too',
        'dW transposed': 'transpose',
        'delta sent back through W, not W^T': 'shapes do not fit',
        'the derivative of the layer above: 1 - a^2 of the wrong layer': 'shapes do not fit',
        'dout modified in place': 'changed its input',
        'db with keepdims': 'keepdims',
    },
    'sgd_step': {
        'gradient ascent (sign)': 'wrong sign',
        'parameters updated in place': 'changed its input',
        'biases not updated': 'All zeros',
        'the learning rate forgotten on the biases': 'times too',
        'the learning rate divided, not multiplied': '(W - lr dW)',
        'np.subtract(..., out=W): in place': 'changed its input',
        'the gradients of the layers in reverse order': 'shapes do not fit',
        'only the first layer updated': 'All zeros',
    },
}

NOT_VISIBLE = {
    "dense_backward": {"db summed over everything": "a wrong value whose cause the numbers do not single out (the hidden tests catch it)"},
    "mlp_backward": {"the gradients in reverse order": "a shape message only (dW^3 has the shape of W^1); the hidden tests catch it"},
}
