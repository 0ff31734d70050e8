"""Module-level weight exchange, so the call reads the same in every framework.

``get_weights(model)`` returns ``[(W^1, b^1), ..., (W^L, b^L)]`` as float64 arrays with
W^l (n_{l-1}, n_l) and b^l (n_l,); ``set_weights(model, params)`` loads such a list.
``course_lib.torch`` and ``course_lib.keras`` define the same two functions, so

    set_weights(torch_model, get_weights(numpy_model))

moves a network from one framework to another.
"""

from __future__ import annotations


def get_weights(model):
    """``[(W^1, b^1), ...]`` as float64 copies (the exchange format of course_lib)."""
    return model.get_weights()


def set_weights(model, params) -> None:
    """Copy ``[(W^1, b^1), ...]`` (from any framework's ``get_weights``) into ``model``."""
    model.set_weights(params)
