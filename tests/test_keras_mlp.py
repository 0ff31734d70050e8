"""course_lib.keras: the MLP as a Keras Sequential model, compile/fit, the GradientTape loop.

Keras fixes its backend at import, so this process tests one backend (KERAS_BACKEND,
default tensorflow) and test_keras_suite_on_other_backend runs every Keras test
again in a subprocess on the other one.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import course_lib.keras as ck
import keras
from course_lib.history import History
from course_lib.numpy.init import init_params
from course_lib.spec import MLPSpec

ROOT = Path(__file__).resolve().parents[1]
SPEC = MLPSpec((64, 64, 10), activations="relu", loss="softmax_cross_entropy", seed=0)


@pytest.fixture(scope="module")
def digits():
    """The 8x8 digits scaled to [0, 1]: X_train, X_test, y_train, y_test."""
    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16.0, y, test_size=0.25, random_state=0, stratify=y)


def test_backend_is_the_one_asked_for():
    assert ck.BACKEND == keras.backend.backend() == os.environ["KERAS_BACKEND"]


def test_model_is_built_from_the_spec():
    spec = MLPSpec((3, 5, 4, 2), activations=("leaky_relu", "elu", "softmax"), loss="cross_entropy",
                   init="glorot", l2=0.1)
    model = ck.MLP(spec, dtype="float64")
    assert isinstance(model, keras.Sequential) and model.spec == spec
    assert model.count_params() == spec.n_params
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    assert len(dense) == 3 and all(layer.kernel.dtype == "float64" for layer in dense)
    for layer, (W, b) in zip(dense, init_params(spec)):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer.kernel), W)  # (n_in, n_out) as in NumPy
    # the course's constants, not Keras's defaults (leaky slope 0.2)
    z = np.array([[-2.0, -0.5, 0.0, 3.0]])
    np.testing.assert_allclose(keras.ops.convert_to_numpy(dense[0].activation(z)), [[-0.02, -0.005, 0.0, 3.0]])
    np.testing.assert_allclose(keras.ops.convert_to_numpy(dense[1].activation(z)), [[np.expm1(-2), np.expm1(-0.5), 0, 3]])
    # the L2 penalty (l2/2) sum ||W||^2, weights only
    penalty = sum(float(keras.ops.convert_to_numpy(v)) for v in model.losses)
    assert penalty == pytest.approx(0.05 * sum(np.sum(W**2) for W, _ in init_params(spec)), rel=1e-14)


def test_weights_round_trip_in_the_exchange_format():
    model = ck.MLP(SPEC)
    rng = np.random.default_rng(0)
    params = [(rng.normal(size=w), rng.normal(size=b)) for w, b in SPEC.shapes()]
    ck.set_weights(model, params)
    got = ck.get_weights(model)
    assert [(W.shape, b.shape) for W, b in got] == SPEC.shapes()
    for (W, b), (W2, b2) in zip(params, got):
        assert W2.dtype == np.float64
        np.testing.assert_allclose(W2, W, rtol=1e-7)
        np.testing.assert_allclose(b2, b, rtol=1e-7)
    with pytest.raises(ValueError, match=r"layer 2: expected W \(64, 10\)"):
        ck.set_weights(model, [(W.T, b + 1) for W, b in params])
    np.testing.assert_array_equal(ck.get_weights(model)[0][1], got[0][1])  # nothing half-loaded


@pytest.mark.slow
def test_fit_learns_digits_and_early_stopping_restores_the_best(digits):
    X_train, X_test, y_train, y_test = digits
    model = ck.MLP(SPEC)
    history = ck.fit(model, X_train, y_train, lr=1e-2, epochs=40, batch_size=64,
                     validation_data=(X_test, y_test), early_stopping=2, progress=False)
    assert isinstance(history, History) and history.framework == "keras"
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert history.epochs < 40, "the validation loss should have stopped improving"
    val = history["val_loss"]
    assert history.best_epoch == int(np.argmin(val))
    result = ck.evaluate(model, X_test, y_test)
    assert result["loss"] == pytest.approx(val[history.best_epoch], rel=1e-5)  # the best weights are back
    assert result["accuracy"] >= 0.95
    labels = ck.predict(model, X_test)
    assert labels.shape == (len(X_test),) and np.mean(labels == y_test) == pytest.approx(result["accuracy"])
    proba = ck.predict_proba(model, X_test)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    np.testing.assert_array_equal(proba.argmax(axis=1), labels)


def test_custom_loop_trains_and_stops_early(digits):
    X_train, X_test, y_train, y_test = digits
    model = ck.MLP(MLPSpec((64, 128, 10), activations="relu", seed=1))
    history = ck.fit_custom(model, X_train[:40], y_train[:40], lr=3e-2, epochs=100, batch_size=40,
                            validation_data=(X_test, y_test), early_stopping=3, progress=False)
    val = history["val_loss"]
    assert history["loss"][0] > history["loss"][history.best_epoch]
    assert history.epochs < 100 and history.best_epoch == int(np.argmin(val)) == history.epochs - 4
    assert ck.evaluate(model, X_test, y_test)["loss"] == pytest.approx(val[history.best_epoch], rel=1e-6)


def test_divergence_is_reported_not_trained_through():
    spec = MLPSpec((2, 8, 1), activations="relu", loss="mse", seed=0)
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(64, 2)), rng.normal(size=(64, 1)) * 1e3
    model = ck.MLP(spec)
    with pytest.raises(ck.TrainingDiverged, match="smaller learning rate"):
        ck.fit_custom(model, X, y, optimizer="sgd", lr=1e3, epochs=50, batch_size=64, progress=False)
    assert all(np.isfinite(W).all() and np.isfinite(b).all() for W, b in ck.get_weights(model))


def test_missing_keras_gives_the_install_command_and_tensorflow_is_the_default():
    # A finder that refuses keras, and reports KERAS_BACKEND at the moment keras is imported.
    code = (
        "import os, sys\n"
        "os.environ.pop('KERAS_BACKEND', None)\n"
        "class NoKeras:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'keras':\n"
        "            print('backend at import:', os.environ.get('KERAS_BACKEND'))\n"
        "            raise ImportError('No module named keras')\n"
        "sys.meta_path.insert(0, NoKeras())\n"
        "try:\n"
        "    import course_lib.keras\n"
        "except ImportError as err:\n"
        "    print(err)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True).stdout
    assert "backend at import: tensorflow" in out
    assert 'pip install "course_lib[tensorflow]"' in out
    # ... and a backend already chosen is kept
    env = {**os.environ, "KERAS_BACKEND": "torch"}
    out = subprocess.run([sys.executable, "-c", code.replace("os.environ.pop('KERAS_BACKEND', None)\n", "")],
                         capture_output=True, text=True, timeout=120, check=True, env=env).stdout
    assert "backend at import: torch" in out


@pytest.mark.slow
def test_keras_suite_on_other_backend():
    """Every Keras test (this module, the Keras pairs of the cross-framework test, the Keras CNN)
    again, in a fresh interpreter on the other backend."""
    other = "torch" if ck.BACKEND == "tensorflow" else "tensorflow"
    # one torch thread: on a busy machine more threads only wait for each other (10x slower here)
    env = {**os.environ, "KERAS_BACKEND": other, "OMP_NUM_THREADS": "1"}
    files = ["tests/test_keras_mlp.py", "tests/test_cross_framework.py", "tests/test_cnn.py"]
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning",
         "-k", "keras and not other_backend", *files],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, f"Keras tests failed on the {other} backend:\n{proc.stdout[-6000:]}\n{proc.stderr[-2000:]}"
    summary = proc.stdout.strip().splitlines()[-1]  # e.g. "118 passed, 64 deselected in 52.01s"
    assert re.search(r"\b[1-9]\d* passed", summary) and "failed" not in summary and "error" not in summary, summary
