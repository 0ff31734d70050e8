"""Where tensors live: pick the best device present, and let the user override it.

Order of preference: an NVIDIA GPU (CUDA, e.g. on Colab), then Apple's GPU
(MPS), then the CPU. The same notebook therefore runs on a laptop, on Colab
with or without a GPU, and on a Mac, with no code change.

Override it with the ``prefer`` argument or the environment variable
``COURSE_DEVICE`` (``cpu``, ``cuda``, ``cuda:1``, ``mps``), e.g. to compare
timings or to debug on the CPU.
"""

from __future__ import annotations

import os

import torch

#: Environment variable that overrides the automatic choice.
DEVICE_ENV_VAR = "COURSE_DEVICE"


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def get_device(prefer: str | torch.device | None = None) -> torch.device:
    """The device to train on.

    Parameters
    ----------
    prefer : ``"cpu"``, ``"cuda"``, ``"cuda:0"``, ``"mps"``, a ``torch.device`` or None.
        None reads ``$COURSE_DEVICE``; when that is unset too, the first available
        of CUDA, MPS and CPU is chosen.

    Raises
    ------
    ValueError for a name that is not a device; RuntimeError when the requested
    device is not available on this machine (rather than silently using another).
    """
    choice = prefer if prefer is not None else os.environ.get(DEVICE_ENV_VAR) or None
    if choice is None:
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")

    try:
        device = torch.device(choice)
    except (RuntimeError, TypeError) as err:
        raise ValueError(f"unknown device {choice!r}; expected 'cpu', 'cuda', 'cuda:N' or 'mps'") from err
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"device {choice!r} was requested but CUDA is not available on this machine")
    if device.type == "mps" and not _mps_available():
        raise RuntimeError(f"device {choice!r} was requested but Apple MPS is not available on this machine")
    if device.type not in ("cpu", "cuda", "mps"):
        raise ValueError(f"unsupported device {choice!r}; expected 'cpu', 'cuda', 'cuda:N' or 'mps'")
    return device
