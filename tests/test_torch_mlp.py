"""course_lib.torch: the MLP as an nn.Module, its training loop, the device helper."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import course_lib.torch as ct
from course_lib.history import History
from course_lib.numpy.init import init_params
from course_lib.spec import MLPSpec


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Small networks on a shared machine: one thread avoids oversubscription (10x faster here)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def digits():
    """The 8x8 digits scaled to [0, 1]: X_train, X_test, y_train, y_test."""
    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16.0, y, test_size=0.25, random_state=0, stratify=y)


SPEC = MLPSpec((64, 64, 10), activations="relu", loss="softmax_cross_entropy", seed=0)


def test_mlp_is_a_module_built_from_the_spec():
    spec = MLPSpec((3, 5, 4, 2), activations=("tanh", "leaky_relu", "softmax"), loss="cross_entropy", init="glorot")
    model = ct.MLP(spec, dtype="float64")
    assert isinstance(model, torch.nn.Module)
    assert [type(m).__name__ for m in model.activations] == ["Tanh", "LeakyReLU", "Softmax"]
    assert model.activations[1].negative_slope == 0.01 and model.activations[2].dim == 1
    assert sum(p.numel() for p in model.parameters()) == spec.n_params
    for layer, (W, b) in zip(model.layers, init_params(spec)):
        assert layer.weight.dtype == torch.float64
        # nn.Linear keeps W^T: (n_out, n_in)
        np.testing.assert_array_equal(layer.weight.detach().numpy(), W.T)
        np.testing.assert_array_equal(layer.bias.detach().numpy(), b)


def test_weights_round_trip_in_the_exchange_format():
    model = ct.MLP(SPEC)  # float32
    rng = np.random.default_rng(0)
    params = [(rng.normal(size=w), rng.normal(size=b)) for w, b in SPEC.shapes()]
    ct.set_weights(model, params)
    got = ct.get_weights(model)
    assert [(W.shape, b.shape) for W, b in got] == SPEC.shapes()
    for (W, b), (W2, b2) in zip(params, got):
        assert W2.dtype == np.float64
        np.testing.assert_allclose(W2, W, rtol=1e-7)  # float32 storage
        np.testing.assert_allclose(b2, b, rtol=1e-7)
    # a transposed W (torch's own layout) is refused, and nothing is half-loaded
    with pytest.raises(ValueError, match=r"layer 2: expected W \(64, 10\)"):
        ct.set_weights(model, [(W.T, b + 1) for W, b in params])
    np.testing.assert_array_equal(ct.get_weights(model)[0][1], got[0][1])


def test_get_device_prefers_cuda_then_mps_then_cpu(monkeypatch):
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert ct.get_device() == torch.device("cpu")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert ct.get_device() == torch.device("mps")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert ct.get_device() == torch.device("cuda")
    # overrides: the environment variable, and the argument over it
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert ct.get_device() == torch.device("cpu")
    assert ct.get_device("mps") == torch.device("mps")


def test_get_device_refuses_what_is_not_there(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        ct.get_device("cuda")
    with pytest.raises(ValueError, match="unknown device"):
        ct.get_device("gpu please")


def test_fit_learns_digits(digits):
    X_train, X_test, y_train, y_test = digits
    model = ct.MLP(SPEC)
    history = ct.fit(model, X_train, y_train, lr=3e-3, epochs=12, batch_size=32,
                     validation_data=(X_test, y_test), progress=False, device="cpu")
    assert isinstance(history, History) and history.framework == "torch"
    assert history.epochs == 12 and history.seconds > 0
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert history["loss"][-1] < history["loss"][0] / 5
    result = ct.evaluate(model, X_test, y_test)
    assert result["accuracy"] >= 0.95
    assert result["accuracy"] == pytest.approx(history["val_accuracy"][-1])
    labels = ct.predict(model, X_test)
    assert labels.shape == (len(X_test),) and np.mean(labels == y_test) == pytest.approx(result["accuracy"])
    proba = ct.predict_proba(model, X_test)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    np.testing.assert_array_equal(proba.argmax(axis=1), labels)
    assert next(model.parameters()).device.type == "cpu"


def test_seeded_training_is_reproducible(digits):
    X_train, _, y_train, _ = digits
    X, y = X_train[:300], y_train[:300]

    def train(seed):
        model = ct.MLP(SPEC)
        ct.fit(model, X, y, epochs=2, batch_size=16, seed=seed, progress=False, device="cpu")
        return ct.get_weights(model)

    first, second, other = train(0), train(0), train(1)
    for (W1, b1), (W2, b2) in zip(first, second):
        np.testing.assert_array_equal(W1, W2)
        np.testing.assert_array_equal(b1, b2)
    # and the seed does matter: another shuffle, other weights
    assert not np.array_equal(first[0][0], other[0][0])


def test_early_stopping_restores_the_best_weights(digits):
    X_train, X_test, y_train, y_test = digits
    # 40 training samples and a wide network over-fit within a few epochs
    model = ct.MLP(MLPSpec((64, 128, 10), activations="relu", seed=1))
    history = ct.fit(model, X_train[:40], y_train[:40], lr=3e-2, epochs=200, batch_size=8,
                     validation_data=(X_test, y_test), early_stopping=3, progress=False, device="cpu")
    val = history["val_loss"]
    assert history.epochs < 200, "the validation loss should have stopped improving"
    assert history.best_epoch == int(np.argmin(val)) and history.best_epoch == history.epochs - 4
    assert ct.evaluate(model, X_test, y_test)["loss"] == pytest.approx(val[history.best_epoch], rel=1e-6)
    assert val[history.best_epoch] < val[-1]


def test_divergence_is_reported_not_trained_through():
    spec = MLPSpec((2, 8, 1), activations="relu", loss="mse", seed=0)
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(64, 2)), rng.normal(size=(64, 1)) * 1e3
    model = ct.MLP(spec, dtype="float32")
    with pytest.raises(ct.TrainingDiverged, match="smaller learning rate"):
        ct.fit(model, X, y, optimizer="sgd", lr=1e3, epochs=50, progress=False, device="cpu")
    assert all(np.isfinite(W).all() and np.isfinite(b).all() for W, b in ct.get_weights(model))


def test_labels_and_one_hot_targets_give_the_same_loss():
    spec = MLPSpec((4, 6, 3), activations="elu", loss="softmax_cross_entropy", seed=2)
    model = ct.MLP(spec, dtype="float64")
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(9, 4)), rng.integers(0, 3, size=9)
    loss_a, grads_a = ct.loss_and_grads(model, X, y)
    loss_b, grads_b = ct.loss_and_grads(model, X, np.eye(3)[y])
    assert loss_a == pytest.approx(loss_b, rel=1e-14)
    for (dW_a, _), (dW_b, _) in zip(grads_a, grads_b):
        np.testing.assert_allclose(dW_a, dW_b, rtol=1e-12)


def test_wrong_inputs_are_explained():
    model = ct.MLP(SPEC)
    with pytest.raises(ValueError, match="64 features"):
        ct.fit(model, np.zeros((5, 63)), np.zeros(5, int), progress=False)
    with pytest.raises(ValueError, match="unknown optimizer"):
        ct.fit(model, np.zeros((5, 64)), np.zeros(5, int), optimizer="adamw", progress=False)
    with pytest.raises(ValueError, match="early_stopping needs validation_data"):
        ct.fit(model, np.zeros((5, 64)), np.zeros(5, int), early_stopping=2, progress=False)


def test_missing_torch_gives_the_install_command():
    code = (
        "import sys\n"
        "sys.modules['torch'] = None  # as if PyTorch were not installed\n"
        "try:\n"
        "    import course_lib.torch\n"
        "except ImportError as err:\n"
        "    print(err)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True).stdout
    assert 'pip install "course_lib[torch]"' in out
