"""Wrong and alternative correct implementations of a3_autodiff (see harness.py)."""

MUTANTS = {
    "binary_rules": [
        ("product rule with the inputs swapped", ("return b * grad, a * grad", "return a * grad, b * grad")),
        ("upstream gradient forgotten", ("return b * grad, a * grad", "return b, a")),
        ("addition passes 1 instead of the upstream gradient", ("return grad, grad", "return 1.0, 1.0")),
        ("mul passes the upstream grad unchanged", ("return b * grad, a * grad", "return grad, grad")),
        ("mul returns the output instead of the local derivatives", ("return b * grad, a * grad", "return out * grad, out * grad")),
        ("add halves the gradient between its inputs", ("return grad, grad", "return grad / 2, grad / 2")),
        ("mul: only one input gets a gradient", ("return b * grad, a * grad", "return b * grad, 0.0")),
    ],
    "unary_rules": [
        ("power rule k a^k", ("return k * a ** (k - 1) * grad", "return k * a ** k * grad")),
        ("tanh derivative (1 - tanh)^2", ("return (1 - out**2) * grad", "return (1 - out) ** 2 * grad")),
        ("log derivative 1/out", ("return grad / a", "return grad / out")),
        ("exp derivative from a, not out: a grad", ("return out * grad", "return a * grad")),
        ("tanh derivative 1 - a^2", ("return (1 - out**2) * grad", "return (1 - a**2) * grad")),
        ("power rule without k", ("return k * a ** (k - 1) * grad", "return a ** (k - 1) * grad")),
        ("log rule: upstream grad forgotten", ("return grad / a", "return 1 / a")),
        ("pow rule: k (k - 1) a^(k - 2)", ("return k * a ** (k - 1) * grad", "return k * (k - 1) * a ** (k - 2) * grad")),
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
        ("recursive depth-first search: RecursionError on a chain of 3,000 operations",
         "def topological_order(root):\n"
         "    order, seen = [], set()\n"
         "    def visit(node):\n"
         "        if id(node) in seen:\n"
         "            return\n"
         "        seen.add(id(node))\n"
         "        for child in node._prev:\n"
         "            visit(child)\n"
         "        order.append(node)\n"
         "    visit(root)\n"
         "    return order"),
        ("a mutable default argument: the visited set and the list survive the call",
         "def topological_order(root, order=[], visited=set()):\n"
         "    stack = [(root, False)]\n"
         "    while stack:\n"
         "        node, inputs_done = stack.pop()\n"
         "        if inputs_done:\n"
         "            order.append(node)\n"
         "        elif id(node) not in visited:\n"
         "            visited.add(id(node))\n"
         "            stack.append((node, True))\n"
         "            stack.extend((child, False) for child in node._prev if id(child) not in visited)\n"
         "    return order"),
        ("visited keyed by the node's value (node.data)", ("elif id(node) not in visited:\n            visited.add(id(node))",
                                                          "elif node.data not in visited:\n            visited.add(node.data)")),
        ("marked visited when popped, appended when first seen (pre-order)",
         ("        if inputs_done:\n            order.append(node)\n        elif id(node) not in visited:\n            visited.add(id(node))\n            stack.append((node, True))",
          "        if inputs_done:\n            pass\n        elif id(node) not in visited:\n            visited.add(id(node))\n            order.append(node)\n            stack.append((node, True))")),
        ("the root left out", ("            stack.extend((child, False) for child in node._prev if id(child) not in visited)\n    return order",
                               "            stack.extend((child, False) for child in node._prev if id(child) not in visited)\n    return order[:-1]")),
        ("the leaves left out", ("            order.append(node)", "            if node._prev:\n                order.append(node)")),
    ],
    "dual_numbers": [
        ("product rule a'b'", ("self.deriv * other.value + self.value * other.deriv", "self.deriv * other.deriv")),
        ("power rule without the chain factor", ("k * self.value ** (k - 1) * self.deriv", "k * self.value ** (k - 1)")),
        ("tanh derivative (1 - tanh)^2", ("(1 - t * t) * self.deriv", "(1 - t) ** 2 * self.deriv")),
        ("sum rule drops the other derivative", ("self.deriv + other.deriv", "self.deriv")),
        ("exp derivative without the chain factor", ("return Dual(e, e * self.deriv)", "return Dual(e, e)")),
        ("log derivative 1/a without a'", ("self.deriv / self.value", "1 / self.value")),
        ("power rule k a^k", ("k * self.value ** (k - 1) * self.deriv", "k * self.value ** k * self.deriv")),
        ("product rule with one term only", ("self.deriv * other.value + self.value * other.deriv", "self.deriv * other.value")),
        ("tanh derivative 1 - a^2", ("(1 - t * t) * self.deriv", "(1 - self.value ** 2) * self.deriv")),
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
        "    # the recursion written as a stack of (node, iterator over its inputs)\n"
        "    order, seen = [], {root}\n"
        "    stack = [(root, iter(root._prev))]\n"
        "    while stack:\n"
        "        node, inputs = stack[-1]\n"
        "        child = next(inputs, None)\n"
        "        if child is None:\n"
        "            stack.pop()\n"
        "            order.append(node)\n"
        "        elif child not in seen:\n"
        "            seen.add(child)\n"
        "            stack.append((child, iter(child._prev)))\n"
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

# VISIBLE: see harness.py and tests/test_assignments.py.
VISIBLE = {
    'binary_rules': {
        'product rule with the inputs swapped': 'inputs swapped',
        'upstream gradient forgotten': 'wrong sign',
        'addition passes 1 instead of the upstream gradient': 'wrong sign',
        'mul passes the upstream grad unchanged': 'mul_backward',
        'mul returns the output instead of the local derivatives': 'mul_backward',
        'add halves the gradient between its inputs': 'add_backward',
        'mul: only one input gets a gradient': 'All zeros',
    },
    'unary_rules': {
        'power rule k a^k': 'against finite differences',
        'tanh derivative (1 - tanh)^2': 'against finite differences',
        'log derivative 1/out': 'against finite differences',
        'exp derivative from a, not out: a grad': 'against finite differences',
        'tanh derivative 1 - a^2': 'against finite differences',
        'power rule without k': 'against finite differences',
        'log rule: upstream grad forgotten': 'times too',
        'pow rule: k (k - 1) a^(k - 2)': 'against finite differences',
    },
    'topological_order': {
        'no visited set: shared nodes listed twice': 'appears more than once',
        'pre-order: each node before its inputs (root first)': 'before one of its inputs',
        'breadth-first order reversed (wrong for shared nodes)': 'before one of its inputs',
        'recursive depth-first search: RecursionError on a chain of 3,000 operations': 'RecursionError',
        'a mutable default argument: the visited set and the list survive the call': 'left over from an earlier call',
        "visited keyed by the node's value (node.data)": 'Nodes with equal values',
        'marked visited when popped, appended when first seen (pre-order)': 'before one of its inputs',
        'the root left out': 'output itself',
        'the leaves left out': 'leaves',
    },
    'dual_numbers': {
        "product rule a'b'": 'All zeros',
        'power rule without the chain factor': 'times too',
        'tanh derivative (1 - tanh)^2': 'against finite differences',
        'sum rule drops the other derivative': 'against finite differences',
        'exp derivative without the chain factor': 'times too',
        "log derivative 1/a without a'": 'times too',
        'power rule k a^k': 'against finite differences',
        'product rule with one term only': 'against finite differences',
        'tanh derivative 1 - a^2': 'against finite differences',
    },
}

NOT_VISIBLE = {}
