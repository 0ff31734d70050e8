"""Wrong and alternative correct implementations of a6_pytorch's graded parts (see harness.py)."""

MUTANTS = {
    "tanh_mlp": [
        ("softmax on the output layer (CrossEntropyLoss expects logits)",
         ("return self.layers[-1](x)", "return torch.softmax(self.layers[-1](x), dim=1)")),
        ("tanh only after the first layer (right for one hidden layer only)",
         ("x = torch.tanh(layer(x))", "x = torch.tanh(layer(x)) if layer is self.layers[0] else layer(x)")),
        ("forward through NumPy (cut off from autograd)",
         ("x = torch.tanh(layer(x))", "x = torch.from_numpy(np.tanh(layer(x).detach().numpy()))")),
        ("ReLU instead of tanh", ("x = torch.tanh(layer(x))", "x = torch.relu(layer(x))")),
        ("the layers in a Python list (invisible to model.parameters())",
         ("self.layers = nn.ModuleList(nn.Linear(n_in, n_out) for n_in, n_out in zip(sizes[:-1], sizes[1:]))",
          "self.layers = nn.ModuleList()\n        self._layers = [nn.Linear(n_in, n_out) for n_in, n_out in zip(sizes[:-1], sizes[1:])]\n        self.layers.extend(self._layers[:0])")),
        ("tanh on the output layer too", ("return self.layers[-1](x)", "return torch.tanh(self.layers[-1](x))")),
        ("nn.Linear(n_out, n_in): the sizes swapped", ("nn.Linear(n_in, n_out) for n_in, n_out", "nn.Linear(n_out, n_in) for n_in, n_out")),
        ("the input cast to float32 in forward (breaks model.double())", ("for layer in self.layers[:-1]:\n            x = torch.tanh(layer(x))",
                                                                          "x = x.float()\n        for layer in self.layers[:-1]:\n            x = torch.tanh(layer(x))")),
        ("an extra output bias parameter", ("self.layers = nn.ModuleList(", "self.shift = nn.Parameter(torch.zeros(sizes[-1]))\n        self.layers = nn.ModuleList(")),
        ("sigmoid instead of tanh", ("x = torch.tanh(layer(x))", "x = torch.sigmoid(layer(x))")),
    ],
    "train_epoch": [
        ("optimizer.zero_grad() forgotten: gradients accumulate", ("        optimizer.zero_grad()          # 1. forget the last step's gradients\n", "")),
        ("returns the last batch's loss", ("return total / n", "return loss.item()")),
        ("returns the sum of the losses, not their mean", ("return total / n", "return total")),
        ("plain mean of the batch losses (the last batch is smaller)",
         ("total += loss.item() * len(x)\n        n += len(x)", "total += loss.item()\n        n += 1")),
        ("step before backward", ("loss.backward()                # 3. back-propagation fills p.grad\n        optimizer.step()",
                                  "optimizer.step()\n        loss.backward()")),
        ("model.train() forgotten (the model stays in eval mode)", ("    model.train()\n", "")),
        ("model.eval() instead of model.train()", ("model.train()", "model.eval()")),
        ("PyTorch's argument order reversed: loss_fn(y, model(x))", ("loss = loss_fn(model(x), y)", "loss = loss_fn(y, model(x))")),
        ("the loss tensor accumulated (.item() forgotten): returns a tensor", ("total += loss.item() * len(x)", "total = total + loss * len(x)")),
        ("a new optimizer made inside (the given one, with its momentum, ignored)",
         ("    total, n = 0.0, 0\n", "    total, n = 0.0, 0\n    optimizer = torch.optim.SGD(model.parameters(), lr=optimizer.param_groups[0]['lr'])\n")),
        ("two steps per batch", ("optimizer.step()               # 4. the update", "optimizer.step()\n        optimizer.step()               # 4. the update")),
        ("divided by the number of batches", ("n += len(x)", "n += 1\n        total += 0.0")),
    ],
    "linear_function": [
        ("bias gradient averaged over the batch", ("grad_out.sum(dim=0)", "grad_out.mean(dim=0)")),
        ("weight gradient divided by N", ("x.T @ grad_out,", "x.T @ grad_out / x.shape[0],")),
        ("no gradient for x", ("return grad_out @ W.T,", "return None,")),
        ("dW transposed: grad_out^T x", ("x.T @ grad_out,", "(grad_out.T @ x).T.T,")),
        ("the output cast to float64", ("return x @ W + b", "return (x @ W + b).double()")),
        ("dx without the transpose", ("return grad_out @ W.T,", "return (grad_out @ W.T) * 0 + grad_out[:, :1] * W.sum(1),")),
        ("the bias gradient forgotten (zeros)", ("grad_out.sum(dim=0)", "torch.zeros_like(grad_out[0])")),
        ("dx with the wrong sign", ("return grad_out @ W.T,", "return -(grad_out @ W.T),")),
    ],
}

CORRECT = {
    "tanh_mlp": [
        "class TanhMLP(nn.Module):\n"
        "    def __init__(self, sizes):\n"
        "        super().__init__()\n"
        "        layers = []\n"
        "        for i in range(len(sizes) - 1):\n"
        "            layers.append(nn.Linear(sizes[i], sizes[i + 1]))\n"
        "        self.layers = nn.ModuleList(layers)\n"
        "        self.act = nn.Tanh()\n"
        "\n"
        "    def forward(self, x):\n"
        "        for i, layer in enumerate(self.layers):\n"
        "            x = layer(x)\n"
        "            if i < len(self.layers) - 1:\n"
        "                x = self.act(x)\n"
        "        return x",
        "class TanhMLP(torch.nn.Module):\n"
        "    def __init__(self, sizes):\n"
        "        super(TanhMLP, self).__init__()\n"
        "        self.layers = torch.nn.ModuleList()\n"
        "        for n_in, n_out in zip(sizes, sizes[1:]):\n"
        "            self.layers.append(torch.nn.Linear(n_in, n_out))\n"
        "\n"
        "    def forward(self, x):\n"
        "        *hidden, last = self.layers\n"
        "        for layer in hidden:\n"
        "            z = x @ layer.weight.T + layer.bias\n"
        "            x = 2 * torch.sigmoid(2 * z) - 1\n"
        "        return torch.nn.functional.linear(x, last.weight, last.bias)",
    ],
    "train_epoch": [
        "def train_epoch(model, loader, optimizer, loss_fn):\n"
        "    model.train(True)\n"
        "    losses, sizes = [], []\n"
        "    for xb, yb in loader:\n"
        "        out = model(xb)\n"
        "        loss = loss_fn(out, yb)\n"
        "        model.zero_grad()\n"
        "        loss.backward()\n"
        "        optimizer.step()\n"
        "        losses.append(float(loss))\n"
        "        sizes.append(xb.shape[0])\n"
        "    return float(np.average(losses, weights=sizes))",
        "def train_epoch(model, loader, optimizer, loss_fn):\n"
        "    total = torch.zeros((), dtype=torch.float64)\n"
        "    model.train()\n"
        "    for batch in loader:\n"
        "        x, y = batch\n"
        "        optimizer.zero_grad(set_to_none=True)\n"
        "        loss = loss_fn(model(x), y)\n"
        "        loss.backward()\n"
        "        optimizer.step()\n"
        "        total += loss.detach().double() * x.size(0)\n"
        "    return (total / len(loader.dataset)).item()",
    ],
    "linear_function": [
        "class LinearFunction(torch.autograd.Function):\n"
        "    @staticmethod\n"
        "    def forward(ctx, x, W, b):\n"
        "        ctx.save_for_backward(x, W, b)\n"
        "        return torch.addmm(b, x, W)\n"
        "\n"
        "    @staticmethod\n"
        "    def backward(ctx, grad_out):\n"
        "        x, W, b = ctx.saved_tensors\n"
        "        dx = dW = db = None\n"
        "        if ctx.needs_input_grad[0]:\n"
        "            dx = grad_out.mm(W.t())\n"
        "        if ctx.needs_input_grad[1]:\n"
        "            dW = x.t().mm(grad_out)\n"
        "        if ctx.needs_input_grad[2]:\n"
        "            db = grad_out.sum(0)\n"
        "        return dx, dW, db",
        "class LinearFunction(torch.autograd.Function):\n"
        "    @staticmethod\n"
        "    def forward(ctx, x, W, b):\n"
        "        ctx.x, ctx.W = x, W\n"
        "        return torch.einsum('nd,dm->nm', x, W) + b\n"
        "\n"
        "    @staticmethod\n"
        "    def backward(ctx, g):\n"
        "        return (torch.einsum('nm,dm->nd', g, ctx.W), torch.einsum('nd,nm->dm', ctx.x, g),\n"
        "                torch.einsum('nm->m', g))",
    ],
}

# VISIBLE: {grade_id: {mutant description (in MUTANTS): a phrase its *visible* test failure must contain}}.
# tests/test_assignments.py::test_visible_tests_name_the_mistake runs the visible tests alone (no nbgrader):
# each of these mistakes fails them with a message that names its cause, and every correct version passes.
VISIBLE = {
    'tanh_mlp': {
        'softmax on the output layer (CrossEntropyLoss expects logits)': 'no activation',
        'tanh only after the first layer (right for one hidden layer only)': 'no activation',
        'forward through NumPy (cut off from autograd)': 'no gradient reached',
        'ReLU instead of tanh': 'no activation',
        'the layers in a Python list (invisible to model.parameters())': 'nn.ModuleList',
        'tanh on the output layer too': 'no activation',
        'nn.Linear(n_out, n_in): the sizes swapped': 'nn.Linear(3, 4)',
        'the input cast to float32 in forward (breaks model.double())': "input's dtype",
        'an extra output bias parameter': 'expected 26 parameters',
        'sigmoid instead of tanh': 'no activation',
    },
    'train_epoch': {
        'optimizer.zero_grad() forgotten: gradients accumulate': 'without optimizer.zero_grad()',
        "returns the last batch's loss": 'the last batch only',
        'returns the sum of the losses, not their mean': 'times too',
        'plain mean of the batch losses (the last batch is smaller)': 'plain mean',
        'step before backward': 'backward, step',
        'model.train() forgotten (the model stays in eval mode)': 'eval mode',
        'model.eval() instead of model.train()': 'eval mode',
        "PyTorch's argument order reversed: loss_fn(y, model(x))": 'loss_fn was called',
        'the loss tensor accumulated (.item() forgotten): returns a tensor': 'Python float',
        'a new optimizer made inside (the given one, with its momentum, ignored)': 'backward, step',
        'two steps per batch': 'backward, step',
        'divided by the number of batches': 'number of batches',
    },
    'linear_function': {
        'bias gradient averaged over the batch': 'times too',
        'weight gradient divided by N': 'times too',
        'no gradient for x': 'is None',
        'dW transposed: grad_out^T x': 'each shaped like its input',
        'the output cast to float64': 'float32 output',
        'the bias gradient forgotten (zeros)': 'All zeros',
        'dx with the wrong sign': 'wrong sign',
    },
}

NOT_VISIBLE = {
    "linear_function": {"dx without the transpose": "a wrong dL/dx of the right shape: the plain numbers, no certain cause "
                                                    "(gradcheck and the hidden tests catch it)"},
}
