"""PyTorch as chapter 8 uses it: checkpoints that resume exactly, a Dataset with workers, torch.compile."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader

from course_lib.torch.checkpoint import load_checkpoint, save_checkpoint
from course_lib.torch.compile_timing import time_compile, timing_model
from course_lib.torch.data import ArrayDataset


def _noisy(x, generator):
    """A random transform: the loader's randomness must be restored too."""
    return x + 0.1 * torch.randn(x.shape, generator=generator)


def _parts(seed_data=0):
    rng = np.random.default_rng(seed_data)
    X, y = rng.normal(size=(60, 6)), rng.integers(0, 3, size=60)
    torch.manual_seed(123)
    model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 3)).double()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
    generator = torch.Generator().manual_seed(7)
    loader = DataLoader(ArrayDataset(X, y, transform=_noisy), batch_size=16, shuffle=True, generator=generator)
    return model, optimizer, scheduler, generator, loader


def _epoch(model, optimizer, scheduler, loader):
    model.train()
    for xb, yb in loader:
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(xb.double()), yb).backward()
        nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        optimizer.step()
    scheduler.step()


def test_checkpoint_resumes_bitwise(tmp_path):
    model, optimizer, scheduler, _, loader = _parts()
    for _ in range(4):
        _epoch(model, optimizer, scheduler, loader)
    straight = [p.detach().clone() for p in model.parameters()]

    model, optimizer, scheduler, generator, loader = _parts()
    for _ in range(2):
        _epoch(model, optimizer, scheduler, loader)
    save_checkpoint(tmp_path / "ckpt.pt", model, optimizer, scheduler, epoch=2, generator=generator)
    for _ in range(3):  # the interrupted process goes on drawing random numbers: the file must not care
        torch.rand(5)
        generator.seed()
    model, optimizer, scheduler, generator, loader = _parts()  # a fresh process, as after a crash
    torch.manual_seed(999)
    done = load_checkpoint(tmp_path / "ckpt.pt", model, optimizer, scheduler, generator=generator)
    assert done == 2 and scheduler.get_last_lr()[0] == pytest.approx(1e-2 * 0.7**2)
    for _ in range(done, 4):
        _epoch(model, optimizer, scheduler, loader)
    for a, b in zip(straight, model.parameters()):
        assert torch.equal(a, b)


def test_checkpoint_without_the_rng_does_not_resume(tmp_path):
    """The random state matters: restoring model and optimizer only gives other weights."""
    model, optimizer, scheduler, _, loader = _parts()
    for _ in range(3):
        _epoch(model, optimizer, scheduler, loader)
    straight = [p.detach().clone() for p in model.parameters()]
    model, optimizer, scheduler, generator, loader = _parts()
    _epoch(model, optimizer, scheduler, loader)
    save_checkpoint(tmp_path / "c.pt", model, optimizer, scheduler, epoch=1, generator=generator)
    model, optimizer, scheduler, generator, loader = _parts()
    load_checkpoint(tmp_path / "c.pt", model, optimizer, scheduler)  # the loader's generator not restored
    for _ in range(2):
        _epoch(model, optimizer, scheduler, loader)
    assert not all(torch.equal(a, b) for a, b in zip(straight, model.parameters()))


def test_checkpoint_errors_are_one_line(tmp_path):
    model, optimizer, scheduler, generator, _ = _parts()
    with pytest.raises(FileNotFoundError, match="no checkpoint at"):
        load_checkpoint(tmp_path / "missing.pt", model, optimizer)
    save_checkpoint(tmp_path / "c.pt", model, optimizer, epoch=0)
    with pytest.raises(ValueError, match="without a scheduler"):
        load_checkpoint(tmp_path / "c.pt", model, optimizer, scheduler)
    with pytest.raises(ValueError, match="no DataLoader generator"):
        load_checkpoint(tmp_path / "c.pt", model, optimizer, generator=generator)


def _draw(x, generator):
    return torch.rand((), generator=generator).expand(x.shape)


def test_dataset_workers_are_reproducible_and_independent():
    X, y = np.zeros((40, 3)), np.arange(40) % 4
    batches = []
    for _ in range(2):
        loader = DataLoader(ArrayDataset(X, y, transform=_draw), batch_size=10, shuffle=True, num_workers=2,
                            generator=torch.Generator().manual_seed(0))
        batches.append(torch.cat([xb[:, 0] for xb, _ in loader]))
    assert torch.equal(batches[0], batches[1])  # a seeded loader: the same draws again
    assert len(set(batches[0].tolist())) == 40  # no two examples, in either worker, drew alike


class _OwnNumpyGenerator(torch.utils.data.Dataset):
    """The trap ArrayDataset avoids: a NumPy generator object held by the dataset."""

    def __init__(self):
        self.rng = np.random.default_rng(0)

    def __len__(self):
        return 8

    def __getitem__(self, i):
        return torch.tensor(self.rng.random())


def test_a_generator_held_by_the_dataset_repeats_in_every_worker():
    loader = DataLoader(_OwnNumpyGenerator(), batch_size=4, num_workers=2, multiprocessing_context="fork")
    first, second = list(loader)  # one batch from each worker, each from a copy of the same generator
    assert torch.equal(first, second)


def test_dataset_checks_lengths():
    with pytest.raises(ValueError, match="X has 3 examples but y has 2"):
        ArrayDataset(np.zeros((3, 2)), [0, 1])
    x, label = ArrayDataset(np.ones((2, 2)), [0, 1])[1]
    assert x.dtype == torch.float32 and label.dtype == torch.int64 and int(label) == 1


def test_compile_gives_the_same_outputs():
    timing = time_compile(*timing_model(), backend="aot_eager", calls=5)
    assert timing["max_abs_diff"] == 0.0 and timing["compile_s"] > 0 and timing["eager_ms"] > 0
