"""Wrong and alternative correct implementations of a4_optimizers (see harness.py)."""

MUTANTS = {
    "momentum_update": [
        ("momentum forgotten", ("v = mu * v - lr * g", "v = -lr * g")),
        ("parameters moved with the old velocity", ("v = mu * v - lr * g\n    return p + v, v",
                                                    "v_new = mu * v - lr * g\n    return p + v, v_new")),
        ("parameters updated in place", ("return p + v, v", "p += v\n    return p, v")),
        ("lr and mu swapped in the signature (the visible tests pass them by keyword)",
         ("def momentum_update(p, g, v, lr=0.01, mu=0.9):", "def momentum_update(p, g, v, mu=0.9, lr=0.01):")),
        ("PyTorch's convention v = mu v + g, p = p - lr v", ("v = mu * v - lr * g\n    return p + v, v", "v = mu * v + g\n    return p - lr * v, v")),
        ("the velocity's sign flipped (v = mu v + lr g, p = p - v)", ("v = mu * v - lr * g\n    return p + v, v", "v = mu * v + lr * g\n    return p - v, v")),
        ("float32 state", ("v = mu * v - lr * g", "v = (mu * v - lr * g).astype(np.float32)")),
        ("mu applied to the gradient", ("v = mu * v - lr * g", "v = v - mu * lr * g")),
        ("returns (v, p)", ("return p + v, v", "return v, p + v")),
        ("velocity updated in place", ("v = mu * v - lr * g", "v *= mu\n    v -= lr * g")),
    ],
    "adagrad_update": [
        ("squared gradients not accumulated", ("G = G + g * g", "G = g * g")),
        ("square root forgotten", ("(np.sqrt(G) + eps)", "(G + eps)")),
        ("eps inside the square root", ("(np.sqrt(G) + eps)", "np.sqrt(G + eps)")),
        ("state accumulated in place", ("G = G + g * g", "G += g * g")),
        ("float32 state", ("G = G + g * g", "G = (G + g * g).astype(np.float32)")),
        ("|g| summed instead of g^2", ("G = G + g * g", "G = G + np.abs(g)")),
        ("the old G used for the step", ("G = G + g * g\n    return p - lr * g / (np.sqrt(G) + eps), G",
                                         "G_new = G + g * g\n    return p - lr * g / (np.sqrt(G) + eps), G_new")),
        ("learning rate forgotten", ("return p - lr * g / (np.sqrt(G) + eps), G", "return p - g / (np.sqrt(G) + eps), G")),
        ("parameters updated in place", ("return p - lr * g / (np.sqrt(G) + eps), G", "p -= lr * g / (np.sqrt(G) + eps)\n    return p, G")),
    ],
    "rmsprop_update": [
        ("rho and 1 - rho swapped", ("s = rho * s + (1 - rho) * g * g", "s = (1 - rho) * s + rho * g * g")),
        ("square root forgotten", ("(np.sqrt(s) + eps)", "(s + eps)")),
        ("eps inside the square root", ("(np.sqrt(s) + eps)", "np.sqrt(s + eps)")),
        ("average updated in place", ("s = rho * s + (1 - rho) * g * g", "s *= rho\n    s += (1 - rho) * g * g")),
        ("old average used for the step", ("s = rho * s + (1 - rho) * g * g\n    return p - lr * g / (np.sqrt(s) + eps), s",
                                           "s_new = rho * s + (1 - rho) * g * g\n    return p - lr * g / (np.sqrt(s) + eps), s_new")),
        ("float32 state", ("s = rho * s + (1 - rho) * g * g", "s = (rho * s + (1 - rho) * g * g).astype(np.float32)")),
        ("(1 - rho) on g, squared afterwards", ("s = rho * s + (1 - rho) * g * g", "s = rho * s + ((1 - rho) * g) ** 2")),
        ("the gradient not squared", ("s = rho * s + (1 - rho) * g * g", "s = rho * s + (1 - rho) * g")),
        ("learning rate forgotten", ("return p - lr * g / (np.sqrt(s) + eps), s", "return p - g / (np.sqrt(s) + eps), s")),
    ],
    "adam_update": [
        ("no bias correction", ("m_hat = m / (1 - beta1**t)\n    v_hat = v / (1 - beta2**t)", "m_hat, v_hat = m, v")),
        ("bias correction one step late (t + 1)", ("(1 - beta1**t)", "(1 - beta1**(t + 1))")),
        ("second moment of g instead of g^2", ("v = beta2 * v + (1 - beta2) * g * g", "v = beta2 * v + (1 - beta2) * g")),
        ("moments updated in place", ("m = beta1 * m + (1 - beta1) * g", "m *= beta1\n    m += (1 - beta1) * g")),
        ("eps added to sqrt(v), the paper's 'efficient' form",
         ("return p - lr * m_hat / (np.sqrt(v_hat) + eps), m, v",
          "lr_t = lr * np.sqrt(1 - beta2**t) / (1 - beta1**t)\n    return p - lr_t * m / (np.sqrt(v) + eps), m, v")),
        ("float32 state", ("v = beta2 * v + (1 - beta2) * g * g", "v = (beta2 * v + (1 - beta2) * g * g).astype(np.float32)")),
        ("returns the bias-corrected moments as the state", ("return p - lr * m_hat / (np.sqrt(v_hat) + eps), m, v",
                                                            "return p - lr * m_hat / (np.sqrt(v_hat) + eps), m_hat, v_hat")),
        ("beta1 and beta2 swapped in the bias correction", ("m_hat = m / (1 - beta1**t)\n    v_hat = v / (1 - beta2**t)",
                                                            "m_hat = m / (1 - beta2**t)\n    v_hat = v / (1 - beta1**t)")),
        ("bias correction with t - 1", ("(1 - beta1**t)", "(1 - beta1**(t - 1) + 1e-300)")),
        ("m_hat / sqrt(v_hat) without the learning rate", ("return p - lr * m_hat", "return p - m_hat")),
        ("p updated in place", ("return p - lr * m_hat / (np.sqrt(v_hat) + eps), m, v", "p -= lr * m_hat / (np.sqrt(v_hat) + eps)\n    return p, m, v")),
    ],
}

CORRECT = {
    "momentum_update": [
        "def momentum_update(p, g, v, lr=0.01, mu=0.9):\n"
        "    v_new = np.multiply(mu, v) - np.multiply(lr, g)\n"
        "    return np.add(p, v_new), v_new",
        "def momentum_update(p, g, v, lr=0.01, mu=0.9):\n"
        "    p_new, v_new = p.copy(), v.copy()\n"
        "    for i in np.ndindex(p.shape):\n"
        "        v_new[i] = mu * v[i] - lr * g[i]\n"
        "        p_new[i] = p[i] + v_new[i]\n"
        "    return p_new, v_new",
    ],
    "adagrad_update": [
        "def adagrad_update(p, g, G, lr=0.01, eps=1e-8):\n"
        "    G_new = G + np.square(g)\n"
        "    step = lr * g / (G_new ** 0.5 + eps)\n"
        "    return p - step, G_new",
        "def adagrad_update(p, g, G, lr=0.01, eps=1e-8):\n"
        "    G2 = G.copy()\n"
        "    G2 += g ** 2\n"
        "    p2 = p.copy()\n"
        "    p2 -= lr * g / (np.sqrt(G2) + eps)\n"
        "    return p2, G2",
    ],
    "rmsprop_update": [
        "def rmsprop_update(p, g, s, lr=0.001, rho=0.9, eps=1e-8):\n"
        "    s_new = s + (1 - rho) * (g ** 2 - s)\n"
        "    return p - lr * g / (np.sqrt(s_new) + eps), s_new",
        "def rmsprop_update(p, g, s, lr=0.001, rho=0.9, eps=1e-8):\n"
        "    s_new = np.array([rho * si + (1 - rho) * gi * gi for si, gi in zip(s.ravel(), g.ravel())]).reshape(s.shape)\n"
        "    return p - lr * g / (np.sqrt(s_new) + eps), s_new",
    ],
    "adam_update": [
        "def adam_update(p, g, m, v, t, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):\n"
        "    m = m + (1 - beta1) * (g - m)\n"
        "    v = v + (1 - beta2) * (g * g - v)\n"
        "    step = lr * (m / (1 - beta1 ** t)) / (np.sqrt(v) / np.sqrt(1 - beta2 ** t) + eps)\n"
        "    return p - step, m, v",
        "def adam_update(p, g, m, v, t, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):\n"
        "    new_m = beta1 * m + (1 - beta1) * g\n"
        "    new_v = beta2 * v + (1 - beta2) * np.square(g)\n"
        "    c1, c2 = 1 - pow(beta1, t), 1 - pow(beta2, t)\n"
        "    return p - lr * (new_m / c1) / (np.sqrt(new_v / c2) + eps), new_m, new_v",
    ],
}

# VISIBLE: {grade_id: {mutant description (in MUTANTS): a phrase its *visible* test failure must contain}}.
# tests/test_assignments.py::test_visible_tests_name_the_mistake runs the visible tests alone (no nbgrader):
# each of these mistakes fails them with a message that names its cause, and every correct version passes.
VISIBLE = {
    'momentum_update': {
        'momentum forgotten': 'All zeros',
        'parameters moved with the old velocity': 'p moves by the new velocity',
        'parameters updated in place': 'changed its input',
        'lr and mu swapped in the signature (the visible tests pass them by keyword)': "signature's order",
        "PyTorch's convention v = mu v + g, p = p - lr v": 'wrong sign',
        "the velocity's sign flipped (v = mu v + lr g, p = p - v)": 'wrong sign',
        'float32 state': 'expected dtype',
        'velocity updated in place': 'changed its input',
    },
    'adagrad_update': {
        'squared gradients not accumulated': '(the squared gradients are summed)',
        'square root forgotten': 'sqrt(new G) + eps',
        'eps inside the square root': 'eps goes outside',
        'state accumulated in place': 'changed its input',
        'float32 state': 'expected dtype',
        '|g| summed instead of g^2': '(the squared gradients are summed)',
        'the old G used for the step': 'sqrt(new G) + eps',
        'learning rate forgotten': 'times too',
        'parameters updated in place': 'changed its input',
    },
    'rmsprop_update': {
        'rho and 1 - rho swapped': 'moving average',
        'square root forgotten': 'sqrt(new s) + eps',
        'eps inside the square root': 'eps goes outside',
        'average updated in place': 'changed its input',
        'old average used for the step': 'sqrt(new s) + eps',
        'float32 state': 'expected dtype',
        '(1 - rho) on g, squared afterwards': 'moving average',
        'the gradient not squared': 'moving average',
        'learning rate forgotten': 'times too',
    },
    'adam_update': {
        'no bias correction': 'bias-corrected',
        'bias correction one step late (t + 1)': 'bias-corrected',
        'second moment of g instead of g^2': '(1 - beta2) g * g',
        'moments updated in place': 'changed its input',
        "eps added to sqrt(v), the paper's 'efficient' form": 'bias-corrected',
        'float32 state': 'expected dtype',
        'returns the bias-corrected moments as the state': '(1 - beta1) g',
        'beta1 and beta2 swapped in the bias correction': 'bias-corrected',
        'bias correction with t - 1': 'bias-corrected',
        'm_hat / sqrt(v_hat) without the learning rate': 'times too',
        'p updated in place': 'changed its input',
    },
}

NOT_VISIBLE = {
    "momentum_update": {
        "mu applied to the gradient": "fails the first property (mu = 0) with plain numbers: no single cause follows from them",
        "returns (v, p)": "fails the first property with plain numbers; the order of a returned tuple is not certain from values",
    },
}
