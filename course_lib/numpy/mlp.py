"""A multilayer perceptron in NumPy: forward pass and the four back-propagation equations.

Notation (chapter 1): for layers l = 1..L, with a^0 = x,

    z^l = a^{l-1} W^l + b^l,      a^l = f_l(z^l).

The backward pass (chapter 3) computes delta^l = dC/dz^l with

    (BP1)  delta^L = dC/da^L  * f_L'(z^L)                  output error
    (BP2)  delta^l = (delta^{l+1} W^{l+1 T}) * f_l'(z^l)   error carried one layer back
    (BP3)  dC/db^l = sum_n delta^l_n                       bias gradient (summed over the batch)
    (BP4)  dC/dW^l = a^{l-1 T} delta^l                     weight gradient

where * is the elementwise product and the rows of a batch are samples.
"""

from __future__ import annotations

import numpy as np

from course_lib.numpy.activations import get_activation, softmax, softmax_backward
from course_lib.numpy.init import init_params
from course_lib.numpy.losses import LOSSES
from course_lib.spec import MLPSpec
from course_lib.validate import check_2d


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
        self.loss_fn = LOSSES[spec.loss]
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
        if len(params) != self.spec.n_layers:
            raise ValueError(f"expected {self.spec.n_layers} (W, b) pairs; got {len(params)}")
        for l, ((W, b), (w_shape, b_shape)) in enumerate(zip(params, self.spec.shapes()), start=1):
            W, b = np.asarray(W), np.asarray(b)
            if W.shape != w_shape or b.shape != b_shape:
                raise ValueError(
                    f"layer {l}: expected W {w_shape} and b {b_shape}; got W {W.shape} and b {b.shape}"
                )
            self.weights[l - 1][...] = W
            self.biases[l - 1][...] = b

    # ------------------------------------------------------------------ passes
    def forward(self, x):
        """Run the network on a batch.

        Parameters
        ----------
        x : (N, n_0) inputs.

        Returns
        -------
        out : (N, n_L) the output a^L (logits when the loss is ``softmax_cross_entropy``).
        caches : per layer ``(a^{l-1}, z^l, a^l)``, for :meth:`backward`
            (for a ReLU layer ``z^l`` is ``a^l``: see the comment below).
        """
        a = check_2d("x", x, n_features=self.spec.sizes[0]).astype(self.dtype, copy=False)
        caches = []
        for W, b, (f, _), name in zip(self.weights, self.biases, self.activations, self.spec.activations):
            z = a @ W
            z += b  # in place: saves one (N, n_l) temporary per layer
            if name == "relu":
                # ReLU in place, so z^l and a^l share memory: the backward pass only needs
                # to know where z^l > 0, and that is exactly where a^l > 0.
                a_next = np.maximum(z, 0, out=z)
            else:
                a_next = f(z)
            caches.append((a, z, a_next))
            a = a_next
        return a, caches

    def backward(self, dout, caches):
        """Back-propagate ``dout`` = dC/da^L (N, n_L) through the network.

        Fills :attr:`grad_weights` and :attr:`grad_biases` (the L2 term
        included) and returns them as ``[(dW^1, db^1), ..., (dW^L, db^L)]``.
        """
        if dout.shape != caches[-1][2].shape:
            raise ValueError(f"dout must have the output's shape {caches[-1][2].shape}; got {dout.shape}")
        grad = dout  # dC/da^l, starting at the output layer
        for l in reversed(range(self.spec.n_layers)):
            a_prev, z, a = caches[l]
            # BP1 (l = L) and the second half of BP2 (l < L): delta^l = dC/da^l * f_l'(z^l)
            delta = self._through_activation(grad, z, a, l)
            np.matmul(a_prev.T, delta, out=self.grad_weights[l])  # BP4: dC/dW^l = a^{l-1 T} delta^l
            np.sum(delta, axis=0, out=self.grad_biases[l])        # BP3: dC/db^l = sum over the batch
            if self.spec.l2:
                self.grad_weights[l] += self.spec.l2 * self.weights[l]  # d/dW of (l2/2)||W||^2
            if l > 0:
                # BP2, first half: dC/da^{l-1} = delta^l W^{l T}. Not needed for l = 1:
                # nobody asks for dC/dx, and skipping it saves the largest product of the pass.
                grad = delta @ self.weights[l].T
        return list(zip(self.grad_weights, self.grad_biases))

    def _through_activation(self, grad, z, a, l):
        name = self.spec.activations[l]
        if name == "identity":
            return grad
        if name == "softmax":
            return softmax_backward(grad, a)
        if name == "relu" and l < self.spec.n_layers - 1:
            # grad is our own temporary here (from delta @ W.T), so mask it in place.
            return np.multiply(grad, z > 0, out=grad)
        _, f_prime = self.activations[l]
        return grad * f_prime(z, a)

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
        data_loss, dout = self.loss_fn(out, y)
        grads = self.backward(dout, caches)
        return data_loss + self.penalty(), grads

    def predict_proba(self, x):
        """Class probabilities (N, K) for a classifier; the raw output for regression."""
        out, _ = self.forward(x)
        if self.spec.loss == "softmax_cross_entropy":
            return softmax(out)
        return out

    def __repr__(self) -> str:
        layers = ", ".join(
            f"{n_in}->{n_out} {act}"
            for n_in, n_out, act in zip(self.spec.sizes[:-1], self.spec.sizes[1:], self.spec.activations)
        )
        return f"MLP({layers}; loss={self.spec.loss}, l2={self.spec.l2}, {self.dtype})"
