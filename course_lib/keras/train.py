"""Training, evaluation and prediction in Keras 3, two ways.

:func:`fit` is the Keras way: ``model.compile(optimizer, loss, metrics)`` then
``model.fit(...)`` with an ``EarlyStopping`` callback. :func:`fit_custom` is the
loop of :mod:`course_lib.numpy.train` written out, with one :func:`train_step`:

    with tf.GradientTape() as tape:                 record the forward pass
        out  = model(x, training=True)
        loss = loss_fn(y, out) + sum(model.losses)  mean loss + the L2 penalty
    grads = tape.gradient(loss, model.trainable_variables)      reverse mode (chapter 4)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))

On the torch backend the tape is replaced by ``torch.autograd.grad``; nothing else changes.
Both return the course's :class:`~course_lib.history.History`.

Both train the logits z^L (:func:`~course_lib.keras.mlp.logits_model`): a sigmoid or
softmax output is fused with its cross-entropy, as in NumPy and PyTorch. The optimizers
named by a string are the book's (:mod:`course_lib.keras.optim`), not Keras's own. The
data are checked once, with the NumPy part's rules and messages.
"""

from __future__ import annotations

import time

import keras
import numpy as np
from tqdm.auto import tqdm

from course_lib.history import EarlyStopping, History
from course_lib.keras.mlp import logits_model, make_loss, output_activation, targets
from course_lib.keras.optim import OPTIMIZERS
from course_lib.numpy.activations import softmax
from course_lib.numpy.train import TrainingDiverged, check_training_data, correct_predictions, predicted_labels
from course_lib.spec import is_classifier
from course_lib.validate import check_choice, check_inputs, check_numbers, check_targets

__all__ = [
    "fit", "fit_custom", "train_step", "evaluate", "predict", "predict_proba", "loss_and_grads",
    "make_optimizer", "TrainingDiverged",
]


def make_optimizer(name: str, lr: float, dtype: str = "float32") -> keras.optimizers.Optimizer:
    """The book's optimizer called ``name`` (the names of :func:`course_lib.numpy.make_optimizer`).

    The classes of :mod:`course_lib.keras.optim`: Keras's own Adagrad, RMSprop and Adam
    follow other formulas. The constants are the NumPy ones (momentum 0.9, rho 0.9,
    eps 1e-8); ``dtype`` is the model's, for the learning-rate variable.
    """
    name = check_choice("optimizer", name.lower(), OPTIMIZERS)
    if not lr > 0:
        raise ValueError(f"learning rate must be > 0; got {lr}")
    return OPTIMIZERS[name](learning_rate=lr, dtype=dtype)


# ---------------------------------------------------------------------- helpers
def _dtype(model) -> str:
    return model.layers[-1].compute_dtype


def _check(model, X, y, what: str = "X"):
    """NumPy ``X`` (in the model's dtype) and ``y``, checked once by the rules of
    :mod:`course_lib.validate` (for an MLP against its spec)."""
    if hasattr(model, "spec"):
        X, y = check_training_data(model, X, y, what)
    else:
        X, y = check_numbers(what, X), np.asarray(y)
        if y.ndim == 0 or len(X) != len(y):
            raise ValueError(f"{what} has {len(X)} samples but its targets have {len(y) if y.ndim else 'none'}")
        y = check_targets(model.loss_name, y, model.output_shape[-1])
    return X.astype(_dtype(model), copy=False), y


def _outputs(model, X, batch_size: int = 4096) -> np.ndarray:
    """The network's output for all of ``X`` (calling the model directly: faster than
    ``model.predict`` for the small arrays of this course)."""
    X = check_inputs("X", X, model.spec.sizes[0]) if hasattr(model, "spec") else check_numbers("X", X)
    X = X.astype(_dtype(model), copy=False)
    return np.concatenate([
        keras.ops.convert_to_numpy(model(X[i:i + batch_size], training=False)) for i in range(0, len(X), batch_size)
    ])


def _penalty(model):
    """The L2 term: Keras recomputes every regularizer's value in ``model.losses``."""
    return sum(model.losses) if model.losses else 0.0


def loss_and_grads(model, X, y):
    """The objective on one batch and its gradients, by the backend's reverse mode.

    Returns ``(loss, [(dW^1, db^1), ...])``: a float and float64 NumPy arrays in the
    exchange format, dW^l (n_{l-1}, n_l), to compare with the NumPy MLP's backward.
    """
    X, y = _check(model, X, y)
    n_out = model.output_shape[-1]
    loss_fn = make_loss(model.loss_name, y, _dtype(model))
    loss, _, grads = _value_and_grads(model, loss_fn, X, targets(y, n_out, model.loss_name, _dtype(model)))
    grads = [np.array(keras.ops.convert_to_numpy(g), dtype=np.float64) for g in grads]
    return float(keras.ops.convert_to_numpy(loss)), list(zip(grads[0::2], grads[1::2]))


def _value_and_grads(model, loss_fn, x, y):
    """``(loss, out, grads)``: out is a^L, the loss ``loss_fn`` of the logits z^L (plus L2),
    grads in the order of ``model.trainable_variables`` (W^1, b^1, W^2, ...)."""
    net = logits_model(model)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:  # records every operation on the trainable variables
            z = net(x, training=True)
            out = output_activation(model, z)
            loss = loss_fn(y, z if is_classifier(model.loss_name) else out) + _penalty(model)
        return loss, out, tape.gradient(loss, model.trainable_variables)
    if keras.backend.backend() == "torch":
        import torch

        # On the torch backend every Keras variable wraps a torch Parameter (variable.value).
        z = net(x, training=True)
        out = output_activation(model, z)
        loss = loss_fn(y, z if is_classifier(model.loss_name) else out) + _penalty(model)
        return loss, out, torch.autograd.grad(loss, [v.value for v in model.trainable_variables])
    raise NotImplementedError(f"course_lib.keras supports the tensorflow and torch backends, not {keras.backend.backend()!r}")


def train_step(model, optimizer, loss_fn, x, y):
    """One step of gradient descent on the batch ``x`` (N, n_0), ``y``; returns ``(loss, out)``.

    The custom training step of chapter 9: a ``tf.GradientTape`` on the TensorFlow
    backend (torch autograd on the torch backend), then the optimizer's update.
    For a classifier ``loss_fn`` is applied to the logits z^L (as the losses of
    :func:`~course_lib.keras.mlp.make_loss` expect), for the MSE to the output a^L;
    ``out`` is a^L.
    """
    loss, out, grads = _value_and_grads(model, loss_fn, x, y)
    loss, out = float(keras.ops.convert_to_numpy(loss)), keras.ops.convert_to_numpy(out)
    if np.isfinite(loss):  # otherwise the caller raises TrainingDiverged: never apply a NaN update
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss, out


# ---------------------------------------------------------------------- public API
def evaluate(model, X, y, batch_size: int = 4096) -> dict[str, float]:
    """``{"loss": ..., "accuracy": ...}`` over the whole set (accuracy only for classifiers)."""
    X, y = _check(model, X, y)
    dtype = _dtype(model)
    net = logits_model(model)
    z = np.concatenate([keras.ops.convert_to_numpy(net(X[i:i + batch_size], training=False))
                        for i in range(0, len(X), batch_size)])
    loss_fn = make_loss(model.loss_name, y, dtype)
    out = keras.ops.convert_to_numpy(output_activation(model, z))
    data_loss = loss_fn(targets(y, z.shape[1], model.loss_name, dtype), z if is_classifier(model.loss_name) else out)
    result = {"loss": float(keras.ops.convert_to_numpy(data_loss + _penalty(model)))}
    if is_classifier(model.loss_name):
        result["accuracy"] = correct_predictions(out, y, model.loss_name) / len(X)
    return result


def predict_proba(model, X) -> np.ndarray:
    """Probabilities (N, K) for a classifier (the raw output for regression)."""
    out = _outputs(model, X)
    return softmax(out) if model.loss_name == "softmax_cross_entropy" else out


def predict(model, X) -> np.ndarray:
    """Class labels (N,) for a classifier (0/1 rows (N, K) for a multi-output binary one),
    outputs (N, n_L) for a regression network."""
    out = _outputs(model, X)
    return predicted_labels(out, model.loss_name) if is_classifier(model.loss_name) else out


def fit(
    model,
    X,
    y,
    *,
    optimizer: str | keras.optimizers.Optimizer = "adam",
    lr: float = 1e-3,
    epochs: int = 10,
    batch_size: int = 32,
    validation_data=None,
    early_stopping: int | None = None,
    seed: int = 0,
    progress: bool = True,
) -> History:
    """Train with ``model.compile`` and ``model.fit``; arguments as in :func:`course_lib.numpy.fit`.

    ``early_stopping`` (patience in epochs) adds ``keras.callbacks.EarlyStopping``
    watching ``val_loss`` with ``restore_best_weights=True``.

    Returns
    -------
    History (``framework="keras"``) with ``loss`` (L2 included), ``accuracy`` and,
    with validation data, ``val_loss`` and ``val_accuracy``; ``best_epoch`` with early stopping.
    """
    X, y = _check(model, X, y)
    if early_stopping is not None and validation_data is None:
        raise ValueError("early_stopping needs validation_data to watch")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1; got {batch_size}")
    dtype, n_out, loss_name = _dtype(model), model.output_shape[-1], model.loss_name
    if validation_data is not None:
        X_val, y_val = _check(model, *validation_data, what="X_val")
        validation_data = (X_val, targets(y_val, n_out, loss_name, dtype))

    keras.utils.set_random_seed(seed)  # seeds the shuffling of model.fit (Python, NumPy and backend RNGs)
    opt = make_optimizer(optimizer, lr, dtype) if isinstance(optimizer, str) else optimizer
    callbacks = []
    if early_stopping is not None:
        stopper = keras.callbacks.EarlyStopping(monitor="val_loss", patience=early_stopping, restore_best_weights=True)
        callbacks.append(stopper)
    started = time.perf_counter()
    # compile() wraps the loss in a container that computes in keras.config.floatx():
    # for a float64 model it must be float64 too, or the loss (and with it every
    # gradient) is rounded to float32, and adding a float64 L2 term even fails.
    floatx = keras.config.floatx()
    keras.config.set_floatx(dtype)
    # A classifier is trained through its logits model (the same layers and weights, without
    # the output activation), so that the loss is the fused one; the MSE takes a^L.
    net = logits_model(model) if is_classifier(loss_name) else model
    if loss_name == "binary_cross_entropy":  # yes when the logit is > 0, i.e. the probability > 1/2
        metrics = [keras.metrics.BinaryAccuracy(name="accuracy", threshold=0.0)]
    else:  # Keras picks the accuracy that goes with the loss (argmax: the same on logits)
        metrics = ["accuracy"] if is_classifier(loss_name) else []
    try:
        net.compile(optimizer=opt, loss=make_loss(loss_name, y, dtype), metrics=metrics)
        keras_history = net.fit(
            X, targets(y, n_out, loss_name, dtype),
            batch_size=batch_size, epochs=epochs, validation_data=validation_data,
            shuffle=True, callbacks=callbacks, verbose=1 if progress else 0,
        )
    finally:
        keras.config.set_floatx(floatx)
    seconds = time.perf_counter() - started
    best_epoch = stopper.best_epoch if early_stopping is not None else None
    return History.from_keras(keras_history, seconds=seconds, best_epoch=best_epoch)


def fit_custom(
    model,
    X,
    y,
    *,
    optimizer: str | keras.optimizers.Optimizer = "adam",
    lr: float = 1e-3,
    epochs: int = 10,
    batch_size: int = 32,
    validation_data=None,
    early_stopping: int | None = None,
    seed: int = 0,
    progress: bool = True,
) -> History:
    """The same training as :func:`fit`, with the loop written out around :func:`train_step`.

    Shuffles with ``np.random.default_rng(seed)`` as :func:`course_lib.numpy.fit` does.
    """
    X, y = _check(model, X, y)
    if validation_data is not None:
        validation_data = _check(model, *validation_data, what="X_val")
    if early_stopping is not None and validation_data is None:
        raise ValueError("early_stopping needs validation_data to watch")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1; got {batch_size}")
    dtype, n_out, loss_name = _dtype(model), model.output_shape[-1], model.loss_name
    opt = make_optimizer(optimizer, lr, dtype) if isinstance(optimizer, str) else optimizer
    loss_fn = make_loss(loss_name, y, dtype)
    y_fit = targets(y, n_out, loss_name, dtype)

    rng = np.random.default_rng(seed)
    history = History(framework="keras")
    stopper = EarlyStopping(early_stopping, history) if early_stopping is not None else None
    step = 0
    started = time.perf_counter()
    bar = tqdm(range(epochs), desc="epochs", disable=not progress, leave=False)
    for epoch in bar:
        order = rng.permutation(len(X))
        total_loss, correct = 0.0, 0
        for start in range(0, len(X), batch_size):
            idx = order[start:start + batch_size]
            loss, out = train_step(model, opt, loss_fn, X[idx], y_fit[idx])
            step += 1
            if not np.isfinite(loss):
                raise TrainingDiverged.at(loss, epoch, step, lr)
            total_loss += loss * len(idx)
            if is_classifier(loss_name):
                correct += correct_predictions(out, y[idx], loss_name)
        metrics = {"loss": total_loss / len(X), "accuracy": correct / len(X) if is_classifier(loss_name) else None}
        if validation_data is not None:
            val = evaluate(model, *validation_data)
            metrics.update(val_loss=val["loss"], val_accuracy=val.get("accuracy"))
        history.append(**metrics)
        bar.set_postfix({k: f"{v:.4g}" for k, v in metrics.items() if v is not None})

        if stopper and stopper.should_stop(epoch, metrics["val_loss"], model.get_weights):
            break
    if stopper and stopper.best_weights is not None:
        model.set_weights(stopper.best_weights)  # restore the best epoch's weights
    history.seconds = time.perf_counter() - started
    return history
