"""Batch normalisation and inverted dropout (course_lib.numpy.normalization).

Gradients against finite differences in float64; forward values, running averages and
gradients against PyTorch's BatchNorm1d and dropout; the train/eval behaviour of both.
"""

import numpy as np
import pytest

from course_lib.gradcheck import numerical_jacobian_product, rel_error
from course_lib.numpy.normalization import batchnorm_backward, batchnorm_forward, dropout_backward, dropout_forward


def _bn_case(seed):
    rng = np.random.default_rng(seed)
    n, d = int(rng.integers(2, 9)), int(rng.integers(1, 7))
    x = rng.normal(rng.normal(scale=3), rng.uniform(0.5, 5), size=(n, d))
    return rng, x, rng.normal(size=d), rng.normal(size=d), rng.normal(size=(n, d))


@pytest.mark.parametrize("mode", ["train", "eval"])
@pytest.mark.parametrize("seed", range(6))
def test_batchnorm_backward_matches_finite_differences(seed, mode):
    rng, x, gamma, beta, dout = _bn_case(seed)
    d = x.shape[1]
    param = {"mode": mode, "running_mean": rng.normal(size=d), "running_var": rng.uniform(0.5, 2, size=d)}
    frozen = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in param.items()}

    def forward():  # a fresh copy of the state each time: the running averages must not drift
        return batchnorm_forward(x, gamma, beta, {k: (v.copy() if isinstance(v, np.ndarray) else v)
                                                  for k, v in frozen.items()})[0]

    _, cache = batchnorm_forward(x, gamma, beta, param)
    dx, dgamma, dbeta = batchnorm_backward(dout, cache)
    assert (dx.shape, dgamma.shape, dbeta.shape) == (x.shape, gamma.shape, beta.shape)
    for name, grad, p in (("dx", dx, x), ("dgamma", dgamma, gamma), ("dbeta", dbeta, beta)):
        numeric = numerical_jacobian_product(forward, p, dout)
        assert rel_error(grad, numeric) < 1e-6, name


def test_batchnorm_train_normalises_and_updates_running_averages():
    rng = np.random.default_rng(0)
    x = rng.normal(4.0, 3.0, size=(64, 5))
    param = {"mode": "train", "momentum": 0.8}
    out, _ = batchnorm_forward(x, np.ones(5), np.zeros(5), param)
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=0), x.var(axis=0) / (x.var(axis=0) + 1e-5))
    np.testing.assert_allclose(param["running_mean"], 0.2 * x.mean(axis=0))
    np.testing.assert_allclose(param["running_var"], 0.8 + 0.2 * x.var(axis=0))


def test_batchnorm_eval_uses_running_statistics_and_is_per_example():
    rng = np.random.default_rng(1)
    d = 4
    param = {"mode": "train"}
    for _ in range(200):  # many batches from one distribution: the running averages converge to it
        batchnorm_forward(rng.normal(2.0, 3.0, size=(32, d)), np.ones(d), np.zeros(d), param)
    np.testing.assert_allclose(param["running_mean"], 2.0, atol=0.3)
    np.testing.assert_allclose(param["running_var"], 9.0, rtol=0.15)
    before = (param["running_mean"].copy(), param["running_var"].copy())
    param["mode"] = "eval"
    gamma, beta = rng.normal(size=d), rng.normal(size=d)
    x = rng.normal(size=(10, d))
    out, _ = batchnorm_forward(x, gamma, beta, param)
    expected = gamma * (x - before[0]) / np.sqrt(before[1] + 1e-5) + beta
    np.testing.assert_allclose(out, expected)
    # nothing is updated at inference, and an example's output does not depend on its batch
    np.testing.assert_array_equal(param["running_mean"], before[0])
    np.testing.assert_array_equal(param["running_var"], before[1])
    alone, _ = batchnorm_forward(x[:1], gamma, beta, param)
    np.testing.assert_allclose(alone, out[:1])


def test_batchnorm_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    n, d = 16, 6
    bn = torch.nn.BatchNorm1d(d, eps=1e-5, momentum=0.1, dtype=torch.float64)
    gamma, beta = rng.normal(size=d), rng.normal(size=d)
    with torch.no_grad():
        bn.weight.copy_(torch.from_numpy(gamma))
        bn.bias.copy_(torch.from_numpy(beta))
    param = {"mode": "train", "momentum": 0.9}   # torch's momentum 0.1 is the weight of the new batch
    for step in range(3):
        x = rng.normal(1.0, 2.0, size=(n, d))
        dout = rng.normal(size=(n, d))
        out, cache = batchnorm_forward(x, gamma, beta, param)
        dx, dgamma, dbeta = batchnorm_backward(dout, cache)
        xt = torch.from_numpy(x).requires_grad_()
        bn.train()
        yt = bn(xt)
        yt.backward(torch.from_numpy(dout))
        assert rel_error(out, yt.detach().numpy()) < 1e-12
        assert rel_error(dx, xt.grad.numpy()) < 1e-10
        assert rel_error(dgamma, bn.weight.grad.numpy()) < 1e-12
        assert rel_error(dbeta, bn.bias.grad.numpy()) < 1e-12
        bn.weight.grad = bn.bias.grad = None
    np.testing.assert_allclose(param["running_mean"], bn.running_mean.numpy(), rtol=1e-12)
    # torch keeps the unbiased variance (N/(N-1) times the batch variance) in its running average
    x_eval = rng.normal(size=(5, d))
    param_unbiased = dict(param, mode="eval", running_var=bn.running_var.numpy().copy())
    ours, _ = batchnorm_forward(x_eval, gamma, beta, param_unbiased)
    bn.eval()
    with torch.no_grad():
        theirs = bn(torch.from_numpy(x_eval)).numpy()
    assert rel_error(ours, theirs) < 1e-12


def test_batchnorm_rejects_bad_input():
    with pytest.raises(ValueError, match="mode"):
        batchnorm_forward(np.zeros((4, 2)), np.ones(2), np.zeros(2), {"mode": "test"})
    with pytest.raises(ValueError, match="gamma"):
        batchnorm_forward(np.zeros((4, 2)), np.ones(3), np.zeros(3), {})
    with pytest.raises(ValueError, match="at least 2"):
        batchnorm_forward(np.zeros((1, 2)), np.ones(2), np.zeros(2), {"mode": "train"})


@pytest.mark.parametrize("p", [0.0, 0.2, 0.5, 0.9])
def test_dropout_train_is_inverted_and_backward_uses_the_mask(p):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(500, 40))
    out, cache = dropout_forward(x, p, "train", rng)
    kept = out != 0
    np.testing.assert_allclose(out[kept], x[kept] / (1 - p))
    if p > 0:
        assert abs(1 - kept.mean() - p) < 0.02        # about a fraction p of the units is dropped
    dout = rng.normal(size=x.shape)
    dx = dropout_backward(dout, cache)
    mask = cache[1] if cache[1] is not None else np.ones_like(x)
    numeric = numerical_jacobian_product(lambda: x * mask, x, dout)   # the forward with the mask held fixed
    assert rel_error(dx, numeric) < 1e-8
    np.testing.assert_array_equal(dx == 0, ~kept if p > 0 else np.zeros_like(kept))


def test_dropout_expectation_and_eval_identity():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(3, 5))
    mean = np.mean([dropout_forward(x, 0.5, "train", rng)[0] for _ in range(20000)], axis=0)
    assert np.abs(mean - x).max() < 0.06
    out, cache = dropout_forward(x, 0.5, "eval")
    assert out is x or np.array_equal(out, x)
    assert np.array_equal(dropout_backward(np.ones_like(x), cache), np.ones_like(x))


def test_dropout_matches_torch_statistics_and_rejects_bad_input():
    torch = pytest.importorskip("torch")
    x = np.ones((2000, 50))
    ours, _ = dropout_forward(x, 0.3, "train", np.random.default_rng(5))
    theirs = torch.nn.functional.dropout(torch.from_numpy(x), p=0.3, training=True).numpy()
    # the same two values (0 and 1/(1-p)) in about the same proportions
    assert set(np.unique(ours)) == set(np.unique(theirs)) == {0.0, 1 / 0.7}
    assert abs((ours == 0).mean() - (theirs == 0).mean()) < 0.01
    evaluated = torch.nn.functional.dropout(torch.from_numpy(x), p=0.3, training=False).numpy()
    np.testing.assert_array_equal(dropout_forward(x, 0.3, "eval")[0], evaluated)
    with pytest.raises(ValueError, match="rate"):
        dropout_forward(x, 1.0, "train", np.random.default_rng(0))
    with pytest.raises(ValueError, match="rng"):
        dropout_forward(x, 0.5, "train")
    with pytest.raises(ValueError, match="mode"):
        dropout_forward(x, 0.5, "inference")
