"""The course's network in PyTorch: the NumPy :class:`~course_lib.numpy.MLP` again, with autograd.

Same specification, same names, same numbers (chapter 8):

``device``  :func:`get_device`: CUDA, then Apple MPS, then CPU (overridable)
``mlp``     :class:`MLP`, an ``nn.Module`` built from an :class:`~course_lib.spec.MLPSpec`;
            :func:`get_weights` / :func:`set_weights` in the exchange format of course_lib
``train``   :func:`fit` (autograd + ``torch.optim`` + ``DataLoader``), :func:`evaluate`,
            :func:`predict`, :func:`predict_proba`, :func:`loss_and_grads`
``cnn``     :class:`SmallCNN`, a small convolutional network for the 8x8 digits
``residual`` :class:`ResidualBlock` and :func:`residual_forward`, the residual block of chapter 7
``optim``   :class:`Momentum`, :class:`Nesterov` (the book's convention), :class:`AdamW`, :func:`scheduler`
``data``    :class:`ArrayDataset`, arrays with a per-example transform that is random the right way in workers
``augment`` :class:`RandomShiftRotate`, the digits' shifts and rotations as such a transform
``checkpoint`` :func:`save_checkpoint` / :func:`load_checkpoint`: training that resumes bit for bit

Importing this package imports torch; ``import course_lib`` alone never does.
"""

try:
    import torch  # noqa: F401  (absolute import: the real PyTorch, not this package)
except ImportError as err:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError(
        'course_lib.torch needs PyTorch, which is not installed. Install it with\n'
        '    pip install "course_lib[torch]"\n'
        "(on Colab, torch is already there: do not reinstall it)."
    ) from err

from course_lib.torch.augment import RandomShiftRotate
from course_lib.torch.checkpoint import load_checkpoint, save_checkpoint
from course_lib.torch.cnn import SmallCNN, build_cnn
from course_lib.torch.data import ArrayDataset
from course_lib.torch.device import get_device
from course_lib.torch.mlp import MLP, get_weights, set_weights
from course_lib.torch.residual import ResidualBlock
from course_lib.torch.optim import AdamW, Momentum, Nesterov, scheduler
from course_lib.torch.train import TrainingDiverged, evaluate, fit, loss_and_grads, predict, predict_proba

__all__ = [
    "MLP", "get_weights", "set_weights", "fit", "evaluate", "predict", "predict_proba",
    "loss_and_grads", "get_device", "SmallCNN", "build_cnn", "TrainingDiverged", "ResidualBlock",
    "Momentum", "Nesterov", "AdamW", "scheduler", "ArrayDataset", "RandomShiftRotate", "save_checkpoint",
    "load_checkpoint",
]
