"""The framework-neutral description of a fully connected network.

A :class:`MLPSpec` is all that :mod:`course_lib.numpy`, :mod:`course_lib.torch`
and :mod:`course_lib.keras` need to build the *same* network: given the same
spec (and the same weights) they produce the same outputs and gradients.

Notation used in the whole book (chapter 1): layer ``l = 1..L`` computes

    z^l = a^{l-1} W^l + b^l,        a^l = f_l(z^l),        a^0 = x,

with a batch of ``N`` inputs stored row-wise (batch-first):
``a^{l-1}`` is (N, n_{l-1}), ``W^l`` is (n_{l-1}, n_l), ``b^l`` is (n_l,).
``W^l[j, k]`` connects unit ``j`` of layer ``l-1`` to unit ``k`` of layer ``l``.

Two rules are written here once for the three frameworks: a sigmoid or softmax output
and its cross-entropy are computed together from the logits z^L (:data:`LOGIT_LOSSES`,
:attr:`MLPSpec.logits_loss`), and which losses classify (:func:`is_classifier`). How
inputs and targets are read is the other shared rule, in :mod:`course_lib.validate`.
"""

from __future__ import annotations

from dataclasses import dataclass

from course_lib.validate import check_choice

#: Activation names understood by every framework part of course_lib.
ACTIVATION_NAMES = ("identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softmax")
#: Loss names. ``softmax_cross_entropy`` takes logits (the last activation must be ``identity``);
#: ``binary_cross_entropy`` follows a sigmoid output and ``cross_entropy`` a softmax output, and
#: both are computed from the logits all the same (:data:`LOGIT_LOSSES`).
LOSS_NAMES = ("mse", "binary_cross_entropy", "cross_entropy", "softmax_cross_entropy")
#: Weight initializers: N(0, init_scale^2), Glorot/Xavier uniform, He normal.
INIT_NAMES = ("normal", "glorot", "he")

#: The one rule for classification outputs, used by NumPy, PyTorch and Keras alike:
#: a sigmoid or softmax output and its cross-entropy are computed as *one* function of
#: the logits z^L (the output layer's pre-activation). (output activation, loss) -> the
#: fused loss on logits. Why: sigma(20) rounds to 1 in float32, so log(1 - p) is log(0)
#: however p is clipped, while from the logits log(1 - sigma(z)) = -logaddexp(0, z) is
#: exact for every finite z. The network's output a^L stays the probabilities.
LOGIT_LOSSES = {
    ("sigmoid", "binary_cross_entropy"): "sigmoid_binary_cross_entropy",
    ("softmax", "cross_entropy"): "softmax_cross_entropy",
    ("identity", "softmax_cross_entropy"): "softmax_cross_entropy",  # the network outputs the logits themselves
}

LEAKY_RELU_SLOPE = 0.01
ELU_ALPHA = 1.0


def is_classifier(loss: str) -> bool:
    """Every loss but the MSE is a cross-entropy: a network trained with it classifies."""
    return loss != "mse"


@dataclass(frozen=True)
class MLPSpec:
    """A multilayer perceptron, described once for all frameworks.

    Parameters
    ----------
    sizes : sequence of int
        ``[n_0, n_1, ..., n_L]``: inputs, hidden widths, outputs. At least two entries.
    activations : sequence of str, or str
        One per layer (``L`` names); a single name is used for every hidden
        layer and ``"identity"`` for the output layer.
    loss : str
        One of :data:`LOSS_NAMES`.
    init : str
        One of :data:`INIT_NAMES`; biases always start at zero.
    init_scale : float
        Standard deviation for ``init="normal"``.
    l2 : float
        L2 penalty ``(l2 / 2) * sum ||W^l||^2`` added to the loss (biases are not penalised).
    seed : int
        Seed of the weight initialisation.
    """

    sizes: tuple[int, ...]
    activations: tuple[str, ...] | str = "relu"
    loss: str = "softmax_cross_entropy"
    init: str = "he"
    init_scale: float = 0.01
    l2: float = 0.0
    seed: int = 0

    def __post_init__(self):
        # Normalise in place (the dataclass is frozen, hence object.__setattr__):
        # ``activations`` always ends up a tuple of L names.
        sizes = tuple(int(n) for n in self.sizes)
        if len(sizes) < 2 or any(n < 1 for n in sizes):
            raise ValueError(f"sizes must list at least two positive layer widths; got {self.sizes!r}")
        acts = self.activations
        if isinstance(acts, str):
            acts = (acts,) * (len(sizes) - 2) + ("identity",)
        acts = tuple(acts)
        if len(acts) != len(sizes) - 1:
            raise ValueError(
                f"need one activation per layer: {len(sizes) - 1} for sizes {sizes}; got {len(acts)}: {acts}"
            )
        for a in acts:
            check_choice("activation", a, ACTIVATION_NAMES)
        check_choice("loss", self.loss, LOSS_NAMES)
        check_choice("initializer", self.init, INIT_NAMES)
        if self.loss == "softmax_cross_entropy" and acts[-1] != "identity":
            raise ValueError(
                "loss 'softmax_cross_entropy' takes logits, so the output activation must be 'identity'; "
                f"got {acts[-1]!r} (applying softmax twice is a classic bug)"
            )
        if self.loss == "cross_entropy" and acts[-1] != "softmax":
            raise ValueError(f"loss 'cross_entropy' takes probabilities: use output activation 'softmax'; got {acts[-1]!r}")
        if self.loss == "binary_cross_entropy" and acts[-1] != "sigmoid":
            raise ValueError(f"loss 'binary_cross_entropy' needs output activation 'sigmoid'; got {acts[-1]!r}")
        if self.l2 < 0:
            raise ValueError(f"l2 must be >= 0; got {self.l2}")
        object.__setattr__(self, "sizes", sizes)
        object.__setattr__(self, "activations", acts)

    @property
    def n_layers(self) -> int:
        """Number of weight layers ``L``."""
        return len(self.sizes) - 1

    @property
    def is_classifier(self) -> bool:
        """Whether the network classifies (:func:`is_classifier` of its loss)."""
        return is_classifier(self.loss)

    @property
    def logits_loss(self) -> str | None:
        """The loss as every framework computes it, from the logits z^L (see :data:`LOGIT_LOSSES`).

        ``"sigmoid_binary_cross_entropy"``, ``"softmax_cross_entropy"``, or None for the MSE,
        which is computed on the output a^L.
        """
        return LOGIT_LOSSES.get((self.activations[-1], self.loss))

    @property
    def is_multilabel(self) -> bool:
        """Binary cross-entropy: K independent yes/no outputs, each decided at probability 1/2 (logit 0).

        The other classifiers pick one class per row: the largest output (argmax).
        """
        return self.loss == "binary_cross_entropy"

    @property
    def probabilities_from_output(self) -> str | None:
        """What turns the network's output a^L into class probabilities: ``"softmax"`` when
        the output is logits (``softmax_cross_entropy``), None when a^L already is probabilities
        (a sigmoid or softmax output) or the network is a regression."""
        return "softmax" if self.loss == "softmax_cross_entropy" else None

    def shapes(self) -> list[tuple[tuple[int, int], tuple[int]]]:
        """``[(W^1.shape, b^1.shape), ..., (W^L.shape, b^L.shape)]``."""
        return [((n_in, n_out), (n_out,)) for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:])]

    @property
    def n_params(self) -> int:
        return sum(w[0] * w[1] + b[0] for w, b in self.shapes())
