"""Native libraries that must be loaded in a given order, and the one function that loads them so.

TensorFlow 2.20 and later load their core library with ``RTLD_GLOBAL``, which puts the copy of LLVM
linked into it among the process's global symbols. Triton 3.7 and later (a dependency of every
CUDA build of PyTorch on Linux, loaded lazily, when the first ``torch.optim`` optimizer is made)
then binds its own LLVM calls to TensorFlow's incompatible copy, and the interpreter dies with a
segmentation fault (tensorflow/tensorflow#124205; POT's fix, PythonOT/POT#839, is the same as this
one). Loaded *before* TensorFlow, Triton keeps its own symbols and both work.

A notebook that uses Keras and PyTorch side by side (chapter 9) meets this on any machine where pip
installed PyTorch's CUDA build: a laptop or a JupyterHub without root, and Colab once it ships those
versions. Only where Triton is installed does this import anything.
"""
from __future__ import annotations

import importlib.util
import sys


def load_triton_before_tensorflow() -> bool:
    """Import Triton now if it is installed and TensorFlow is not loaded yet; return whether it is loaded.

    Call it before the first ``import tensorflow`` or ``import keras`` of the process. Nothing
    happens where Triton is not installed (PyTorch's CPU builds, macOS, Windows) or where TensorFlow
    was loaded first (too late to help, and importing Triton then is what crashes).
    """
    if "triton" in sys.modules:
        return True
    if "tensorflow" in sys.modules or importlib.util.find_spec("triton") is None:
        return False
    try:
        import triton  # noqa: F401
    except Exception:  # noqa: BLE001 - a broken Triton install is PyTorch's problem to report, not ours
        return False
    return True
