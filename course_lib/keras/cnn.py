"""A small convolutional network for the 8x8 digits (chapter 9), in Keras.

The twin of :class:`course_lib.torch.SmallCNN`, layer for layer:

    input (N, 64) -> Reshape (N, 8, 8, 1)                           channels last, Keras's layout
    Conv2D 16, 3x3, padding "same", ReLU -> MaxPooling 2x2         (N, 4, 4, 16)
    Conv2D 32, 3x3, padding "same", ReLU -> MaxPooling 2x2         (N, 2, 2, 32)
    Flatten -> Dense n_classes                                     (N, n_classes) logits

6,090 parameters for 10 classes, as in PyTorch. The loss is ``softmax_cross_entropy``
on the logits, so :func:`course_lib.keras.fit`, :func:`evaluate` and :func:`predict` work unchanged.
"""

from __future__ import annotations

import keras

from course_lib.keras.mlp import as_keras_dtype


def build_cnn(n_classes: int = 10, channels: tuple[int, int] = (16, 32), dtype="float32", seed: int = 0) -> keras.Sequential:
    """The small CNN as a ``keras.Sequential`` (input (N, 64) or (N, 8, 8, 1), output logits (N, n_classes)).

    ``seed`` seeds every initializer, so the network is reproducible.
    """
    dtype = as_keras_dtype(dtype)
    c1, c2 = channels

    def init(i):  # Keras's default initializer (Glorot uniform), seeded per layer
        return keras.initializers.GlorotUniform(seed=seed + i)

    model = keras.Sequential([
        keras.Input(shape=(64,), dtype=dtype),
        keras.layers.Reshape((8, 8, 1), dtype=dtype),  # flat rows (as the MLP takes them) become 1-channel images
        keras.layers.Conv2D(c1, 3, padding="same", activation="relu", kernel_initializer=init(0), dtype=dtype),
        keras.layers.MaxPooling2D(2, dtype=dtype),     # (N, 4, 4, c1)
        keras.layers.Conv2D(c2, 3, padding="same", activation="relu", kernel_initializer=init(1), dtype=dtype),
        keras.layers.MaxPooling2D(2, dtype=dtype),     # (N, 2, 2, c2)
        keras.layers.Flatten(dtype=dtype),
        keras.layers.Dense(n_classes, kernel_initializer=init(2), dtype=dtype),  # logits: no softmax here
    ], name="small_cnn")
    model.loss_name = "softmax_cross_entropy"
    return model


#: The same name as the PyTorch class, so a chapter can write ``SmallCNN()`` in both frameworks.
SmallCNN = build_cnn
