"""The digits' augmentation (shifts and small rotations) as a PyTorch transform.

:class:`RandomShiftRotate` is a transform for :class:`course_lib.torch.data.ArrayDataset`: it takes
one sample (a tensor of H*W or H x W pixels, standardised or not) and the example's own
``torch.Generator``, and returns the sample moved by the rule of
:func:`course_lib.datasets.augment.random_shift_rotate` (written once, in NumPy). The randomness
comes from the generator the dataset hands it, so workers, epochs and a seeded loader behave as
``ArrayDataset`` says: a new draw in every worker and every epoch, the same draws run after run.
Called without a generator (outside a dataset), it draws from its own ``seed``: applied to samples
0, 1, 2, ... in turn it gives exactly ``random_shift_rotate(X, np.random.default_rng(seed))``.
"""
from __future__ import annotations

import numpy as np
import torch

from course_lib.datasets.augment import random_shift_rotate

__all__ = ["RandomShiftRotate"]


class RandomShiftRotate:
    """Shift by up to ``max_shift`` pixels and rotate by up to ``max_angle`` degrees, one sample at a time.

    ``scaler``: the fitted scaler of the :class:`~course_lib.datasets.Split` when the samples are
    standardised (augmentation happens in pixel space). ``seed``: the generator used when no
    ``generator`` is passed.
    """

    def __init__(self, max_shift: int = 1, max_angle: float = 10.0, image_shape=(8, 8), scaler=None,
                 fill: float = 0.0, seed: int = 0):
        self.max_shift, self.max_angle, self.image_shape = max_shift, max_angle, tuple(image_shape)
        self.scaler, self.fill, self.seed = scaler, fill, seed
        self.rng = np.random.default_rng(seed)

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        rng = self.rng if generator is None else np.random.default_rng(
            int(torch.randint(0, 2**62, (1,), generator=generator)))
        sample = x.detach().cpu().numpy()[None]               # (1, H*W) or (1, H, W)
        out = random_shift_rotate(sample, rng, self.max_shift, self.max_angle, self.image_shape,
                                  self.scaler, self.fill)[0]
        return torch.from_numpy(out).to(device=x.device)

    def __repr__(self) -> str:
        return f"RandomShiftRotate(max_shift={self.max_shift}, max_angle={self.max_angle}, seed={self.seed})"
