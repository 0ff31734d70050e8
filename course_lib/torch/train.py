"""Training, evaluation and prediction in PyTorch: :func:`fit` is the NumPy loop again.

    for each epoch:                                 (a DataLoader shuffles, seeded)
        for each mini-batch (x, y):                 (moved to the model's device)
            optimizer.zero_grad()                   forget the last step's gradients
            z = model.logits(x)                     forward pass up to z^L
            loss = model.objective_from_logits(z, y)    mean loss (fused, from logits) + L2
            loss.backward()                         autograd: the four equations, for free
            optimizer.step()                        one torch.optim update

The names and arguments are those of :mod:`course_lib.numpy.train`, and the
result is the same :class:`~course_lib.history.History`. The data are checked once,
with the NumPy part's rules and messages (:func:`~course_lib.numpy.train.check_training_data`).
Everything computes in the model's dtype.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset
from tqdm.auto import tqdm

from course_lib.history import EarlyStopping, History
from course_lib.numpy.train import TrainingDiverged, check_training_data, predicted_labels
from course_lib.spec import is_classifier
from course_lib.torch.device import get_device
from course_lib.torch.mlp import MLP, targets
from course_lib.validate import check_choice, check_inputs, check_numbers, check_targets

__all__ = ["fit", "evaluate", "predict", "predict_proba", "loss_and_grads", "make_optimizer", "TrainingDiverged"]


def make_optimizer(name: str, params, lr: float) -> torch.optim.Optimizer:
    """A ``torch.optim`` optimizer by the names of :func:`course_lib.numpy.make_optimizer`.

    The constants are the NumPy ones (momentum 0.9, RMSprop rho 0.9, eps 1e-8),
    not all of them torch's defaults, so that the same name means the same update.
    """
    name = check_choice("optimizer", name.lower(), ("sgd", "momentum", "adagrad", "rmsprop", "adam"))
    if not lr > 0:
        raise ValueError(f"learning rate must be > 0; got {lr}")
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if name == "momentum":
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=lr, eps=1e-8)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=0.9, eps=1e-8)  # torch calls rho "alpha"
    return torch.optim.Adam(params, lr=lr, eps=1e-8)


# ---------------------------------------------------------------------- helpers
def _first_param(model) -> torch.Tensor:
    return next(model.parameters())


def _check(model, X, y, what: str = "X"):
    """NumPy arrays ``X``, ``y``, checked once by the rules of :mod:`course_lib.validate`
    (for an MLP against its spec, for the CNN against its number of classes)."""
    if isinstance(model, MLP):
        return check_training_data(model, X, y, what)
    X = check_numbers(what, X)
    y = np.asarray(y)
    if y.ndim == 0 or len(X) != len(y):
        raise ValueError(f"{what} has {len(X)} samples but its targets have {len(y) if y.ndim else 'none'}")
    return X, check_targets(model.loss_name, y, _n_outputs(model))


def _n_outputs(model) -> int:
    return [p for p in model.parameters()][-1].shape[0]  # the last layer's bias: one per output


def _check_inputs(model, X):
    """``X`` alone (for predictions), checked as :func:`_check` checks it."""
    return check_inputs("X", X, n_features=model.spec.sizes[0]) if isinstance(model, MLP) else check_numbers("X", X)


def _tensors(model, X, y=None):
    """``X`` in the model's dtype; ``y`` as int64 labels or in the model's dtype. Both on the CPU."""
    dtype = _first_param(model).dtype
    X = torch.as_tensor(np.asarray(X), dtype=dtype)
    if y is None:
        return X
    y = np.asarray(y)
    y = torch.as_tensor(y, dtype=torch.int64 if np.issubdtype(y.dtype, np.integer) else dtype)
    return X, y


def _correct(out: torch.Tensor, y: torch.Tensor, loss: str) -> torch.Tensor:
    """How many rows of ``out`` (N, K) classify ``y`` (from :func:`targets`) correctly; a tensor
    (on the device: the rule of :func:`course_lib.numpy.train.correct_predictions`, without a copy)."""
    if loss == "binary_cross_entropy":
        return ((out > 0.5) == (y > 0.5)).all(dim=1).sum()
    labels = y if y.ndim == 1 else y.argmax(dim=1)
    return (out.argmax(dim=1) == labels).sum()


def _output(model, z: torch.Tensor) -> torch.Tensor:
    """a^L from z^L: the MLP's output activation (the CNN outputs its logits)."""
    return model.activations[-1](z) if isinstance(model, MLP) else z


def _outputs(model, X, batch_size: int = 4096) -> torch.Tensor:
    """The network's output for all of ``X``, in batches, without recording a graph (CPU tensor)."""
    device = _first_param(model).device
    model.eval()
    with torch.no_grad():
        X = _tensors(model, _check_inputs(model, X))
        return torch.cat([model(X[i:i + batch_size].to(device)).cpu() for i in range(0, len(X), batch_size)])


# ---------------------------------------------------------------------- public API
def loss_and_grads(model: MLP, X, y):
    """The objective on one batch and its gradients, by autograd.

    Returns ``(loss, [(dW^1, db^1), ...])``: a float and float64 NumPy arrays in the
    exchange format, dW^l (n_{l-1}, n_l), to compare with the NumPy MLP's backward.
    """
    X, y = _tensors(model, *_check(model, X, y))
    device = _first_param(model).device
    model.zero_grad()
    loss = model.loss(X.to(device), y.to(device))
    loss.backward()
    grads = [
        (layer.weight.grad.cpu().double().numpy().T.copy(), layer.bias.grad.cpu().double().numpy().copy())
        for layer in model.layers
    ]
    return loss.item(), grads


def evaluate(model, X, y, batch_size: int = 4096) -> dict[str, float]:
    """``{"loss": ..., "accuracy": ...}`` over the whole set (accuracy only for classifiers)."""
    X, y = _check(model, X, y)
    X, y = _tensors(model, X, y)
    device = _first_param(model).device
    model.eval()
    total_loss, correct = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(X), batch_size):
            z = model.logits(X[i:i + batch_size].to(device))
            yb = targets(z, y[i:i + batch_size], model.loss_name)
            # the objective includes the penalty once per batch: take it out, add it once below
            total_loss += (model.objective_from_logits(z, yb) - model.penalty()).item() * len(z)
            correct += int(_correct(_output(model, z), yb, model.loss_name))
    result = {"loss": total_loss / len(X) + model.penalty().item()}
    if is_classifier(model.loss_name):
        result["accuracy"] = correct / len(X)
    return result


def predict_proba(model, X) -> np.ndarray:
    """Probabilities (N, K) for a classifier (the raw output for regression), as NumPy."""
    out = _outputs(model, X)
    if model.loss_name == "softmax_cross_entropy":
        out = torch.softmax(out, dim=1)
    return out.numpy()


def predict(model, X) -> np.ndarray:
    """Class labels (N,) for a classifier (0/1 rows (N, K) for a multi-output binary one),
    outputs (N, n_L) for a regression network."""
    out = _outputs(model, X).numpy()
    return predicted_labels(out, model.loss_name) if is_classifier(model.loss_name) else out


def fit(
    model,
    X,
    y,
    *,
    optimizer: str | torch.optim.Optimizer = "adam",
    lr: float = 1e-3,
    epochs: int = 10,
    batch_size: int = 32,
    validation_data=None,
    early_stopping: int | None = None,
    seed: int = 0,
    progress: bool = True,
    device: str | torch.device | None = None,
) -> History:
    """Train ``model`` (an :class:`MLP` or :class:`SmallCNN`) on ``X`` (N, n_0) and targets ``y``.

    Parameters are those of :func:`course_lib.numpy.fit`, plus
    ``device``: where to train (see :func:`get_device`; default: CUDA, then MPS, then CPU).
    ``optimizer`` is a name or a ready ``torch.optim`` optimizer over ``model.parameters()``.

    Returns
    -------
    History (``framework="torch"``) with ``loss`` and, where they apply, ``accuracy``,
    ``val_loss``, ``val_accuracy``; ``best_epoch`` with early stopping, whose weights are restored.
    """
    X, y = _check(model, X, y)
    if validation_data is not None:
        validation_data = _check(model, *validation_data, what="X_val")
    if early_stopping is not None and validation_data is None:
        raise ValueError("early_stopping needs validation_data to watch")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1; got {batch_size}")

    device = get_device(device)
    if device.type == "mps" and _first_param(model).dtype == torch.float64:
        device = torch.device("cpu")  # Apple's GPU has no float64
    model.to(device)
    opt = make_optimizer(optimizer, model.parameters(), lr) if isinstance(optimizer, str) else optimizer
    # The data stay on the CPU; each batch is moved to the device, the usual pattern
    # for data sets of any size. A seeded generator makes the shuffles reproducible.
    loader = DataLoader(
        TensorDataset(*_tensors(model, X, y)),
        batch_size=batch_size,
        shuffle=True,
        generator=torch.Generator().manual_seed(seed),
    )
    loss_name, n, classifier = model.loss_name, len(X), is_classifier(model.loss_name)
    history = History(framework="torch")
    stopper = EarlyStopping(early_stopping, history) if early_stopping is not None else None
    step = 0
    started = time.perf_counter()
    bar = tqdm(range(epochs), desc="epochs", disable=not progress, leave=False)
    for epoch in bar:
        model.train()
        total_loss, correct = 0.0, 0
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            opt.zero_grad()
            z = model.logits(xb)
            yb = targets(z, yb, loss_name)
            loss = model.objective_from_logits(z, yb)
            step += 1
            if not torch.isfinite(loss):
                raise TrainingDiverged.at(loss.item(), epoch, step, lr)
            loss.backward()
            opt.step()
            total_loss += loss.item() * len(xb)
            if classifier:
                correct += int(_correct(_output(model, z.detach()), yb, loss_name))

        metrics = {"loss": total_loss / n, "accuracy": correct / n if classifier else None}
        if validation_data is not None:
            val = evaluate(model, *validation_data)
            metrics.update(val_loss=val["loss"], val_accuracy=val.get("accuracy"))
        history.append(**metrics)
        bar.set_postfix({k: f"{v:.4g}" for k, v in metrics.items() if v is not None})

        # state_dict() holds references to the live tensors: the snapshot clones them
        snapshot = lambda: {k: v.detach().clone() for k, v in model.state_dict().items()}  # noqa: E731
        if stopper and stopper.should_stop(epoch, metrics["val_loss"], snapshot):
            break
    if stopper and stopper.best_weights is not None:
        model.load_state_dict(stopper.best_weights)  # restore the best epoch's weights
    history.seconds = time.perf_counter() - started
    return history
