"""A multilayer perceptron in NumPy: forward pass and the four back-propagation equations.

Notation (chapter 1): for layers l = 1..L, with a^0 = x,

    z^l = a^{l-1} W^l + b^l,      a^l = f_l(z^l).

The backward pass (chapter 3) computes delta^l = dC/dz^l with

    (BP1)  delta^L = dC/da^L  * f_L'(z^L)                  output error
    (BP2)  delta^l = (delta^{l+1} W^{l+1 T}) * f_l'(z^l)   error carried one layer back
    (BP3)  dC/db^l = sum_n delta^l_n                       bias gradient (summed over the batch)
    (BP4)  dC/dW^l = a^{l-1 T} delta^l                     weight gradient

where * is the elementwise product and the rows of a batch are samples.

The network is built from the layer functions of :mod:`course_lib.numpy.layers`, the
ones chapter 3 and assignment a2 write by hand: there is one back-propagation in
course_lib, and this is it. The MLP only adds memory reuse: one flat buffer for all
parameters and another for all gradients, ReLU in place.

Computes in its dtype: float32 (the default) or float64, every product and loss.
"""

from __future__ import annotations

import numpy as np

from course_lib.numpy.activations import get_activation, softmax
from course_lib.numpy.init import init_params
from course_lib.numpy.layers import activation_backward, activation_forward, dense_backward, dense_forward
from course_lib.numpy.losses import LOGIT_LOSSES, LOSSES
from course_lib.spec import MLPSpec
from course_lib.validate import check_2d, check_weights


class MLP:
    """A fully connected network built from an :class:`~course_lib.spec.MLPSpec`.

    Parameters
    ----------
    spec : MLPSpec
    dtype : float32 (the default, fast for training) or float64 (for gradient checks).
    params : optional ``[(W^1, b^1), ...]`` to start from instead of the spec's initialiser.

    Attributes
    ----------
    weights, biases : lists of the L arrays W^l (n_{l-1}, n_l) and b^l (n_l,).
    grad_weights, grad_biases : their gradients, filled by :meth:`backward`.
    flat_params, flat_grads : 1-D arrays that hold all of the above (see below).
    """

    def __init__(self, spec: MLPSpec, dtype=np.float32, params=None):
        self.spec = spec
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be float32 or float64; got {self.dtype}")
        # Every parameter lives in one flat buffer and W^l, b^l are *views* into it.
        # An optimizer then updates the whole network with a handful of vectorised
        # in-place operations on one array, instead of 2L small ones.
        self.flat_params = np.zeros(spec.n_params, self.dtype)
        self.flat_grads = np.zeros(spec.n_params, self.dtype)
        self.weights, self.biases = self._views(self.flat_params)
        self.grad_weights, self.grad_biases = self._views(self.flat_grads)
        self.activations = [get_activation(name) for name in spec.activations]
        #: the loss of the output a^L, ``loss_fn(out, y) -> (loss, dC/da^L)``
        self.loss_fn = LOSSES[spec.loss]
        #: the same loss fused with the output activation, on the logits z^L (None for the MSE)
        self.logits_loss = LOGIT_LOSSES.get(spec.logits_loss)
        self.set_weights(init_params(spec) if params is None else params)

    def _views(self, flat):
        weights, biases, start = [], [], 0
        for (n_in, n_out), _ in self.spec.shapes():
            weights.append(flat[start:start + n_in * n_out].reshape(n_in, n_out))
            start += n_in * n_out
            biases.append(flat[start:start + n_out])
            start += n_out
        return weights, biases

    # ------------------------------------------------------------------ weights
    def get_weights(self):
        """``[(W^1, b^1), ..., (W^L, b^L)]`` as float64 copies (the exchange format of course_lib)."""
        return [(W.astype(np.float64), b.astype(np.float64)) for W, b in zip(self.weights, self.biases)]

    def set_weights(self, params) -> None:
        """Copy ``[(W^1, b^1), ...]`` into the network, checking every shape."""
        for l, (W, b) in enumerate(check_weights(params, self.spec.shapes())):
            self.weights[l][...] = W
            self.biases[l][...] = b

    # ------------------------------------------------------------------ passes
    def forward(self, x):
        """Run the network on a batch, layer by layer: ``dense_forward`` then ``activation_forward``.

        Parameters
        ----------
        x : (N, n_0) inputs, computed in the network's dtype.

        Returns
        -------
        out : (N, n_L) the output a^L: logits for ``softmax_cross_entropy``, probabilities
            after a sigmoid or softmax output.
        caches : per layer ``(a^{l-1}, z^l, a^l)``, for :meth:`backward`
            (for a ReLU layer ``z^l`` is ``a^l``, overwritten in place: see
            :func:`~course_lib.numpy.layers.activation_forward`).
        """
        a = check_2d("x", x, n_features=self.spec.sizes[0]).astype(self.dtype, copy=False)
        caches = []
        for W, b, name in zip(self.weights, self.biases, self.spec.activations):
            z, _ = dense_forward(a, W, b)                            # z^l = a^{l-1} W^l + b^l
            a_next, _ = activation_forward(z, name, overwrite=True)  # a^l = f_l(z^l)
            caches.append((a, z, a_next))
            a = a_next
        return a, caches

    def backward(self, dout, caches):
        """Back-propagate ``dout`` = dC/da^L (N, n_L) through the network.

        BP1 (delta^L = dC/da^L * f_L'(z^L)) is ``activation_backward`` of the output
        layer; :meth:`backpropagate` does the rest. Fills :attr:`grad_weights` and
        :attr:`grad_biases` (the L2 term included) and returns them as
        ``[(dW^1, db^1), ..., (dW^L, db^L)]``.
        """
        _, z, a = caches[-1]
        if dout.shape != a.shape:
            raise ValueError(f"dout must have the output's shape {a.shape}; got {dout.shape}")
        delta = activation_backward(dout, (z, a, self.spec.activations[-1]))  # BP1
        return self.backpropagate(delta, caches)

    def backpropagate(self, delta, caches):
        """BP2-BP4 from the output error ``delta`` = delta^L = dC/dz^L (N, n_L).

        Each layer, from the last, is ``dense_backward`` (BP3, BP4 and the first half of
        BP2, dC/da^{l-1} = delta^l W^{l T}) and then ``activation_backward`` of the layer
        below (the second half of BP2, * f_{l-1}'(z^{l-1})). Returns the gradients as
        :meth:`backward` does.
        """
        for l in reversed(range(self.spec.n_layers)):
            a_prev, z, a = caches[l]
            if l < self.spec.n_layers - 1:
                # BP2, second half. grad came from dense_backward: our own temporary, so
                # the activation may write delta over it.
                delta = activation_backward(grad, (z, a, self.spec.activations[l]), overwrite=True)  # noqa: F821 - bound by the previous l
            # BP4 into grad_weights[l], BP3 into grad_biases[l], and BP2's first half, except
            # for l = 1: nobody asks for dC/dx, and it is the largest product of the pass.
            grad, _, _ = dense_backward(delta, (a_prev, self.weights[l]), dW=self.grad_weights[l],
                                        db=self.grad_biases[l], need_dx=l > 0)
            if self.spec.l2:
                self.grad_weights[l] += self.spec.l2 * self.weights[l]  # d/dW of (l2/2)||W||^2
        return list(zip(self.grad_weights, self.grad_biases))

    def output_error(self, caches, y):
        """The mean data loss on the batch and delta^L = dC/dz^L (N, n_L), from the forward caches.

        A sigmoid or softmax output and its cross-entropy are one function of the logits
        z^L (:data:`course_lib.spec.LOGIT_LOSSES`): the loss is exact even where a^L has
        rounded to 0 or 1 (float32: sigma(17) == 1), and delta^L = (a^L - y) / N directly.
        Otherwise (the MSE) it is the loss of a^L, then BP1.
        """
        _, z, a = caches[-1]
        if self.logits_loss is not None:
            return self.logits_loss(z, y)
        loss, dout = self.loss_fn(a, y)
        return loss, activation_backward(dout, (z, a, self.spec.activations[-1]))  # BP1

    # ------------------------------------------------------------------ loss
    def penalty(self) -> float:
        """The L2 term (l2 / 2) sum_l ||W^l||^2 (biases are not penalised)."""
        if not self.spec.l2:
            return 0.0
        return 0.5 * self.spec.l2 * float(sum(np.vdot(W, W) for W in self.weights))

    def loss(self, x, y):
        """Loss (data term + L2) on a batch and its gradients.

        Returns ``(loss, [(dW^1, db^1), ...])``; the gradients are views of
        :attr:`flat_grads`, overwritten by the next call.
        """
        out, caches = self.forward(x)
        data_loss, delta = self.output_error(caches, y)
        return data_loss + self.penalty(), self.backpropagate(delta, caches)

    def predict_proba(self, x):
        """Class probabilities (N, K) for a classifier; the raw output for regression."""
        out, _ = self.forward(x)
        return softmax(out) if self.spec.probabilities_from_output == "softmax" else out

    def __repr__(self) -> str:
        layers = ", ".join(
            f"{n_in}->{n_out} {act}"
            for n_in, n_out, act in zip(self.spec.sizes[:-1], self.spec.sizes[1:], self.spec.activations)
        )
        return f"MLP({layers}; loss={self.spec.loss}, l2={self.spec.l2}, {self.dtype})"
