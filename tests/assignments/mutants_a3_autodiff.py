"""Wrong and alternative correct implementations of a3_autodiff (see harness.py)."""

MUTANTS = {
    "binary_rules": [
        ("product rule with the inputs swapped", ("return b * grad, a * grad", "return a * grad, b * grad")),
        ("upstream gradient forgotten", ("return b * grad, a * grad", "return b, a")),
        ("addition passes 1 instead of the upstream gradient", ("return grad, grad", "return 1.0, 1.0")),
    ],
    "unary_rules": [
        ("power rule k a^k", ("return k * a ** (k - 1) * grad", "return k * a ** k * grad")),
        ("tanh derivative (1 - tanh)^2", ("return (1 - out**2) * grad", "return (1 - out) ** 2 * grad")),
        ("log derivative 1/out", ("return grad / a", "return grad / out")),
    ],
    "topological_order": [
        ("no visited set: shared nodes listed twice",
         "def topological_order(root):\n"
         "    order = []\n"
         "    def visit(node):\n"
         "        for child in node._prev:\n"
         "            visit(child)\n"
         "        order.append(node)\n"
         "    visit(root)\n"
         "    return order"),
        ("pre-order: each node before its inputs (root first)",
         "def topological_order(root):\n"
         "    order, seen = [], set()\n"
         "    def visit(node):\n"
         "        if id(node) in seen:\n"
         "            return\n"
         "        seen.add(id(node))\n"
         "        order.append(node)\n"
         "        for child in node._prev:\n"
         "            visit(child)\n"
         "    visit(root)\n"
         "    return order"),
        ("breadth-first order reversed (wrong for shared nodes)",
         "def topological_order(root):\n"
         "    order, seen, queue = [], {id(root)}, [root]\n"
         "    while queue:\n"
         "        node = queue.pop(0)\n"
         "        order.append(node)\n"
         "        for child in node._prev:\n"
         "            if id(child) not in seen:\n"
         "                seen.add(id(child))\n"
         "                queue.append(child)\n"
         "    return order[::-1]"),
    ],
    "dual_numbers": [
        ("product rule a'b'", ("self.deriv * other.value + self.value * other.deriv", "self.deriv * other.deriv")),
        ("power rule without the chain factor", ("k * self.value ** (k - 1) * self.deriv", "k * self.value ** (k - 1)")),
        ("tanh derivative (1 - tanh)^2", ("(1 - t * t) * self.deriv", "(1 - t) ** 2 * self.deriv")),
    ],
}

_DUAL_HEAD = (
    "class Dual:\n"
    "    def __init__(self, value, deriv=0.0):\n"
    "        self.value, self.deriv = float(value), float(deriv)\n\n"
    "    @staticmethod\n"
    "    def lift(x):\n"
    "        return x if isinstance(x, Dual) else Dual(x, 0.0)\n\n"
)

CORRECT = {
    "binary_rules": [
        "def add_backward(a, b, out, grad):\n    return 1.0 * grad, 1.0 * grad\n\n\n"
        "def mul_backward(a, b, out, grad):\n    return (out / a if a else b) * grad, (out / b if b else a) * grad",
        "add_backward = lambda a, b, out, grad: (grad, grad)\n"
        "mul_backward = lambda a, b, out, grad: tuple(v * grad for v in (b, a))",
    ],
    "unary_rules": [
        "def pow_backward(a, k, out, grad):\n    return k * out / a * grad\n\n\n"
        "def exp_backward(a, out, grad):\n    return math.exp(a) * grad\n\n\n"
        "def log_backward(a, out, grad):\n    return grad * a ** -1\n\n\n"
        "def tanh_backward(a, out, grad):\n    return grad / math.cosh(a) ** 2",
        "import numpy as np\n\n"
        "def pow_backward(a, k, out, grad):\n    return float(k * np.power(a, k - 1) * grad)\n\n\n"
        "def exp_backward(a, out, grad):\n    return float(np.exp(a)) * grad\n\n\n"
        "def log_backward(a, out, grad):\n    return grad / math.exp(out)\n\n\n"
        "def tanh_backward(a, out, grad):\n    t = (math.exp(2 * a) - 1) / (math.exp(2 * a) + 1)\n    return (1 - t) * (1 + t) * grad",
    ],
    "topological_order": [
        "def topological_order(root):\n"
        "    order, seen = [], set()\n"
        "    def visit(node):\n"
        "        if node in seen:\n"
        "            return\n"
        "        seen.add(node)\n"
        "        for child in node._prev:\n"
        "            visit(child)\n"
        "        order.append(node)\n"
        "    visit(root)\n"
        "    return order",
        "def topological_order(root):\n"
        "    # Kahn's algorithm on the reversed graph: count each node's users, peel from the root\n"
        "    users, stack, seen = {}, [root], {id(root)}\n"
        "    nodes = {id(root): root}\n"
        "    while stack:\n"
        "        node = stack.pop()\n"
        "        for child in set(node._prev):\n"
        "            users[id(child)] = users.get(id(child), 0) + 1\n"
        "            if id(child) not in seen:\n"
        "                seen.add(id(child))\n"
        "                nodes[id(child)] = child\n"
        "                stack.append(child)\n"
        "    ready, reverse = [root], []\n"
        "    while ready:\n"
        "        node = ready.pop()\n"
        "        reverse.append(node)\n"
        "        for child in set(node._prev):\n"
        "            users[id(child)] -= 1\n"
        "            if users[id(child)] == 0:\n"
        "                ready.append(child)\n"
        "    return reverse[::-1]",
    ],
    "dual_numbers": [
        _DUAL_HEAD +
        "    def __add__(self, o):\n        o = Dual.lift(o)\n        return Dual(o.value + self.value, o.deriv + self.deriv)\n\n"
        "    def __mul__(self, o):\n        o = Dual.lift(o)\n        return Dual(self.value * o.value, o.value * self.deriv + o.deriv * self.value)\n\n"
        "    def __pow__(self, k):\n        return Dual(math.pow(self.value, k), k * math.pow(self.value, k) / self.value * self.deriv)\n\n"
        "    def exp(self):\n        return Dual(math.exp(self.value), math.exp(self.value) * self.deriv)\n\n"
        "    def log(self):\n        return Dual(math.log(self.value), self.deriv * self.value ** -1)\n\n"
        "    def tanh(self):\n        return Dual(math.tanh(self.value), self.deriv / math.cosh(self.value) ** 2)\n\n"
        "    __radd__, __rmul__ = __add__, __mul__",
        _DUAL_HEAD +
        "    def _chain(self, f, df):\n        return Dual(f(self.value), df(self.value) * self.deriv)\n\n"
        "    def __add__(self, o):\n        o = Dual.lift(o)\n        return Dual(*(u + v for u, v in zip((self.value, self.deriv), (o.value, o.deriv))))\n\n"
        "    def __mul__(self, o):\n        o = Dual.lift(o)\n        return Dual(self.value * o.value, self.value * o.deriv + self.deriv * o.value)\n\n"
        "    def __pow__(self, k):\n        return self._chain(lambda a: a ** k, lambda a: k * a ** (k - 1))\n\n"
        "    def exp(self):\n        return self._chain(math.exp, math.exp)\n\n"
        "    def log(self):\n        return self._chain(math.log, lambda a: 1 / a)\n\n"
        "    def tanh(self):\n        return self._chain(math.tanh, lambda a: 1 - math.tanh(a) ** 2)\n\n"
        "    __radd__, __rmul__ = __add__, __mul__",
    ],
}
