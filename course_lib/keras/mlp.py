"""The NumPy MLP as a Keras ``Sequential`` model: same specification, same weights, same numbers.

Each layer is one ``Dense``: z^l = a^{l-1} W^l + b^l followed by its activation
a^l = f_l(z^l). Keras stores the kernel as (n_in, n_out), the course's own
layout, so weights move in and out without a transpose (PyTorch needs one).

Four details make the numbers agree with NumPy and PyTorch:

* leaky ReLU has slope 0.01 (Keras's default is 0.2) and ELU alpha 1.0, the constants of :mod:`course_lib.spec`;
* the L2 term (l2 / 2) ||W||^2 is a kernel regularizer, :class:`HalfL2` (``L2(l2 / 2)`` up to float32 rounding);
* every loss object is built with the model's dtype: a Keras loss otherwise computes in float32;
* a sigmoid or softmax output is a layer of its own, ``Activation(name="output")``, after a
  linear last ``Dense``: the losses are computed from that Dense's output, the logits z^L
  (:func:`logits_model`, :data:`course_lib.spec.LOGIT_LOSSES`). From probabilities, Keras
  clips them at 1e-7 on the torch backend and recovers the logits on TensorFlow only, so
  the two backends gave different losses for saturated outputs.

What it computes in: a float32 model in float32 on both backends. A float64 model holds
float64 variables and computes in float64 on TensorFlow; on the torch backend Keras 3
computes its products (``Dense``'s matmul) in float32 and casts back, so a float64 model
there agrees with NumPy and PyTorch to about 1e-6, not 1e-12.
"""

from __future__ import annotations

import keras
import numpy as np

from course_lib.numpy.init import init_params
from course_lib.spec import ELU_ALPHA, LEAKY_RELU_SLOPE, MLPSpec
from course_lib.validate import check_targets, check_weights


def as_keras_dtype(dtype) -> str:
    """``"float32"`` or ``"float64"`` from a NumPy dtype, a name (or anything with a ``.name``)."""
    name = getattr(dtype, "name", None) or np.dtype(dtype).name
    if name not in ("float32", "float64"):
        raise ValueError(f"dtype must be float32 or float64; got {dtype}")
    return name


def leaky_relu(x):
    """x for x > 0, 0.01 x otherwise: the course's slope (Keras's default is 0.2).

    Written with ``where`` rather than ``keras.activations.leaky_relu``: TensorFlow
    stores that slope as a float32 attribute, which in float64 costs 1e-10 of agreement.
    """
    return keras.ops.where(x > 0, x, x * LEAKY_RELU_SLOPE)


def elu(x):
    """x for x > 0, alpha (e^x - 1) otherwise, with alpha = 1."""
    return keras.activations.elu(x, alpha=ELU_ALPHA)


#: activation name of the spec -> what ``Dense(activation=...)`` takes
ACTIVATIONS = {
    "identity": "linear",
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "relu": "relu",
    "leaky_relu": leaky_relu,
    "elu": elu,
    "softmax": "softmax",  # over the last axis: rows are samples, columns classes
}


class HalfL2(keras.regularizers.Regularizer):
    """The course's penalty (l2 / 2) ||W||^2, computed in the weight's own dtype.

    Equal to ``keras.regularizers.L2(l2 / 2)`` in exact arithmetic, but Keras's
    ``L2`` rounds its coefficient to float32, which in a float64 model shows up
    as a 1e-8 relative difference from NumPy and PyTorch.
    """

    def __init__(self, l2: float):
        self.l2 = float(l2)

    def __call__(self, W):
        # Python float * backend tensor: the float takes the tensor's dtype (not float32).
        return (self.l2 / 2) * keras.ops.sum(keras.ops.square(W))

    def get_config(self):
        return {"l2": self.l2}


def make_loss(name: str, y, dtype="float32") -> keras.losses.Loss:
    """The Keras loss object for a loss name of the spec and targets ``y``, on the *logits* z^L.

    Every cross-entropy is ``from_logits=True``: a sigmoid or softmax output is fused with
    its loss (:data:`course_lib.spec.LOGIT_LOSSES`), so it must be given the output of
    :func:`logits_model`, not ``model(x)``. Integer labels (N,) get the ``Sparse...``
    cross-entropy, rows the plain ones. The MSE takes the output a^L = ``model(x)``, which
    for an MSE network is also what :func:`logits_model` returns when its output activation
    is the identity (otherwise apply :func:`output_activation` first).
    """
    sparse = np.ndim(y) == 1 and np.issubdtype(np.asarray(y).dtype, np.integer)
    if name == "mse":
        return keras.losses.MeanSquaredError(dtype=dtype)
    if name == "binary_cross_entropy":
        return keras.losses.BinaryCrossentropy(from_logits=True, dtype=dtype)
    cls = keras.losses.SparseCategoricalCrossentropy if sparse else keras.losses.CategoricalCrossentropy
    return cls(from_logits=True, dtype=dtype)


def targets(y, n_out: int, loss: str, dtype="float32") -> np.ndarray:
    """Targets as the Keras loss wants them, read by the one rule of
    :func:`course_lib.validate.check_targets`: labels (N,) of a cross-entropy stay labels,
    everything else becomes float rows (N, K) in ``dtype``."""
    y = check_targets(loss, y, n_out)
    return y if y.ndim == 1 else y.astype(dtype)


def MLP(spec: MLPSpec, dtype="float32", params=None) -> keras.Sequential:
    """A ``keras.Sequential`` of L ``Dense`` layers built from ``spec``.

    Parameters
    ----------
    spec : MLPSpec
    dtype : ``"float32"`` (default) or ``"float64"``: the variables' dtype, and the
        computation's (except the products of a float64 model on the torch backend, which
        Keras computes in float32: see the module docstring).
    params : optional ``[(W^1, b^1), ...]`` with W^l (n_{l-1}, n_l), to start from
        instead of ``course_lib.numpy.init.init_params(spec)``.

    ``model(x)`` is a^L (probabilities after a sigmoid or softmax output). The last ``Dense``
    is linear; a non-identity output activation follows as ``Activation(name="output")``.
    The model carries its spec as ``model.spec`` and its loss name as ``model.loss_name``.
    """
    dtype = as_keras_dtype(dtype)
    regularizer = HalfL2(spec.l2) if spec.l2 else None
    model = keras.Sequential(name="mlp")
    model.add(keras.Input(shape=(spec.sizes[0],), dtype=dtype))
    last = spec.n_layers
    for l, (n_out, act) in enumerate(zip(spec.sizes[1:], spec.activations), start=1):
        model.add(keras.layers.Dense(
            n_out, activation=ACTIVATIONS[act] if l < last else "linear", kernel_regularizer=regularizer,
            dtype=dtype, name=f"dense_{l}",
        ))
    if spec.activations[-1] != "identity":
        model.add(keras.layers.Activation(ACTIVATIONS[spec.activations[-1]], dtype=dtype, name="output"))
    model.spec = spec
    model.loss_name = spec.loss
    # Not Keras's own initialisation: the course's, so the three frameworks start equal.
    set_weights(model, init_params(spec) if params is None else params)
    return model


def logits_model(model) -> keras.Model:
    """The network up to z^L (the last ``Dense``), sharing ``model``'s layers and weights.

    ``model`` itself when it has no output activation layer (the CNN, ``softmax_cross_entropy``).
    Built once per model and kept on it.
    """
    if not model.layers or model.layers[-1].name != "output":
        return model
    cached = getattr(model, "_course_logits_model", None)
    if cached is None:
        cached = keras.Model(model.inputs[0], model.layers[-2].output, name=f"{model.name}_logits")
        # object.__setattr__: Keras would track a Model assigned as an attribute as a sub-layer
        # of ``model`` (its layers are model's own: nothing new to track).
        object.__setattr__(model, "_course_logits_model", cached)
    return cached


def output_activation(model, z):
    """a^L from z^L: the model's output ``Activation`` layer, or z itself when it has none."""
    return model.layers[-1](z) if model.layers and model.layers[-1].name == "output" else z


def _dense_layers(model):
    return [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]


def get_weights(model):
    """``[(W^1, b^1), ...]`` as float64 NumPy copies, W^l (n_{l-1}, n_l): the exchange format.

    (``model.get_weights()`` is Keras's own flat list ``[W^1, b^1, W^2, ...]`` in the model's dtype.)
    """
    return [
        (np.array(keras.ops.convert_to_numpy(layer.kernel), dtype=np.float64),
         np.array(keras.ops.convert_to_numpy(layer.bias), dtype=np.float64))
        for layer in _dense_layers(model)
    ]


def set_weights(model, params) -> None:
    """Copy ``[(W^1, b^1), ...]`` (from any framework's ``get_weights``) into ``model``, checking shapes."""
    layers = _dense_layers(model)
    params = check_weights(params, [(tuple(layer.kernel.shape), tuple(layer.bias.shape)) for layer in layers])
    for (W, b), layer in zip(params, layers):
        layer.kernel.assign(W.astype(layer.kernel.dtype))  # same (n_in, n_out) layout: no transpose
        layer.bias.assign(b.astype(layer.bias.dtype))
