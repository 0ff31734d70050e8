"""Data augmentation as a PyTorch transform: the rule of :mod:`course_lib.datasets.augment`, per sample.

:class:`RandomShiftRotate` is a callable for a ``Dataset``: it takes one sample (a tensor of H*W
pixels, or H x W) and returns it randomly shifted and rotated, by calling the NumPy rule with its own
seeded generator. So ``RandomShiftRotate(seed=s)`` applied to samples 0, 1, 2, ... in turn gives
exactly ``random_shift_rotate(X, np.random.default_rng(s))``. :class:`AugmentedDataset` applies it
to the inputs of an ``(X, y)`` pair of arrays; the labels pass through unchanged.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset, get_worker_info

from course_lib.datasets.augment import random_shift_rotate

__all__ = ["RandomShiftRotate", "AugmentedDataset"]


class RandomShiftRotate:
    """Shift by up to ``max_shift`` pixels and rotate by up to ``max_angle`` degrees, one sample at a time.

    ``scaler``: the fitted scaler of the :class:`~course_lib.datasets.Split` when the samples are
    standardised (augmentation happens in pixel space). ``seed`` seeds the generator. In a
    ``DataLoader`` with workers, each worker draws from a generator seeded with (seed, the worker's
    own seed): otherwise every worker would hold a copy of the same generator and repeat the
    others' draws. PyTorch gives the workers new seeds at every epoch (drawn from the loader's
    generator, so a seeded loader repeats them run after run), so an epoch never repeats the last.
    """

    def __init__(self, max_shift: int = 1, max_angle: float = 10.0, image_shape=(8, 8), scaler=None,
                 fill: float = 0.0, seed: int = 0):
        self.max_shift, self.max_angle, self.image_shape = max_shift, max_angle, tuple(image_shape)
        self.scaler, self.fill, self.seed = scaler, fill, seed
        self.rng = np.random.default_rng(seed)
        self._worker = None

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        worker = get_worker_info()
        if worker is not None and self._worker != worker.seed:  # first call in this worker process
            self.rng, self._worker = np.random.default_rng((self.seed, worker.seed)), worker.seed
        sample = x.detach().cpu().numpy()[None]               # (1, H*W) or (1, H, W)
        out = random_shift_rotate(sample, self.rng, self.max_shift, self.max_angle, self.image_shape,
                                  self.scaler, self.fill)[0]
        return torch.from_numpy(out).to(device=x.device)

    def __repr__(self) -> str:
        return f"RandomShiftRotate(max_shift={self.max_shift}, max_angle={self.max_angle}, seed={self.seed})"


class AugmentedDataset(Dataset):
    """``(transform(X[i]), y[i])`` for arrays X (N, ...) and labels y (N,); a fresh draw on every access."""

    def __init__(self, X, y, transform=None):
        if len(X) != len(y):
            raise ValueError(f"X has {len(X)} samples but y has {len(y)}")
        self.X, self.y = torch.as_tensor(np.asarray(X)), torch.as_tensor(np.asarray(y))
        self.transform = transform

    def __len__(self) -> int:
        return len(self.X)

    def __getitem__(self, i):
        x = self.X[i]
        return (self.transform(x) if self.transform is not None else x), self.y[i]
