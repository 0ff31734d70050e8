"""Checkpoints that resume training exactly: model, optimizer, scheduler and random state.

A ``state_dict`` holds a module's parameters and buffers; an optimizer's holds its
running averages (Adam's m and v, the step count) and a scheduler's its position. To
resume a run *exactly* (the same weights as if it had never stopped) the random state
must travel too: the generator that shuffles the ``DataLoader``, and torch's global
generators (dropout, the workers' seeds). :func:`save_checkpoint` writes all of them to
one file with ``torch.save``; :func:`load_checkpoint` puts them back, in place.

Everything saved is a tensor, a number or a container of them, so the file loads with
``torch.load(weights_only=True)``, which refuses to run code hidden in a file.
"""

from __future__ import annotations

from pathlib import Path

import torch

__all__ = ["save_checkpoint", "load_checkpoint"]


def save_checkpoint(path, model: torch.nn.Module, optimizer: torch.optim.Optimizer, scheduler=None, *,
                    epoch: int, generator: torch.Generator | None = None) -> Path:
    """Write the state needed to resume after ``epoch`` (the number of epochs done) to ``path``.

    ``generator`` is the one the ``DataLoader`` shuffles with (``DataLoader(..., generator=g)``).
    """
    state = {
        "epoch": int(epoch),
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
        "rng": {
            "torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
            "generator": generator.get_state() if generator is not None else None,
        },
    }
    path = Path(path)
    torch.save(state, path)
    return path


def load_checkpoint(path, model: torch.nn.Module, optimizer: torch.optim.Optimizer, scheduler=None, *,
                    generator: torch.Generator | None = None) -> int:
    """Restore what :func:`save_checkpoint` wrote into ``model``, ``optimizer``, ``scheduler``,
    ``generator`` and torch's global generators; returns the number of epochs already done.

    Build the objects as for a fresh run (same architecture, same optimizer and scheduler
    classes), then load: the loaded state replaces theirs.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    state = torch.load(path, map_location="cpu", weights_only=True)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])  # moves the state to the parameters' device
    if (scheduler is None) != (state["scheduler"] is None):
        raise ValueError(f"{path} was saved {'with' if state['scheduler'] is not None else 'without'} a scheduler; "
                         f"pass {'one' if state['scheduler'] is not None else 'none'} to load it")
    if scheduler is not None:
        scheduler.load_state_dict(state["scheduler"])
    rng = state["rng"]
    torch.set_rng_state(rng["torch"])
    if rng["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(rng["cuda"])
    if generator is not None:
        if rng["generator"] is None:
            raise ValueError(f"{path} holds no DataLoader generator state; save it with generator=...")
        generator.set_state(rng["generator"])
    return state["epoch"]
