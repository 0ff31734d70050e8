"""Tests of course_lib.diagrams: the network diagram of chapters 1 and 3."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # no display needed; must come before pyplot is imported

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import Circle  # noqa: E402

from course_lib.diagrams import draw_network, network_positions  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _texts(ax):
    return [t.get_text() for t in ax.texts]


def test_one_circle_per_unit_and_one_line_per_connection():
    sizes = [3, 4, 2]
    ax = draw_network(sizes)
    ax.figure.canvas.draw()  # errors that only appear at draw time (maths text)
    assert sum(isinstance(p, Circle) for p in ax.patches) == sum(sizes)
    assert len(ax.lines) == 3 * 4 + 4 * 2


def test_symbolic_labels_follow_the_book_notation():
    texts = _texts(draw_network([2, 3, 1], edge_labels="all"))
    for k in (1, 2):
        assert f"$x_{{{k}}}$" in texts
    for k in (1, 2, 3):
        assert f"$a^{{1}}_{{{k}}}$" in texts and f"$b^{{1}}_{{{k}}}$" in texts
    assert "$a^{2}_{1}$" in texts and "$b^{2}_{1}$" in texts
    # W^l_{jk}: first index the sending unit of layer l-1, second the receiving unit of layer l
    assert "$W^{1}_{23}$" in texts and "$W^{2}_{31}$" in texts
    assert "$W^{1}_{32}$" not in texts                      # there is no unit 3 in layer 0
    assert any(t.startswith("layer 0 (input)") for t in texts)
    assert any(t.startswith("layer 2 (output)") for t in texts)


def test_input_symbol_a0():
    texts = _texts(draw_network([2, 1], input_symbol="a"))
    assert "$a^{0}_{1}$" in texts and "$x_{1}$" not in texts


def test_only_one_edge_label_per_layer_for_large_layers():
    texts = _texts(draw_network([8, 10, 3]))
    weight_labels = [t for t in texts if t.startswith("$W^")]
    assert sorted(weight_labels) == ["$W^{1}_{11}$", "$W^{2}_{11}$"]


def test_numbers_replace_symbols():
    W = [np.array([[0.5, -1.25]]), np.array([[2.0], [3.0]])]
    b = [np.array([0.1, 0.2]), np.array([-0.3])]
    values = [np.array([1.0]), np.array([0.25, 0.75]), np.array([4.0])]
    texts = _texts(draw_network([1, 2, 1], weights=W, biases=b, values=values))
    for number in ("0.50", "-1.25", "2.00", "3.00", "b = 0.10", "b = 0.20", "b = -0.30", "1.00", "0.25", "0.75",
                   "4.00"):
        assert number in texts, number
    assert not any(t.startswith("$W^") or t.startswith("$b^") for t in texts)


def test_highlight_draws_one_coloured_connection():
    ax = draw_network([3, 4, 2], edge_labels="none", highlight=(2, 4, 1))
    thick = [line for line in ax.lines if line.get_linewidth() > 2]
    assert len(thick) == 1
    assert "$W^{2}_{41}$" in _texts(ax)


def test_draws_into_a_given_axes():
    fig, axes = plt.subplots(1, 2)
    assert draw_network([2, 2], ax=axes[1]) is axes[1]
    assert len(axes[0].patches) == 0 and len(axes[1].patches) == 4


def test_positions():
    pos = network_positions([1, 3])
    assert [p.shape for p in pos] == [(1, 2), (3, 2)]
    assert pos[1][0, 1] > pos[1][2, 1]                     # unit 1 at the top
    assert np.isclose(pos[1][:, 1].mean(), 0.0)


@pytest.mark.parametrize("sizes", [[3], [], [2, 0, 1], [2, 1.5]])
def test_bad_sizes_are_refused(sizes):
    with pytest.raises(ValueError):
        draw_network(sizes)


def test_arrays_of_the_wrong_shape_are_refused():
    with pytest.raises(ValueError, match="W\\^1"):
        draw_network([2, 3], weights=[np.zeros((3, 2))])
    with pytest.raises(ValueError, match="b\\^1"):
        draw_network([2, 3], biases=[np.zeros(2)])
    with pytest.raises(ValueError, match="values"):
        draw_network([2, 3], values=[np.zeros(2)])
    with pytest.raises(ValueError, match="edge_labels"):
        draw_network([2, 3], edge_labels="some")
