"""Training: XOR, the 8x8 digits, reproducibility, early stopping, divergence and bad input."""

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from course_lib import MLPSpec
from course_lib.numpy import MLP, TrainingDiverged, evaluate, fit, predict


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
    X_train, X_val, y_train, y_val = train_test_split(X_train, y_train, test_size=0.15, stratify=y_train, random_state=0)
    return X_train, y_train, X_val, y_val, X_test, y_test


def test_xor_is_learned_exactly():
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    y = np.array([0, 1, 1, 0])
    model = MLP(MLPSpec([2, 8, 2], "tanh", init="glorot", seed=0))
    fit(model, X, y, optimizer="adam", lr=0.05, epochs=300, batch_size=4, progress=False)
    assert predict(model, X).tolist() == [0, 1, 1, 0]
    assert evaluate(model, X, y)["accuracy"] == 1.0


def test_digits_reach_97_percent(digits):
    X_train, y_train, X_val, y_val, X_test, y_test = digits
    model = MLP(MLPSpec([64, 128, 10], "relu", seed=0))
    history = fit(model, X_train, y_train, lr=2e-3, epochs=40, batch_size=32,
                  validation_data=(X_val, y_val), progress=False)
    assert history.epochs == 40 and history["loss"][-1] < history["loss"][0] / 10
    assert evaluate(model, X_test, y_test)["accuracy"] >= 0.97


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adagrad", "rmsprop", "adam"])
def test_every_optimizer_decreases_the_loss(digits, optimizer):
    X_train, y_train, *_ = digits
    model = MLP(MLPSpec([64, 32, 10], "tanh", init="glorot"))
    lr = {"sgd": 0.2, "momentum": 0.05, "adagrad": 0.05, "rmsprop": 3e-3, "adam": 3e-3}[optimizer]
    history = fit(model, X_train, y_train, optimizer=optimizer, lr=lr, epochs=5, batch_size=32, progress=False)
    assert history["loss"][-1] < 0.5 * np.log(10)  # well below the loss of guessing


def test_a_seeded_run_is_reproducible_bit_for_bit(digits):
    X_train, y_train, X_val, y_val, *_ = digits
    runs = []
    for _ in range(2):
        model = MLP(MLPSpec([64, 32, 10], "relu", l2=1e-4, seed=3))
        h = fit(model, X_train, y_train, epochs=3, batch_size=16, seed=11, validation_data=(X_val, y_val), progress=False)
        runs.append((model.flat_params.copy(), h.history))
    assert np.array_equal(runs[0][0], runs[1][0]) and runs[0][1] == runs[1][1]
    other = MLP(MLPSpec([64, 32, 10], "relu", l2=1e-4, seed=3))
    fit(other, X_train, y_train, epochs=3, batch_size=16, seed=12, progress=False)
    assert not np.array_equal(other.flat_params, runs[0][0])  # the shuffling seed matters


def test_early_stopping_restores_the_best_epoch(digits):
    X_train, y_train, X_val, y_val, *_ = digits
    # a wide network on 100 samples over-fits fast, so the validation loss turns up
    model = MLP(MLPSpec([64, 256, 10], "relu", seed=0))
    h = fit(model, X_train[:100], y_train[:100], lr=1e-2, epochs=200, batch_size=10,
            validation_data=(X_val, y_val), early_stopping=5, progress=False)
    assert h.epochs < 200 and h.epochs == h.best_epoch + 1 + 5
    assert evaluate(model, X_val, y_val)["loss"] == pytest.approx(min(h["val_loss"]), rel=1e-5)


def test_divergence_stops_with_a_clear_message():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 3)).astype(np.float32)
    y = (X @ np.array([[1.0], [2.0], [3.0]])).astype(np.float32) * 100
    model = MLP(MLPSpec([3, 16, 1], "relu", loss="mse"))
    with pytest.raises(TrainingDiverged, match=r"at epoch \d+, step \d+.*smaller learning rate \(it was 10.0\)"):
        fit(model, X, y, optimizer="sgd", lr=10.0, epochs=50, batch_size=8, progress=False)


@pytest.mark.parametrize(
    "X, y, message",
    [
        (np.zeros((5, 3)), np.zeros(5, dtype=int), r"X must have 4 features \(shape \(N, 4\)\); got shape \(5, 3\)"),
        (np.zeros((5, 4)), np.zeros(4, dtype=int), "X has 5 samples but its targets have 4"),
        (np.zeros((5, 4)), np.array([0, 1, 2, 3, 4]), r"labels must lie in \[0, 3\).*got labels from 0 to 4"),
        (np.zeros((5, 4)), np.zeros(5), "class labels must be integers; got dtype float64"),
        (np.zeros((5, 4)), np.zeros((5, 2)), r"targets must have shape \(N, 3\) or integer labels \(N,\) to match 3 outputs; got shape \(5, 2\)"),
    ],
)
def test_bad_training_data_raises_clear_errors(X, y, message):
    with pytest.raises(ValueError, match=message):
        fit(MLP(MLPSpec([4, 5, 3], "relu")), X, y, epochs=1, progress=False)


def test_bad_training_options_raise_clear_errors():
    model, X, y = MLP(MLPSpec([4, 5, 3], "relu")), np.zeros((5, 4)), np.zeros(5, dtype=int)
    with pytest.raises(ValueError, match="unknown optimizer 'adamax'"):
        fit(model, X, y, optimizer="adamax", progress=False)
    with pytest.raises(ValueError, match="early_stopping needs validation_data"):
        fit(model, X, y, early_stopping=3, progress=False)
    with pytest.raises(ValueError, match=r"early_stopping \(patience in epochs\) must be >= 1; got 0"):
        fit(model, X, y, validation_data=(X, y), early_stopping=0, progress=False)


@pytest.mark.parametrize("activations, loss, l2", [
    ("relu", "softmax_cross_entropy", 0.0),
    (("tanh", "elu", "identity"), "mse", 1e-3),
    (("leaky_relu", "sigmoid", "sigmoid"), "binary_cross_entropy", 0.0),
    (("sigmoid", "relu", "softmax"), "cross_entropy", 1e-4),
])
def test_a_float32_training_step_computes_in_float32(activations, loss, l2):
    # A stray NumPy float64 scalar would run a pass in float64 and cast back: the right
    # numbers at twice the cost. Watch every ufunc of forward, loss, backward and Adam.
    from course_lib.numpy.optim import Adam
    from tests.ufunc_recorder import UfuncRecorder

    model = MLP(MLPSpec([5, 7, 6, 3], activations, loss=loss, l2=l2, seed=0))
    model.flat_params = model.flat_params.view(UfuncRecorder)  # W, b are views: they record too
    model.weights, model.biases = model._views(model.flat_params)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 5)).astype(np.float32)
    y = {"softmax_cross_entropy": rng.integers(0, 3, 8), "cross_entropy": np.eye(3, dtype=np.float32)[rng.integers(0, 3, 8)]}.get(
        loss, rng.integers(0, 2, size=(8, 3)).astype(np.float32))
    UfuncRecorder.calls = []
    model.loss(x, y)
    Adam(lr=1e-3).step(model.flat_params, model.flat_grads)
    assert len(UfuncRecorder.calls) > 10, "the recorder no longer sees the passes"
    assert not UfuncRecorder.wide_calls(), f"passes run in float64: {UfuncRecorder.wide_calls()}"
