"""Wrong and alternative correct implementations of a4_optimizers (see harness.py)."""

MUTANTS = {
    "momentum_update": [
        ("momentum forgotten", ("v = mu * v - lr * g", "v = -lr * g")),
        ("parameters moved with the old velocity", ("v = mu * v - lr * g\n    return p + v, v",
                                                    "v_new = mu * v - lr * g\n    return p + v, v_new")),
        ("parameters updated in place", ("return p + v, v", "p += v\n    return p, v")),
        ("lr and mu swapped in the signature (the visible tests pass them by keyword)",
         ("def momentum_update(p, g, v, lr=0.01, mu=0.9):", "def momentum_update(p, g, v, mu=0.9, lr=0.01):")),
    ],
    "adagrad_update": [
        ("squared gradients not accumulated", ("G = G + g * g", "G = g * g")),
        ("square root forgotten", ("(np.sqrt(G) + eps)", "(G + eps)")),
        ("eps inside the square root", ("(np.sqrt(G) + eps)", "np.sqrt(G + eps)")),
        ("state accumulated in place", ("G = G + g * g", "G += g * g")),
    ],
    "rmsprop_update": [
        ("rho and 1 - rho swapped", ("s = rho * s + (1 - rho) * g * g", "s = (1 - rho) * s + rho * g * g")),
        ("square root forgotten", ("(np.sqrt(s) + eps)", "(s + eps)")),
        ("eps inside the square root", ("(np.sqrt(s) + eps)", "np.sqrt(s + eps)")),
        ("average updated in place", ("s = rho * s + (1 - rho) * g * g", "s *= rho\n    s += (1 - rho) * g * g")),
        ("old average used for the step", ("s = rho * s + (1 - rho) * g * g\n    return p - lr * g / (np.sqrt(s) + eps), s",
                                           "s_new = rho * s + (1 - rho) * g * g\n    return p - lr * g / (np.sqrt(s) + eps), s_new")),
    ],
    "adam_update": [
        ("no bias correction", ("m_hat = m / (1 - beta1**t)\n    v_hat = v / (1 - beta2**t)", "m_hat, v_hat = m, v")),
        ("bias correction one step late (t + 1)", ("(1 - beta1**t)", "(1 - beta1**(t + 1))")),
        ("second moment of g instead of g^2", ("v = beta2 * v + (1 - beta2) * g * g", "v = beta2 * v + (1 - beta2) * g")),
        ("moments updated in place", ("m = beta1 * m + (1 - beta1) * g", "m *= beta1\n    m += (1 - beta1) * g")),
        ("eps added to sqrt(v), the paper's 'efficient' form",
         ("return p - lr * m_hat / (np.sqrt(v_hat) + eps), m, v",
          "lr_t = lr * np.sqrt(1 - beta2**t) / (1 - beta1**t)\n    return p - lr_t * m / (np.sqrt(v) + eps), m, v")),
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
    "momentum_update": {"parameters updated in place": "momentum_update changed its input p in place"},
    "adagrad_update": {"state accumulated in place": "adagrad_update changed its input G in place",
                       "eps inside the square root": "eps goes outside the root: sqrt(G) + eps"},
    "rmsprop_update": {"average updated in place": "rmsprop_update changed its input s in place",
                       "eps inside the square root": "eps goes outside the root: sqrt(s) + eps"},
    "adam_update": {"moments updated in place": "adam_update changed its input m in place",
                    "eps added to sqrt(v), the paper's 'efficient' form": "eps is added to sqrt(v_hat)"},
}
