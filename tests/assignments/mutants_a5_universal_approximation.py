"""Wrong and alternative correct implementations of a5_universal_approximation's functions (see harness.py)."""

MUTANTS = {
    "bump": [
        ("center not scaled by the steepness", ("sigmoid(steepness * (x - a)) - sigmoid(steepness * (x - b))",
                                                "sigmoid(steepness * x - a) - sigmoid(steepness * x - b)")),
        ("height forgotten", ("return height * (", "return (")),
        ("the two steps swapped (a negative bump)", ("sigmoid(steepness * (x - a)) - sigmoid(steepness * (x - b))",
                                                     "sigmoid(steepness * (x - b)) - sigmoid(steepness * (x - a))")),
        ("the steepness on the first sigmoid only", ("sigmoid(steepness * (x - a)) - sigmoid(steepness * (x - b))",
                                                     "sigmoid(steepness * (x - a)) - sigmoid(x - b)")),
        ("the height added instead of multiplied", ("return height * (sigmoid(steepness * (x - a)) - sigmoid(steepness * (x - b)))",
                                                    "return height + (sigmoid(steepness * (x - a)) - sigmoid(steepness * (x - b)))")),
        ("x flattened: a 1-D result for a 2-D x", ("x = np.asarray(x, dtype=float)", "x = np.asarray(x, dtype=float).ravel()")),
        ("x shifted in place", ("x = np.asarray(x, dtype=float)\n", "x = np.asarray(x, dtype=float)\n    x -= 0.0 * x\n    x += 1e-3 * (x > 1e9)\n    x -= a\n    x += a\n")),
        ("a and b mixed up in the second step", ("sigmoid(steepness * (x - b))", "sigmoid(steepness * (x - a) - b)")),
        ("one step only (the second forgotten)", ("return height * (sigmoid(steepness * (x - a)) - sigmoid(steepness * (x - b)))",
                                                  "return height * sigmoid(steepness * (x - a))")),
    ],
    "step_weights": [
        ("bias not scaled by the steepness", ("b1 = -steepness * centers", "b1 = -centers")),
        ("bias with the wrong sign", ("b1 = -steepness * centers", "b1 = steepness * centers")),
        ("w1 of shape (n, 1)", ("w1 = np.full((1, len(centers)), float(steepness))",
                                "w1 = np.full((len(centers), 1), float(steepness))")),
        ("w2 flat, of shape (n,)", ("w2 = heights.reshape(-1, 1).copy()", "w2 = heights.copy()")),
        ("b2 a scalar, not of shape (1,)", ("b2 = np.zeros(1)", "b2 = np.float64(0.0)")),
        ("b1 of shape (1, n)", ("b1 = -steepness * centers", "b1 = (-steepness * centers).reshape(1, -1)")),
        ("heights and steepness swapped (w1 = heights)", ("w1 = np.full((1, len(centers)), float(steepness))\n    b1 = -steepness * centers\n    w2 = heights.reshape(-1, 1).copy()",
                                                         "w1 = heights.reshape(1, -1).copy()\n    b1 = -heights * centers\n    w2 = np.full((len(centers), 1), float(steepness))")),
        ("the centers used as biases unscaled and w1 = 1", ("w1 = np.full((1, len(centers)), float(steepness))\n    b1 = -steepness * centers",
                                                            "w1 = np.ones((1, len(centers)))\n    b1 = -centers")),
        ("the heights accumulated (a cumulative sum)", ("w2 = heights.reshape(-1, 1).copy()", "w2 = np.cumsum(heights).reshape(-1, 1)")),
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
        ("a fixed steepness s = 10 (too gentle on a short interval)", ("steepness = 10.0 / (grid[1] - grid[0])", "steepness = 10.0")),
        ("one unit too many: a step at every grid point", "def build_approximator(f, n_hidden, interval):\n"
         "    lo, hi = interval\n"
         "    grid = np.linspace(lo, hi, n_hidden + 1)\n"
         "    values = f(grid)\n"
         "    s = 10.0 / (grid[1] - grid[0])\n"
         "    heights = np.concatenate([[values[0]], np.diff(values)])\n"
         "    w1 = np.full((1, n_hidden + 1), s)\n"
         "    b1 = -s * np.concatenate([[lo - 20 / s], 0.5 * (grid[:-1] + grid[1:])])\n"
         "    return w1, b1, heights[:, None], np.zeros(1)"),
        ("the heights are f at the centers, not its changes", ("heights = np.diff(values)", "heights = np.asarray(f(0.5 * (grid[:-1] + grid[1:])))")),
        ("the interval ignored: a grid on [0, 1]", ("grid = np.linspace(lo, hi, n_hidden + 1)", "grid = np.linspace(0.0, 1.0, n_hidden + 1)")),
        ("w2 flat, of shape (n,)", ("heights.reshape(-1, 1)", "heights")),
    ],
}

CORRECT = {
    "bump": [
        "def bump(x, a, b, height, steepness):\n"
        "    # the naive sigmoid: np.exp overflows to inf for steep bumps (a RuntimeWarning, printed, no points lost)\n"
        "    # and 1 / (1 + inf) = 0 is still right\n"
        "    x = np.asarray(x, dtype=float)\n"
        "    naive = lambda z: 1 / (1 + np.exp(-z))\n"
        "    return height * (naive(steepness * (x - a)) - naive(steepness * (x - b)))",
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

VISIBLE = {
    'bump': {
        'center not scaled by the steepness': 'symmetric about the middle',
        'height forgotten': 'the height is a factor',
        'the two steps swapped (a negative bump)': 'two sigmoids swapped',
        'the steepness on the first sigmoid only': 'two sigmoids swapped',
        'the height added instead of multiplied': 'the height is a factor',
        'x flattened: a 1-D result for a 2-D x': 'keepdims',
        'x shifted in place': 'changed its input',
        'a and b mixed up in the second step': 'symmetric about the middle',
        'one step only (the second forgotten)': 'symmetric about the middle',
    },
    'step_weights': {
        'bias not scaled by the steepness': 'One hidden unit is',
        'bias with the wrong sign': 'One hidden unit is',
        'w1 of shape (n, 1)': 'expected shape',
        'w2 flat, of shape (n,)': 'expected shape',
        'b2 a scalar, not of shape (1,)': 'expected a NumPy array',
        'b1 of shape (1, n)': 'expected shape',
        'heights and steepness swapped (w1 = heights)': 'One hidden unit is',
        'the centers used as biases unscaled and w1 = 1': 'One hidden unit is',
        'the heights accumulated (a cumulative sum)': 'One hidden unit is',
    },
    'build_approximator': {
        'the offset f(x_0) forgotten': 'output bias b2',
        'steps far too gentle': 'steepness about',
        'bumps of two units each, their number rounded up (n_hidden + 1 units when n_hidden is odd)': 'hidden units; at most',
        'a fixed steepness s = 10 (too gentle on a short interval)': 'steepness about',
        'one unit too many: a step at every grid point': 'hidden units; at most',
        'the heights are f at the centers, not its changes': 'must add up',
        'the interval ignored: a grid on [0, 1]': 'centers -b1/w1 span',
        'w2 flat, of shape (n,)': 'expected shape',
    },
}

NOT_VISIBLE = {}
