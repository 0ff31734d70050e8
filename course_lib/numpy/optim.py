"""Gradient-based optimizers with one interface (chapter 5).

``opt.step(params, grads)`` updates ``params`` *in place* from ``grads``;
both are one array or lists of arrays of matching shapes (an :class:`MLP`
passes its flat buffers, so the whole network is one array). ``opt.reset()``
forgets the accumulated state (velocities, running averages, step count).

With learning rate eta, gradient g, step t = 1, 2, ...:

* SGD:       p <- p - eta g
* Momentum:  v <- mu v - eta g;                 p <- p + v
* Nesterov:  v <- mu v - eta g;                 p <- p + mu v - eta g
             (momentum with the gradient taken at the look-ahead point; p here is that point)
* Adagrad:   G <- G + g^2;                      p <- p - eta g / (sqrt(G) + eps)
* RMSprop:   s <- rho s + (1 - rho) g^2;        p <- p - eta g / (sqrt(s) + eps)
* Adam:      m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;
             p <- p - eta m_hat / (sqrt(v_hat) + eps),  m_hat = m / (1 - b1^t),  v_hat = v / (1 - b2^t)
* AdamW:     Adam's m, v;  p <- p - eta (m_hat / (sqrt(v_hat) + eps) + lambda p)
             (decoupled weight decay, Loshchilov & Hutter 2019: the decay is not divided by sqrt(v_hat))

Schedules. Every optimizer takes ``schedule=``, a function of the step t = 0, 1, 2, ...
(the steps already taken) that returns a factor: step t uses eta_t = eta * schedule(t). The
schedules :func:`step_decay`, :func:`cosine` and :func:`warmup` are written here once, for any
framework: each takes ``ops=`` (Python's math here, ``keras.ops`` in :mod:`course_lib.keras.optim`)
and PyTorch calls them with plain ints (:mod:`course_lib.torch.optim`).

The in-place forms below compute exactly these formulas without allocating
temporaries on every step (each state array has a scratch buffer of its own).
Hyperparameters are kept as Python floats: a NumPy float64 scalar (say a learning
rate taken from ``np.logspace``) would make NumPy run every float32 pass in float64,
with a cast in and out, at about twice the cost.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from types import SimpleNamespace

import numpy as np

from course_lib.validate import check_choice


def _as_list(arrays):
    return [arrays] if isinstance(arrays, np.ndarray) else list(arrays)


class Optimizer:
    """Base class: keeps one state per parameter array, created on the first step."""

    def __init__(self, lr: float, schedule: Callable[[int], float] | None = None):
        if not lr > 0:
            raise ValueError(f"learning rate must be > 0; got {lr}")
        if schedule is not None and not callable(schedule):
            raise ValueError(f"schedule must be a function of the step, like cosine(1000); got {schedule!r}")
        self.lr = self.base_lr = float(lr)
        self.schedule = schedule
        self.reset()

    def reset(self) -> None:
        self.t = 0
        self.state: list[dict[str, np.ndarray]] = []

    def step(self, params, grads) -> None:
        params, grads = _as_list(params), _as_list(grads)
        if len(params) != len(grads) or any(p.shape != g.shape for p, g in zip(params, grads)):
            raise ValueError(
                f"params and grads must match: shapes {[p.shape for p in params]} vs {[g.shape for g in grads]}"
            )
        if not self.state:
            self.state = [self.init_state(p) for p in params]
        if self.schedule is not None:   # the rate of this step, from the steps taken so far
            self.lr = self.base_lr * float(self.schedule(self.t))
        self.t += 1
        for p, g, s in zip(params, grads, self.state):
            self.update(p, g, s)

    def init_state(self, p: np.ndarray) -> dict[str, np.ndarray]:
        return {}

    def update(self, p, g, state) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        hidden = ("t", "state", "lr", "base_lr", "schedule")
        args = ", ".join([f"lr={self.base_lr}"] + [f"{k}={v}" for k, v in vars(self).items() if k not in hidden])
        if self.schedule is not None:   # step_decay, cosine, warmup: the name of the function that made it
            args += f", schedule={getattr(self.schedule, '__qualname__', repr(self.schedule)).split('.')[0]}"

        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    def __init__(self, lr: float = 0.01, schedule=None):
        super().__init__(lr, schedule)

    def init_state(self, p):
        return {"tmp": np.empty_like(p)}

    def update(self, p, g, state):
        tmp = np.multiply(g, self.lr, out=state["tmp"])  # eta g, without a fresh array each step
        p -= tmp


class Momentum(Optimizer):
    def __init__(self, lr: float = 0.01, momentum: float = 0.9, schedule=None):
        self.momentum = float(momentum)
        super().__init__(lr, schedule)

    def init_state(self, p):
        return {"v": np.zeros_like(p), "tmp": np.empty_like(p)}

    def update(self, p, g, state):
        v, tmp = state["v"], state["tmp"]
        v *= self.momentum
        v -= np.multiply(g, self.lr, out=tmp)
        p += v


class Nesterov(Momentum):
    """Nesterov momentum (Sutskever et al. 2013's form): v <- mu v - eta g;  p <- p + mu v - eta g.

    The look-ahead rule v <- mu v - eta grad C(theta + mu v), theta <- theta + v, rewritten for
    the look-ahead point p = theta + mu v, so that the gradient is taken at the parameters held.
    """

    def update(self, p, g, state):
        v, tmp = state["v"], state["tmp"]
        np.multiply(g, self.lr, out=tmp)      # eta g
        v *= self.momentum
        v -= tmp                              # v <- mu v - eta g
        p -= tmp
        p += np.multiply(v, self.momentum, out=tmp)


class Adagrad(Optimizer):
    def __init__(self, lr: float = 0.01, eps: float = 1e-8, schedule=None):
        self.eps = float(eps)
        super().__init__(lr, schedule)

    def init_state(self, p):
        return {"G": np.zeros_like(p), "tmp": np.empty_like(p)}

    def update(self, p, g, state):
        G, tmp = state["G"], state["tmp"]
        G += np.multiply(g, g, out=tmp)
        np.sqrt(G, out=tmp)
        tmp += self.eps
        np.divide(g, tmp, out=tmp)
        tmp *= self.lr
        p -= tmp


class RMSprop(Optimizer):
    def __init__(self, lr: float = 0.001, rho: float = 0.9, eps: float = 1e-8, schedule=None):
        self.rho, self.eps = float(rho), float(eps)
        super().__init__(lr, schedule)

    def init_state(self, p):
        return {"s": np.zeros_like(p), "tmp": np.empty_like(p)}

    def update(self, p, g, state):
        s, tmp = state["s"], state["tmp"]
        s *= self.rho
        np.multiply(g, g, out=tmp)
        tmp *= 1 - self.rho
        s += tmp
        np.sqrt(s, out=tmp)
        tmp += self.eps
        np.divide(g, tmp, out=tmp)
        tmp *= self.lr
        p -= tmp


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015), with the bias correction of the paper."""

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
                 schedule=None):
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)
        super().__init__(lr, schedule)

    def init_state(self, p):
        # M and V are Adam's moments m and v scaled by 1 / (1 - b1) and 1 / (1 - b2): see update.
        return {"M": np.zeros_like(p), "V": np.zeros_like(p), "tmp": np.empty_like(p)}

    def moments(self, i: int = 0):
        """Adam's running averages ``(m, v)`` of parameter array ``i``, as the update rule defines them."""
        state = self.state[i]
        return (1 - self.beta1) * state["M"], (1 - self.beta2) * state["V"]

    def update(self, p, g, state):
        M, V, tmp = state["M"], state["V"], state["tmp"]
        b1, b2 = self.beta1, self.beta2
        # The running averages m <- b1 m + (1 - b1) g and v <- b2 v + (1 - b2) g^2 take three
        # array passes each. Kept as M = m / (1 - b1) and V = v / (1 - b2) they read
        #   M <- b1 M + g   and   V <- b2 V + g^2      (two and three passes),
        # and the factors (1 - b1), (1 - b2) move into the scalars of the step below.
        M *= b1
        M += g
        np.multiply(g, g, out=tmp)
        V *= b2
        V += tmp
        # The step eta m_hat / (sqrt(v_hat) + eps), with m_hat = m / c1, v_hat = v / c2 and
        # c = 1 - b^t, is in terms of M and V, with k = sqrt((1 - b2) / c2):
        #   (eta (1 - b1) / (c1 k)) * M / (sqrt(V) + eps / k)
        # one scalar factor and one scalar shift: five passes, twelve in all before this rewrite.
        # math.sqrt, not np.sqrt: the scalars stay Python floats (see the module docstring).
        c1, c2 = 1 - b1**self.t, 1 - b2**self.t
        k = math.sqrt((1 - b2) / c2)
        np.sqrt(V, out=tmp)
        tmp += self.eps / k
        np.divide(M, tmp, out=tmp)
        tmp *= self.lr * (1 - b1) / (c1 * k)
        p -= tmp


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter 2019):
    p <- p - eta (m_hat / (sqrt(v_hat) + eps) + lambda p).

    L2 regularisation under Adam adds lambda p to the *gradient*, which Adam then divides by
    sqrt(v_hat): weights with large gradients are barely decayed. Here the decay bypasses the
    moments and shrinks every weight by the same factor 1 - eta lambda per step (PyTorch's and
    Keras's AdamW: the decay is scaled by the current rate, schedule included).
    """

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
                 weight_decay: float = 0.01, schedule=None):
        if not weight_decay >= 0:
            raise ValueError(f"weight_decay must be >= 0; got {weight_decay}")
        self.weight_decay = float(weight_decay)
        super().__init__(lr, beta1, beta2, eps, schedule)

    def update(self, p, g, state):
        p *= 1.0 - self.lr * self.weight_decay   # p - eta lambda p, from the p the gradient was taken at
        super().update(p, g, state)              # Adam's step does not depend on p


# --------------------------------------------------------------------------- schedules
# Each returns a function schedule(t, ops=...) of the step t = 0, 1, ... (steps already taken): the
# factor of the base rate at that step. ``ops`` provides cos, floor, minimum, maximum: Python's
# below, keras.ops in course_lib.keras.optim (t is then a tensor), so each rule is written once.

PYTHON_OPS = SimpleNamespace(cos=math.cos, floor=math.floor, minimum=min, maximum=max)


def step_decay(every: int, factor: float = 0.1):
    """Multiply the rate by ``factor`` every ``every`` steps: factor ** floor(t / every)."""
    if not every >= 1 or not 0 < factor <= 1:
        raise ValueError(f"step_decay needs every >= 1 and 0 < factor <= 1; got {every}, {factor}")

    def schedule(t, ops=PYTHON_OPS):
        return factor ** ops.floor(t / every)
    return schedule


def cosine(total: int, final: float = 0.0):
    """Cosine decay from 1 to ``final`` over ``total`` steps, then ``final``:
    final + (1 - final) (1 + cos(pi min(t, total) / total)) / 2."""
    if not total >= 1 or not 0 <= final <= 1:
        raise ValueError(f"cosine needs total >= 1 and 0 <= final <= 1; got {total}, {final}")

    def schedule(t, ops=PYTHON_OPS):
        return final + (1 - final) * 0.5 * (1 + ops.cos(math.pi * ops.minimum(t, total) / total))
    return schedule


def warmup(steps: int, then=None):
    """Linear warm-up over ``steps`` steps, factor (t + 1) / steps, then the schedule ``then``
    (default: constant 1) started afresh: then(t - steps). ``then`` must start at 1."""
    if not steps >= 1:
        raise ValueError(f"warmup needs steps >= 1; got {steps}")

    def schedule(t, ops=PYTHON_OPS):
        ramp = ops.minimum((t + 1) / steps, 1.0)
        return ramp if then is None else ramp * then(ops.maximum(t - steps, 0), ops=ops)
    return schedule


OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "nesterov": Nesterov, "adagrad": Adagrad, "rmsprop": RMSprop,
              "adam": Adam, "adamw": AdamW}


def make_optimizer(name: str, **kwargs) -> Optimizer:
    """An optimizer by name: ``make_optimizer("adam", lr=1e-3)``."""
    check_choice("optimizer", name.lower(), OPTIMIZERS)
    return OPTIMIZERS[name.lower()](**kwargs)
