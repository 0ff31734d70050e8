"""Diagrams of the book drawn by code: a fully connected network with the book's notation.

:func:`draw_network` draws the units of a network as circles, layer by layer from left to right,
and labels them with the notation of chapter 1: the activation :math:`a^l_k` of unit :math:`k` of
layer :math:`l` (the inputs are :math:`x_k = a^0_k`), the weight :math:`W^l_{jk}` of the
connection from unit :math:`j` of layer :math:`l-1` to unit :math:`k` of layer :math:`l`, and the
bias :math:`b^l_k`. Given numbers (``weights``, ``biases``, ``values``) it writes them instead, so
the same function draws a worked example::

    draw_network([3, 4, 2])                                   # symbols only
    draw_network([2, 2, 1], weights=[W1, W2], biases=[b1, b2], values=[x, a1, a2])

Indices are 1-based in the labels, as in the text; the arrays are the 0-based NumPy arrays of
``course_lib`` (``W[l-1][j-1, k-1]`` is :math:`W^l_{jk}`).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Circle

__all__ = ["draw_network", "network_positions"]

_UNIT_RADIUS = 0.22


def network_positions(sizes: Sequence[int], layer_gap: float = 2.4, unit_gap: float = 1.0):
    """Centres of the units: a list (one per layer) of ``(n_l, 2)`` arrays of ``(x, y)``.

    Layer ``l`` sits at ``x = l * layer_gap``; its units are centred vertically around ``y = 0``,
    unit 1 at the top.
    """
    _check_sizes(sizes)
    positions = []
    for l, n in enumerate(sizes):
        ys = (np.arange(n)[::-1] - (n - 1) / 2) * unit_gap
        positions.append(np.column_stack([np.full(n, l * layer_gap), ys]))
    return positions


def _check_sizes(sizes):
    if len(sizes) < 2:
        raise ValueError(f"a network needs at least two layers (an input and an output); got sizes {list(sizes)}")
    if any(int(n) != n or n < 1 for n in sizes):
        raise ValueError(f"every layer needs a positive whole number of units; got sizes {list(sizes)}")


def _check_arrays(sizes, weights, biases, values):
    L = len(sizes) - 1
    if weights is not None:
        if len(weights) != L:
            raise ValueError(f"weights: expected {L} matrices W^1..W^{L}, got {len(weights)}")
        for l, W in enumerate(weights, start=1):
            if np.shape(W) != (sizes[l - 1], sizes[l]):
                raise ValueError(f"W^{l} must have shape {(sizes[l - 1], sizes[l])}, got {np.shape(W)}")
    if biases is not None:
        if len(biases) != L:
            raise ValueError(f"biases: expected {L} vectors b^1..b^{L}, got {len(biases)}")
        for l, b in enumerate(biases, start=1):
            if np.size(b) != sizes[l]:
                raise ValueError(f"b^{l} must have {sizes[l]} entries, got {np.size(b)}")
    if values is not None:
        if len(values) != L + 1:
            raise ValueError(f"values: expected {L + 1} activation vectors a^0..a^{L}, got {len(values)}")
        for l, a in enumerate(values):
            if np.size(a) != sizes[l]:
                raise ValueError(f"a^{l} must have {sizes[l]} entries, got {np.size(a)}")


def draw_network(
    sizes: Sequence[int],
    ax=None,
    *,
    weights: Sequence[np.ndarray] | None = None,
    biases: Sequence[np.ndarray] | None = None,
    values: Sequence[np.ndarray] | None = None,
    edge_labels: str = "auto",
    fmt: str = "{:.2f}",
    input_symbol: str = "x",
    layer_names: bool = True,
    highlight: tuple[int, int, int] | None = None,
):
    """Draw a fully connected network of widths ``sizes = (n_0, ..., n_L)``; return the Axes.

    Parameters
    ----------
    sizes : the widths :math:`n_0, \\dots, n_L` (at least two layers).
    ax : an Axes to draw into; a new figure is made if None.
    weights, biases : optional numbers to write on the edges and beside the units, ``weights[l-1]``
        of shape ``(n_{l-1}, n_l)`` and ``biases[l-1]`` of shape ``(n_l,)``. Without them the
        labels are the symbols :math:`W^l_{jk}` and :math:`b^l_k`.
    values : optional activations ``values[l]`` (shape ``(n_l,)``) to write inside the units.
    edge_labels : ``"all"`` labels every connection, ``"one"`` only the first connection of each
        layer (:math:`W^l_{11}`), ``"none"`` none; ``"auto"`` is ``"all"`` when every layer has at
        most 9 connections or numbers are given, else ``"one"``.
    fmt : format of the numbers.
    input_symbol : the name of the inputs, ``"x"`` (:math:`x_k`) or ``"a"`` (:math:`a^0_k`).
    layer_names : write "layer l" and the width under each layer.
    highlight : ``(l, j, k)`` draws the connection :math:`W^l_{jk}` thicker and in colour.
    """
    _check_sizes(sizes)
    sizes = [int(n) for n in sizes]
    _check_arrays(sizes, weights, biases, values)
    if edge_labels not in ("auto", "all", "one", "none"):
        raise ValueError(f"edge_labels must be 'auto', 'all', 'one' or 'none', got {edge_labels!r}")
    L = len(sizes) - 1
    if edge_labels == "auto":
        small = all(sizes[l - 1] * sizes[l] <= 9 for l in range(1, L + 1))
        edge_labels = "all" if (small or weights is not None) else "one"

    if ax is None:
        width = 2.2 + 2.3 * L
        height = 1.6 + 1.0 * max(sizes)
        _, ax = plt.subplots(figsize=(width, height))
    pos = network_positions(sizes)
    r = _UNIT_RADIUS

    # connections, and their labels
    for l in range(1, L + 1):
        for j in range(sizes[l - 1]):
            for k in range(sizes[l]):
                (x0, y0), (x1, y1) = pos[l - 1][j], pos[l][k]
                is_hl = highlight == (l, j + 1, k + 1)
                ax.plot([x0 + r, x1 - r], [y0, y1], color="C3" if is_hl else "0.55",
                        lw=2.2 if is_hl else 0.9, zorder=1)
                label_it = edge_labels == "all" or (edge_labels == "one" and j == 0 and k == 0) or is_hl
                if not label_it:
                    continue
                text = (fmt.format(float(weights[l - 1][j, k])) if weights is not None
                        else rf"$W^{{{l}}}_{{{j + 1}{k + 1}}}$")
                # place the label a quarter of the way along the edge, where edges are still apart
                t = 0.28
                xm, ym = x0 + r + t * (x1 - x0 - 2 * r), y0 + t * (y1 - y0)
                ax.text(xm, ym, text, fontsize=8, ha="center", va="center", zorder=3,
                        color="C3" if is_hl else "0.15",
                        bbox=dict(boxstyle="round,pad=0.12", fc="white", ec="none", alpha=0.9))

    # units, their activations and biases
    for l in range(L + 1):
        for k in range(sizes[l]):
            x, y = pos[l][k]
            face = "#cfe2f3" if l == 0 else ("#f4cccc" if l == L else "#fff2cc")
            ax.add_patch(Circle((x, y), r, fc=face, ec="0.2", lw=1.2, zorder=2))
            if values is not None:
                label = fmt.format(float(np.ravel(values[l])[k]))
                size = 7.5
            elif l == 0 and input_symbol == "x":
                label, size = rf"$x_{{{k + 1}}}$", 10
            else:
                label, size = rf"$a^{{{l}}}_{{{k + 1}}}$", 10
            ax.text(x, y, label, ha="center", va="center", fontsize=size, zorder=4)
            if l > 0:
                btext = ("b = " + fmt.format(float(np.ravel(biases[l - 1])[k])) if biases is not None
                         else rf"$b^{{{l}}}_{{{k + 1}}}$")
                ax.text(x + 0.3, y - 0.28, btext, ha="left", va="top", fontsize=7.5, color="0.3", zorder=4)

    if layer_names:
        bottom = min(p[:, 1].min() for p in pos) - 0.75
        for l in range(L + 1):
            role = "input" if l == 0 else ("output" if l == L else "hidden")
            ax.text(pos[l][0, 0], bottom, f"layer {l} ({role})\n$n_{{{l}}} = {sizes[l]}$",
                    ha="center", va="top", fontsize=9)

    xs = np.concatenate([p[:, 0] for p in pos])
    ys = np.concatenate([p[:, 1] for p in pos])
    ax.set_xlim(xs.min() - 0.6, xs.max() + 0.9)
    ax.set_ylim(ys.min() - (1.55 if layer_names else 0.6), ys.max() + 0.5)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax
