"""Nesterov, AdamW and the learning-rate schedules: the book's rules, equal in NumPy, PyTorch and Keras.

The oracle is the book's formulas written out below in float64 (chapter 5), independently of
course_lib, run on one fixed sequence of gradients with a schedule that changes the rate at every
step (warm-up, then cosine), so that the place of the rate in each rule is tested too. Then the
conventions that differ: PyTorch's momentum velocity is in units of the gradient (equal at a
constant rate, not when the rate changes); AdamW's decoupled decay is not L2 under Adam.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from tests.keras_backends import assert_passes_on_the_other_backend

from course_lib.numpy.optim import AdamW, Nesterov, cosine, step_decay, warmup

STEPS, LR, MU, B1, B2, EPS, WD = 12, 0.05, 0.9, 0.9, 0.999, 1e-8, 0.1
SCHEDULE = warmup(3, cosine(STEPS - 3, final=0.1))


def gradients():
    rng = np.random.default_rng(42)
    return [rng.normal(size=(3, 4)) * np.logspace(-3, 0, 4) for _ in range(STEPS)]


P0 = np.random.default_rng(7).normal(size=(3, 4))


def rate(t):
    """The book's eta_t for step t = 1, 2, ...: eta times the factor after t - 1 steps."""
    return LR * (min(t / 3, 1.0) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(max(t - 1 - 3, 0), 9) / 9))))


def oracle(name: str, scheduled: bool = True):
    p, v, m = P0.copy(), np.zeros_like(P0), np.zeros_like(P0)
    out = []
    for t, g in enumerate(gradients(), start=1):
        eta = rate(t) if scheduled else LR
        if name == "nesterov":           # the look-ahead form, at the look-ahead point p
            v = MU * v - eta * g
            p = p + MU * v - eta * g
        else:                            # adamw
            m = B1 * m + (1 - B1) * g
            v = B2 * v + (1 - B2) * g**2
            m_hat, v_hat = m / (1 - B1**t), v / (1 - B2**t)
            p = p - eta * (m_hat / (np.sqrt(v_hat) + EPS) + WD * p)
        out.append(p.copy())
    return out


def worst_step(got, expected) -> float:
    prev_a = prev_b = P0
    errs = []
    for a, b in zip(got, expected):
        errs.append(np.linalg.norm((a - prev_a) - (b - prev_b)) / np.linalg.norm(b - prev_b))
        prev_a, prev_b = a, b
    return max(errs)


def steps_numpy(name, scheduled=True):
    schedule = SCHEDULE if scheduled else None
    opt = Nesterov(LR, MU, schedule=schedule) if name == "nesterov" else AdamW(LR, B1, B2, EPS, WD, schedule=schedule)
    p, out = P0.copy(), []
    for g in gradients():
        opt.step(p, g)
        out.append(p.copy())
    return out


def steps_torch(name, scheduled=True):

    from course_lib.torch.optim import AdamW as TorchAdamW
    from course_lib.torch.optim import Nesterov as TorchNesterov

    def factory(params):
        return TorchNesterov(params, LR, MU) if name == "nesterov" else TorchAdamW(params, LR, B1, B2, EPS, WD)

    return _torch_run(factory, SCHEDULE if scheduled else None)


def steps_keras(name, scheduled=True):
    import keras

    from course_lib.keras.optim import AdamW as KerasAdamW
    from course_lib.keras.optim import Nesterov as KerasNesterov

    kw = {"dtype": "float64", "schedule": SCHEDULE if scheduled else None}
    opt = KerasNesterov(LR, MU, **kw) if name == "nesterov" else KerasAdamW(LR, B1, B2, EPS, WD, **kw)
    p, out = keras.Variable(P0.copy(), dtype="float64"), []
    for g in gradients():
        opt.apply_gradients([(keras.ops.convert_to_tensor(g), p)])
        out.append(np.asarray(keras.ops.convert_to_numpy(p), np.float64))
    return out


# --------------------------------------------------------------------------- schedules

def test_schedules_follow_their_formulas():
    s = step_decay(every=10, factor=0.5)
    assert [s(t) for t in (0, 9, 10, 19, 20, 35)] == [1, 1, 0.5, 0.5, 0.25, 0.125]
    c = cosine(total=100, final=0.1)
    assert c(0) == 1.0 and c(50) == pytest.approx(0.55) and c(100) == pytest.approx(0.1) and c(500) == pytest.approx(0.1)
    w = warmup(4)
    assert [w(t) for t in range(6)] == [0.25, 0.5, 0.75, 1.0, 1.0, 1.0]
    assert [SCHEDULE(t) * LR for t in range(STEPS)] == pytest.approx([rate(t) for t in range(1, STEPS + 1)])
    for bad in (lambda: step_decay(0), lambda: cosine(10, final=2.0), lambda: warmup(0)):
        with pytest.raises(ValueError):
            bad()


def test_numpy_optimizer_uses_the_scheduled_rate_and_reports_it():
    from course_lib.numpy.optim import SGD

    opt, p = SGD(lr=1.0, schedule=step_decay(2, 0.1)), np.zeros(1)
    for _ in range(5):
        opt.step(p, np.ones(1))
    assert p[0] == pytest.approx(-(1 + 1 + 0.1 + 0.1 + 0.01)) and opt.base_lr == 1.0
    assert "schedule=step_decay" in repr(opt)
    with pytest.raises(ValueError, match="schedule must be a function"):
        SGD(lr=0.1, schedule=0.5)


def test_keras_schedule_gives_the_same_rates():
    import keras

    from course_lib.keras.optim import Scheduled

    s = Scheduled(LR, SCHEDULE, "float64")
    got = [float(keras.ops.convert_to_numpy(s(keras.ops.convert_to_tensor(t)))) for t in range(STEPS)]
    assert got == pytest.approx([rate(t) for t in range(1, STEPS + 1)], rel=1e-12)


# --------------------------------------------------------------------------- the rules in three frameworks

@pytest.mark.parametrize("scheduled", [False, True], ids=["constant", "scheduled"])
@pytest.mark.parametrize("name", ["nesterov", "adamw"])
@pytest.mark.parametrize("framework", ["numpy", "torch"])
def test_steps_follow_the_book(framework, name, scheduled):
    got = {"numpy": steps_numpy, "torch": steps_torch}[framework](name, scheduled)
    assert worst_step(got, oracle(name, scheduled)) < 1e-10


@pytest.mark.parametrize("scheduled", [False, True], ids=["constant", "scheduled"])
@pytest.mark.parametrize("name", ["nesterov", "adamw"])
def test_keras_steps_follow_the_book(name, scheduled):
    assert worst_step(steps_keras(name, scheduled), oracle(name, scheduled)) < 1e-10


@pytest.mark.slow
def test_on_the_other_keras_backend():
    assert_passes_on_the_other_backend("tests/test_optim_schedules.py", expected_passed=5)


def test_nesterov_is_the_look_ahead_rule():
    """The book's definition v <- mu v - eta grad C(theta + mu v), theta <- theta + v, on a quadratic:
    Nesterov's parameters are the look-ahead point theta + mu v."""
    H = np.array([[3.0, 1.0], [1.0, 2.0]])
    theta, v = np.array([1.0, -1.0]), np.zeros(2)
    p, opt = theta.copy(), Nesterov(lr=0.1, momentum=MU)
    for _ in range(20):
        v = MU * v - 0.1 * H @ (theta + MU * v)
        theta = theta + v
        opt.step(p, H @ p)
        np.testing.assert_allclose(p, theta + MU * v, rtol=1e-12, atol=1e-15)


# --------------------------------------------------------------------------- the conventions that differ

def _torch_run(opt_factory, schedule=None):
    import torch

    from course_lib.torch.optim import scheduler

    p = torch.tensor(P0.copy(), requires_grad=True)
    opt = opt_factory([p])
    sched = scheduler(opt, schedule) if schedule else None
    out = []
    for g in gradients():
        p.grad = torch.tensor(g)
        opt.step()
        if sched:
            sched.step()
        out.append(p.detach().numpy().copy())
    return out


@pytest.mark.parametrize("nesterov", [False, True], ids=["momentum", "nesterov"])
def test_torchs_own_momentum_equals_the_book_only_at_a_constant_rate(nesterov):
    import torch

    from course_lib.torch.optim import Momentum, Nesterov as TorchNesterov

    ours = TorchNesterov if nesterov else Momentum
    own = lambda ps: torch.optim.SGD(ps, lr=LR, momentum=MU, nesterov=nesterov)   # noqa: E731
    book = lambda ps: ours(ps, lr=LR, momentum=MU)                                 # noqa: E731
    assert worst_step(_torch_run(own), _torch_run(book)) < 1e-12
    # A step decay by 10 after 4 steps: torch rescales its whole velocity at once, the book does not.
    decay = step_decay(4, 0.1)
    own_path, book_path = _torch_run(own, decay), _torch_run(book, decay)
    assert worst_step(own_path[:4], book_path[:4]) < 1e-12
    step_own, step_book = (np.linalg.norm(path[4] - path[3]) for path in (own_path, book_path))
    assert step_own < 0.5 * step_book, (step_own, step_book)


def test_torchs_adamw_is_not_torchs_adam_with_weight_decay():
    """PyTorch's Adam(weight_decay=...) is L2 (added to the gradient), its AdamW decoupled."""
    import torch

    l2 = _torch_run(lambda ps: torch.optim.Adam(ps, lr=LR, eps=EPS, weight_decay=WD))
    assert worst_step(_torch_run(lambda ps: torch.optim.AdamW(ps, lr=LR, eps=EPS, weight_decay=WD)),
                      oracle("adamw", scheduled=False)) < 1e-10
    assert worst_step(l2, oracle("adamw", scheduled=False)) > 1e-3


def test_decoupled_decay_shrinks_every_weight_alike_l2_under_adam_does_not():
    """With a zero loss gradient plus L2, Adam normalises the decay term away (steps of about eta,
    whatever lambda p is); AdamW shrinks each weight by the factor 1 - eta lambda."""
    from course_lib.numpy.optim import Adam

    p_l2, p_w = np.array([10.0, 0.01]), np.array([10.0, 0.01])
    adam, adamw = Adam(lr=0.001), AdamW(lr=0.001, weight_decay=0.1)
    for _ in range(10):
        adam.step(p_l2, 0.1 * p_l2)            # L2 under Adam: the gradient of (lambda/2) p^2
        adamw.step(p_w, np.zeros(2))           # AdamW: no loss gradient, only the decay
    np.testing.assert_allclose(p_w, np.array([10.0, 0.01]) * (1 - 0.001 * 0.1) ** 10, rtol=1e-12)
    assert abs(p_l2[0] - (10.0 - 10 * 0.001)) < 1e-6          # the large weight moved by 10 eta: 0.1 % of it
    assert abs(p_l2[1]) < 0.1 * 0.01                          # the small one by more than 90 % of it
