"""Hidden checks of assignment a1_activations_losses: activations and derivatives, softmax, MSE, cross-entropy.

References: ``course_lib.numpy.activations`` / ``losses``, and float64 centred finite differences
of the reference function for every derivative. Inputs: random shapes and values, extreme values
(|z| up to 1000: a naive formula overflows), exact zeros (ReLU's kink), rows of very different scales.
"""

from __future__ import annotations

import numpy as np

from autograder.checks.isolation import Case, expect_array, expect_scalar, expect_sequence, hidden_check
from course_lib.numpy import activations as act
from course_lib.numpy import losses

H = 1e-6


def _fd_elementwise(f, z):
    """Elementwise centred difference of an elementwise f."""
    return (f(z + H) - f(z - H)) / (2 * H)


def _activation_inputs(rng):
    zs = [rng.standard_normal(int(rng.integers(3, 9))) * 3,
          rng.standard_normal((int(rng.integers(2, 5)), int(rng.integers(5, 8)))) * 3,
          rng.standard_normal((2, 3, 4)),
          np.array([-1000.0, -60.0, -1.5, 0.0, 0.25, 60.0, 1000.0]),
          np.array([[0.0, -0.0, 3.0], [-2.0, 0.0, 1e-9]])]
    return [z.astype(np.float64) for z in zs]


def _pair_call(student, args):
    f, f_prime = student
    (z,) = args
    return f(z), f_prime(z)


def _activation_check(name, f, f_prime, seed):
    def cases(rng):
        out = []
        for z in _activation_inputs(rng):
            fd = _fd_elementwise(f, z)
            mask = np.abs(z) > 1e-3  # away from ReLU's kink, finite differences must agree
            assert np.allclose(fd[mask], f_prime(z)[mask], atol=1e-6)
            out.append(Case((z,), (f(z), f_prime(z)), f"z of shape {z.shape}"
                            + (" with |z| up to 1000" if np.abs(z).max() > 100 else "")
                            + (" with exact zeros" if np.any(z == 0) else "")))
        return out

    def verify(case, got):
        a, da = expect_sequence(f"({name}(z), {name}_prime(z))", got, 2)
        expect_array(f"{name}(z)", a, case.expected[0], rtol=1e-7, atol=1e-12, dtype=np.float64)
        expect_array(f"{name}_prime(z)", da, case.expected[1], rtol=1e-7, atol=1e-12, dtype=np.float64)

    return hidden_check(name, cases, verify, call=_pair_call, seed=seed)


check_sigmoid = _activation_check("sigmoid", act.sigmoid, act.sigmoid_prime, seed=11)
check_tanh = _activation_check("tanh", act.tanh, act.tanh_prime, seed=12)
check_relu = _activation_check("relu", act.relu, act.relu_prime, seed=13)


# --------------------------------------------------------------------------- softmax


def _logits(rng):
    zs = [rng.standard_normal((int(rng.integers(2, 6)), int(rng.integers(6, 9)))) * 2,
          rng.standard_normal((1, 5)),
          np.array([[1000.0, 1001.0, 999.0], [-1000.0, -1001.0, -1002.0], [0.0, 0.0, 0.0], [5.0, -5.0, 800.0]])]
    return zs


def _softmax_cases(rng):
    return [Case((z,), act.softmax(z), f"logits of shape {z.shape}"
                 + (", some of size 1000" if np.abs(z).max() > 100 else "")) for z in _logits(rng)]


def _softmax_verify(case, got):
    expect_array("softmax(z)", got, case.expected, rtol=1e-7, atol=1e-15, dtype=np.float64)


check_softmax = hidden_check("softmax", _softmax_cases, _softmax_verify, seed=14)


# --------------------------------------------------------------------------- losses


def _numeric_loss_grad(loss_fn, z, y):
    z = z.copy()
    return _numeric(lambda: loss_fn(z, y)[0], z)


def _numeric(f, x):
    from course_lib.gradcheck import numerical_gradient

    return numerical_gradient(f, x)


def _loss_verify(name):
    def verify(case, got):
        loss, grad = expect_sequence(f"{name}'s return value (loss, gradient)", got, 2)
        expect_scalar("loss", loss, case.expected[0], rtol=1e-7)
        expect_array("gradient", grad, case.expected[1], rtol=1e-6, atol=1e-12, dtype=np.float64)  # as the text says
    return verify


def _mse_cases(rng):
    cases = []
    for shape in [(int(rng.integers(2, 7)), int(rng.integers(2, 5))), (1, 3), (8, 1)]:
        y_pred, y = rng.standard_normal(shape), rng.standard_normal(shape)
        loss, grad = losses.mse_loss(y_pred, y)
        assert np.allclose(grad, _numeric_loss_grad(losses.mse_loss, y_pred, y), atol=1e-7)
        cases.append(Case((y_pred, y), (loss, grad), f"predictions of shape {shape}"))
    return cases


check_mse_loss = hidden_check("mse_loss", _mse_cases, _loss_verify("mse_loss"), seed=15)


def _ce_cases(rng):
    cases = []
    for z in _logits(rng):
        y = rng.integers(0, z.shape[1], size=z.shape[0])
        if z.shape == (4, 3):  # the extreme logits: the label of the last row has probability e^-795
            y = np.array([1, 2, 0, 0])
        loss, grad = losses.softmax_cross_entropy(z, y)
        if np.abs(z).max() < 100:  # finite differences need moderate logits
            assert np.allclose(grad, _numeric_loss_grad(losses.softmax_cross_entropy, z, y), atol=1e-7)
        cases.append(Case((z, y), (loss, grad), f"logits of shape {z.shape}"
                          + (", some of size 1000" if np.abs(z).max() > 100 else "")))
    return cases


check_cross_entropy = hidden_check("cross_entropy", _ce_cases, _loss_verify("cross_entropy"), seed=16)
