"""The small CNN for the 8x8 digits, in PyTorch and in Keras: the same network, trained to a sensible accuracy."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import course_lib.keras as ck
import course_lib.torch as ct


@pytest.fixture(scope="module")
def digits():
    """The 8x8 digits scaled to [0, 1], flat rows (N, 64): X_train, X_test, y_train, y_test."""
    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16.0, y, test_size=0.25, random_state=0, stratify=y)


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a tiny network on a shared machine: more threads only wait for each other
    yield
    torch.set_num_threads(threads)


@pytest.mark.slow
def test_torch_cnn_takes_rows_or_images():
    model = ct.SmallCNN(seed=0)
    x = torch.rand(5, 64)
    out = model(x)
    assert out.shape == (5, 10)
    torch.testing.assert_close(model(x.reshape(5, 1, 8, 8)), out)
    torch.testing.assert_close(ct.SmallCNN(seed=0)(x), out)  # seeded: the same network again
    assert not torch.equal(ct.SmallCNN(seed=1)(x), out)


def test_keras_cnn_is_the_torch_architecture():
    torch_model, keras_model = ct.build_cnn(), ck.build_cnn()
    assert sum(p.numel() for p in torch_model.parameters()) == keras_model.count_params() == 6090
    torch_shapes = sorted(tuple(p.shape) for p in torch_model.parameters())
    # Keras stores a conv kernel (kh, kw, c_in, c_out) and a dense kernel (n_in, n_out); torch
    # (c_out, c_in, kh, kw) and (n_out, n_in). Bring Keras's into torch's layout and compare.
    to_torch = {4: (3, 2, 0, 1), 2: (1, 0), 1: (0,)}
    keras_shapes = sorted(tuple(np.transpose(np.empty(v.shape), to_torch[len(v.shape)]).shape)
                          for v in keras_model.trainable_variables)
    assert torch_shapes == keras_shapes
    assert ck.SmallCNN is ck.build_cnn and keras_model.output_shape == (None, 10)


@pytest.mark.slow
def test_torch_cnn_learns_digits(digits):
    X_train, X_test, y_train, y_test = digits
    model = ct.SmallCNN(seed=0)
    history = ct.fit(model, X_train, y_train, lr=1e-2, epochs=8, batch_size=32, progress=False, device="cpu")
    assert history.framework == "torch" and history["loss"][-1] < history["loss"][0]
    result = ct.evaluate(model, X_test, y_test)
    assert result["accuracy"] >= 0.9
    assert np.mean(ct.predict(model, X_test) == y_test) == pytest.approx(result["accuracy"])


@pytest.mark.slow
def test_keras_cnn_learns_digits(digits):
    X_train, X_test, y_train, y_test = digits
    model = ck.SmallCNN(seed=0)
    history = ck.fit(model, X_train, y_train, lr=1e-2, epochs=8, batch_size=32, progress=False)
    assert history.framework == "keras" and history["loss"][-1] < history["loss"][0]
    result = ck.evaluate(model, X_test, y_test)
    assert result["accuracy"] >= 0.9
    assert np.mean(ck.predict(model, X_test) == y_test) == pytest.approx(result["accuracy"])
