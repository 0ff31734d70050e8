"""The book's five optimizers as Keras optimizers: the update rules of chapter 5, exactly.

With learning rate eta, gradient g, step t = 1, 2, ... (as in :mod:`course_lib.numpy.optim`):

* SGD:       p <- p - eta g
* Momentum:  v <- mu v - eta g;                 p <- p + v
* Nesterov:  v <- mu v - eta g;                 p <- p + mu v - eta g
* Adagrad:   G <- G + g^2;                      p <- p - eta g / (sqrt(G) + eps)
* RMSprop:   s <- rho s + (1 - rho) g^2;        p <- p - eta g / (sqrt(s) + eps)
* Adam:      m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;
             p <- p - eta m_hat / (sqrt(v_hat) + eps),  m_hat = m / (1 - b1^t),  v_hat = v / (1 - b2^t)
* AdamW:     Adam's m, v;  p <- p - eta (m_hat / (sqrt(v_hat) + eps) + lambda p)

Every one takes ``schedule=``, one of the schedules of :mod:`course_lib.numpy.optim` (the same
functions, evaluated with ``keras.ops`` on the step counter): step t uses eta * schedule(t).

Why not Keras's own: its Adagrad and RMSprop divide by sqrt(G + eps), eps *inside* the
root, and its Adam adds eps before the bias correction (eps_hat = eps sqrt(1 - b2^t)),
so one step differs from NumPy's and PyTorch's by 1e-4 to 1e-2 (relative) where
gradients are small. Keras's SGD with momentum is this rule already; it is written out
here as well so that the five read alike.

Dtypes: every state variable has its parameter's dtype and every constant (mu, rho, b1,
b2, eps) is a Python float applied in that dtype. The learning rate is a Keras variable
of dtype ``dtype`` (Keras would make it ``keras.config.floatx()``, float32, and round,
say, 0.05 in a float64 model).
"""

from __future__ import annotations

from types import SimpleNamespace

import keras
from keras import ops

__all__ = ["SGD", "Momentum", "Nesterov", "Adagrad", "RMSprop", "Adam", "AdamW", "Scheduled", "OPTIMIZERS"]


def _ops_in(dtype: str) -> SimpleNamespace:
    """The four operations a schedule uses, on tensors of ``dtype`` that stay in ``dtype``.

    Not ``keras.ops.floor`` and ``keras.ops.minimum`` themselves: on the torch backend they return
    float32 for float64 inputs (Keras 3.15), which costs 1e-7 of agreement in a float64 model.
    """
    def tensor(x):
        return ops.convert_to_tensor(x, dtype=dtype)

    def minimum(a, b):
        a, b = tensor(a), tensor(b)
        return ops.where(a < b, a, b)

    def maximum(a, b):
        a, b = tensor(a), tensor(b)
        return ops.where(a > b, a, b)

    def floor(x):
        x = tensor(x)
        return x - ops.mod(x, tensor(1.0))   # x >= 0 here: the steps count up from 0

    return SimpleNamespace(cos=lambda x: ops.cos(tensor(x)), floor=floor, minimum=minimum, maximum=maximum)


class Scheduled(keras.optimizers.schedules.LearningRateSchedule):
    """eta * schedule(t) at step t (the steps already taken), for a schedule of course_lib.numpy.optim."""

    def __init__(self, learning_rate: float, schedule, dtype: str = "float32"):
        self.learning_rate, self.schedule, self.dtype = float(learning_rate), schedule, dtype

    def __call__(self, step):
        t = ops.cast(step, self.dtype)
        factor = ops.convert_to_tensor(self.schedule(t, ops=_ops_in(self.dtype)), dtype=self.dtype)
        return ops.convert_to_tensor(self.learning_rate, dtype=self.dtype) * factor

    def get_config(self):
        return {"learning_rate": self.learning_rate, "dtype": self.dtype}


class BookOptimizer(keras.optimizers.Optimizer):
    """Base class: a Keras optimizer whose ``update_step`` is one formula of the book.

    Subclasses list their state in :attr:`slots` (one variable per slot and parameter,
    zeros of the parameter's shape and dtype) and write :meth:`rule`.
    """

    slots: tuple[str, ...] = ()

    def __init__(self, learning_rate: float, dtype: str = "float32", name: str | None = None, schedule=None,
                 **kwargs):
        if not learning_rate > 0:
            raise ValueError(f"learning rate must be > 0; got {learning_rate}")
        rate = float(learning_rate) if schedule is None else Scheduled(learning_rate, schedule, dtype)
        floatx = keras.config.floatx()
        keras.config.set_floatx(dtype)  # the learning-rate variable takes floatx's dtype
        try:
            super().__init__(learning_rate=rate, name=name, **kwargs)
        finally:
            keras.config.set_floatx(floatx)

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self._state = {
            slot: [self.add_variable_from_reference(reference_variable=v, name=slot) for v in variables]
            for slot in self.slots
        }

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        state = {slot: self._state[slot][i] for slot in self.slots}
        dtype = variable.dtype
        gradient = ops.cast(gradient, dtype)
        t = ops.cast(self.iterations + 1, dtype)  # iterations counts the steps already taken
        self.rule(variable, gradient, ops.cast(learning_rate, dtype), t, state)

    @staticmethod
    def const(x: float, like):
        """The Python float ``x`` as a tensor of ``like``'s dtype, exactly.

        Not ``0.9 * v``, nor ``cast(0.9, dtype)``: both backends may first make 0.9 a
        float32 constant (0.89999998), which costs 1e-8 of agreement in a float64 model.
        """
        return ops.convert_to_tensor(x, dtype=like.dtype)

    def rule(self, p, g, lr, t, state) -> None:
        raise NotImplementedError


class SGD(BookOptimizer):
    """p <- p - eta g."""

    def __init__(self, learning_rate: float = 0.01, **kwargs):
        super().__init__(learning_rate, **kwargs)

    def rule(self, p, g, lr, t, state):
        self.assign_sub(p, lr * g)


class Momentum(BookOptimizer):
    """v <- mu v - eta g;  p <- p + v."""

    slots = ("velocity",)

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.9, **kwargs):
        super().__init__(learning_rate, **kwargs)  # first: Keras's tracking needs it
        self.momentum = float(momentum)

    def rule(self, p, g, lr, t, state):
        v = state["velocity"]
        self.assign(v, self.const(self.momentum, p) * v - lr * g)
        self.assign_add(p, v)


class Nesterov(Momentum):
    """v <- mu v - eta g;  p <- p + mu v - eta g (Keras's SGD(nesterov=True) is this rule too)."""

    def rule(self, p, g, lr, t, state):
        v = state["velocity"]
        self.assign(v, self.const(self.momentum, p) * v - lr * g)
        self.assign_add(p, self.const(self.momentum, p) * v - lr * g)


class Adagrad(BookOptimizer):
    """G <- G + g^2;  p <- p - eta g / (sqrt(G) + eps): eps outside the root, G from 0."""

    slots = ("accumulator",)

    def __init__(self, learning_rate: float = 0.01, epsilon: float = 1e-8, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.epsilon = float(epsilon)

    def rule(self, p, g, lr, t, state):
        G = state["accumulator"]
        self.assign_add(G, g * g)
        self.assign_sub(p, lr * g / (ops.sqrt(G) + self.const(self.epsilon, p)))


class RMSprop(BookOptimizer):
    """s <- rho s + (1 - rho) g^2;  p <- p - eta g / (sqrt(s) + eps): eps outside the root."""

    slots = ("average",)

    def __init__(self, learning_rate: float = 0.001, rho: float = 0.9, epsilon: float = 1e-8, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.rho, self.epsilon = float(rho), float(epsilon)

    def rule(self, p, g, lr, t, state):
        s, rho = state["average"], self.const(self.rho, p)
        self.assign(s, rho * s + self.const(1 - self.rho, p) * (g * g))
        self.assign_sub(p, lr * g / (ops.sqrt(s) + self.const(self.epsilon, p)))


class Adam(BookOptimizer):
    """Adam (Kingma & Ba 2015) with the paper's bias correction; eps added to sqrt(v_hat)."""

    slots = ("m", "v")

    def __init__(self, learning_rate: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-8, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)

    def rule(self, p, g, lr, t, state):
        m, v = state["m"], state["v"]
        b1, b2 = self.const(self.beta_1, p), self.const(self.beta_2, p)
        self.assign(m, b1 * m + self.const(1 - self.beta_1, p) * g)
        self.assign(v, b2 * v + self.const(1 - self.beta_2, p) * (g * g))
        m_hat = m / (1 - ops.power(b1, t))  # the bias corrections 1 - b^t
        v_hat = v / (1 - ops.power(b2, t))
        self.assign_sub(p, lr * m_hat / (ops.sqrt(v_hat) + self.const(self.epsilon, p)))


class AdamW(Adam):
    """Adam with decoupled weight decay: p <- p - eta (m_hat / (sqrt(v_hat) + eps) + lambda p).

    The decay is held as ``decay``, not as Keras's ``weight_decay``, which Keras's base class
    would apply once more (Keras 3's own ``Adam(weight_decay=...)`` is decoupled in this way).
    """

    def __init__(self, learning_rate: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-8, weight_decay: float = 0.01, **kwargs):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, **kwargs)
        if not weight_decay >= 0:
            raise ValueError(f"weight_decay must be >= 0; got {weight_decay}")
        self.decay = float(weight_decay)

    def rule(self, p, g, lr, t, state):
        self.assign_sub(p, lr * self.const(self.decay, p) * p)   # from the p the gradient was taken at
        super().rule(p, g, lr, t, state)                         # Adam's step does not depend on p


#: name -> class, the names of :func:`course_lib.numpy.make_optimizer`
OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "nesterov": Nesterov, "adagrad": Adagrad, "rmsprop": RMSprop,
              "adam": Adam, "adamw": AdamW}
