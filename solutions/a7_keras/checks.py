"""Hidden checks of assignment a7_keras: a model built to a spec, a custom training step (GradientTape).

Checked on the TensorFlow backend. The references are the grader's own NumPy code (the float64
forward pass, back-propagation and SGD of :mod:`autograder.checks.a6_pytorch`), computed in the
clean process, which never imports TensorFlow. The student's code runs in a fork of it (see
``isolation.py``); the *call* functions below build the inputs there (the grader's own model,
optimizer and loss for ``train_step``), and send back plain arrays only: the weights the model holds
and its outputs. So the graded forward pass of ``build_model``'s network is the grader's own.
"""

from __future__ import annotations

import os

os.environ["KERAS_BACKEND"] = "tensorflow"  # inherited by the student's process (a fork of this one)
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"

import numpy as np  # noqa: E402

from autograder.checks.a6_pytorch import train_reference  # noqa: E402
from autograder.checks.isolation import (  # noqa: E402
    Case, CheckFailure, Opaque, describe, expect_array, expect_scalar, expect_sequence, hidden_check,
)

_ACT = {"relu": lambda z: np.maximum(z, 0), "tanh": np.tanh, "sigmoid": lambda z: 0.5 * (1 + np.tanh(z / 2))}


def spec_forward(x, params, activations):
    """params = [(kernel (n_in, n_out), bias)]; hidden activations by name, linear output."""
    a = x
    for l, (W, b) in enumerate(params):
        z = a @ W + b
        a = z if l == len(params) - 1 else _ACT[activations[l]](z)
    return a


# --------------------------------------------------------------------------- build_model


def _build_model_call(student, args):
    """In the student's process: build the model, read its Dense layers, run it on x."""
    import keras

    (build_model,) = student
    spec, x, seed = args
    keras.utils.set_random_seed(seed)
    model = build_model({"sizes": list(spec["sizes"]), "activations": list(spec["activations"])})
    if not isinstance(model, keras.Model):
        raise TypeError(f"build_model must return a keras.Model; got {type(model).__name__}")
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    params = [(np.array(keras.ops.convert_to_numpy(d.kernel), dtype=np.float64),
               np.array(keras.ops.convert_to_numpy(d.bias), dtype=np.float64)) for d in dense]
    # random biases, so that a forgotten or misplaced bias shows
    rng = np.random.default_rng(seed)
    for d in dense:
        d.bias.assign(rng.standard_normal(tuple(d.bias.shape)).astype(d.bias.dtype))
    params = [(W, np.array(keras.ops.convert_to_numpy(d.bias), dtype=np.float64)) for (W, _), d in zip(params, dense)]
    n_trainable = int(sum(int(np.prod(v.shape)) for v in model.trainable_variables))
    out = np.array(keras.ops.convert_to_numpy(model(x.astype("float32"))), dtype=np.float64)
    return params, n_trainable, out


def _build_model_cases(rng):
    cases = []
    for sizes, acts in (([4, 8, 3], ["relu"]), ([3, 6, 5, 2], ["tanh", "sigmoid"]),
                        ([5, 7, 4, 6, 1], ["sigmoid", "relu", "tanh"]), ([2, 9, 4], ["tanh"])):
        x = rng.standard_normal((int(rng.integers(1, 6)), sizes[0]))
        spec = {"sizes": sizes, "activations": acts}
        cases.append(Case((spec, x, int(rng.integers(1000))), None, f"spec {spec}, x of shape {x.shape}"))
    return cases


def _build_model_verify(case, got):
    spec, x, _ = case.args
    params, n_trainable, out = expect_sequence("(grader's reading of your model)", got, 3)
    sizes = spec["sizes"]
    shapes = [((n_in, n_out), (n_out,)) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    if type(params) is not list or len(params) != len(shapes):
        raise CheckFailure(f"expected {len(shapes)} Dense layers for sizes {sizes}; the model has "
                           f"{len(params) if type(params) is list else '?'}")
    for l, ((W, b), (ws, bs)) in enumerate(zip(params, shapes), start=1):
        if type(W) is not np.ndarray or W.shape != ws or type(b) is not np.ndarray or b.shape != bs:
            raise CheckFailure(f"Dense layer {l}: expected kernel {ws} and bias {bs}; got kernel "
                               f"{getattr(W, 'shape', W)}, bias {getattr(b, 'shape', b)}")
    expected_n = sum(a * b + b for (a, b), _ in shapes)
    if n_trainable != expected_n:
        raise CheckFailure(f"the model has {n_trainable} trainable parameters; sizes {sizes} need exactly {expected_n}")
    expect_array("model output (logits: linear output layer)", out, spec_forward(x, params, spec["activations"]),
                 rtol=2e-5, atol=1e-5)


check_build_model = hidden_check("build_model", _build_model_cases, _build_model_verify, call=_build_model_call,
                                 seed=71, timeout=60)


# --------------------------------------------------------------------------- train_step


def _train_step_call(student, args):
    """In the student's process: the grader's float64 model, optimizer and loss; one step per batch."""
    import keras

    (train_step,) = student
    params, batches, loss, lr, momentum = args
    model = keras.Sequential([keras.Input((params[0][0].shape[1],), dtype="float64")])
    for l, (W, b) in enumerate(params):
        model.add(keras.layers.Dense(W.shape[0], activation="linear" if l == len(params) - 1 else "tanh",
                                     dtype="float64"))
    for (W, b), layer in zip(params, model.layers):
        layer.kernel.assign(W.T)
        layer.bias.assign(b)
    optimizer = keras.optimizers.SGD(learning_rate=lr, momentum=momentum)
    loss_fn = (keras.losses.MeanSquaredError(dtype="float64") if loss == "mse"
               else keras.losses.SparseCategoricalCrossentropy(from_logits=True, dtype="float64"))
    results = []
    for x, y in batches:
        r = train_step(model, optimizer, loss_fn, x, y)
        if hasattr(r, "numpy") and not isinstance(r, (float, np.generic)):
            r = ("tensor", np.array(keras.ops.convert_to_numpy(r), dtype=np.float64))
        results.append(r)
    weights = [(np.array(keras.ops.convert_to_numpy(layer.kernel)).T.copy(),
                np.array(keras.ops.convert_to_numpy(layer.bias)).copy()) for layer in model.layers]
    # The text promises a Python float: with Keras's default float32, loss.numpy() would be a NumPy float32.
    model32 = keras.Sequential([keras.Input((params[0][0].shape[1],))] + [
        keras.layers.Dense(W.shape[0], activation="linear" if l == len(params) - 1 else "tanh") for l, (W, _) in enumerate(params)])
    loss32 = (keras.losses.MeanSquaredError() if loss == "mse" else keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x, y = batches[0]
    r32 = train_step(model32, keras.optimizers.SGD(learning_rate=lr), loss32, x.astype("float32"), y)
    return results, weights, type(r32) is float  # plain data only crosses back: a bool


def _train_step_cases(rng):
    cases = []
    for sizes, loss, lr, momentum, batch_sizes in (
        ([3, 5, 2], "mse", 0.1, 0.0, (4, 3)),
        ([4, 6, 3], "ce", 0.5, 0.9, (5, 2, 4)),
        ([2, 4, 1], "mse", 0.3, 0.0, (1, 6)),
    ):
        params = [(rng.standard_normal((n_out, n_in)) / np.sqrt(n_in), 0.3 * rng.standard_normal(n_out))
                  for n_in, n_out in zip(sizes[:-1], sizes[1:])]
        batches = []
        for n in batch_sizes:
            x = rng.standard_normal((n, sizes[0]))
            y = rng.standard_normal((n, sizes[-1])) if loss == "mse" else rng.integers(0, sizes[-1], n)
            batches.append((x, y))
        losses, final = train_reference(params, batches, loss, lr, momentum)
        what = (f"layer sizes {sizes}, {len(batches)} steps, "
                f"{'MeanSquaredError' if loss == 'mse' else 'SparseCategoricalCrossentropy(from_logits=True)'}, "
                f"SGD(learning_rate={lr}" + (f", momentum={momentum})" if momentum else ")"))
        cases.append(Case((params, batches, loss, lr, momentum), (losses, final), what))
    return cases


def _train_step_verify(case, got):
    results, weights, float32_ok = expect_sequence("(grader's reading of your steps)", got, 3)
    losses, final = case.expected
    if float32_ok is not True:
        raise CheckFailure("train_step must return the loss as a Python float; with a float32 model (Keras's default) "
                           "it did not (loss.numpy() is a NumPy float32: use float(loss))")
    for step, (r, e) in enumerate(zip(results, losses), start=1):
        if type(r) is tuple and len(r) == 2 and r[0] == "tensor":
            raise CheckFailure("train_step must return the loss as a Python float (float(loss)); got a tensor")
        if isinstance(r, Opaque) or type(r) not in (int, float):
            raise CheckFailure(f"train_step must return the loss as a Python float; got {describe(r)}")
        expect_scalar(f"loss returned by step {step} (computed before the update)", r, e, rtol=1e-6)
    # (Keras keeps the learning rate as a float32 variable: agreement to ~1e-8, not 1e-15)
    for l, ((W, b), (eW, eb)) in enumerate(zip(weights, final), start=1):
        expect_array(f"layer {l}'s kernel (transposed) after the steps", W, eW, rtol=1e-6)
        expect_array(f"layer {l}'s bias after the steps", b, eb, rtol=1e-6)


check_train_step = hidden_check("train_step", _train_step_cases, _train_step_verify, call=_train_step_call,
                                seed=72, timeout=60, check_inputs=False)
