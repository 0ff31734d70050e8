"""The residual block (course_lib.numpy.residual, course_lib.torch.residual, course_lib.keras.residual).

The NumPy backward pass against finite differences (float64) and against torch.autograd; the three
frameworks' forward passes equal for the same weights; skip = 0 is exactly two layers of the MLP
(the ablation of chapter 7); shape mistakes get a clear error.
"""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.gradcheck import numerical_jacobian_product, rel_error
from course_lib.numpy import MLP
from course_lib.numpy.residual import init_residual, residual_backward, residual_forward
from course_lib.spec import MLPSpec

ACTIVATIONS = ("relu", "tanh", "sigmoid", "leaky_relu", "elu")
SKIPS = (1.0, 0.0, 0.5)
N, D, H = 7, 5, 4


def _case(seed: int, activation: str):
    """A batch, random weights and biases (float64), and an upstream gradient."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(N, D))
    if activation in ("relu", "leaky_relu", "elu"):
        x += np.sign(x) * 0.05  # keep finite differences away from the kink at 0
    W1, b1, W2, b2 = init_residual(D, H, rng, "glorot")
    b1, b2 = rng.normal(0, 0.3, size=H), rng.normal(0, 0.3, size=D)
    return x, [W1, b1, W2, b2], rng.normal(size=(N, D))


@pytest.mark.parametrize("skip", SKIPS)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_residual_backward_matches_finite_differences(activation, skip):
    x, params, dout = _case(ACTIVATIONS.index(activation), activation)
    out, cache = residual_forward(x, *params, activation=activation, skip=skip)
    dx, grads = residual_backward(dout, cache)
    assert out.shape == dx.shape == x.shape
    assert [g.shape for g in grads] == [p.shape for p in params]
    forward = lambda: residual_forward(x, *params, activation=activation, skip=skip)[0]  # noqa: E731
    for name, analytic, p in zip(("dx", "dW1", "db1", "dW2", "db2"), (dx, *grads), (x, *params)):
        numeric = numerical_jacobian_product(forward, p, dout)
        assert np.linalg.norm(analytic) > 0, name
        assert rel_error(analytic, numeric) < 1e-7, f"{activation}, skip={skip}: {name}"


def test_identity_path_adds_dout_to_dx():
    """dC/dx of a block is the branch's part plus skip * dC/dout: the identity path of BP2."""
    x, params, dout = _case(0, "tanh")
    dx1 = residual_backward(dout, residual_forward(x, *params, activation="tanh", skip=1.0)[1])[0]
    dx0 = residual_backward(dout, residual_forward(x, *params, activation="tanh", skip=0.0)[1])[0]
    np.testing.assert_allclose(dx1 - dx0, dout, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("skip", SKIPS)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_numpy_gradients_equal_torch_autograd(activation, skip):
    torch = pytest.importorskip("torch")
    from course_lib.torch.residual import residual_forward as torch_forward

    x, params, dout = _case(10 + ACTIVATIONS.index(activation), activation)
    out, cache = residual_forward(x, *params, activation=activation, skip=skip)
    dx, grads = residual_backward(dout, cache)
    tensors = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (x, *params)]
    t_out = torch_forward(*tensors, activation=activation, skip=skip)
    (t_out * torch.from_numpy(dout)).sum().backward()  # C = sum(out * dout): dC/dout = dout
    assert rel_error(out, t_out.detach().numpy()) < 1e-12
    for name, mine, t in zip(("dx", "dW1", "db1", "dW2", "db2"), (dx, *grads), tensors):
        assert rel_error(mine, t.grad.numpy()) < 1e-12, f"{activation}, skip={skip}: {name}"


def _stack_forward(x, params, blocks, activation, skip):
    """dense -> K blocks -> f -> dense, the network of chapter 7's residual section."""
    (W0, b0), block_params, (WL, bL) = params
    a = x @ W0 + b0
    for p in block_params:
        a = residual_forward(a, *p, activation=activation, skip=skip)[0]
    from course_lib.numpy.activations import get_activation
    return get_activation(activation)[0](a) @ WL + bL


def test_skip_zero_stack_is_exactly_the_mlp():
    """With skip = 0, dense -> K blocks -> f -> dense is the MLP with 2K + 2 layers, weight for weight."""
    blocks, width = 3, 6
    spec = MLPSpec(sizes=[4] + [width] * (2 * blocks + 1) + [3], activations="tanh", init="glorot", seed=4)
    mlp = MLP(spec, dtype=np.float64)
    mlp_params = mlp.get_weights()
    rng = np.random.default_rng(5)
    mlp_params = [(W, rng.normal(0, 0.2, size=b.shape)) for W, b in mlp_params]  # nonzero biases too
    mlp.set_weights(mlp_params)
    pairs = mlp_params[1:-1]
    block_params = [(*pairs[2 * k], *pairs[2 * k + 1]) for k in range(blocks)]
    x = rng.normal(size=(9, 4))
    plain = _stack_forward(x, (mlp_params[0], block_params, mlp_params[-1]), blocks, "tanh", skip=0.0)
    np.testing.assert_allclose(plain, mlp.forward(x)[0], rtol=1e-13, atol=1e-13)
    residual = _stack_forward(x, (mlp_params[0], block_params, mlp_params[-1]), blocks, "tanh", skip=1.0)
    assert rel_error(residual, plain) > 1e-3  # and with the identity path it is another function


def test_init_residual_draws_like_init_weight():
    W1, b1, W2, b2 = init_residual(30, 20, np.random.default_rng(0), "he")
    assert W1.shape == (30, 20) and W2.shape == (20, 30) and not b1.any() and not b2.any()
    assert abs(W1.var() / (2 / 30) - 1) < 0.15 and abs(W2.var() / (2 / 20) - 1) < 0.15


def test_shape_errors_say_what_was_expected():
    x, (W1, b1, W2, b2), _ = _case(0, "relu")
    with pytest.raises(ValueError, match=r"W2 must have shape \(4, 5\)"):
        residual_forward(x, W1, b1, W2.T, b2)
    with pytest.raises(ValueError, match="5 features"):
        residual_forward(x[:, :3], W1, b1, W2, b2)
    with pytest.raises(ValueError, match="unknown activation"):
        residual_forward(x, W1, b1, W2, b2, activation="swish")


@pytest.mark.parametrize("skip", (1.0, 0.0))
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_numpy_torch_and_keras_give_the_same_block(activation, skip):
    """The same weights in NumPy's function, PyTorch's ResidualBlock and Keras's ResidualBlock:
    the same outputs, and the modules return the weights they were given."""
    torch = pytest.importorskip("torch")
    keras = pytest.importorskip("keras")
    from course_lib.keras.residual import ResidualBlock as KerasBlock
    from course_lib.keras.residual import residual_forward as keras_forward
    from course_lib.torch.residual import ResidualBlock as TorchBlock

    x, params, _ = _case(20 + ACTIVATIONS.index(activation), activation)
    expected = residual_forward(x, *params, activation=activation, skip=skip)[0]

    t_block = TorchBlock(D, H, activation=activation, skip=skip, dtype="float64")
    t_block.set_params(params)
    t_out = t_block(torch.from_numpy(x)).detach().numpy()

    k_block = KerasBlock(D, H, activation=activation, skip=skip, dtype="float64")
    k_block.set_params(params)
    k_out = keras.ops.convert_to_numpy(k_block(x))
    k_fun = keras.ops.convert_to_numpy(keras_forward(x, *params, activation=activation, skip=skip))

    # Keras computes float64 products in float32 on the torch backend (see tests/test_cross_framework.py)
    tol = 1e-12 if keras.backend.backend() == "tensorflow" else 1e-5
    assert rel_error(t_out, expected) < 1e-12
    assert rel_error(k_out, expected) < tol and rel_error(k_fun, expected) < tol
    for got in (t_block.get_params(), k_block.get_params()):
        assert all(np.array_equal(a, b) for a, b in zip(got, params))


@pytest.mark.slow
def test_keras_block_on_other_backend():
    """The Keras cases again on the other Keras backend (TensorFlow or torch), in a fresh interpreter."""
    pytest.importorskip("keras")
    from tests.keras_backends import assert_passes_on_the_other_backend

    assert_passes_on_the_other_backend("tests/test_residual.py", expected_passed=2 * len(ACTIVATIONS))


def test_framework_blocks_reject_wrong_shapes_and_keep_their_weights():
    pytest.importorskip("torch")
    from course_lib.torch.residual import ResidualBlock as TorchBlock

    block = TorchBlock(D, H, dtype="float64")
    before = block.get_params()
    W1, b1, W2, b2 = init_residual(D, H, np.random.default_rng(0))
    with pytest.raises(ValueError, match="layer 2"):
        block.set_params((W1, b1, W2.T, b2))
    assert all(np.array_equal(a, b) for a, b in zip(block.get_params(), before))
