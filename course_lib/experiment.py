"""Fair experiments: repeat over seeds, tune every competitor with the same budget, claim what the spread allows.

A *run* is any callable ``run(seed, **params)`` that returns a number (a final loss, an
accuracy) or a 1-D curve (a loss per step or per epoch). It may train a NumPy, a PyTorch or
a Keras model: this module only calls it and reads what it returns (NumPy only here).

Three steps, one function each::

    from course_lib.experiment import repeat, tune, compare, SEEDS

    tuned = {name: tune(run, {"lr": [1e-3, 3e-3, 1e-2, 3e-2, 1e-1]}, SEEDS)   # the same sweep for each
             for name, run in {"SGD": run_sgd, "Adam": run_adam}.items()}
    assert not any(t.on_edge for t in tuned.values())     # an optimum on the edge of the grid is not tuned
    result = compare(tuned["Adam"].best, tuned["SGD"].best)  # paired by seed; lower is better by default
    result.rule      # "every seed", "2 SE" or "none": the strongest rule by which Adam beats SGD
    result.claim("Adam", "SGD")    # 'Adam ends lower than SGD in every seed (5 of 5)'

The rules a comparison may claim (``chapters/AUTHORING.md``):

* **every seed**: the competitor is better in each seed, the runs paired by seed (same data,
  same initialisation, same starting point);
* **2 SE**: the mean over seeds of the paired difference is larger than two standard errors of
  that mean, ``|mean(d)| > 2 std(d) / sqrt(n)``;
* neither: no difference at this size, and the text says so.

A score is what a criterion makes of one run's output: :func:`final` (the last value of a
curve, the default), :func:`log_final` (its log10, for losses spanning decades), :func:`best`
(the smallest value). A run that diverged (NaN or infinite score) is the worst of all.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["SEEDS", "Runs", "Tuned", "Comparison", "repeat", "tune", "tune_each", "compare", "batched",
           "final", "log_final", "best"]

#: The seeds of a chapter's experiments unless it says otherwise: five, cheap enough for the build.
SEEDS: tuple[int, ...] = (0, 1, 2, 3, 4)


# --------------------------------------------------------------------------- criteria

def final(output) -> float:
    """The last value of a curve, or the number itself."""
    out = np.asarray(output, dtype=float)
    return float(out.reshape(-1)[-1]) if out.size else math.nan


def log_final(output) -> float:
    """log10 of :func:`final`: compare losses that span decades by their ratio, not their difference."""
    value = final(output)
    return float(np.log10(value)) if value > 0 else (-math.inf if value == 0 else math.nan)


def best(output) -> float:
    """The smallest value of a curve (NaN ignored), or the number itself."""
    out = np.asarray(output, dtype=float).reshape(-1)
    return float(np.nanmin(out)) if np.isfinite(out).any() else math.nan


# --------------------------------------------------------------------------- repeating a run

@dataclass(frozen=True)
class Runs:
    """One configuration run once per seed.

    Attributes
    ----------
    seeds : the seeds, in order.
    values : (S,) numbers or (S, T) curves, row ``i`` from ``seeds[i]``.
    params : the keyword arguments every run was given.
    """

    seeds: tuple[int, ...]
    values: np.ndarray
    params: dict[str, Any] = field(default_factory=dict)

    def scores(self, criterion: Callable = final) -> np.ndarray:
        """(S,) the criterion of each seed's run."""
        return np.array([criterion(v) for v in self.values], dtype=float)

    @property
    def mean(self) -> np.ndarray:
        """Mean over seeds: a number, or a (T,) curve."""
        return self.values.mean(axis=0)

    @property
    def std(self) -> np.ndarray:
        """Sample standard deviation over seeds (ddof=1): the spread of one run."""
        return self.values.std(axis=0, ddof=1) if len(self.seeds) > 1 else np.zeros_like(self.mean)

    @property
    def sem(self) -> np.ndarray:
        """Standard error of the mean, ``std / sqrt(S)``: the spread of the mean."""
        return self.std / math.sqrt(len(self.seeds))

    def __repr__(self) -> str:
        s = self.scores()
        return f"Runs({self.params}, {len(self.seeds)} seeds, final {np.mean(s):.4g} +- {np.std(s, ddof=1) if len(s) > 1 else 0:.2g})"


def _check_seeds(seeds) -> tuple[int, ...]:
    seeds = tuple(int(s) for s in seeds)
    if not seeds:
        raise ValueError("seeds is empty: give at least one seed (two or more to measure a spread)")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds repeat: {seeds}")
    return seeds


def repeat(run: Callable[..., Any], seeds: Sequence[int] = SEEDS, **params) -> Runs:
    """``run(seed, **params)`` for every seed: all runs, with their mean and spread.

    Every seed must give output of the same shape (a number, or a curve of the same length:
    a run that diverges should fill the rest of its curve with NaN or inf, not stop short).
    """
    seeds = _check_seeds(seeds)
    outputs = [np.asarray(run(seed, **params), dtype=float) for seed in seeds]
    shapes = {o.shape for o in outputs}
    if len(shapes) != 1 or outputs[0].ndim > 1:
        raise ValueError(f"a run must return one number or a 1-D curve of the same length for every seed; "
                         f"got shapes {[o.shape for o in outputs]}")
    return Runs(seeds, np.stack(outputs), dict(params))


def batched(run_all: Callable[..., Any], seeds: Sequence[int] = SEEDS) -> Callable[..., Any]:
    """A per-seed ``run(seed, **params)`` from ``run_all(seeds, **params) -> (S, ...)``, which runs all
    seeds at once (row ``i`` from ``seeds[i]``), called once per configuration and remembered.

    For runs that vectorise over seeds: the book's optimizers act elementwise, so five starting
    points of a 2-D function are one (5, 2) parameter array and one optimizer, five times cheaper.
    Each row must be what a run with that seed alone would give (no seed may affect another).
    """
    seeds = _check_seeds(seeds)
    cache: dict = {}

    def run(seed, **params):
        key = tuple(sorted(params.items()))
        if key not in cache:
            out = np.asarray(run_all(seeds, **params), dtype=float)
            if len(out) != len(seeds):
                raise ValueError(f"run_all returned {len(out)} rows for {len(seeds)} seeds")
            cache[key] = out
        if seed not in seeds:
            raise ValueError(f"seed {seed} is not one of the batched seeds {seeds}")
        return cache[key][seeds.index(seed)]

    return run


# --------------------------------------------------------------------------- tuning

def _worst_is_inf(scores: np.ndarray, minimize: bool) -> np.ndarray:
    """NaN (a diverged run) becomes the worst possible score."""
    return np.where(np.isnan(scores), math.inf if minimize else -math.inf, scores)


@dataclass(frozen=True)
class Tuned:
    """The result of a sweep: every grid point's runs, the winner, and whether the winner is on the edge.

    Attributes
    ----------
    grid : name -> the values swept (in the order given).
    points : one dict of parameters per grid point (the product of the grid).
    runs : one :class:`Runs` per point.
    scores : (P,) mean over seeds of the criterion per point (NaN: a run diverged; counted worst).
    best_index : the point with the best mean score.
    on_edge : names of the swept parameters (with three or more values) whose winning value is
        the smallest or largest of the grid: the optimum may lie outside, so it is not tuned.
    """

    grid: dict[str, list]
    points: list[dict[str, Any]]
    runs: list[Runs]
    scores: np.ndarray
    best_index: int
    on_edge: tuple[str, ...]
    minimize: bool = True

    @property
    def best(self) -> Runs:
        """The runs of the winning configuration."""
        return self.runs[self.best_index]

    @property
    def best_params(self) -> dict[str, Any]:
        return self.points[self.best_index]

    def __repr__(self) -> str:
        edge = f", ON THE EDGE of {list(self.on_edge)}" if self.on_edge else ""
        return f"Tuned(best {self.best_params}, score {self.scores[self.best_index]:.4g}{edge})"


def tune(run: Callable[..., Any], grid: Mapping[str, Sequence], seeds: Sequence[int] = SEEDS,
         criterion: Callable = final, minimize: bool = True, **fixed) -> Tuned:
    """Run every point of ``grid`` (a product over its parameters) on every seed; pick the best by mean score.

    ``grid`` maps parameter names to the values to sweep, e.g. ``{"lr": np.logspace(-3, 0, 7)}``;
    ``fixed`` are passed unchanged to every run. Give each competitor the *same* grid and seeds
    (:func:`tune_each`), so that each is compared at its own best value from the same budget.
    """
    if not grid or any(len(v) == 0 for v in grid.values()):
        raise ValueError(f"grid must name at least one parameter with at least one value; got {dict(grid)}")
    seeds = _check_seeds(seeds)
    clash = set(grid) & set(fixed)
    if clash:
        raise ValueError(f"{sorted(clash)} both swept (grid) and fixed: give each parameter once")
    names = list(grid)
    values = {k: [v.item() if isinstance(v, np.generic) else v for v in grid[k]] for k in names}
    points = [dict(zip(names, combo)) for combo in itertools.product(*(values[k] for k in names))]
    runs = [repeat(run, seeds, **fixed, **point) for point in points]
    scores = np.array([np.mean(r.scores(criterion)) for r in runs])
    ranked = _worst_is_inf(scores, minimize)
    best_index = int(np.argmin(ranked) if minimize else np.argmax(ranked))
    on_edge = []
    for k in names:   # only numbers have edges; a choice among names ("adam", "sgd") has none
        if len(values[k]) >= 3 and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values[k]):
            if points[best_index][k] in (min(values[k]), max(values[k])):
                on_edge.append(k)
    return Tuned(values, points, runs, scores, best_index, tuple(on_edge), minimize)


def tune_each(competitors: Mapping[str, Callable[..., Any]], grid: Mapping[str, Sequence],
              seeds: Sequence[int] = SEEDS, criterion: Callable = final, minimize: bool = True,
              **fixed) -> dict[str, Tuned]:
    """:func:`tune` for each competitor with the same grid, seeds and criterion: the same budget for all."""
    return {name: tune(run, grid, seeds, criterion, minimize, **fixed) for name, run in competitors.items()}


# --------------------------------------------------------------------------- comparing

@dataclass(frozen=True)
class Comparison:
    """``a`` against ``b``, paired by seed.

    Attributes
    ----------
    seeds : the seeds both were run with.
    a, b : (S,) the scores.
    diff : (S,) ``a - b`` per seed.
    mean_diff, sem_diff : mean of ``diff`` and its standard error (NaN if a score is not finite).
    every_seed : ``a`` is better than ``b`` in every seed.
    beyond_2se : the mean difference favours ``a`` by more than two standard errors.
    rule : "every seed" if that holds, else "2 SE" if that holds, else "none" (``a`` is not shown
        better; swap the arguments to ask the other way).
    minimize : lower scores are better.
    """

    seeds: tuple[int, ...]
    a: np.ndarray
    b: np.ndarray
    diff: np.ndarray
    mean_diff: float
    sem_diff: float
    every_seed: bool
    beyond_2se: bool
    minimize: bool = True

    @property
    def rule(self) -> str:
        return "every seed" if self.every_seed else "2 SE" if self.beyond_2se else "none"

    @property
    def holds(self) -> bool:
        """``a`` is better than ``b`` by one of the two rules."""
        return self.every_seed or self.beyond_2se

    @property
    def wins(self) -> int:
        """In how many seeds ``a`` is better than ``b``."""
        return int(np.sum(_better(self.a, self.b, self.minimize)))

    def claim(self, name_a: str = "a", name_b: str = "b", verb: str | None = None) -> str:
        """The sentence the spread allows, naming the rule, e.g. 'Adam ends lower than SGD in every seed (5 of 5)'."""
        verb = verb or ("ends lower than" if self.minimize else "ends higher than")
        n = len(self.seeds)
        if self.every_seed:
            return f"{name_a} {verb} {name_b} in every seed ({n} of {n})"
        if self.beyond_2se:
            return (f"{name_a} {verb} {name_b} on average, by more than two standard errors "
                    f"({self.wins} of {n} seeds)")
        return f"no difference between {name_a} and {name_b} at this size ({self.wins} of {n} seeds favour {name_a})"


def _better(a: np.ndarray, b: np.ndarray, minimize: bool) -> np.ndarray:
    """Elementwise: is score ``a`` better than ``b``? NaN is the worst score (a diverged run)."""
    a, b = _worst_is_inf(a, minimize), _worst_is_inf(b, minimize)
    return a < b if minimize else a > b


def compare(a: Runs, b: Runs, criterion: Callable = final, minimize: bool = True) -> Comparison:
    """Is ``a`` better than ``b``? Paired by seed, by the two rules of the module docstring.

    Both must have been run with the same seeds (that is what pairs them). The 2-SE rule needs
    at least two seeds and finite scores; the every-seed rule counts a diverged run as the worst.
    """
    if tuple(a.seeds) != tuple(b.seeds):
        raise ValueError(f"compare pairs runs by seed; the seeds differ: {a.seeds} vs {b.seeds}")
    sa, sb = a.scores(criterion), b.scores(criterion)
    n = len(sa)
    diff = sa - sb
    every = bool(np.all(_better(sa, sb, minimize)))
    if n >= 2 and np.all(np.isfinite(diff)):
        mean, sem = float(diff.mean()), float(diff.std(ddof=1) / math.sqrt(n))
        signed = -mean if minimize else mean          # > 0 when a is better
        beyond = bool(signed > 2 * sem)
    else:
        mean, sem, beyond = (float(diff.mean()) if n else math.nan), math.nan, False
    return Comparison(tuple(a.seeds), sa, sb, diff, mean, sem, every, beyond, minimize)
