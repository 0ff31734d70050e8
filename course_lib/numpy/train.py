"""Mini-batch training, evaluation and prediction for the NumPy :class:`MLP`.

The loop in :func:`fit` is the algorithm of chapter 3, written out:

    for each epoch:                         (a fresh seeded shuffle of the data)
        for each mini-batch (x, y):
            out, caches = model.forward(x)          forward pass
            loss, delta = model.output_error(caches, y)     loss and delta^L = dC/dz^L (BP1)
            model.backpropagate(delta, caches)      BP2-BP4
            optimizer.step(params, grads)           one update

The data are checked once, before the first epoch (:func:`check_training_data`).
"""

from __future__ import annotations

import time

import numpy as np
from tqdm.auto import tqdm

from course_lib.history import EarlyStopping, History
from course_lib.numpy.mlp import MLP
from course_lib.numpy.optim import Optimizer, make_optimizer
from course_lib.validate import check_inputs, check_targets


class TrainingDiverged(FloatingPointError):
    """The loss became NaN or infinite (usually: the learning rate is too large)."""

    @classmethod
    def at(cls, loss, epoch: int, step: int, lr) -> "TrainingDiverged":
        """The error for a non-finite ``loss`` at 0-based ``epoch`` and 1-based ``step``."""
        return cls(
            f"the loss became {loss} at epoch {epoch + 1}, step {step}; training stopped before "
            f"applying that step's update. Try a smaller learning rate (it was {lr})."
        )


def check_training_data(model, X, y, what: str = "X"):
    """``(X, y)`` checked against the model's spec, once: the inputs (finite numbers, shape)
    by :func:`~course_lib.validate.check_inputs`, the targets by the one rule of
    :func:`~course_lib.validate.check_targets`.

    Shared by the NumPy, PyTorch and Keras parts, so that a mistake gets the same
    message in every framework. Returns ``X`` as given (each framework casts it to its
    dtype) and ``y`` in the form :func:`check_targets` returns.
    """
    X = check_inputs(what, X, n_features=model.spec.sizes[0])
    y = np.asarray(y)
    if y.ndim == 0 or y.shape[0] != X.shape[0]:
        raise ValueError(f"{what} has {X.shape[0]} samples but its targets have {y.shape[0] if y.ndim else 'none'}")
    return X, check_targets(model.spec.loss, y, model.spec.sizes[-1])


def predicted_labels(out, loss: str):
    """The decision of a classifier from its output ``out`` (N, K) (probabilities or logits).

    Binary cross-entropy: each of the K outputs is a yes/no answer, yes when its
    probability is above 1/2: labels (N,) for K = 1, (N, K) otherwise. Every other
    classifier answers the class with the largest output (labels (N,)); softmax is
    monotonic, so logits and probabilities give the same answer.
    """
    if loss == "binary_cross_entropy":
        yes = (out > 0.5).astype(int)
        return yes[:, 0] if out.shape[1] == 1 else yes
    return np.argmax(out, axis=1)


def correct_predictions(out, y, loss: str) -> int:
    """How many rows of the network output ``out`` (N, K) classify ``y`` correctly."""
    y = np.asarray(y)
    if loss == "binary_cross_entropy":
        # a row is right when every one of its K sigmoid outputs falls on the right side of 1/2
        return int(np.sum(np.all((out > 0.5) == (y.reshape(out.shape) > 0.5), axis=1)))
    labels = y if y.ndim == 1 else np.argmax(y, axis=1)
    return int(np.sum(np.argmax(out, axis=1) == labels))


def accuracy(model: MLP, X, y) -> float:
    """Fraction of samples of ``X`` (N, n_0) that ``model`` classifies as ``y``."""
    X, y = check_training_data(model, X, y)
    return correct_predictions(model.forward(X)[0], y, model.spec.loss) / len(X)


def evaluate(model: MLP, X, y, batch_size: int = 4096) -> dict[str, float]:
    """``{"loss": ..., "accuracy": ...}`` over the whole set (accuracy only for classifiers)."""
    X, y = check_training_data(model, X, y)
    total_loss, correct = 0.0, 0
    for start in range(0, len(X), batch_size):
        xb, yb = X[start:start + batch_size], y[start:start + batch_size]
        out, caches = model.forward(xb)
        total_loss += model.output_error(caches, yb)[0] * len(xb)
        if model.spec.is_classifier:
            correct += correct_predictions(out, yb, model.spec.loss)
    result = {"loss": total_loss / len(X) + model.penalty()}
    if model.spec.is_classifier:
        result["accuracy"] = correct / len(X)
    return result


def predict(model: MLP, X):
    """Class labels (N,) for a classifier (0/1 rows (N, K) for a multi-output binary one),
    outputs (N, n_L) for a regression network."""
    out, _ = model.forward(check_inputs("X", X, n_features=model.spec.sizes[0]))
    return predicted_labels(out, model.spec.loss) if model.spec.is_classifier else out


def predict_proba(model: MLP, X):
    """Probabilities (N, K) for a classifier (:meth:`MLP.predict_proba`)."""
    return model.predict_proba(check_inputs("X", X, n_features=model.spec.sizes[0]))


def fit(
    model: MLP,
    X,
    y,
    *,
    optimizer: str | Optimizer = "adam",
    lr: float = 1e-3,
    epochs: int = 10,
    batch_size: int = 32,
    validation_data=None,
    early_stopping: int | None = None,
    seed: int = 0,
    progress: bool = True,
) -> History:
    """Train ``model`` on ``X`` (N, n_0) and targets ``y`` with mini-batches.

    Parameters
    ----------
    optimizer : a name (``"sgd"``, ``"momentum"``, ``"adagrad"``, ``"rmsprop"``, ``"adam"``,
        built with ``lr``) or an :class:`~course_lib.numpy.optim.Optimizer`.
    validation_data : optional ``(X_val, y_val)``, evaluated after every epoch.
    early_stopping : patience in epochs: stop when the validation loss has not improved
        for that many epochs and restore the best weights. Needs ``validation_data``.
    seed : seeds the shuffling, so a run is reproducible bit for bit.
    progress : show a tqdm progress bar over the epochs.

    Returns
    -------
    History with ``loss`` (and ``accuracy``, ``val_loss``, ``val_accuracy`` where they apply).

    Raises
    ------
    TrainingDiverged if the loss becomes NaN or infinite. The update that would
    have used that loss is not applied: training stops instead of writing NaNs on.
    """
    X, y = check_training_data(model, X, y)
    if validation_data is not None:
        validation_data = check_training_data(model, *validation_data, what="X_val")
    if early_stopping is not None and validation_data is None:
        raise ValueError("early_stopping needs validation_data to watch")
    opt = make_optimizer(optimizer, lr=lr) if isinstance(optimizer, str) else optimizer
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1; got {batch_size}")

    rng = np.random.default_rng(seed)
    history = History(framework="numpy")
    stopper = EarlyStopping(early_stopping, history) if early_stopping is not None else None
    step = 0
    started = time.perf_counter()
    bar = tqdm(range(epochs), desc="epochs", disable=not progress, leave=False)
    for epoch in bar:
        metrics, step = _train_one_epoch(model, X, y, opt, rng.permutation(len(X)), batch_size, epoch, step)
        if validation_data is not None:
            val = evaluate(model, *validation_data)
            metrics.update(val_loss=val["loss"], val_accuracy=val.get("accuracy"))
        history.append(**metrics)
        bar.set_postfix({k: f"{v:.4g}" for k, v in metrics.items() if v is not None})
        if stopper and stopper.should_stop(epoch, metrics["val_loss"], lambda: model.flat_params.copy()):
            break
    if stopper and stopper.best_weights is not None:
        model.flat_params[...] = stopper.best_weights  # restore the best epoch's weights
    history.seconds = time.perf_counter() - started
    return history


def _train_one_epoch(model: MLP, X, y, opt: Optimizer, order, batch_size: int, epoch: int, step: int):
    """One pass over the data in the given ``order``; returns the epoch's metrics and the step count."""
    total_loss, correct = 0.0, 0
    # A diverging run overflows before its loss is checked; the check below reports that
    # clearly, so NumPy's own overflow warnings would only be noise.
    with np.errstate(over="ignore", invalid="ignore"):
        for start in range(0, len(X), batch_size):
            idx = order[start:start + batch_size]
            xb, yb = X[idx], y[idx]
            out, caches = model.forward(xb)
            loss, delta = model.output_error(caches, yb)
            loss += model.penalty()
            step += 1
            if not np.isfinite(loss):
                raise TrainingDiverged.at(loss, epoch, step, getattr(opt, "lr", "?"))
            model.backpropagate(delta, caches)
            opt.step(model.flat_params, model.flat_grads)
            total_loss += loss * len(idx)
            if model.spec.is_classifier:
                correct += correct_predictions(out, yb, model.spec.loss)
    n = len(X)
    return {"loss": total_loss / n, "accuracy": correct / n if model.spec.is_classifier else None}, step


def loss_and_grads(model: MLP, X, y):
    """The loss (with L2) on one batch and its gradients, by the four back-propagation equations.

    Returns ``(loss, [(dW^1, db^1), ...])`` as float64 copies in the exchange format,
    so the result can be compared with ``course_lib.torch`` and ``course_lib.keras``.
    """
    X, y = check_training_data(model, X, y)
    loss, grads = model.loss(X, y)
    return loss, [(dW.astype(np.float64), db.astype(np.float64)) for dW, db in grads]
