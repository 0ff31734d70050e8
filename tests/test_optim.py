"""Optimizers: each update rule against torch.optim (an independent implementation) and by hand."""

import numpy as np
import pytest
import torch

from course_lib.numpy.optim import SGD, Adagrad, Adam, AdamW, Momentum, Nesterov, RMSprop, cosine, make_optimizer
from tests.ufunc_recorder import UfuncRecorder

# ours, torch's, and the settings that make them the same algorithm
PAIRS = [
    (lambda: SGD(lr=0.1), lambda p: torch.optim.SGD(p, lr=0.1)),
    # torch keeps v' = mu v' + g and steps -lr v'; ours keeps v = -lr v': the same trajectory
    (lambda: Momentum(lr=0.05, momentum=0.9), lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9)),
    (lambda: Adagrad(lr=0.1, eps=1e-10), lambda p: torch.optim.Adagrad(p, lr=0.1, eps=1e-10)),
    (lambda: RMSprop(lr=0.01, rho=0.9, eps=1e-8), lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, eps=1e-8)),
    (lambda: Adam(lr=0.01), lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.9, 0.999), eps=1e-8)),
]


@pytest.mark.parametrize("ours, theirs", PAIRS, ids=["sgd", "momentum", "adagrad", "rmsprop", "adam"])
def test_trajectory_matches_torch_optim(ours, theirs):
    rng = np.random.default_rng(0)
    A = rng.normal(size=(6, 6))
    H = A @ A.T + np.eye(6)  # a convex quadratic f(p) = p^T H p / 2 with gradient H p
    p = [rng.normal(size=6), rng.normal(size=(2, 3))]
    pt = [torch.tensor(q.copy(), requires_grad=True) for q in p]
    opt, topt = ours(), theirs(pt)
    for _ in range(25):
        grads = [H @ p[0], 2 * p[1]]
        opt.step(p, grads)
        topt.zero_grad()
        (0.5 * pt[0] @ torch.tensor(H) @ pt[0] + (pt[1] ** 2).sum()).backward()
        topt.step()
    for q, qt in zip(p, pt):
        np.testing.assert_allclose(q, qt.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_adam_first_step_by_hand():
    # with bias correction, Adam's first step is lr * g / (|g| + eps), i.e. about lr * sign(g)
    p, g = np.array([1.0, -2.0]), np.array([0.3, -4.0])
    Adam(lr=0.1).step(p, g)
    np.testing.assert_allclose(p, [1.0 - 0.1 * 0.3 / (0.3 + 1e-8), -2.0 + 0.1 * 4.0 / (4.0 + 1e-8)])


def test_reset_forgets_the_state():
    p, g = np.zeros(3), np.ones(3)
    opt = Momentum(lr=0.1)
    opt.step(p, g)
    opt.step(p, g)
    opt.reset()
    q = np.zeros(3)
    opt.step(q, g)
    np.testing.assert_allclose(q, -0.1)  # a first step again: no velocity carried over
    assert opt.t == 1


def test_updates_are_in_place_and_keep_float32():
    p = np.ones(4, dtype=np.float32)
    same = p
    opt = Adam(lr=0.1)
    opt.step(p, np.ones(4, dtype=np.float32))
    assert p is same and p.dtype == np.float32 and opt.state[0]["M"].dtype == np.float32


def test_bad_optimizer_arguments():
    with pytest.raises(ValueError, match=r"unknown optimizer 'lion'; expected one of \['adagrad', 'adam', 'adamw'"):
        make_optimizer("lion", lr=0.1)
    with pytest.raises(ValueError, match="learning rate must be > 0; got -1"):
        SGD(lr=-1)
    with pytest.raises(ValueError, match="params and grads must match"):
        SGD(lr=0.1).step(np.zeros(3), np.zeros(4))


def test_adam_moments_are_torchs_running_averages():
    # course_lib stores rescaled moments (fewer array passes); moments() must give the textbook m, v
    rng = np.random.default_rng(3)
    p = rng.normal(size=5)
    pt = torch.tensor(p.copy(), requires_grad=True)
    opt, topt = Adam(lr=0.01, beta1=0.85, beta2=0.99), torch.optim.Adam([pt], lr=0.01, betas=(0.85, 0.99))
    for _ in range(7):
        g = rng.normal(size=5)
        opt.step(p, g)
        pt.grad = torch.tensor(g)
        topt.step()
    m, v = opt.moments()
    np.testing.assert_allclose(m, topt.state[pt]["exp_avg"].numpy(), rtol=1e-12)
    np.testing.assert_allclose(v, topt.state[pt]["exp_avg_sq"].numpy(), rtol=1e-12)


ALL_OPTIMIZERS = [SGD, Momentum, Nesterov, Adagrad, RMSprop, Adam, AdamW]


@pytest.mark.parametrize("cls", ALL_OPTIMIZERS, ids=lambda c: c.__name__)
def test_float32_steps_compute_in_float32_even_with_numpy_hyperparameters(cls):
    # every operand of every pass float32 or a Python scalar (see tests/ufunc_recorder.py)
    p = np.ones(1000, np.float32).view(UfuncRecorder)
    g = np.full(1000, 0.1, np.float32).view(UfuncRecorder)
    opt = cls(lr=np.float64(0.01), schedule=lambda t: np.float64(0.5) ** t)   # NumPy scalars everywhere
    UfuncRecorder.calls = []
    for _ in range(3):
        opt.step(p, g)
    assert UfuncRecorder.calls, "the recorder saw no ufunc: the test no longer observes the update"
    assert not UfuncRecorder.wide_calls(), f"passes run in float64: {UfuncRecorder.wide_calls()}"


@pytest.mark.parametrize("cls", ALL_OPTIMIZERS, ids=lambda c: c.__name__)
def test_steps_allocate_no_arrays_after_the_first(cls):
    import tracemalloc

    p, g = np.ones(100_000, np.float32), np.full(100_000, 0.1, np.float32)
    opt = cls(lr=0.01, schedule=cosine(10))
    opt.step(p, g)  # the first step creates the state (and its scratch buffers)
    tracemalloc.start()
    try:
        opt.step(p, g)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 10_000, f"one step of {cls.__name__} allocated {peak} bytes for a 400,000-byte buffer"
