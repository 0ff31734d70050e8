"""Keras 3 as chapter 9 uses it: a train_step override, .keras files, the loss and decay conventions.

This process tests one backend (KERAS_BACKEND, default tensorflow);
test_keras_practice_on_other_backend runs every Keras test here again on the other one.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import course_lib.keras  # noqa: F401  (sets KERAS_BACKEND's default before keras is imported)
import keras
from course_lib.keras.clipping import ClippedModel, clip_by_global_norm
from tests.keras_backends import assert_passes_on_the_other_backend

LOSS = keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def _data(n=96, d=12, k=5, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)).astype("float32") * 3.0, rng.integers(0, k, size=n)


def _layers(d=12, k=5):
    inputs = keras.Input(shape=(d,))
    hidden = keras.layers.Dense(16, activation="tanh")(keras.layers.Dense(16, activation="relu")(inputs))
    return inputs, keras.layers.Dense(k)(hidden)


def _numpy(x):
    return keras.ops.convert_to_numpy(x)


def test_keras_clipped_model_is_global_clipnorm():
    """The override clips exactly as Keras's own ``global_clipnorm`` does, and the clipping acted."""
    X, y = _data()
    keras.utils.set_random_seed(1)
    ours = ClippedModel(*_layers(), clipnorm=0.05)
    theirs = keras.Model(*_layers())
    initial = ours.get_weights()
    theirs.set_weights(initial)
    ours.compile(optimizer=keras.optimizers.SGD(0.1), loss=LOSS)
    theirs.compile(optimizer=keras.optimizers.SGD(0.1, global_clipnorm=0.05), loss=LOSS)
    h = ours.fit(X, y, batch_size=32, epochs=3, shuffle=False, verbose=0)
    theirs.fit(X, y, batch_size=32, epochs=3, shuffle=False, verbose=0)
    assert min(h.history["grad_norm"]) > 0.05 * 2, h.history["grad_norm"]  # every step was clipped
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert not np.allclose(ours.get_weights()[0], initial[0])  # and it did train


def test_keras_clip_by_global_norm_keeps_small_gradients_and_scales_large_ones():
    grads = [keras.ops.convert_to_tensor(np.array([3.0, 0.0], "float32")),
             keras.ops.convert_to_tensor(np.array([[4.0]], "float32"))]
    clipped, norm = clip_by_global_norm(grads, 10.0)
    assert float(_numpy(norm)) == pytest.approx(5.0)
    np.testing.assert_allclose(_numpy(clipped[0]), [3.0, 0.0])
    clipped, _ = clip_by_global_norm(grads, 1.0)
    np.testing.assert_allclose(_numpy(clipped[0]), [0.6, 0.0], rtol=1e-6)
    np.testing.assert_allclose(_numpy(clipped[1]), [[0.8]], rtol=1e-6)
    zero, norm = clip_by_global_norm([keras.ops.zeros((3,))], 1.0)
    assert float(_numpy(norm)) == 0.0 and np.all(np.isfinite(_numpy(zero[0])))


def test_keras_clipped_model_keeps_the_callbacks():
    """fit still drives the loop: a callback sees grad_norm every epoch, EarlyStopping stops it."""
    X, y = _data()
    keras.utils.set_random_seed(2)
    model = ClippedModel(*_layers(), clipnorm=1.0)
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss=LOSS, metrics=["accuracy"])  # lr 0: val_loss flat
    seen = []
    logger = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(dict(logs)))
    stopper = keras.callbacks.EarlyStopping(monitor="val_loss", patience=1)
    history = model.fit(X, y, epochs=20, batch_size=32, validation_data=(X, y), callbacks=[logger, stopper], verbose=0)
    assert len(seen) == 2 == len(history.history["loss"])  # stopped after patience 1 without improvement
    assert all({"loss", "accuracy", "grad_norm", "val_loss"} <= set(logs) for logs in seen)
    assert all(logs["grad_norm"] > 0 for logs in seen)


def test_keras_clipped_model_refuses_a_bad_clipnorm():
    with pytest.raises(ValueError, match="clipnorm must be > 0"):
        ClippedModel(*_layers(), clipnorm=0.0)


@pytest.mark.slow
def test_keras_saved_model_reloads_with_identical_predictions(tmp_path):
    X, y = _data()
    keras.utils.set_random_seed(3)
    model = ClippedModel(*_layers(), clipnorm=0.5)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss=LOSS, metrics=["accuracy"])
    model.fit(X, y, epochs=2, batch_size=32, verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert type(loaded) is ClippedModel and loaded.clipnorm == 0.5
    np.testing.assert_array_equal(_numpy(loaded(X)), _numpy(model(X)))
    # the optimizer's state travels too: one more epoch from each gives the same weights again
    model.fit(X, y, epochs=1, batch_size=32, shuffle=False, verbose=0)
    loaded.fit(X, y, epochs=1, batch_size=32, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_keras_double_softmax_is_caught_on_tensorflow_only():
    """A softmax output with from_logits=True: TensorFlow's loss recognises the softmax, warns and
    uses its logits; the torch backend applies softmax twice, and the loss sits at log(1 + 9/e)."""
    k = 10
    inputs = keras.Input(shape=(4,))
    model = keras.Model(inputs, keras.layers.Dense(k, activation="softmax")(inputs))
    kernel, bias = np.zeros((4, k), "float32"), np.zeros(k, "float32")
    bias[0] = 20.0  # every example: confidently and correctly class 0
    model.set_weights([kernel, bias])
    X, y = np.ones((8, 4), "float32"), np.zeros(8, dtype="int64")
    losses = {}
    for flag in (False, True):
        model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=flag))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            losses[flag] = model.evaluate(X, y, verbose=0)
        warned = any("from_logits=True" in str(w.message) for w in caught)
    assert losses[False] < 1e-6
    floor = np.log(1 + (k - 1) / np.e)
    if keras.backend.backend() == "tensorflow":
        assert warned and losses[True] == pytest.approx(losses[False], abs=1e-6), losses
    else:
        assert not warned and losses[True] == pytest.approx(floor, rel=1e-5), (losses, floor)


def test_keras_adam_weight_decay_is_decoupled_and_l2_has_no_half():
    """Adam(weight_decay=wd), zero gradient: each weight shrinks by lr * wd * w and no more (the decay
    skips Adam's normalisation); L2(lam) is lam * sum(W^2), gradient 2 lam W."""
    w0 = np.array([[0.5, -2.0], [1.5, 0.25]], "float32")
    w = keras.Variable(w0)
    lr, wd = 0.1, 0.01
    keras.optimizers.Adam(learning_rate=lr, weight_decay=wd).apply([keras.ops.zeros_like(w)], [w])
    np.testing.assert_allclose(_numpy(w), w0 * (1 - lr * wd), rtol=1e-6)
    lam = 0.3
    assert float(_numpy(keras.regularizers.L2(lam)(keras.ops.convert_to_tensor(w0)))) == pytest.approx(
        lam * float(np.sum(w0**2)), rel=1e-6)


@pytest.mark.slow
def test_keras_practice_on_other_backend():
    assert_passes_on_the_other_backend("tests/test_keras_practice.py", expected_passed=7)
