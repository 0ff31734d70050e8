"""The whole MLP: the four back-propagation equations against finite differences and torch.autograd."""

import numpy as np
import pytest

from course_lib import MLPSpec
from course_lib.gradcheck import numerical_gradient, rel_error
from course_lib.numpy import MLP

# Mixed hidden activations, every loss with the output activation it needs.
CASES = {
    "softmax_cross_entropy": (("tanh", "relu", "elu", "identity"), lambda rng, n, k: rng.integers(0, k, n)),
    "cross_entropy": (("sigmoid", "leaky_relu", "tanh", "softmax"), lambda rng, n, k: rng.integers(0, k, n)),
    "binary_cross_entropy": (("relu", "tanh", "elu", "sigmoid"), lambda rng, n, k: rng.integers(0, 2, (n, k)).astype(float)),
    "mse": (("elu", "sigmoid", "leaky_relu", "identity"), lambda rng, n, k: rng.normal(size=(n, k))),
}


def make_case(loss, seed, l2=0.1):
    rng = np.random.default_rng(seed)
    sizes = [int(s) for s in rng.integers(2, 7, size=5)]
    activations, targets = CASES[loss]
    spec = MLPSpec(sizes, activations, loss=loss, init="glorot", l2=l2, seed=seed)
    model = MLP(spec, dtype=np.float64)
    for b in model.biases:  # non-zero biases, so the bias gradients are really tested
        b[...] = rng.normal(scale=0.5, size=b.shape)
    n = int(rng.integers(1, 9))
    return model, rng.normal(size=(n, sizes[0])), targets(rng, n, sizes[-1])


@pytest.mark.parametrize("loss", CASES)
@pytest.mark.parametrize("seed", range(3))
def test_mlp_gradients_match_finite_differences(loss, seed):
    model, x, y = make_case(loss, seed)
    _, grads = model.loss(x, y)
    analytic = [(dW.copy(), db.copy()) for dW, db in grads]  # views: copy before the next call
    def f():
        return model.loss(x, y)[0]

    for l, (W, b) in enumerate(zip(model.weights, model.biases)):
        assert rel_error(analytic[l][0], numerical_gradient(f, W)) < 1e-7, f"dW^{l + 1}"
        assert rel_error(analytic[l][1], numerical_gradient(f, b)) < 1e-7, f"db^{l + 1}"


@pytest.mark.parametrize("loss", CASES)
def test_mlp_gradients_match_torch_autograd(loss):
    """An independent oracle: the same network written directly with torch operations."""
    import torch  # part of the dev environment: a missing torch fails this test, it does not skip

    model, x, y = make_case(loss, seed=7)
    _, grads = model.loss(x, y)
    f = {
        "identity": lambda z: z, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
        "leaky_relu": lambda z: torch.nn.functional.leaky_relu(z, 0.01),
        "elu": torch.nn.functional.elu, "softmax": lambda z: torch.softmax(z, dim=1),
    }
    params = [(torch.tensor(W, requires_grad=True), torch.tensor(b, requires_grad=True)) for W, b in model.get_weights()]
    a = torch.tensor(x)
    for (W, b), act in zip(params, model.spec.activations):
        a = f[act](a @ W + b)
    yt = torch.tensor(y)
    if loss == "softmax_cross_entropy":
        data = torch.nn.functional.cross_entropy(a, yt)  # takes logits and integer labels
    elif loss == "cross_entropy":
        data = -torch.log(a[torch.arange(len(yt)), yt]).mean()
    elif loss == "binary_cross_entropy":
        data = torch.nn.functional.binary_cross_entropy(a, yt)
    else:
        data = torch.nn.functional.mse_loss(a, yt)
    total = data + 0.5 * model.spec.l2 * sum((W**2).sum() for W, _ in params)
    total.backward()
    assert model.loss(x, y)[0] == pytest.approx(total.item(), rel=1e-12)
    _, grads = model.loss(x, y)
    for (dW, db), (W, b) in zip(grads, params):
        assert rel_error(dW, W.grad.numpy()) < 1e-10
        assert rel_error(db, b.grad.numpy()) < 1e-10


def test_float32_network_stays_float32():
    model = MLP(MLPSpec([4, 8, 3], "relu"))
    out, _ = model.forward(np.ones((2, 4)))
    _, grads = model.loss(np.ones((2, 4)), np.array([0, 2]))
    assert out.dtype == np.float32 and all(g.dtype == np.float32 for pair in grads for g in pair)


def test_weights_are_views_of_one_flat_buffer():
    model = MLP(MLPSpec([3, 4, 2], "tanh"))
    model.flat_params[:] = 0
    assert all(not W.any() for W in model.weights)
    assert model.flat_params.size == 3 * 4 + 4 + 4 * 2 + 2 == model.spec.n_params


def test_initialisers_have_the_promised_scale():
    rng_sizes = [400, 300, 200]
    for init, std in (("he", np.sqrt(2 / 400)), ("glorot", np.sqrt(2 / (400 + 300))), ("normal", 0.05)):
        W = MLP(MLPSpec(rng_sizes, "relu", init=init, init_scale=0.05)).weights[0]
        assert W.std() == pytest.approx(std, rel=0.02), init
    a = MLP(MLPSpec([5, 6, 2], seed=1)).get_weights()
    b = MLP(MLPSpec([5, 6, 2], seed=1)).get_weights()
    c = MLP(MLPSpec([5, 6, 2], seed=2)).get_weights()
    assert all(np.array_equal(p, q) for (p, _), (q, _) in zip(a, b))
    assert not np.array_equal(a[0][0], c[0][0])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(sizes=[3]), "at least two positive layer widths"),
        (dict(sizes=[3, 2], activations=("swish",)), r"unknown activation 'swish'; expected one of"),
        (dict(sizes=[3, 4, 2], activations=("relu",)), "need one activation per layer: 2"),
        (dict(sizes=[3, 2], loss="hinge"), r"unknown loss 'hinge'; expected one of"),
        (dict(sizes=[3, 2], init="orthogonal"), r"unknown initializer 'orthogonal'"),
        (dict(sizes=[3, 2], activations=("softmax",)), "takes logits.*applying softmax twice"),
        (dict(sizes=[3, 2], l2=-1.0), "l2 must be >= 0"),
    ],
)
def test_bad_specifications_raise_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MLPSpec(**kwargs)


def test_bad_shapes_raise_clear_errors():
    model = MLP(MLPSpec([3, 4, 2], "relu"))
    with pytest.raises(ValueError, match=r"x must have 3 features \(shape \(N, 3\)\); got shape \(5, 2\)"):
        model.forward(np.zeros((5, 2)))
    with pytest.raises(ValueError, match=r"layer 1: expected W \(3, 4\) and b \(4,\); got W \(4, 3\)"):
        model.set_weights([(np.zeros((4, 3)), np.zeros(4)), (np.zeros((4, 2)), np.zeros(2))])
    with pytest.raises(ValueError, match="expected 2 \\(W, b\\) pairs; got 1"):
        model.set_weights([(np.zeros((3, 4)), np.zeros(4))])
    with pytest.raises(ValueError, match="dtype must be float32 or float64"):
        MLP(model.spec, dtype=np.int32)


def test_the_mlp_is_built_from_the_layer_functions(monkeypatch):
    """One back-propagation in course_lib: the MLP's passes are the cs231n-style layer
    functions of course_lib.numpy.layers (those of chapter 3 and assignment a2), one call
    each per layer, and nothing else computes a layer's product."""
    import course_lib.numpy.mlp as mlp_module

    calls = []
    for name in ("dense_forward", "dense_backward", "activation_forward", "activation_backward"):
        original = getattr(mlp_module, name)
        monkeypatch.setattr(mlp_module, name, lambda *a, _f=original, _n=name, **k: calls.append(_n) or _f(*a, **k))
    model, x, y = make_case("mse", 0, l2=0.0)
    L = model.spec.n_layers
    model.loss(x, y)
    assert calls.count("dense_forward") == calls.count("activation_forward") == L
    assert calls.count("dense_backward") == L
    assert calls.count("activation_backward") == L  # BP1 for the output layer, BP2 for the L - 1 below
    # and the gradients are the ones the layer functions give when chained by hand
    calls.clear()
    from course_lib.numpy.layers import activation_backward, activation_forward, dense_backward, dense_forward
    from course_lib.numpy.losses import mse_loss

    a, caches = x, []
    for W, b, act in zip(model.weights, model.biases, model.spec.activations):
        z, dense_cache = dense_forward(a, W, b)
        a, act_cache = activation_forward(z, act)
        caches.append((dense_cache, act_cache))
    _, grad = mse_loss(a, y)
    expected = []
    for dense_cache, act_cache in reversed(caches):
        grad, dW, db = dense_backward(activation_backward(grad, act_cache), dense_cache)
        expected.append((dW, db))
    for (dW, db), (eW, eb) in zip(model.loss(x, y)[1], reversed(expected)):
        assert rel_error(dW, eW) < 1e-14 and rel_error(db, eb) < 1e-14


def test_float32_network_with_a_confident_sigmoid_output_has_a_finite_loss():
    """sigma(40) == 1 in float32: the loss from probabilities was NaN (0 * log 0); from the logits it is exact."""
    spec = MLPSpec((1, 1), ("sigmoid",), loss="binary_cross_entropy")
    model = MLP(spec, dtype=np.float32, params=[(np.array([[40.0]]), np.array([0.0]))])
    x, y = np.array([[1.0], [-1.0]], np.float32), np.array([1.0, 0.0], np.float32)
    assert model.forward(x)[0][0, 0] == 1.0  # the probability has rounded to 1 ...
    loss, grads = model.loss(x, y)
    assert 0 < loss < 1e-15 and np.isfinite(grads[0][0]).all()  # ... the loss has not: log1p(e^-40)
