"""Hidden checks of assignment a4_optimizers: momentum, Adagrad, RMSprop and Adam update rules.

The reference is ``course_lib.numpy.optim`` run for several steps on random shapes, gradients and
hyperparameters; every step of its trajectory (the state before and after) is one case, so a wrong
state update is caught at the step where it first matters, bias corrections at t = 1, 2, ... included.
One case has tiny gradients (~1e-9), where the placement of eps matters.
"""

from __future__ import annotations

import numpy as np

from autograder.checks.isolation import Case, expect_array, expect_sequence, hidden_check
from course_lib.numpy import optim


def _shapes(rng):
    return [(int(rng.integers(2, 7)),), (int(rng.integers(2, 5)), int(rng.integers(5, 8))), (1,)]


def _trajectories(rng, make, state_keys, steps=4):
    """Yield (p, g, state_before, t, p_after, state_after, opt) for every step of a few runs.

    ``state_keys`` name the optimizer's state arrays; for Adam, ``["m", "v"]`` are read through
    ``Adam.moments()`` (course_lib keeps them rescaled, to save array passes).
    """
    def read(opt):
        if isinstance(opt, optim.Adam):
            return [a.copy() for a in opt.moments()]
        return [opt.state[0][key].copy() for key in state_keys]

    for k, shape in enumerate(_shapes(rng)):
        opt = make(rng)
        p = rng.standard_normal(shape)
        scale = 1e-9 if k == 2 else 1.0
        for _ in range(steps):
            g = rng.standard_normal(shape) * scale
            before = [np.zeros(shape) for _ in state_keys] if not opt.state else read(opt)
            p_before = p.copy()
            opt.step(p, g)
            after = read(opt)
            yield p_before, g, before, opt.t, p.copy(), after, opt


def _verify(names):
    def verify(case, got):
        got = expect_sequence(f"the return value ({', '.join(names)})", got, len(names))
        for name, g, e in zip(names, got, case.expected):
            expect_array(name, g, e, rtol=1e-9, atol=1e-15, dtype=np.float64)  # float64, as the text says
    return verify


def _momentum_cases(rng):
    make = lambda r: optim.Momentum(lr=float(r.uniform(0.01, 0.5)), momentum=float(r.uniform(0.5, 0.99)))  # noqa: E731
    return [Case((p, g, v, o.lr, o.momentum), (p2, v2), f"step {t}, p of shape {p.shape}, lr {o.lr:.3g}, mu {o.momentum:.3g}")
            for p, g, (v,), t, p2, (v2,), o in _trajectories(rng, make, ["v"])]


check_momentum_update = hidden_check("momentum_update", _momentum_cases, _verify(["p", "v"]), seed=41)


def _adagrad_cases(rng):
    make = lambda r: optim.Adagrad(lr=float(r.uniform(0.01, 0.5)), eps=1e-8)  # noqa: E731
    return [Case((p, g, G, o.lr, o.eps), (p2, G2), f"step {t}, p of shape {p.shape}, lr {o.lr:.3g}"
                 + (", tiny gradients" if np.abs(g).max() < 1e-6 else ""))
            for p, g, (G,), t, p2, (G2,), o in _trajectories(rng, make, ["G"])]


check_adagrad_update = hidden_check("adagrad_update", _adagrad_cases, _verify(["p", "G"]), seed=42)


def _rmsprop_cases(rng):
    make = lambda r: optim.RMSprop(lr=float(r.uniform(0.001, 0.1)), rho=float(r.uniform(0.8, 0.99)), eps=1e-8)  # noqa: E731
    return [Case((p, g, s, o.lr, o.rho, o.eps), (p2, s2), f"step {t}, p of shape {p.shape}, lr {o.lr:.3g}, rho {o.rho:.3g}"
                 + (", tiny gradients" if np.abs(g).max() < 1e-6 else ""))
            for p, g, (s,), t, p2, (s2,), o in _trajectories(rng, make, ["s"])]


check_rmsprop_update = hidden_check("rmsprop_update", _rmsprop_cases, _verify(["p", "s"]), seed=43)


def _adam_cases(rng):
    make = lambda r: optim.Adam(lr=float(r.uniform(0.001, 0.1)), beta1=float(r.uniform(0.8, 0.95)),  # noqa: E731
                                beta2=float(r.uniform(0.99, 0.9999)), eps=1e-8)
    return [Case((p, g, m, v, t, o.lr, o.beta1, o.beta2, o.eps), (p2, m2, v2),
                 f"step t = {t}, p of shape {p.shape}, lr {o.lr:.3g}, beta1 {o.beta1:.3g}, beta2 {o.beta2:.4g}"
                 + (", tiny gradients" if np.abs(g).max() < 1e-6 else ""))
            for p, g, (m, v), t, p2, (m2, v2), o in _trajectories(rng, make, ["m", "v"])]


check_adam_update = hidden_check("adam_update", _adam_cases, _verify(["p", "m", "v"]), seed=44)
