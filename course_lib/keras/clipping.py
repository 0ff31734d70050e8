"""A ``keras.Model`` whose ``train_step`` clips the gradient by its global norm (chapter 9).

The Keras 3 way to change what ``fit`` does is to override ``train_step``: ``fit`` still runs
the loop, the callbacks (``EarlyStopping``, ``ModelCheckpoint``, ...), the metrics and the
progress bar, and only the step changes. The step here is the clipping of chapter 7,

    g <- g * min(1, c / ||g||),     ||g|| the norm of all the gradients together,

written with ``keras.ops`` (so the same lines run on every backend), and it reports
``||g||`` before clipping as a metric, ``grad_norm``, that callbacks and the ``History`` see.

Only the gradient itself is backend-specific: :func:`loss_and_gradients` records the forward
pass on a ``tf.GradientTape`` on TensorFlow, and calls ``loss.backward()`` on torch.
"""

from __future__ import annotations

import keras
from keras import ops

__all__ = ["ClippedModel", "loss_and_gradients", "global_norm", "clip_by_global_norm"]


def loss_and_gradients(model: keras.Model, x, y, sample_weight=None):
    """``(loss, y_pred, grads)`` for one batch, grads in the order of ``model.trainable_variables``.

    The loss is ``model.compute_loss`` (the compiled loss plus the regularizers' ``model.losses``).
    """
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:  # records the forward pass
            y_pred = model(x, training=True)
            loss = model.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=True)
        return loss, y_pred, tape.gradient(loss, model.trainable_variables)
    if backend == "torch":
        model.zero_grad()  # torch accumulates .grad: forget the last step's
        y_pred = model(x, training=True)
        loss = model.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=True)
        loss.backward()  # every Keras variable wraps a torch Parameter (variable.value)
        return loss, y_pred, [v.value.grad for v in model.trainable_variables]
    raise NotImplementedError(
        f"ClippedModel runs on the tensorflow and torch backends, not {backend!r} "
        "(JAX's train_step is stateless and is written differently)"
    )


def global_norm(grads):
    """sqrt(sum of every squared entry of every gradient): the norm of all of them as one vector."""
    return ops.sqrt(sum(ops.sum(ops.square(g)) for g in grads))


def clip_by_global_norm(grads, clipnorm: float):
    """``(clipped, norm)``: every gradient times min(1, clipnorm / norm), and the norm before clipping."""
    norm = global_norm(grads)
    scale = ops.minimum(1.0, clipnorm / ops.maximum(norm, 1e-12))  # 1e-12: no 0/0 for a zero gradient
    return [g * ops.cast(scale, g.dtype) for g in grads], norm


@keras.saving.register_keras_serializable(package="course_lib")
class ClippedModel(keras.Model):
    """A model (functional or subclassed) whose training step clips by global norm.

    Build it like ``keras.Model``: ``ClippedModel(inputs, outputs, clipnorm=1.0)``, then
    ``compile`` and ``fit`` as usual. ``clipnorm=None`` clips nothing (the norm is still
    reported). The logs of ``fit`` gain ``grad_norm``, the mean norm before clipping over
    the epoch's batches. It saves to and loads from a ``.keras`` file like any model.
    """

    def __init__(self, *args, clipnorm: float | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if clipnorm is not None and not clipnorm > 0:
            raise ValueError(f"clipnorm must be > 0 or None; got {clipnorm}")
        self.clipnorm = None if clipnorm is None else float(clipnorm)
        # a metric created here is tracked: reset every epoch, returned in the logs
        self.grad_norm_tracker = keras.metrics.Mean(name="grad_norm")

    def train_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        loss, y_pred, grads = loss_and_gradients(self, x, y, sample_weight)
        if self.clipnorm is None:
            norm = global_norm(grads)
        else:
            grads, norm = clip_by_global_norm(grads, self.clipnorm)
        if keras.backend.backend() == "torch":
            import torch

            with torch.no_grad():  # the update itself is not part of any graph
                self.optimizer.apply(grads, self.trainable_variables)
        else:
            self.optimizer.apply(grads, self.trainable_variables)
        for metric in self.metrics:
            if metric.name == "loss":  # Keras's loss tracker
                metric.update_state(loss)
        self.grad_norm_tracker.update_state(norm)
        return self.compute_metrics(x, y, y_pred, sample_weight)  # compiled metrics, loss, grad_norm

    def get_config(self):
        return {**super().get_config(), "clipnorm": self.clipnorm}
