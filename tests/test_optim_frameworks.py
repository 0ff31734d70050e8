"""The five optimizers take the same steps in NumPy, PyTorch and Keras (both backends).

The oracle is the book's formulas written out below in float64, independently of
course_lib. Every framework gets the same sequence of gradients (no network: the
optimizers alone), and after every step its parameters must equal the oracle's. The
gradients are small (1e-4 .. 1e-1), where the place of eps matters: Keras's own Adagrad
and RMSprop (eps inside the square root) and Adam (eps before the bias correction)
miss by 1e-4 or more, which test_keras_own_optimizers_differ shows, so that this test
can tell the difference.

This process runs Keras on its own backend; test_on_the_other_keras_backend runs the
Keras cases again in a subprocess on the other one (the backend is fixed at import).
"""

from __future__ import annotations


import numpy as np
import pytest
from tests.keras_backends import assert_passes_on_the_other_backend

NAMES = ("sgd", "momentum", "adagrad", "rmsprop", "adam")
LR = {"sgd": 0.1, "momentum": 0.05, "adagrad": 0.1, "rmsprop": 0.01, "adam": 0.01}
STEPS = 6
MU, RHO, B1, B2, EPS = 0.9, 0.9, 0.9, 0.999, 1e-8  # course_lib's constants (make_optimizer's defaults)


def gradients():
    """STEPS gradients for a (3, 4) parameter, of magnitudes from 1e-4 to 1e-1."""
    rng = np.random.default_rng(42)
    scale = np.logspace(-4, -1, 4)  # one magnitude per column
    return [rng.normal(size=(3, 4)) * scale for _ in range(STEPS)]


P0 = np.random.default_rng(7).normal(size=(3, 4))


def oracle(name: str):
    """The parameters after every step, by the book's formulas (chapter 5), in float64."""
    p, lr = P0.copy(), LR[name]
    v = np.zeros_like(p)
    m = np.zeros_like(p)
    out = []
    for t, g in enumerate(gradients(), start=1):
        if name == "sgd":
            p = p - lr * g
        elif name == "momentum":
            v = MU * v - lr * g
            p = p + v
        elif name == "adagrad":
            v = v + g**2
            p = p - lr * g / (np.sqrt(v) + EPS)
        elif name == "rmsprop":
            v = RHO * v + (1 - RHO) * g**2
            p = p - lr * g / (np.sqrt(v) + EPS)
        else:
            m = B1 * m + (1 - B1) * g
            v = B2 * v + (1 - B2) * g**2
            m_hat, v_hat = m / (1 - B1**t), v / (1 - B2**t)
            p = p - lr * m_hat / (np.sqrt(v_hat) + EPS)
        out.append(p.copy())
    return out


def steps_numpy(name):
    from course_lib.numpy import make_optimizer

    p, opt, out = P0.copy(), make_optimizer(name, lr=LR[name]), []
    for g in gradients():
        opt.step(p, g)
        out.append(p.copy())
    return out


def steps_torch(name):
    import torch

    from course_lib.torch.train import make_optimizer

    p = torch.tensor(P0.copy(), requires_grad=True)
    opt, out = make_optimizer(name, [p], LR[name]), []
    for g in gradients():
        p.grad = torch.tensor(g)
        opt.step()
        out.append(p.detach().numpy().copy())
    return out


def steps_keras(name, dtype="float64"):
    import keras

    from course_lib.keras.train import make_optimizer

    p = keras.Variable(P0.astype(dtype), dtype=dtype)
    opt, out = make_optimizer(name, LR[name], dtype), []
    for g in gradients():
        opt.apply_gradients([(keras.ops.convert_to_tensor(g.astype(dtype)), p)])
        out.append(np.asarray(keras.ops.convert_to_numpy(p), np.float64))
    return out


def worst(got, expected) -> float:
    """The largest relative error of any step's parameters (norm-based, per step)."""
    return max(np.linalg.norm(a - b) / np.linalg.norm(b) for a, b in zip(got, expected))


def worst_step(got, expected) -> float:
    """The largest relative error of the *updates* p_t - p_{t-1}: what the rules compute."""
    prev_a = prev_b = P0
    errs = []
    for a, b in zip(got, expected):
        errs.append(np.linalg.norm((a - prev_a) - (b - prev_b)) / np.linalg.norm(b - prev_b))
        prev_a, prev_b = a, b
    return max(errs)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("framework", ["numpy", "torch"])
def test_steps_follow_the_book(framework, name):
    got = {"numpy": steps_numpy, "torch": steps_torch}[framework](name)
    assert worst_step(got, oracle(name)) < 1e-10


@pytest.mark.parametrize("name", NAMES)
def test_keras_steps_follow_the_book(name):
    got = steps_keras(name, "float64")
    assert worst_step(got, oracle(name)) < 1e-10


@pytest.mark.parametrize("name", NAMES)
def test_keras_float32_steps_follow_the_book(name):
    # parameters, not updates: an update of 1e-5 on a parameter near 1 keeps only two
    # significant digits in float32, while the parameters keep float32's seven.
    got = steps_keras(name, "float32")
    assert worst(got, oracle(name)) < 1e-6


@pytest.mark.parametrize("name", ["adagrad", "rmsprop", "adam"])
def test_keras_own_optimizers_differ(name):
    """The reason for course_lib.keras.optim, and proof that the test above can fail."""
    import keras

    own = {
        "adagrad": lambda: keras.optimizers.Adagrad(LR[name], initial_accumulator_value=0.0, epsilon=EPS),
        "rmsprop": lambda: keras.optimizers.RMSprop(LR[name], rho=RHO, epsilon=EPS),
        "adam": lambda: keras.optimizers.Adam(LR[name], beta_1=B1, beta_2=B2, epsilon=EPS),
    }[name]()
    p = keras.Variable(P0.copy(), dtype="float64")
    out = []
    for g in gradients():
        own.apply_gradients([(keras.ops.convert_to_tensor(g), p)])
        out.append(np.asarray(keras.ops.convert_to_numpy(p), np.float64))
    assert worst_step(out, oracle(name)) > 1e-4


@pytest.mark.slow
def test_on_the_other_keras_backend():
    assert_passes_on_the_other_backend("tests/test_optim_frameworks.py", expected_passed=13)
