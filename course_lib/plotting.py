"""The figures of the chapters, one function each; every function returns its matplotlib Figure.

The functions take plain arrays (and :class:`~course_lib.history.History`
records), never a model: where a model is needed you pass a function, so the
same call draws a NumPy, a PyTorch or a Keras model::

    plot_decision_boundary(lambda X: net.predict(X), X, y)                         # course_lib.numpy
    plot_decision_boundary(lambda X: model(torch.from_numpy(X)).argmax(1).numpy(), X, y)    # PyTorch
    plot_decision_boundary(lambda X: model.predict(X, verbose=0), X, y)           # Keras

Pass ``ax=`` to draw into an existing axes (a panel of a larger figure).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import matplotlib
import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np


def _figure(ax, **subplots_kw):
    """``(fig, ax)``: the figure of ``ax`` if given, else a new figure with one axes."""
    if ax is not None:
        return ax.figure, ax
    return plt.subplots(**subplots_kw)


# --------------------------------------------------------------------------- classification in 2-D

def plot_decision_boundary(
    predict_fn: Callable[[np.ndarray], np.ndarray],
    X,
    y,
    ax=None,
    resolution: int = 200,
    padding: float = 0.5,
    class_names: Sequence[str] | None = None,
    title: str | None = None,
    cmap: str = "RdBu",
):
    """The regions a 2-D classifier assigns to each class, with the data on top.

    Parameters
    ----------
    predict_fn : callable mapping (M, 2) inputs to one of
        * labels, integer (M,): the regions are coloured by label;
        * probabilities of class 1, float (M,) or (M, 1) (a sigmoid output): coloured by
          probability, with the decision boundary p = 0.5 drawn as a line;
        * scores or probabilities for K classes, (M, K): the predicted label is the argmax.
        The inputs have the dtype of ``X`` (float32 for the course data, what torch expects).
    X : (N, 2) inputs;  y : (N,) integer labels.
    resolution : grid points along each axis (``resolution**2`` predictions).
    padding : margin around the data, in the units of ``X``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    X, y = np.asarray(X), np.asarray(y).ravel()
    if np.issubdtype(y.dtype, np.floating) and np.all(y == np.round(y)):
        y = y.astype(int)  # labels stored as floats (e.g. a (N, 1) float target): use them as labels
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary needs 2-D inputs of shape (N, 2); got {X.shape}")
    fig, ax = _figure(ax, figsize=(5, 4.5))
    (x0, y0), (x1, y1) = X.min(axis=0) - padding, X.max(axis=0) + padding
    xx, yy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    grid = np.c_[xx.ravel(), yy.ravel()].astype(X.dtype if np.issubdtype(X.dtype, np.floating) else np.float64)

    out = np.asarray(predict_fn(grid))
    if len(out) != len(grid):
        raise ValueError(f"predict_fn returned {len(out)} predictions for {len(grid)} inputs (shape {out.shape})")
    if out.ndim == 2 and out.shape[1] > 1:
        out = out.argmax(axis=1)  # K scores -> label
    out = out.reshape(xx.shape)

    classes = np.unique(y)
    if np.issubdtype(out.dtype, np.integer) or out.dtype == bool:
        # Labels: one flat colour per class, boundaries between consecutive labels.
        levels = np.arange(min(out.min(), classes.min()), max(out.max(), classes.max()) + 2) - 0.5
        ax.contourf(xx, yy, out, levels=levels, cmap=cmap, alpha=0.35)
    else:
        # Probability of class 1: shade by confidence, draw where it crosses 1/2.
        filled = ax.contourf(xx, yy, out, levels=np.linspace(0, 1, 11), cmap=cmap, alpha=0.35, extend="both")
        fig.colorbar(filled, ax=ax, label="P(class 1)")
        if out.min() < 0.5 < out.max():
            ax.contour(xx, yy, out, levels=[0.5], colors="k", linewidths=1.5)

    colors = plt.get_cmap(cmap)(np.linspace(0, 1, max(len(classes), 2)))
    for i, c in enumerate(classes):
        label = class_names[c] if class_names is not None else f"class {c}"
        ax.scatter(*X[y == c].T, s=14, color=colors[i], edgecolor="k", linewidth=0.4, label=label)
    ax.set(xlim=(x0, x1), ylim=(y0, y1), xlabel="$x_1$", ylabel="$x_2$", title=title or "Decision boundary")
    ax.legend(loc="upper right", fontsize="small")
    return fig


# --------------------------------------------------------------------------- training curves

def _as_runs(history_or_histories) -> dict[str, tuple[dict[str, list[float]], int | None]]:
    """label -> (metric dict, best epoch or None), from one History, a list of them or a dict label -> History.

    Anything with a ``.history`` dict works (a Keras ``History`` too), and so does a plain
    metric dict ``{"loss": [...], ...}``.
    """
    def run(h):
        metrics = dict(h.history) if hasattr(h, "history") else dict(h)
        return metrics, getattr(h, "best_epoch", None)

    h = history_or_histories
    is_metric_dict = isinstance(h, Mapping) and all(isinstance(v, (list, tuple, np.ndarray)) for v in h.values())
    if hasattr(h, "history") or is_metric_dict:
        return {getattr(h, "framework", None) or "run": run(h)}
    if isinstance(h, Mapping):
        return {str(label): run(v) for label, v in h.items()}
    runs = {}
    for i, one in enumerate(h):
        label = getattr(one, "framework", None) or f"run {i}"
        runs[label if label not in runs else f"{label} ({i})"] = run(one)
    return runs


def plot_history(
    history_or_histories,
    metrics: Sequence[str] = ("loss", "accuracy"),
    title: str | None = None,
    logy: bool = False,
):
    """Training curves, one panel per metric: training solid, validation dashed.

    Parameters
    ----------
    history_or_histories : a :class:`~course_lib.history.History`, a list of them (labelled by
        their ``framework``) or a dict label -> History, overlaid in each panel to compare runs
        (NumPy vs PyTorch vs Keras, or two learning rates).
    metrics : metric names; each gets a panel showing ``name`` and ``val_name`` where recorded.
        Metrics recorded by none of the runs are left out.
    logy : logarithmic y axis for the loss panels (losses span decades). Accuracies and other
        bounded metrics always keep a linear axis: on a log axis their differences are unreadable.

    Returns
    -------
    matplotlib.figure.Figure with one axes per metric shown.
    """
    runs = _as_runs(history_or_histories)
    shown = [m for m in metrics if any(m in r or f"val_{m}" in r for r, _ in runs.values())]
    if not shown:
        recorded = sorted({k for r, _ in runs.values() for k in r})
        raise ValueError(f"none of the metrics {list(metrics)} was recorded; the histories hold {recorded}")
    fig, axes = plt.subplots(1, len(shown), figsize=(4.5 * len(shown), 3.5), squeeze=False)
    for ax, metric in zip(axes[0], shown):
        for i, (label, (r, best_epoch)) in enumerate(runs.items()):
            color = f"C{i}"  # one colour per run, shared by its training and validation curves
            for key, style, suffix in ((metric, "-", "train"), (f"val_{metric}", "--", "val")):
                if len(r.get(key, ())):
                    epochs = np.arange(1, len(r[key]) + 1)
                    ax.plot(epochs, r[key], style, color=color, label=f"{label} {suffix}")
            if best_epoch is not None:  # early stopping kept this (0-based) epoch
                ax.axvline(best_epoch + 1, color=color, linestyle=":", linewidth=1, label=f"{label} best epoch")
        ax.set(xlabel="epoch", ylabel=metric, title=metric)
        if logy and "loss" in metric:
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- classification results

def confusion_counts(y_true, y_pred, n_classes: int | None = None) -> np.ndarray:
    """(K, K) integer matrix C with C[i, j] = number of samples of true class i predicted as j."""
    y_true, y_pred = np.asarray(y_true).ravel().astype(int), np.asarray(y_pred).ravel().astype(int)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred must have the same length; got {len(y_true)} and {len(y_pred)}")
    k = n_classes or int(max(y_true.max(initial=0), y_pred.max(initial=0))) + 1
    counts = np.zeros((k, k), dtype=int)
    np.add.at(counts, (y_true, y_pred), 1)  # add.at, not counts[i, j] += 1: repeated pairs must all count
    return counts


def plot_confusion_matrix(y_true, y_pred, class_names: Sequence[str] | None = None, ax=None,
                          title: str | None = None, cmap: str = "Blues"):
    """Counts of (true class, predicted class) pairs, each cell annotated; the diagonal is correct.

    ``y_true``, ``y_pred`` : (N,) integer labels. The annotations sum to N.
    Returns the matplotlib Figure.
    """
    k = len(class_names) if class_names is not None else None
    counts = confusion_counts(y_true, y_pred, k)
    k = len(counts)
    names = list(class_names) if class_names is not None else [str(i) for i in range(k)]
    fig, ax = _figure(ax, figsize=(0.55 * k + 2.5, 0.55 * k + 2))
    im = ax.imshow(counts, cmap=cmap)
    fig.colorbar(im, ax=ax, fraction=0.046)
    for i in range(k):
        for j in range(k):
            # White text on dark cells, black on light ones.
            dark = counts[i, j] > counts.max() / 2
            ax.text(j, i, str(counts[i, j]), ha="center", va="center", fontsize="small",
                    color="white" if dark else "black")
    accuracy = np.trace(counts) / max(counts.sum(), 1)
    ax.set(xticks=range(k), yticks=range(k), xticklabels=names, yticklabels=names,
           xlabel="predicted", ylabel="true", title=title or f"Confusion matrix (accuracy {accuracy:.1%})")
    plt.setp(ax.get_xticklabels(), rotation=45 if max(map(len, names)) > 2 else 0, ha="right")
    return fig


def plot_misclassified(images, y_true, y_pred, n: int = 16, image_shape: tuple[int, ...] | None = (8, 8),
                       class_names: Sequence[str] | None = None, ncols: int = 8, cmap: str = "gray_r"):
    """A grid of the first ``n`` misclassified images, each titled ``true -> predicted``.

    Parameters
    ----------
    images : (N, H*W) flattened or (N, H, W) images (undo any standardisation first, e.g.
        ``split.scaler.inverse_transform(X)``, for natural-looking pictures).
    y_true, y_pred : (N,) integer labels.
    image_shape : (H, W) to reshape each image to; (8, 8) for the digits, (28, 28) for MNIST.
        None: square images, H = W = sqrt(number of pixels).

    Returns
    -------
    matplotlib.figure.Figure; one axes per misclassified image shown (one empty axes
    saying so when there are none).
    """
    images = np.asarray(images)
    y_true, y_pred = np.asarray(y_true).ravel(), np.asarray(y_pred).ravel()
    wrong = np.flatnonzero(y_true != y_pred)[:n]
    if len(wrong) == 0:
        fig, ax = plt.subplots(figsize=(3, 1))
        ax.text(0.5, 0.5, "no misclassified examples", ha="center", va="center")
        ax.axis("off")
        return fig
    if image_shape is None:
        side = int(round(np.sqrt(images[0].size)))
        image_shape = (side, side)
    ncols = min(ncols, len(wrong))
    nrows = -(-len(wrong) // ncols)  # ceiling division
    fig = plt.figure(figsize=(1.3 * ncols, 1.5 * nrows))
    name = (lambda c: class_names[c]) if class_names is not None else str
    for k, i in enumerate(wrong):
        ax = fig.add_subplot(nrows, ncols, k + 1)
        ax.imshow(images[i].reshape(image_shape), cmap=cmap)
        ax.set_title(f"{name(y_true[i])} \u2192 {name(y_pred[i])}", fontsize="small", color="C3")
        ax.axis("off")
    fig.suptitle(f"Misclassified ({len(wrong)} shown of {int((y_true != y_pred).sum())}): true \u2192 predicted",
                 fontsize="medium")
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- hyperparameter grids

def plot_heatmap(grid_values, row_values, col_values, row_label: str = "", col_label: str = "",
                 title: str | None = None, fmt: str = ".3g", ax=None, cmap: str = "viridis", **heatmap_kw):
    """A hyperparameter grid as a seaborn heatmap, each cell annotated with its value.

    Parameters
    ----------
    grid_values : (R, C) array; ``grid_values[i, j]`` is the result for ``row_values[i]`` and
        ``col_values[j]`` (e.g. validation accuracy for a learning rate and an L2 strength).
        NaN (a run that diverged) is left blank.
    row_values : (R,) values of the first hyperparameter;  col_values : (C,) of the second.
    fmt : format of the annotations, as in ``format(value, fmt)``.
    heatmap_kw : passed to :func:`seaborn.heatmap` (e.g. ``vmin``, ``vmax``).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import seaborn as sns  # imported here: it is slow to import and only this figure needs it

    grid_values = np.asarray(grid_values, dtype=float)
    if grid_values.shape != (len(row_values), len(col_values)):
        raise ValueError(f"grid_values must have shape (len(row_values), len(col_values)) = "
                         f"{(len(row_values), len(col_values))}; got {grid_values.shape}")
    fig, ax = _figure(ax, figsize=(1.0 * len(col_values) + 2.5, 0.6 * len(row_values) + 1.8))
    sns.heatmap(grid_values, annot=True, fmt=fmt, cmap=cmap, ax=ax,
                xticklabels=[f"{v:g}" if isinstance(v, (int, float, np.number)) else str(v) for v in col_values],
                yticklabels=[f"{v:g}" if isinstance(v, (int, float, np.number)) else str(v) for v in row_values],
                **heatmap_kw)
    ax.set(xlabel=col_label, ylabel=row_label, title=title or "")
    ax.tick_params(axis="y", rotation=0)
    return fig


# --------------------------------------------------------------------------- regression

def plot_function_fit(x, y_true, y_pred, ax=None, title: str | None = None,
                      true_fn: Callable[[np.ndarray], np.ndarray] | None = None, label: str = "network"):
    """A 1-D regression: the data as points, the model's prediction as a curve.

    Parameters
    ----------
    x : (N,) or (N, 1) inputs;  y_true : (N,) or (N, 1) targets;  y_pred : (N,) or (N, 1) predictions.
        Any order: the curve is drawn through the points sorted by x.
    true_fn : optional noise-free target, (M, 1) -> (M, 1) (e.g. ``split.target_fn``), drawn dotted.

    Returns
    -------
    matplotlib.figure.Figure
    """
    x, y_true, y_pred = (np.asarray(a, dtype=float) for a in (x, y_true, y_pred))
    if x.ndim == 2 and x.shape[1] != 1 or x.ndim > 2:
        raise ValueError(f"plot_function_fit draws 1-D inputs, shape (N,) or (N, 1); got {x.shape}")
    x, y_true, y_pred = x.ravel(), y_true.ravel(), y_pred.ravel()
    if not len(x) == len(y_true) == len(y_pred):
        raise ValueError(f"x, y_true and y_pred differ in length: {len(x)}, {len(y_true)}, {len(y_pred)}")
    fig, ax = _figure(ax, figsize=(5.5, 3.8))
    order = np.argsort(x)
    ax.scatter(x, y_true, s=10, color="0.5", alpha=0.7, label="data")
    if true_fn is not None:
        xs = np.linspace(x.min(), x.max(), 400)[:, None]
        ax.plot(xs[:, 0], np.asarray(true_fn(xs)).ravel(), ":", color="k", label="true function")
    ax.plot(x[order], y_pred[order], "-", color="C3", linewidth=2, label=label)
    mse = float(np.mean((y_pred - y_true) ** 2))
    ax.set(xlabel="x", ylabel="y", title=title or f"Fit (MSE {mse:.3g})")
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    return fig


# --------------------------------------------------------------------------- experiments over seeds

def plot_runs(runs, ax=None, x=None, band: bool = False, center: str = "mean", logy: bool = False,
              xlabel: str = "step", ylabel: str = "loss", title: str | None = None):
    """Curves repeated over seeds, showing their spread: every seed as a thin line plus the centre, or a band.

    Parameters
    ----------
    runs : a :class:`~course_lib.experiment.Runs` of curves, or a dict label -> Runs (one colour each).
    x : (T,) the horizontal values (default 0, 1, ..., T-1).
    band : False: every seed's curve thin and faint, the centre thick; True: the centre with a band
        from the smallest to the largest seed's value at each x (no run hidden outside it).
    center : "mean" or "median" over seeds (the median for losses on a log axis, where one
        diverging seed would drag the mean).
    logy : logarithmic y axis (losses that span decades).

    Returns
    -------
    matplotlib.figure.Figure
    """
    if center not in ("mean", "median"):
        raise ValueError(f"center must be 'mean' or 'median'; got {center!r}")
    groups = runs if isinstance(runs, Mapping) else {"": runs}
    fig, ax = _figure(ax, figsize=(6, 4))
    for i, (label, r) in enumerate(groups.items()):
        values = np.asarray(r.values, dtype=float)
        if values.ndim != 2:
            raise ValueError(f"plot_runs draws curves, (seeds, T) values; {label or 'the runs'} hold shape {values.shape}")
        xs = np.arange(values.shape[1]) if x is None else np.asarray(x)
        color, n = f"C{i}", len(values)
        mid = np.nanmedian(values, axis=0) if center == "median" else np.mean(values, axis=0)
        if band:
            ax.fill_between(xs, np.nanmin(values, axis=0), np.nanmax(values, axis=0), color=color, alpha=0.2, lw=0)
        else:
            for curve in values:
                ax.plot(xs, curve, color=color, lw=0.6, alpha=0.35)
        spread = "range" if band else "each seed"
        ax.plot(xs, mid, color=color, lw=2, label=f"{label} ({center} of {n} seeds; {spread})".strip())
    ax.set(xlabel=xlabel, ylabel=ylabel + (" (log scale)" if logy else ""), title=title or "")
    if logy:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return fig


def plot_sweep(tuned, param: str | None = None, criterion=None, ax=None, logx: bool = True,
               logy: bool = False, ylabel: str = "score", title: str | None = None):
    """A one-parameter sweep per competitor: each seed's score as a faint dot, the mean with
    error bars of two standard errors, the winner ringed.

    ``tuned`` is a :class:`~course_lib.experiment.Tuned` or a dict label -> Tuned (the same
    sweep for each competitor); ``criterion`` is the one the sweep was tuned by (default: the
    last value of each run). Diverged runs (NaN or inf) are not drawn.
    """
    from course_lib.experiment import final

    criterion = criterion or final
    groups = tuned if isinstance(tuned, Mapping) else {"": tuned}
    fig, ax = _figure(ax, figsize=(6, 4))
    for i, (label, t) in enumerate(groups.items()):
        name = param or next(iter(t.grid))
        if len(t.grid) != 1 and param is None:
            raise ValueError(f"plot_sweep draws one parameter; the grid has {list(t.grid)}: pass param=")
        xs = np.array([p[name] for p in t.points], dtype=float)
        scores = np.array([r.scores(criterion) for r in t.runs])          # (P, S)
        finite = np.where(np.isfinite(scores), scores, np.nan)
        ok = np.all(np.isfinite(scores), axis=1)            # a point with a diverged seed has no mean
        mean = np.array([row.mean() if k else np.nan for row, k in zip(scores, ok)])
        sem = np.array([row.std(ddof=1) / np.sqrt(len(row)) if k and len(row) > 1 else np.nan
                        for row, k in zip(scores, ok)])
        color = f"C{i}"
        for j in range(scores.shape[1]):
            ax.plot(xs, finite[:, j], ".", color=color, alpha=0.3, ms=4)
        ax.errorbar(xs, mean, yerr=2 * sem, color=color, marker="o", ms=4, capsize=3,
                    label=f"{label} (mean $\\pm$ 2 SE, {scores.shape[1]} seeds)".strip())
        b = t.best_index
        ax.plot([xs[b]], [mean[b]], "o", ms=12, mfc="none", mec=color, mew=2)
    ax.set(xlabel=name + (" (log scale)" if logx else ""), ylabel=ylabel + (" (log scale)" if logy else ""),
           title=title or "")
    if logx:
        ax.set_xscale("log")
        ax.set_xticks(sorted({float(p[name]) for t in groups.values() for p in t.points}))   # the grid itself
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    if logy:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return fig
