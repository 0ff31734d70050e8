"""The course's network in Keras 3: the NumPy :class:`~course_lib.numpy.MLP` once more (chapter 9).

Same specification, same names, same numbers:

``mlp``    :func:`MLP` builds a ``keras.Sequential`` from an :class:`~course_lib.spec.MLPSpec`;
           :func:`get_weights` / :func:`set_weights` in the exchange format of course_lib
``train``  :func:`fit` (``compile``/``fit`` with an early-stopping callback), :func:`fit_custom`
           and :func:`train_step` (the loop written out with ``tf.GradientTape``), :func:`evaluate`,
           :func:`predict`, :func:`predict_proba`, :func:`loss_and_grads`
``optim``  :class:`SGD`, :class:`Momentum`, :class:`Nesterov`, :class:`Adagrad`, :class:`RMSprop`, :class:`Adam`, :class:`AdamW`: the
           book's update rules as Keras optimizers (Keras's own differ in where eps goes)
``cnn``    :func:`build_cnn` (alias :func:`SmallCNN`), the small convolutional network for 8x8 digits
``residual`` :class:`ResidualBlock` and :func:`residual_forward`, the residual block of chapter 7
``clipping`` :class:`ClippedModel`, a ``train_step`` override (Keras 3's way to change ``fit``): clipping
           by global norm with ``keras.ops``, callbacks kept, saved and reloaded as ``.keras``

Keras 3 runs on several backends and fixes the backend when it is first imported,
from the environment variable ``KERAS_BACKEND``. This package keeps a value that is
already set (``torch`` works too) and otherwise chooses ``tensorflow``, Colab's default.
"""

import os

from course_lib.load_order import load_triton_before_tensorflow

# Must happen before the first `import keras` anywhere in the process.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
load_triton_before_tensorflow()  # else PyTorch's CUDA build crashes the process beside TensorFlow

try:
    import keras  # absolute import: the real Keras, not this package
except ImportError as err:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError(
        'course_lib.keras needs Keras 3 and a backend (TensorFlow or PyTorch), which are not installed. '
        'Install them with\n    pip install "course_lib[tensorflow]"\n'
        "(on Colab, keras and tensorflow are already there: do not reinstall them)."
    ) from err

#: The backend Keras actually runs on ("tensorflow" or "torch").
BACKEND = keras.backend.backend()

from course_lib.keras.clipping import ClippedModel  # noqa: E402
from course_lib.keras.cnn import SmallCNN, build_cnn  # noqa: E402
from course_lib.keras.mlp import MLP, get_weights, logits_model, set_weights  # noqa: E402
from course_lib.keras.residual import ResidualBlock, residual_forward  # noqa: E402
from course_lib.keras.optim import SGD, Adagrad, Adam, AdamW, Momentum, Nesterov, RMSprop  # noqa: E402
from course_lib.keras.train import (  # noqa: E402
    TrainingDiverged, evaluate, fit, fit_custom, loss_and_grads, predict, predict_proba, train_step,
)

__all__ = [
    "MLP", "get_weights", "set_weights", "fit", "fit_custom", "train_step", "evaluate", "predict",
    "predict_proba", "loss_and_grads", "SmallCNN", "build_cnn", "BACKEND", "TrainingDiverged",
    "logits_model", "SGD", "Momentum", "Nesterov", "Adagrad", "RMSprop", "Adam", "AdamW",
    "ResidualBlock", "residual_forward", "ClippedModel",
]
