"""Wrong and alternative correct implementations of a6_pytorch's graded parts (see harness.py)."""

MUTANTS = {
    "tanh_mlp": [
        ("softmax on the output layer (CrossEntropyLoss expects logits)",
         ("return self.layers[-1](x)", "return torch.softmax(self.layers[-1](x), dim=1)")),
        ("tanh only after the first layer (right for one hidden layer only)",
         ("x = torch.tanh(layer(x))", "x = torch.tanh(layer(x)) if layer is self.layers[0] else layer(x)")),
        ("forward through NumPy (cut off from autograd)",
         ("x = torch.tanh(layer(x))", "x = torch.from_numpy(np.tanh(layer(x).detach().numpy()))")),
    ],
    "train_epoch": [
        ("optimizer.zero_grad() forgotten: gradients accumulate", ("        optimizer.zero_grad()          # 1. forget the last step's gradients\n", "")),
        ("returns the last batch's loss", ("return total / n", "return loss.item()")),
        ("returns the sum of the losses, not their mean", ("return total / n", "return total")),
        ("plain mean of the batch losses (the last batch is smaller)",
         ("total += loss.item() * len(x)\n        n += len(x)", "total += loss.item()\n        n += 1")),
        ("step before backward", ("loss.backward()                # 3. back-propagation fills p.grad\n        optimizer.step()",
                                  "optimizer.step()\n        loss.backward()")),
    ],
    "linear_function": [
        ("bias gradient averaged over the batch", ("grad_out.sum(dim=0)", "grad_out.mean(dim=0)")),
        ("weight gradient divided by N", ("x.T @ grad_out,", "x.T @ grad_out / x.shape[0],")),
        ("no gradient for x", ("return grad_out @ W.T,", "return None,")),
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
    "train_epoch": {"optimizer.zero_grad() forgotten: gradients accumulate": "without optimizer.zero_grad()",
                    "returns the sum of the losses, not their mean": "5 times too large, a factor of N",
                    "plain mean of the batch losses (the last batch is smaller)": "the plain mean of the 3 batch losses"},
}
