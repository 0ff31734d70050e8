"""Hidden checks of assignment a6_pytorch: an ``nn.Module``, a training loop, a custom autograd Function.

The references are the grader's own NumPy code, computed in float64 in the clean process before
the student's code is loaded (it never imports torch). The student's code runs, as always, in a
fork of that process (see ``isolation.py``): there the *call* functions below build the inputs
(the grader's own model, loader, optimizer and loss), run the student's code and send back plain
arrays only: weights, outputs and gradients. So the forward pass that is graded is the grader's own
NumPy one, fed with the weights the student's module holds.
"""

from __future__ import annotations

import numpy as np

from autograder.checks.isolation import (
    Case, CheckFailure, Opaque, describe, expect_array, expect_scalar, expect_sequence, hidden_check,
)

# --------------------------------------------------------------------------- NumPy references


def tanh_mlp_forward(x, params):
    """tanh hidden layers, linear output; params = [(W (n_out, n_in) as nn.Linear keeps it, b)]."""
    a = x
    for l, (W, b) in enumerate(params):
        z = a @ W.T + b
        a = z if l == len(params) - 1 else np.tanh(z)
    return a


def tanh_mlp_grads(x, params, g):
    """Gradients of sum(forward(x) * g) with respect to every (W, b), by back-propagation."""
    acts, a = [x], x
    for W, b in params[:-1]:
        a = np.tanh(a @ W.T + b)
        acts.append(a)
    grads, delta = [None] * len(params), g
    for l in reversed(range(len(params))):
        grads[l] = (delta.T @ acts[l], delta.sum(axis=0))
        if l:
            delta = (delta @ params[l][0]) * (1 - acts[l] ** 2)
    return grads


def softmax_cross_entropy(z, y):
    """Mean cross-entropy of logits z (N, K) against integer labels y (N,), and d loss / d z."""
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    N = len(y)
    loss = -logp[np.arange(N), y].mean()
    dz = np.exp(logp)
    dz[np.arange(N), y] -= 1
    return loss, dz / N


def mse(out, y):
    """mean((out - y)^2) over all entries (torch's MSELoss, keras's MeanSquaredError for 2-D y), and d / d out."""
    return float(np.mean((out - y) ** 2)), 2 * (out - y) / out.size


def train_reference(params, batches, loss, lr, momentum=0.0):
    """SGD (with torch/keras-style momentum) on a tanh MLP, one step per batch.

    Returns (per-batch losses before each step, final params). params as in tanh_mlp_forward.
    """
    params = [(W.copy(), b.copy()) for W, b in params]
    velocity = [(np.zeros_like(W), np.zeros_like(b)) for W, b in params]
    losses = []
    for step, (x, y) in enumerate(batches):
        out = tanh_mlp_forward(x, params)
        value, dout = (mse if loss == "mse" else softmax_cross_entropy)(out, y)
        losses.append(float(value))
        grads = tanh_mlp_grads(x, params, dout)
        new, vel = [], []
        for (W, b), (dW, db), (vW, vb) in zip(params, grads, velocity):
            if momentum:
                vW, vb = (dW, db) if step == 0 else (momentum * vW + dW, momentum * vb + db)
                dW, db = vW, vb
            new.append((W - lr * dW, b - lr * db))
            vel.append((vW, vb))
        params, velocity = new, vel
    return losses, params


def _init(rng, sizes):
    return [(rng.standard_normal((n_out, n_in)) / np.sqrt(n_in), 0.3 * rng.standard_normal(n_out))
            for n_in, n_out in zip(sizes[:-1], sizes[1:])]


def _expect_params(name, got, shapes):
    if type(got) is not list or len(got) != len(shapes):
        raise CheckFailure(f"{name}: expected {len(shapes)} nn.Linear layers; got "
                           f"{len(got) if type(got) is list else describe(got)}")


# --------------------------------------------------------------------------- TanhMLP


def _tanh_mlp_call(student, args):
    """In the student's process: build TanhMLP(sizes), read its layers, run it in float64."""
    import torch

    (cls,) = student
    sizes, x, g, seed = args
    torch.manual_seed(seed)
    model = cls(list(sizes))
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"TanhMLP(sizes) must be a torch.nn.Module; got {type(model).__name__}")
    layers = getattr(model, "layers", None)
    if not isinstance(layers, torch.nn.ModuleList) or not all(isinstance(m, torch.nn.Linear) for m in layers):
        raise TypeError("model.layers must be a torch.nn.ModuleList of torch.nn.Linear layers, one per layer")
    n_params = int(sum(p.numel() for p in model.parameters()))
    dtype32 = model(torch.zeros(2, sizes[0])).dtype == torch.float32
    model = model.double()
    params = [(m.weight.detach().numpy().copy(), m.bias.detach().numpy().copy()) for m in layers]
    out = model(torch.tensor(x))
    (out * torch.tensor(g)).sum().backward()
    grads = [(None if m.weight.grad is None else m.weight.grad.numpy().copy(),
              None if m.bias.grad is None else m.bias.grad.numpy().copy()) for m in layers]
    return params, n_params, dtype32, out.detach().numpy().copy(), grads


def _tanh_mlp_cases(rng):
    cases = []
    for sizes in ([3, 5, 2], [4, 6, 5, 3], [2, 7, 1], [5, 3, 4, 6, 2]):
        sizes = [int(n) for n in sizes]
        N = int(rng.integers(1, 6))
        x, g = rng.standard_normal((N, sizes[0])), rng.standard_normal((N, sizes[-1]))
        cases.append(Case((sizes, x, g, int(rng.integers(1000))), sizes, f"TanhMLP({sizes}), x of shape {x.shape}"))
    return cases


def _tanh_mlp_verify(case, got):
    sizes, x, g, _ = case.args
    params, n_params, dtype32, out, grads = expect_sequence("(grader's reading of your model)", got, 5)
    shapes = [((n_out, n_in), (n_out,)) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    _expect_params("model.layers", params, shapes)
    for l, ((W, b), (ws, bs)) in enumerate(zip(params, shapes), start=1):
        if type(W) is not np.ndarray or W.shape != ws or type(b) is not np.ndarray or b.shape != bs:
            raise CheckFailure(f"layer {l}: expected nn.Linear({ws[1]}, {ws[0]}) (weight {ws}, bias {bs}); got "
                               f"weight {getattr(W, 'shape', W)}, bias {getattr(b, 'shape', b)}")
    expected_n = sum(a * b + a for (a, b), _ in shapes)
    if n_params != expected_n:
        raise CheckFailure(f"the model has {n_params} parameters; the layers {sizes} need exactly {expected_n}")
    if dtype32 is not True:
        raise CheckFailure("a float32 input should give a float32 output (keep the default dtype)")
    expect_array("output of forward (float64)", out, tanh_mlp_forward(x, params), rtol=1e-10)
    if type(grads) is not list:
        raise CheckFailure("could not read the gradients")
    for l, ((dW, db), (eW, eb)) in enumerate(zip(grads, tanh_mlp_grads(x, params, g)), start=1):
        if dW is None or db is None:
            raise CheckFailure(f"layer {l} got no gradient: is its output cut off from autograd "
                               "(.detach(), .data, NumPy)?")
        expect_array(f"gradient of layer {l}'s weight", dW, eW, rtol=1e-8)
        expect_array(f"gradient of layer {l}'s bias", db, eb, rtol=1e-8)


check_tanh_mlp = hidden_check("tanh_mlp", _tanh_mlp_cases, _tanh_mlp_verify, call=_tanh_mlp_call, seed=61,
                              timeout=30)


# --------------------------------------------------------------------------- train_epoch


def _train_epoch_call(student, args):
    """In the student's process: the grader's model, loader, optimizer and loss; one epoch."""
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    (train_epoch,) = student
    params, X, y, batch_size, loss, lr, momentum = args
    layers = []
    for l, (W, b) in enumerate(params):
        lin = torch.nn.Linear(W.shape[1], W.shape[0], dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.tensor(W))
            lin.bias.copy_(torch.tensor(b))
        layers += [lin] if l == len(params) - 1 else [lin, torch.nn.Tanh()]
    model = torch.nn.Sequential(*layers)
    yt = torch.tensor(y) if loss == "mse" else torch.tensor(y, dtype=torch.int64)
    loader = DataLoader(TensorDataset(torch.tensor(X), yt), batch_size=batch_size, shuffle=False)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    loss_fn = torch.nn.MSELoss() if loss == "mse" else torch.nn.CrossEntropyLoss()
    modes = []  # the text asks for model.train(): the model arrives in eval mode
    model.eval()
    model.register_forward_pre_hook(lambda module, inputs: modes.append(module.training))
    result = train_epoch(model, loader, optimizer, loss_fn)
    is_tensor = isinstance(result, torch.Tensor)  # plain data only crosses back: say so with a bool
    if is_tensor:
        result = result.detach().numpy().copy()
    lin = [m for m in model if isinstance(m, torch.nn.Linear)]
    return (result, [(m.weight.detach().numpy().copy(), m.bias.detach().numpy().copy()) for m in lin], is_tensor,
            bool(modes) and all(modes))


def _train_epoch_cases(rng):
    cases = []
    for N, sizes, batch_size, loss, lr, momentum in (
        (10, [3, 5, 2], 4, "mse", 0.1, 0.0),          # a short last batch (2 samples)
        (9, [4, 6, 3], 3, "ce", 0.5, 0.9),            # momentum: the optimizer's state must be used
        (7, [2, 4, 3, 1], 7, "mse", 0.2, 0.0),        # one batch
        (11, [3, 4, 4], 2, "ce", 0.3, 0.0),
    ):
        X = rng.standard_normal((N, sizes[0]))
        y = rng.standard_normal((N, sizes[-1])) if loss == "mse" else rng.integers(0, sizes[-1], N)
        params = _init(rng, sizes)
        batches = [(X[i:i + batch_size], y[i:i + batch_size]) for i in range(0, N, batch_size)]
        losses, final = train_reference(params, batches, loss, lr, momentum)
        mean = sum(v * len(bx) for v, (bx, _) in zip(losses, batches)) / N
        what = (f"{N} samples in batches of {batch_size}, {'MSELoss' if loss == 'mse' else 'CrossEntropyLoss'}, "
                f"SGD(lr={lr}" + (f", momentum={momentum})" if momentum else ")"))
        cases.append(Case((params, X, y, batch_size, loss, lr, momentum), (mean, final), what))
    return cases


def _train_epoch_verify(case, got):
    result, params, is_tensor, train_mode = expect_sequence("(grader's reading of your run)", got, 4)
    mean, final = case.expected
    for l, ((W, b), (eW, eb)) in enumerate(zip(params, final), start=1):
        expect_array(f"layer {l}'s weight after the epoch", W, eW, rtol=1e-9)
        expect_array(f"layer {l}'s bias after the epoch", b, eb, rtol=1e-9)
    if train_mode is not True:
        raise CheckFailure("the model ran in eval mode: call model.train() at the start of train_epoch")
    if is_tensor is True:
        raise CheckFailure("the mean loss must be a Python float (use loss.item()); got a torch.Tensor")
    if isinstance(result, Opaque) or type(result) not in (int, float):
        raise CheckFailure(f"the mean loss must be a Python float; got {describe(result)}")
    expect_scalar("mean loss of the epoch", result, mean, rtol=1e-9)


check_train_epoch = hidden_check("train_epoch", _train_epoch_cases, _train_epoch_verify, call=_train_epoch_call,
                                 seed=62, timeout=30, check_inputs=False)


# --------------------------------------------------------------------------- LinearFunction


def _linear_function_call(student, args):
    """In the student's process: apply the Function, differentiate through it, run gradcheck."""
    import torch

    (fn,) = student
    if not (isinstance(fn, type) and issubclass(fn, torch.autograd.Function)):
        raise TypeError("LinearFunction must be a subclass of torch.autograd.Function")
    x, W, b, g, dtype = args
    dt = torch.float64 if dtype == "float64" else torch.float32
    xt, Wt, bt = (torch.tensor(a, dtype=dt, requires_grad=True) for a in (x, W, b))
    out = fn.apply(xt, Wt, bt)
    node = out.grad_fn is not None and type(out.grad_fn).__name__.endswith("Backward")
    grads = torch.autograd.grad((out * torch.tensor(g, dtype=dt)).sum(), (xt, Wt, bt), allow_unused=True)
    grads = [None if v is None else v.detach().to(torch.float64).numpy().copy() for v in grads]
    passed = None
    if dtype == "float64":  # the float64 finite-difference check of torch itself
        small = [torch.tensor(a[:3, :3] if a.ndim == 2 else a[:3], dtype=torch.float64, requires_grad=True)
                 for a in (x, W, b)]
        passed = bool(torch.autograd.gradcheck(fn.apply, tuple(small), eps=1e-6, atol=1e-5,
                                               raise_exception=False))
    return out.dtype == dt, out.detach().to(torch.float64).numpy().copy(), node, grads, passed


def _linear_function_cases(rng):
    cases = []
    for N, D, M, dtype in ((4, 3, 5, "float64"), (1, 6, 3, "float64"), (7, 5, 4, "float64"), (5, 4, 6, "float32")):
        x, W, b, g = (rng.standard_normal(s) for s in ((N, D), (D, M), (M,), (N, M)))
        expected = (x @ W + b, g @ W.T, x.T @ g, g.sum(axis=0))
        cases.append(Case((x, W, b, g, dtype), expected, f"x {x.shape}, W {W.shape}, b {b.shape}, {dtype}"))
    return cases


def _linear_function_verify(case, got):
    dtype_out, out, node, grads, passed = expect_sequence("(grader's reading of your Function)", got, 5)
    rtol = 1e-10 if case.args[4] == "float64" else 1e-5
    if dtype_out is not True:
        raise CheckFailure(f"output dtype: expected torch.{case.args[4]}, the inputs' dtype")
    expect_array("output x W + b", out, case.expected[0], rtol=rtol)
    if node is not True:
        raise CheckFailure("the output has no grad_fn of your Function: apply must record it (is the output detached?)")
    for name, g, e in zip(("grad of x", "grad of W", "grad of b"), grads, case.expected[1:]):
        if g is None:
            raise CheckFailure(f"{name} is None: backward must return one gradient per input of forward")
        expect_array(name, g, e, rtol=rtol)
    if passed is False:
        raise CheckFailure("torch.autograd.gradcheck (float64 finite differences) failed")


check_linear_function = hidden_check("linear_function", _linear_function_cases, _linear_function_verify,
                                     call=_linear_function_call, seed=63, timeout=30, check_inputs=False)
