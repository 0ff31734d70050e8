"""The network written out by hand in NumPy: every equation of chapters 1-7, nothing hidden.

Modules, one concept each:

``activations``  f(z) and f'(z) for every activation; stable softmax and log-softmax
``losses``       each loss returns ``(loss, dloss/dprediction)``; the fused ones take logits
``layers``       ``dense_forward -> (out, cache)`` and ``dense_backward(dout, cache) -> (dx, dW, db)``
``init``         normal, Glorot/Xavier and He initialisation
``mlp``          :class:`MLP`, built from the functions of ``layers``: the four back-propagation equations
``residual``     ``residual_forward -> (out, cache)``, ``residual_backward -> (dx, grads)``: the residual block
``normalization`` batch normalisation and dropout, with a train and an eval mode
``optim``        SGD, momentum, Nesterov, Adagrad, RMSprop, Adam, AdamW with one interface; schedules
``train``        mini-batch training with validation, early stopping, a progress bar

Everything computes in the dtype of its inputs: an ``MLP`` in its own dtype (float32 by
default, float64 for gradient checks), a loss or layer function in its argument's
(``binary_cross_entropy`` on probabilities clips in float64 and returns its gradient in
the input's dtype). Only NumPy is needed.
"""

from course_lib.numpy.mlp import MLP
from course_lib.numpy.optim import (
    SGD, Adagrad, Adam, AdamW, Momentum, Nesterov, RMSprop, cosine, make_optimizer, step_decay, warmup,
)
from course_lib.numpy.train import TrainingDiverged, accuracy, evaluate, fit, loss_and_grads, predict, predict_proba
from course_lib.numpy.weights import get_weights, set_weights

__all__ = [
    "MLP", "SGD", "Momentum", "Nesterov", "Adagrad", "RMSprop", "Adam", "AdamW", "make_optimizer",
    "step_decay", "cosine", "warmup",
    "fit", "evaluate", "predict", "predict_proba", "accuracy", "TrainingDiverged",
    "get_weights", "set_weights", "loss_and_grads",
]
