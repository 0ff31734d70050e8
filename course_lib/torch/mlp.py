"""The NumPy MLP as a PyTorch ``nn.Module``: same specification, same weights, same numbers.

The forward pass is the loop of :mod:`course_lib.numpy.mlp`,

    z^l = a^{l-1} W^l + b^l,      a^l = f_l(z^l),

but there is no backward pass to write: autograd records the operations and
``loss.backward()`` applies the chain rule (chapter 4) for us.

One difference to remember: ``nn.Linear`` stores its weight as (n_out, n_in)
and computes ``x @ weight.T + bias``. So ``layer.weight`` is W^T, and
:func:`get_weights` / :func:`set_weights` transpose it to and from the
course's (n_in, n_out) exchange format.

Computes in the model's dtype (float32 or float64) on every device: products, activations
and losses alike (Apple's MPS has no float64; :func:`~course_lib.torch.fit` then trains on the CPU).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from course_lib.numpy.init import init_params
from course_lib.spec import ELU_ALPHA, LEAKY_RELU_SLOPE, MLPSpec
from course_lib.validate import TARGET_KINDS, check_targets, check_weights

_DTYPES = {"float32": torch.float32, "float64": torch.float64}


def as_torch_dtype(dtype) -> torch.dtype:
    """``torch.float32`` or ``torch.float64`` from a torch dtype, a NumPy dtype or a name."""
    name = str(dtype).removeprefix("torch.") if isinstance(dtype, torch.dtype) else np.dtype(dtype).name
    if name not in _DTYPES:
        raise ValueError(f"dtype must be float32 or float64; got {dtype}")
    return _DTYPES[name]


def make_activation(name: str) -> nn.Module:
    """The ``nn.Module`` for an activation name of :data:`course_lib.spec.ACTIVATION_NAMES`."""
    modules = {
        "identity": nn.Identity,
        "sigmoid": nn.Sigmoid,
        "tanh": nn.Tanh,
        "relu": nn.ReLU,
        "leaky_relu": lambda: nn.LeakyReLU(LEAKY_RELU_SLOPE),  # torch's default slope is also 0.01; say it
        "elu": lambda: nn.ELU(ELU_ALPHA),
        "softmax": lambda: nn.Softmax(dim=1),  # always give dim: rows are samples, columns classes
    }
    return modules[name]()


# ---------------------------------------------------------------------- losses
# Each loss takes the network output (N, K) and targets, and is a mean over the
# N samples, exactly as in course_lib.numpy.losses.

def targets(out: torch.Tensor, y, loss: str) -> torch.Tensor:
    """Targets for ``loss``, on ``out``'s device, read by the one rule of
    :func:`course_lib.validate.check_targets`.

    Integer labels (N,) of a cross-entropy stay labels (int64, what ``F.cross_entropy``
    expects); everything else becomes float rows (N, K) in ``out``'s dtype. Targets that
    :func:`~course_lib.numpy.train.check_training_data` has already read (the training
    loop's) only change dtype and device: no copy to the CPU and back per batch.
    """
    y = torch.as_tensor(y, device=out.device)
    k = out.shape[1]
    read = y.ndim == 2 and y.shape[1] == k and torch.is_floating_point(y)
    labels = y.ndim == 1 and not torch.is_floating_point(y) and TARGET_KINDS[loss] == "classes" and k > 1
    if not (read or labels):  # raw targets from a caller: through the rule (on the CPU)
        y = torch.as_tensor(check_targets(loss, y.cpu().numpy(), k), device=out.device)
    if y.ndim == 1:
        return y.long()
    if y.shape[0] != out.shape[0]:
        raise ValueError(f"one target per sample expected: {out.shape[0]} outputs, {y.shape[0]} targets")
    return y.to(out.dtype)


def mse(out, y):
    """mean((out - y)^2) over all N*K entries (``F.mse_loss``'s default 'mean')."""
    return F.mse_loss(out, y)


def binary_cross_entropy(p, y):
    """-mean(y log p + (1 - y) log(1 - p)) for sigmoid outputs ``p`` (N, K).

    torch clamps each log at -100. A network does not use it: see
    :func:`sigmoid_binary_cross_entropy`.
    """
    return F.binary_cross_entropy(p, y)


def sigmoid_binary_cross_entropy(z, y):
    """Binary cross-entropy on logits ``z`` (N, K), fused with the sigmoid:
    ``F.binary_cross_entropy_with_logits``, exact for every finite z (mean over N K entries)."""
    return F.binary_cross_entropy_with_logits(z, y)


def cross_entropy(p, y, eps: float = 1e-12):
    """-(1/N) sum_n sum_k y_nk log p_nk for softmax outputs ``p`` (N, K), labels or rows ``y``.

    Written out: ``F.cross_entropy`` would apply a second softmax to ``p``. A network
    with a softmax output does not use it: see :func:`softmax_cross_entropy`.
    """
    if y.ndim == 1:
        y = F.one_hot(y, p.shape[1]).to(p.dtype)
    return -(y * torch.log(p.clamp_min(eps))).sum() / p.shape[0]


def softmax_cross_entropy(z, y):
    """Softmax and cross-entropy fused, on logits ``z`` (N, K): ``F.cross_entropy``.

    ``y`` is labels (N,) or probability rows (N, K). Never put a softmax layer
    before it: it expects logits.
    """
    return F.cross_entropy(z, y)


#: The loss of the network output a^L, by loss name.
LOSSES = {
    "mse": mse,
    "binary_cross_entropy": binary_cross_entropy,
    "cross_entropy": cross_entropy,
    "softmax_cross_entropy": softmax_cross_entropy,
}
#: The fused losses of :data:`course_lib.spec.LOGIT_LOSSES`, on the logits z^L: what the MLP trains with.
LOGIT_LOSSES = {
    "sigmoid_binary_cross_entropy": sigmoid_binary_cross_entropy,
    "softmax_cross_entropy": softmax_cross_entropy,
}


# ---------------------------------------------------------------------- the network
class MLP(nn.Module):
    """A fully connected network built from an :class:`~course_lib.spec.MLPSpec`.

    Parameters
    ----------
    spec : MLPSpec
    dtype : float32 (the default) or float64; a torch dtype, a NumPy dtype or a name.
    params : optional ``[(W^1, b^1), ...]`` with W^l (n_{l-1}, n_l), to start from
        instead of ``course_lib.numpy.init.init_params(spec)``.

    Attributes
    ----------
    layers : ``nn.ModuleList`` of L ``nn.Linear``; ``layers[l].weight`` is (W^{l+1})^T, (n_{l+1}, n_l).
    activations : ``nn.ModuleList`` of the L activation modules.
    """

    def __init__(self, spec: MLPSpec, dtype=torch.float32, params=None):
        super().__init__()
        self.spec = spec
        self.dtype = as_torch_dtype(dtype)
        self.layers = nn.ModuleList(
            nn.Linear(n_in, n_out, dtype=self.dtype) for n_in, n_out in zip(spec.sizes[:-1], spec.sizes[1:])
        )
        self.activations = nn.ModuleList(make_activation(name) for name in spec.activations)
        self.loss_fn = LOSSES[spec.loss]                        # on the output a^L
        self.logits_loss = LOGIT_LOSSES.get(spec.logits_loss)   # fused, on z^L (None for the MSE)
        # Not torch's own initialisation: the course's, so the three frameworks start equal.
        self.set_weights(init_params(spec) if params is None else params)

    @property
    def loss_name(self) -> str:
        return self.spec.loss

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (N, n_0) -> a^L (N, n_L): logits when the loss is ``softmax_cross_entropy``,
        probabilities after a sigmoid or softmax output."""
        return self.activations[-1](self.logits(x))

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """x (N, n_0) -> z^L (N, n_L), the output layer before its activation."""
        a = x
        for layer, f in zip(self.layers[:-1], self.activations[:-1]):
            a = f(layer(a))  # z^l = a^{l-1} W^l + b^l, a^l = f_l(z^l)
        return self.layers[-1](a)

    def penalty(self) -> torch.Tensor:
        """(l2 / 2) sum_l ||W^l||^2, biases not penalised.

        Added to the loss explicitly rather than through ``weight_decay=``: in
        Adam, weight decay is not the gradient of this term (and it would also
        decay the biases), so the numbers would no longer match NumPy's.
        """
        if not self.spec.l2:
            return torch.zeros((), dtype=self.dtype, device=self.layers[0].weight.device)
        return 0.5 * self.spec.l2 * sum((layer.weight**2).sum() for layer in self.layers)

    def objective(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Mean data loss of the output ``out`` = a^L (N, n_L) against ``y``, plus the L2 penalty.

        For a caller who has only a^L; training uses :meth:`objective_from_logits`.
        """
        return self.loss_fn(out, targets(out, y, self.spec.loss)) + self.penalty()

    def objective_from_logits(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The training objective from z^L (N, n_L): mean data loss plus the L2 penalty.

        A sigmoid or softmax output and its cross-entropy are one fused function of the
        logits (:data:`course_lib.spec.LOGIT_LOSSES`), exact where a^L has rounded to 0 or 1;
        the MSE is taken of a^L = f_L(z^L).
        """
        y = targets(z, y, self.spec.loss)
        if self.logits_loss is not None:
            return self.logits_loss(z, y) + self.penalty()
        return self.loss_fn(self.activations[-1](z), y) + self.penalty()

    def loss(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The training objective on a batch ``x`` (N, n_0): a scalar tensor.

        Call ``.backward()`` on it to fill every ``parameter.grad``.
        """
        return self.objective_from_logits(self.logits(x), y)

    # ------------------------------------------------------------------ weights
    def get_weights(self):
        """``[(W^1, b^1), ...]`` as float64 NumPy copies, W^l (n_{l-1}, n_l): the exchange format."""
        return [
            (layer.weight.detach().cpu().double().numpy().T.copy(), layer.bias.detach().cpu().double().numpy().copy())
            for layer in self.layers
        ]

    def set_weights(self, params) -> None:
        """Copy ``[(W^1, b^1), ...]`` (W^l of shape (n_{l-1}, n_l)) into the layers, checking shapes."""
        params = check_weights(params, self.spec.shapes())
        with torch.no_grad():  # an assignment, not part of any computation to differentiate
            for (W, b), layer in zip(params, self.layers):
                layer.weight.copy_(torch.from_numpy(np.ascontiguousarray(W.T)))  # nn.Linear keeps W^T
                layer.bias.copy_(torch.from_numpy(np.ascontiguousarray(b)))

    def extra_repr(self) -> str:
        return f"loss={self.spec.loss}, l2={self.spec.l2}, dtype={self.dtype}"


def get_weights(model: MLP):
    """``[(W^1, b^1), ...]``, float64, W^l (n_{l-1}, n_l): the same call in every framework."""
    return model.get_weights()


def set_weights(model: MLP, params) -> None:
    """Load ``[(W^1, b^1), ...]`` (from any framework's :func:`get_weights`) into ``model``."""
    model.set_weights(params)
