"""Helpers for the course's notebooks, wherever they run: the book build, Colab, plain Jupyter.

``glue``
    The chapters quote numbers from executed cells with MyST-NB's ``glue``. MyST-NB is part of the
    book's toolchain only: Colab and a student's own Jupyter do not have it, and a chapter must still
    run there top to bottom. So a chapter imports ``glue`` from here, never from ``myst_nb``.
``quiet_tensorflow()``
    Imports TensorFlow without the absl, cuDNN/cuFFT/cuBLAS, oneDNN and CUDA-driver messages its C++
    side writes when it starts (``TF_CPP_MIN_LOG_LEVEL`` alone does not stop the absl ones), and
    turns its Python-side loggers down to errors. A message that is not one of those still shows.
``environment_report(*frameworks)``
    One line, the first output of the notebooks that use a framework (the Colab set-up cell prints
    it): the Python, NumPy and framework versions, and the device the framework computes on
    (an NVIDIA GPU with CUDA, Apple's GPU with MPS, or the CPU).

Nothing here imports torch or TensorFlow until a function asks for it.
"""

from __future__ import annotations

import contextlib
import os
import platform
import re
import sys
import tempfile

from course_lib.load_order import load_triton_before_tensorflow

try:  # the book build: the value is stored under `name` and the text quotes it
    from myst_nb import glue
except ImportError:  # Colab, plain Jupyter: show the value, as the book's page would
    def glue(name: str, variable, display: bool = True) -> None:
        """Stand-in for ``myst_nb.glue`` where MyST-NB is not installed: show the student `variable`.

        In the book, ``display=False`` means "the page shows this elsewhere": a figure placed by a
        ``glue:figure`` directive, a number quoted by ``glue:text``. Without MyST-NB nothing places
        them, so they are shown here, whatever `display` says: a figure or other rich object is
        displayed, a number or text printed with its name (the name the text quotes).
        """
        rich = any(hasattr(variable, attr) for attr in ("_repr_png_", "_repr_html_", "savefig"))
        if rich:
            try:
                from IPython.display import display as show
            except ImportError:  # a plain Python script
                pass
            else:
                show(variable)
                return
        print(f"{name} = {variable}")


#: Log lines of TensorFlow and the libraries under it that tell a student nothing about their code:
#: absl/glog-formatted C++ lines (``E0000 00:00:1712345678.1 123 cuda_dnn.cc:8310] ...``), TensorFlow's
#: own C++ log lines (``2025-01-01 12:00:00.123456: I tensorflow/...``), and the fixed start-up notices.
FRAMEWORK_LOG_NOISE = re.compile(
    r"^[IWEF]\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ \S+:\d+\]"
    r"|^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWEF] \S+:\d+\]"
    r"|All log messages before absl::InitializeLog\(\) is called"
    r"|oneDNN custom operations are on"
    r"|This TensorFlow binary is optimized to use available CPU instructions"
    r"|To enable the following instructions: .* in other operations, rebuild TensorFlow"
    r"|TF-TRT Warning"
    r"|Unable to register (cuDNN|cuFFT|cuBLAS) factory"
    r"|computation placer already registered"
    r"|^WARNING:(absl|tensorflow):"
)


@contextlib.contextmanager
def _native_stderr_filtered(noise: re.Pattern = FRAMEWORK_LOG_NOISE):
    """Capture what native code writes to file descriptor 2 meanwhile; then re-emit all but `noise`.

    C++ libraries write their log straight to the descriptor, past ``sys.stderr`` (Jupyter's kernel
    forwards the descriptor into the cell's output, so the student sees it there).
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no descriptor 2: nothing to capture
        yield
        return
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            text = capture.read().decode("utf-8", errors="replace")
            kept = [line for line in text.splitlines() if line.strip() and not noise.search(line)]
            if kept:
                print("\n".join(kept), file=sys.stderr)


def quiet_tensorflow():
    """Import TensorFlow with its start-up log messages silenced; return the module.

    Call it before the first ``import tensorflow`` or ``import keras`` of a notebook (a later
    ``import tensorflow as tf`` then gets the module already loaded). It sets
    ``TF_CPP_MIN_LOG_LEVEL=3`` unless the variable is set, imports TensorFlow and lists its
    devices (the CUDA probe that logs when there is no GPU) while the C++ side's messages are
    captured, drops the known start-up noise (:data:`FRAMEWORK_LOG_NOISE`) and re-emits anything
    else, then sets TensorFlow's and absl's Python loggers to errors only.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    load_triton_before_tensorflow()  # else PyTorch's CUDA build crashes the process beside TensorFlow
    with _native_stderr_filtered():
        import tensorflow as tf

        tf.config.list_physical_devices()
    tf.get_logger().setLevel("ERROR")
    try:
        from absl import logging as absl_logging
    except ImportError:  # pragma: no cover - absl comes with TensorFlow
        pass
    else:
        absl_logging.set_verbosity(absl_logging.ERROR)
    return tf


def _on_colab() -> bool:
    return "COLAB_RELEASE_TAG" in os.environ or "google.colab" in sys.modules


def _torch_report() -> tuple[str, bool]:
    import torch

    from course_lib.torch.device import get_device

    device = get_device()
    if device.type == "cuda":
        where = f"{device} ({torch.cuda.get_device_name(device)})"
    elif device.type == "mps":
        where = "mps (Apple GPU)"
    else:
        where = "cpu"
    return f"PyTorch {torch.__version__} on {where}", device.type != "cpu"


def _tensorflow_report() -> tuple[str, bool]:
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")  # Colab's default; before `import keras`
    tf = quiet_tensorflow()
    import keras

    gpus = tf.config.list_physical_devices("GPU")
    where = f"{len(gpus)} GPU{'s' if len(gpus) > 1 else ''}" if gpus else "cpu"
    return (f"Keras {keras.__version__} ({keras.backend.backend()} backend), "
            f"TensorFlow {tf.__version__} on {where}"), bool(gpus)


_REPORTERS = {"torch": _torch_report, "tensorflow": _tensorflow_report, "keras": _tensorflow_report}


def environment_report(*frameworks: str) -> str:
    """Print, on one line, the versions in use and the device each framework computes on; return it.

    ``frameworks``: any of ``"torch"``, ``"tensorflow"`` (or its alias ``"keras"``). The device is
    the one the chapter's code will use: :func:`course_lib.torch.get_device` for PyTorch (CUDA,
    then Apple's MPS, then the CPU; ``$COURSE_DEVICE`` overrides it), TensorFlow's GPUs for Keras.
    On Colab without a GPU, a second line says how to ask for one.

    >>> environment_report()  # doctest: +ELLIPSIS
    Python 3... · NumPy ...
    '...'
    """
    import numpy as np

    unknown = [name for name in frameworks if name not in _REPORTERS]
    if unknown:
        raise ValueError(f"unknown framework(s) {unknown}; expected 'torch', 'tensorflow' or 'keras'")
    parts = [f"Python {platform.python_version()}", f"NumPy {np.__version__}"]
    accelerated = []
    for reporter in dict.fromkeys(_REPORTERS[name] for name in frameworks):  # keras = tensorflow
        text, on_gpu = reporter()
        parts.append(text)
        accelerated.append(on_gpu)
    line = " · ".join(parts)
    print(line)
    if frameworks and _on_colab() and not any(accelerated):
        print("No GPU in this runtime: Runtime > Change runtime type > T4 GPU makes training faster "
              "(the notebook runs on the CPU too).")
    return line


__all__ = ["glue", "quiet_tensorflow", "environment_report", "FRAMEWORK_LOG_NOISE"]
