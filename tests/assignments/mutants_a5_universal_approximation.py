"""Wrong and alternative correct implementations of a5_universal_approximation's functions (see harness.py)."""

MUTANTS = {
    "bump": [
        ("center not scaled by the steepness", ("sigmoid(steepness * (x - a)) - sigmoid(steepness * (x - b))",
                                                "sigmoid(steepness * x - a) - sigmoid(steepness * x - b)")),
        ("height forgotten", ("return height * (", "return (")),
        ("the two steps swapped (a negative bump)", ("sigmoid(steepness * (x - a)) - sigmoid(steepness * (x - b))",
                                                     "sigmoid(steepness * (x - b)) - sigmoid(steepness * (x - a))")),
    ],
    "step_weights": [
        ("bias not scaled by the steepness", ("b1 = -steepness * centers", "b1 = -centers")),
        ("bias with the wrong sign", ("b1 = -steepness * centers", "b1 = steepness * centers")),
        ("w1 of shape (n, 1)", ("w1 = np.full((1, len(centers)), float(steepness))",
                                "w1 = np.full((len(centers), 1), float(steepness))")),
    ],
    "build_approximator": [
        ("the offset f(x_0) forgotten", ("np.array([values[0]])", "np.zeros(1)")),
        ("steps far too gentle", ("steepness = 10.0 / (grid[1] - grid[0])", "steepness = 1.0")),
        ("bumps of two units each, their number rounded up (n_hidden + 1 units when n_hidden is odd)",
         "def build_approximator(f, n_hidden, interval):\n"
         "    lo, hi = interval\n"
         "    m = int(np.ceil(n_hidden / 2))\n"
         "    edges = np.linspace(lo, hi, m + 1)\n"
         "    width = edges[1] - edges[0]\n"
         "    a, b = edges[:-1].copy(), edges[1:].copy()\n"
         "    a[0], b[-1] = lo - 10 * width, hi + 10 * width\n"
         "    heights = f(0.5 * (edges[:-1] + edges[1:]))\n"
         "    s = 40.0 / width\n"
         "    w1 = np.full((1, 2 * m), s)\n"
         "    b1 = -s * np.concatenate([a, b])\n"
         "    w2 = np.concatenate([heights, -heights])[:, None]\n"
         "    return w1, b1, w2, np.zeros(1)"),
    ],
}

CORRECT = {
    "bump": [
        "def bump(x, a, b, height, steepness):\n"
        "    x = np.asarray(x, dtype=float)\n"
        "    def s(z):\n"
        "        out = np.empty_like(z)\n"
        "        pos = z >= 0\n"
        "        out[pos] = 1 / (1 + np.exp(-z[pos]))\n"
        "        e = np.exp(z[~pos])\n"
        "        out[~pos] = e / (1 + e)\n"
        "        return out\n"
        "    return height * s(steepness * (x - a)) - height * s(steepness * (x - b))",
        "def bump(x, a, b, height, steepness):\n"
        "    # sigma(u) - sigma(v) = (tanh(u/2) - tanh(v/2)) / 2\n"
        "    x = np.array(x, dtype=np.float64)\n"
        "    return 0.5 * height * (np.tanh(0.5 * steepness * (x - a)) - np.tanh(0.5 * steepness * (x - b)))",
    ],
    "step_weights": [
        "def step_weights(centers, heights, steepness):\n"
        "    # h sigma(s (x - c)) = h - h sigma(-s (x - c)): mirrored units and an output bias\n"
        "    c = np.array(centers, dtype=float)\n"
        "    h = np.array(heights, dtype=float)\n"
        "    w1 = -steepness * np.ones((1, c.size))\n"
        "    b1 = steepness * c\n"
        "    w2 = -h[:, None]\n"
        "    b2 = np.array([h.sum()])\n"
        "    return w1, b1, w2, b2",
        "def step_weights(centers, heights, steepness):\n"
        "    n = len(centers)\n"
        "    w1, b1, w2 = np.zeros((1, n)), np.zeros(n), np.zeros((n, 1))\n"
        "    for j in range(n):\n"
        "        w1[0, j] = steepness\n"
        "        b1[j] = -steepness * centers[j]\n"
        "        w2[j, 0] = heights[j]\n"
        "    return w1, b1, w2, np.array([0.0])",
    ],
    "build_approximator": [
        "def build_approximator(f, n_hidden, interval):\n"
        "    # steps at the grid points themselves, a piecewise-constant staircase with sharp steps\n"
        "    lo, hi = interval\n"
        "    h = (hi - lo) / n_hidden\n"
        "    xs = lo + h * (np.arange(n_hidden) + 0.5)          # sample f in the middle of each piece\n"
        "    ys = f(xs)\n"
        "    centers = lo + h * np.arange(1, n_hidden)            # n_hidden - 1 steps\n"
        "    s = 50.0 / h\n"
        "    w1 = np.full((1, n_hidden - 1), s)\n"
        "    b1 = -s * centers\n"
        "    w2 = np.diff(ys)[:, None]\n"
        "    return w1, b1, w2, np.array([ys[0]])",
        "def build_approximator(f, n_hidden, interval):\n"
        "    # a sum of bumps, two units each: h_k [sigma(s(x - a_k)) - sigma(s(x - b_k))]\n"
        "    lo, hi = interval\n"
        "    m = n_hidden // 2\n"
        "    edges = np.linspace(lo, hi, m + 1)\n"
        "    width = edges[1] - edges[0]\n"
        "    a, b = edges[:-1].copy(), edges[1:].copy()\n"
        "    a[0], b[-1] = lo - 10 * width, hi + 10 * width     # the end bumps reach past the interval\n"
        "    heights = f(0.5 * (edges[:-1] + edges[1:]))\n"
        "    s = 40.0 / width\n"
        "    w1 = np.full((1, 2 * m), s)\n"
        "    b1 = -s * np.concatenate([a, b])\n"
        "    w2 = np.concatenate([heights, -heights])[:, None]\n"
        "    return w1, b1, w2, np.zeros(1)",
    ],
}
