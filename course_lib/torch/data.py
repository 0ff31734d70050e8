"""A ``torch.utils.data.Dataset`` over arrays, with a per-example transform (chapter 8).

``TensorDataset`` is enough when the examples are ready in memory. A ``Dataset`` of one's
own earns its keep when each example needs work when it is read: decoding a file,
augmenting an image. ``DataLoader(..., num_workers=k)`` then runs ``__getitem__`` in k
worker processes while the main process trains.

Randomness in workers: each worker is a copy of the main process. The ``DataLoader``
re-seeds the *global* generators of torch, Python and NumPy in each worker (from the
loader's ``generator``), but a generator object held by the dataset, such as a
``np.random.default_rng()``, is copied as it is, so every worker would draw the *same*
"random" numbers (tests/test_torch_practice.py shows it). The transform therefore
receives a ``torch.Generator`` seeded from torch's global generator of the process it
runs in: different in each worker, reproducible for a seeded loader, and saved in a
checkpoint with the rest of torch's random state.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset

__all__ = ["ArrayDataset"]


class ArrayDataset(Dataset):
    """Examples ``X[i]`` (as float32 tensors) and labels ``y[i]`` (int64), optionally transformed.

    Parameters
    ----------
    X : (N, ...) array of inputs; y : (N,) integer labels.
    transform : None, or a function ``transform(x, generator) -> x`` applied to each example
        when it is read (``x`` a tensor of one example's shape, ``generator`` a seeded
        ``torch.Generator`` for its random choices).
    """

    def __init__(self, X, y, transform=None):
        X, y = np.asarray(X), np.asarray(y)
        if len(X) != len(y):
            raise ValueError(f"X has {len(X)} examples but y has {len(y)} labels")
        self.X = torch.as_tensor(X, dtype=torch.float32)
        self.y = torch.as_tensor(y, dtype=torch.int64)
        self.transform = transform

    def __len__(self) -> int:
        return len(self.X)

    def __getitem__(self, i):
        x = self.X[i]
        if self.transform is not None:
            # one draw from this process's torch generator seeds the example's own generator
            seed = int(torch.randint(0, 2**62, (1,)))
            x = self.transform(x, torch.Generator().manual_seed(seed))
        return x, self.y[i]
