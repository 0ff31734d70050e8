"""Tests of course_lib.plotting: each figure draws on small data and holds what it should."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # no display needed; must come before pyplot is imported

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from course_lib.history import History  # noqa: E402
from course_lib.plotting import (  # noqa: E402
    confusion_counts, plot_confusion_matrix, plot_decision_boundary, plot_function_fit, plot_heatmap,
    plot_history, plot_misclassified,
)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _draw(fig):
    """Render the figure (catches errors that only appear at draw time)."""
    assert isinstance(fig, Figure)
    fig.canvas.draw()
    return fig


# --------------------------------------------------------------------------- decision boundary

@pytest.fixture
def blobs():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2)).astype(np.float32)
    return X, (X[:, 0] > 0).astype(int)


def test_decision_boundary_from_labels(blobs):
    X, y = blobs
    seen = {}

    def predict(grid):
        seen["shape"], seen["dtype"] = grid.shape, grid.dtype
        return (grid[:, 0] > 0).astype(int)

    fig = _draw(plot_decision_boundary(predict, X, y, resolution=30, class_names=["left", "right"]))
    assert seen == {"shape": (900, 2), "dtype": np.float32}  # the model gets the dtype of X
    (ax,) = fig.axes  # no colour bar for labels
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["left", "right"]
    xmin, xmax = ax.get_xlim()
    assert xmin < X[:, 0].min() and xmax > X[:, 0].max()


def test_decision_boundary_from_probabilities_draws_the_half_level(blobs):
    X, y = blobs
    fig = _draw(plot_decision_boundary(lambda g: 1 / (1 + np.exp(-3 * g[:, :1])), X, y, resolution=25))
    ax, colorbar = fig.axes
    assert colorbar.get_ylabel() == "P(class 1)"
    assert any(getattr(c, "levels", None) is not None and list(c.levels) == [0.5] for c in ax.collections)


def test_decision_boundary_from_class_scores(blobs):
    X, y = blobs
    three = np.where(X[:, 1] > 1, 2, y)
    fig = _draw(plot_decision_boundary(lambda g: np.c_[-g[:, 0], g[:, 0], 3 * g[:, 1] - 3], X, three, resolution=20))
    assert len(fig.axes[0].get_legend().get_texts()) == 3


def test_decision_boundary_accepts_float_labels(blobs):
    X, y = blobs
    fig = _draw(plot_decision_boundary(lambda g: (g[:, 0] > 0).astype(int), X, y.astype(float)[:, None], resolution=10))
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["class 0", "class 1"]


def test_decision_boundary_checks_its_inputs(blobs):
    X, y = blobs
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        plot_decision_boundary(lambda g: g[:, 0], np.c_[X, X], y)
    with pytest.raises(ValueError, match="predictions"):
        plot_decision_boundary(lambda g: g[:10, 0], X, y, resolution=10)


def test_decision_boundary_into_an_existing_axes(blobs):
    X, y = blobs
    fig, (a, b) = plt.subplots(1, 2)
    assert plot_decision_boundary(lambda g: (g[:, 1] > 0).astype(int), X, y, ax=b, resolution=10) is fig
    assert len(b.collections) > 0 and len(a.collections) == 0


# --------------------------------------------------------------------------- training curves

def _history(framework="numpy", epochs=5, scale=1.0, best_epoch=None):
    h = History(framework=framework, best_epoch=best_epoch)
    for e in range(epochs):
        h.append(loss=scale / (e + 1), accuracy=0.5 + 0.08 * e, val_loss=scale / (e + 0.5), val_accuracy=0.5 + 0.07 * e)
    return h


def test_history_one_panel_per_metric_with_train_and_val():
    h = _history(best_epoch=2)
    fig = _draw(plot_history(h))
    loss_ax, acc_ax = fig.axes
    assert (loss_ax.get_title(), acc_ax.get_title()) == ("loss", "accuracy")
    train, val = loss_ax.get_lines()[:2]
    assert np.allclose(train.get_ydata(), h["loss"]) and np.allclose(val.get_ydata(), h["val_loss"])
    assert list(train.get_xdata()) == [1, 2, 3, 4, 5]
    assert val.get_linestyle() == "--"
    assert any(list(line.get_xdata()) == [3, 3] for line in loss_ax.get_lines())  # best epoch 2 (0-based)


def test_history_overlays_several_runs():
    runs = [_history("numpy"), _history("torch", scale=2.0), _history("keras", epochs=3)]
    fig = _draw(plot_history(runs, metrics=("loss",)))
    (ax,) = fig.axes
    assert len(ax.get_lines()) == 6
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:2] == ["numpy train", "numpy val"] and "keras val" in labels
    fig = _draw(plot_history({"lr=0.1": _history(), "lr=0.01": _history(scale=3)}))
    assert "lr=0.01 train" in [t.get_text() for t in fig.axes[0].get_legend().get_texts()]


def test_history_leaves_out_metrics_never_recorded():
    h = History()
    for e in range(4):
        h.append(loss=1 / (e + 1))
    fig = _draw(plot_history(h))
    assert len(fig.axes) == 1 and len(fig.axes[0].get_lines()) == 1
    with pytest.raises(ValueError, match="recorded"):
        plot_history(h, metrics=("accuracy",))


# --------------------------------------------------------------------------- confusion matrix

def test_confusion_matrix_counts_sum_to_n():
    rng = np.random.default_rng(1)
    y_true = rng.integers(0, 4, size=57)
    y_pred = np.where(rng.random(57) < 0.7, y_true, rng.integers(0, 4, size=57))
    names = ["cat", "dog", "bird", "fish"]
    fig = _draw(plot_confusion_matrix(y_true, y_pred, class_names=names))
    ax = fig.axes[0]
    cells = [int(t.get_text()) for t in ax.texts]
    assert len(cells) == 16 and sum(cells) == 57
    counts = np.asarray(ax.images[0].get_array())
    assert np.array_equal(np.array(cells).reshape(4, 4), counts)
    assert np.trace(counts) == np.sum(y_true == y_pred)
    assert counts[1].sum() == np.sum(y_true == 1)  # rows are true classes
    assert [t.get_text() for t in ax.get_xticklabels()] == names


def test_confusion_counts_counts_repeated_pairs():
    assert confusion_counts([0, 0, 0, 1], [1, 1, 0, 1]).tolist() == [[1, 2], [0, 1]]


# --------------------------------------------------------------------------- misclassified images

def test_misclassified_shows_only_the_mistakes():
    rng = np.random.default_rng(2)
    images = rng.random((30, 64))
    y_true = rng.integers(0, 10, size=30)
    y_pred = y_true.copy()
    wrong = [3, 7, 8, 20, 29]
    y_pred[wrong] = (y_true[wrong] + 1) % 10
    fig = _draw(plot_misclassified(images, y_true, y_pred, n=16, image_shape=(8, 8)))
    assert len(fig.axes) == 5
    assert [ax.get_title() for ax in fig.axes] == [f"{y_true[i]} \u2192 {y_pred[i]}" for i in wrong]
    assert np.allclose(fig.axes[0].images[0].get_array(), images[3].reshape(8, 8))
    assert len(plot_misclassified(images, y_true, y_pred, n=2).axes) == 2


def test_misclassified_with_28x28_images_and_names():
    images = np.zeros((4, 28, 28))
    fig = _draw(plot_misclassified(images, [0, 1, 2, 3], [0, 1, 3, 3], image_shape=None, class_names=list("abcd")))
    (ax,) = fig.axes
    assert ax.get_title() == "c \u2192 d" and ax.images[0].get_array().shape == (28, 28)


def test_misclassified_when_nothing_is_wrong():
    fig = _draw(plot_misclassified(np.zeros((3, 64)), [1, 2, 3], [1, 2, 3]))
    assert "no misclassified" in fig.axes[0].texts[0].get_text()


# --------------------------------------------------------------------------- heatmap of a grid search

def test_heatmap_annotations_are_the_values():
    lrs, l2s = [1e-3, 1e-2, 1e-1], [0.0, 1e-4]
    values = np.array([[0.91, 0.905], [0.953, 0.96], [np.nan, 0.12]])  # NaN: a diverged run
    fig = _draw(plot_heatmap(values, lrs, l2s, "learning rate", "L2", title="validation accuracy", fmt=".2f"))
    ax = fig.axes[0]
    expected = [format(v, ".2f") for v in values.ravel() if not np.isnan(v)]
    assert [t.get_text() for t in ax.texts] == expected  # row by row, the NaN cell left blank
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0.001", "0.01", "0.1"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "0.0001"]
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == ("L2", "learning rate", "validation accuracy")
    assert len(fig.axes) == 2  # the heatmap and its colour bar


def test_heatmap_checks_the_grid_shape():
    with pytest.raises(ValueError, match="shape"):
        plot_heatmap(np.zeros((2, 3)), [1, 2, 3], [1, 2], "a", "b")


# --------------------------------------------------------------------------- regression fit

def test_function_fit_draws_data_prediction_and_truth():
    rng = np.random.default_rng(3)
    x = rng.uniform(-3, 3, size=(50, 1))
    y = np.sin(x) + 0.1 * rng.normal(size=x.shape)
    pred = np.sin(x) * 0.9
    fig = _draw(plot_function_fit(x, y, pred, true_fn=np.sin))
    ax = fig.axes[0]
    truth, fit = ax.get_lines()
    assert np.all(np.diff(fit.get_xdata()) >= 0)  # drawn in x order although x was shuffled
    assert np.allclose(fit.get_ydata(), pred[np.argsort(x[:, 0]), 0])
    assert np.allclose(truth.get_ydata(), np.sin(truth.get_xdata()))
    assert len(ax.collections) == 1 and ax.collections[0].get_offsets().shape == (50, 2)
    assert f"{np.mean((pred - y) ** 2):.3g}" in ax.get_title()


def test_function_fit_rejects_2d_inputs():
    with pytest.raises(ValueError, match="1-D"):
        plot_function_fit(np.zeros((5, 2)), np.zeros(5), np.zeros(5))


def test_logy_puts_only_the_loss_on_a_log_axis():
    fig = _draw(plot_history(_history(), metrics=("loss", "accuracy"), logy=True))
    scales = {ax.get_title(): ax.get_yscale() for ax in fig.axes}
    assert scales == {"loss": "log", "accuracy": "linear"}
