"""A small convolutional network for the 8x8 digits (chapter 8), in PyTorch.

Architecture (the Keras twin in :mod:`course_lib.keras.cnn` is the same, layer for layer):

    input (N, 64) or (N, 1, 8, 8)  -> reshape to (N, 1, 8, 8)       channels first, torch's layout
    Conv2d 1 -> 16, 3x3, padding 1 -> ReLU -> MaxPool 2x2           (N, 16, 4, 4)
    Conv2d 16 -> 32, 3x3, padding 1 -> ReLU -> MaxPool 2x2          (N, 32, 2, 2)
    Flatten -> Linear 128 -> n_classes                              (N, n_classes) logits

6,090 parameters for 10 classes, against 4,810 for a 64-64-10 MLP with no
sharing. The loss is ``softmax_cross_entropy`` on the logits, as for the MLP,
so :func:`course_lib.torch.fit`, :func:`evaluate` and :func:`predict` work unchanged.
"""

from __future__ import annotations

import torch
from torch import nn

from course_lib.torch.mlp import as_torch_dtype, softmax_cross_entropy, targets


class SmallCNN(nn.Module):
    """Two 3x3 convolution + pooling stages and a linear classifier.

    Parameters
    ----------
    n_classes : number of outputs (10 digits).
    channels : the widths of the two convolutions.
    dtype : float32 (default) or float64.
    seed : seeds the (PyTorch default) initialisation, so the network is reproducible.
    """

    loss_name = "softmax_cross_entropy"

    def __init__(self, n_classes: int = 10, channels: tuple[int, int] = (16, 32), dtype=torch.float32, seed: int = 0):
        super().__init__()
        c1, c2 = channels
        # fork_rng: seed the initialisation without changing the caller's global random state
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.features = nn.Sequential(
                nn.Conv2d(1, c1, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # (N, c1, 4, 4)
                nn.Conv2d(c1, c2, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (N, c2, 2, 2)
            )
            self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(c2 * 2 * 2, n_classes))
        self.to(as_torch_dtype(dtype))
        self.loss_fn = softmax_cross_entropy

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (N, 64) or (N, 1, 8, 8) -> logits (N, n_classes)."""
        x = x.reshape(-1, 1, 8, 8)  # flat rows (as the MLP takes them) become 1-channel images
        return self.classifier(self.features(x))

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """The output is the logits already (no output activation): the same as ``self(x)``."""
        return self(x)

    def penalty(self) -> torch.Tensor:
        """No L2 term (kept so that the training loop treats both networks alike)."""
        return torch.zeros((), dtype=self.classifier[1].weight.dtype, device=self.classifier[1].weight.device)

    def objective(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Mean softmax cross-entropy of the logits ``out`` (N, K) against labels (N,) or rows (N, K)."""
        return self.loss_fn(out, targets(out, y, self.loss_name)) + self.penalty()

    #: the output is z^L: the objective of the output is the objective from the logits
    objective_from_logits = objective

    def loss(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.objective(self(x), y)


def build_cnn(n_classes: int = 10, channels: tuple[int, int] = (16, 32), dtype=torch.float32, seed: int = 0) -> SmallCNN:
    """The :class:`SmallCNN` (the same call as :func:`course_lib.keras.build_cnn`)."""
    return SmallCNN(n_classes, channels, dtype, seed)
