"""The book's update rules in PyTorch where ``torch.optim`` differs or lacks them (chapter 5).

With learning rate eta_t = eta * schedule(t), gradient g (as in :mod:`course_lib.numpy.optim`):

* :class:`Momentum`   v <- mu v - eta_t g;  p <- p + v
* :class:`Nesterov`   v <- mu v - eta_t g;  p <- p + mu v - eta_t g
* :class:`AdamW`      Adam's m, v;  p <- p - eta_t (m_hat / (sqrt(v_hat) + eps) + lambda p)
* :func:`scheduler`   eta_t from the schedules of :mod:`course_lib.numpy.optim` (``step_decay``,
  ``cosine``, ``warmup``), the same functions, through ``torch.optim.lr_scheduler.LambdaLR``

Why not ``torch.optim.SGD(momentum=mu, nesterov=...)``: PyTorch keeps the velocity in units of
the gradient, b <- mu b + g, and steps p <- p - eta_t b (Nesterov: p <- p - eta_t (g + mu b)).
With a constant rate that is the book's rule (v = -eta b). When the rate changes, PyTorch
rescales the whole accumulated velocity by the new rate at once, while the book's velocity keeps
the rates its gradients were taken with: after a step decay by 10, PyTorch's next step is 10 times
smaller, the book's shrinks gradually. ``tests/test_optim_schedules.py`` shows both facts.

``AdamW`` is ``torch.optim.AdamW``: its update is the book's rule (tested), with the book's defaults.
"""

from __future__ import annotations

import torch

from course_lib.numpy.optim import cosine, step_decay, warmup

__all__ = ["Momentum", "Nesterov", "AdamW", "scheduler", "step_decay", "cosine", "warmup"]


class Momentum(torch.optim.Optimizer):
    """The book's momentum: v <- mu v - eta g;  p <- p + v (velocity in units of the parameters)."""

    nesterov = False

    def __init__(self, params, lr: float = 0.01, momentum: float = 0.9):
        if not lr > 0:
            raise ValueError(f"learning rate must be > 0; got {lr}")
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in [0, 1); got {momentum}")
        super().__init__(params, {"lr": float(lr), "momentum": float(momentum)})

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, mu = group["lr"], group["momentum"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if "velocity" not in state:
                    state["velocity"] = torch.zeros_like(p)
                v = state["velocity"]
                v.mul_(mu).add_(p.grad, alpha=-lr)                 # v <- mu v - eta g
                if self.nesterov:
                    p.add_(v, alpha=mu).add_(p.grad, alpha=-lr)    # p <- p + mu v - eta g
                else:
                    p.add_(v)                                      # p <- p + v
        return loss


class Nesterov(Momentum):
    """Nesterov momentum at the look-ahead point: v <- mu v - eta g;  p <- p + mu v - eta g."""

    nesterov = True


class AdamW(torch.optim.AdamW):
    """``torch.optim.AdamW`` with the book's names and defaults (eps 1e-8, weight decay 0.01):
    p <- p - eta (m_hat / (sqrt(v_hat) + eps) + lambda p)."""

    def __init__(self, params, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
                 weight_decay: float = 0.01):
        super().__init__(params, lr=lr, betas=(beta1, beta2), eps=eps, weight_decay=weight_decay)


def scheduler(optimizer: torch.optim.Optimizer, schedule) -> torch.optim.lr_scheduler.LambdaLR:
    """Step t uses eta * schedule(t): call ``.step()`` on the result after every ``optimizer.step()``."""
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda t: float(schedule(t)))
