"""course_lib.experiment: the comparison rules on constructed data, tuning, edges, seeds; the spread plots."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from course_lib.experiment import (  # noqa: E402
    SEEDS, Runs, batched, best, compare, final, log_final, repeat, tune, tune_each,
)
from course_lib.plotting import plot_runs, plot_sweep  # noqa: E402


def fixed(scores):
    """Runs whose seed i scored scores[i]."""
    return Runs(tuple(range(len(scores))), np.asarray(scores, dtype=float))


# --------------------------------------------------------------------------- repeat

def test_repeat_passes_seed_and_params_and_measures_the_spread():
    calls = []

    def run(seed, lr):
        calls.append((seed, lr))
        return seed * lr

    r = repeat(run, (0, 1, 2, 3), lr=2.0)
    assert calls == [(0, 2.0), (1, 2.0), (2, 2.0), (3, 2.0)]
    assert r.params == {"lr": 2.0} and r.seeds == (0, 1, 2, 3)
    assert r.mean == pytest.approx(3.0)
    assert r.std == pytest.approx(np.std([0, 2, 4, 6], ddof=1))
    assert r.sem == pytest.approx(r.std / 2)


def test_repeat_is_deterministic_by_seed_and_curves_keep_their_shape():
    def run(seed, n=20):
        return np.cumsum(np.random.default_rng(seed).normal(size=n))

    a, b = repeat(run, SEEDS), repeat(run, SEEDS)
    assert a.values.shape == (len(SEEDS), 20)
    np.testing.assert_array_equal(a.values, b.values)
    assert not np.array_equal(a.values[0], a.values[1])          # different seeds, different runs
    np.testing.assert_array_equal(a.mean, a.values.mean(axis=0))


def test_repeat_rejects_ragged_curves_and_bad_seeds():
    with pytest.raises(ValueError, match="same length"):
        repeat(lambda seed: np.ones(3 + seed), (0, 1))
    with pytest.raises(ValueError, match="empty"):
        repeat(lambda seed: 1.0, ())
    with pytest.raises(ValueError, match="repeat"):
        repeat(lambda seed: 1.0, (1, 1))


def test_batched_runs_all_seeds_once_per_configuration():
    calls = []

    def run_all(seeds, lr):
        calls.append((seeds, lr))
        return np.array([[s, s * lr] for s in seeds])     # row i: what seed i alone would give

    run = batched(run_all, (3, 5, 7))
    r = repeat(run, (3, 5, 7), lr=2.0)
    np.testing.assert_array_equal(r.values, [[3, 6], [5, 10], [7, 14]])
    repeat(run, (3, 5, 7), lr=2.0)
    assert calls == [((3, 5, 7), 2.0)]                     # remembered: one call per configuration
    with pytest.raises(ValueError, match="not one of the batched seeds"):
        run(4, lr=2.0)
    with pytest.raises(ValueError, match="rows"):
        batched(lambda seeds, lr: np.zeros(1), (0, 1))(0, lr=1.0)


def test_criteria():
    curve = [3.0, 1.0, 2.0, 100.0]
    assert final(curve) == 100.0 and best(curve) == 1.0 and log_final(curve) == pytest.approx(2.0)
    assert final(5.0) == 5.0 and math.isnan(log_final(-1.0)) and math.isnan(best([np.nan, np.inf]))


# --------------------------------------------------------------------------- compare

def test_better_in_every_seed():
    c = compare(fixed([1.0, 2.0, 3.0, 4.0, 5.0]), fixed([1.1, 2.5, 3.2, 4.9, 5.05]))
    assert c.every_seed and c.rule == "every seed" and c.wins == 5
    assert "every seed (5 of 5)" in c.claim("A", "B")
    assert not compare(fixed([1.1, 2.5, 3.2, 4.9, 5.05]), fixed([1.0, 2.0, 3.0, 4.0, 5.0])).holds


def test_a_sign_flip_in_one_seed_is_not_every_seed_but_may_pass_2se():
    a = fixed([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    b = fixed([2.0, 2.1, 1.9, 2.0, 2.2, 2.0, 1.8, 0.99])      # seed 7: a is worse
    c = compare(a, b)
    assert not c.every_seed and c.wins == 7
    assert c.beyond_2se and c.rule == "2 SE"
    assert "two standard errors (7 of 8 seeds)" in c.claim("A", "B")


def test_noise_inside_two_standard_errors_is_no_difference():
    rng = np.random.default_rng(0)
    noise = rng.normal(size=5)
    a, b = fixed(noise), fixed(noise[::-1] + 0.01)
    c = compare(a, b)
    assert abs(c.mean_diff) < 2 * c.sem_diff
    assert c.rule == "none" and not c.holds
    assert c.claim("A", "B").startswith("no difference between A and B at this size")


def test_pairing_by_seed_matters():
    # Each seed shifts both competitors alike: unpaired the means overlap, paired A wins each time.
    base = np.array([0.0, 10.0, 20.0, 30.0, 40.0])
    c = compare(fixed(base), fixed(base + 0.1))
    assert c.every_seed and c.sem_diff == pytest.approx(0.0, abs=1e-12)


def test_maximize_and_diverged_runs():
    assert compare(fixed([0.9, 0.95]), fixed([0.8, 0.9]), minimize=False).every_seed
    c = compare(fixed([1.0, 2.0, 3.0]), fixed([np.nan, 5.0, np.inf]))   # b diverged in two seeds
    assert c.every_seed and not c.beyond_2se and math.isnan(c.sem_diff)
    assert not compare(fixed([np.nan, 1.0]), fixed([2.0, 2.0])).every_seed


def test_compare_needs_the_same_seeds():
    with pytest.raises(ValueError, match="seeds differ"):
        compare(Runs((0, 1), np.zeros(2)), Runs((1, 2), np.zeros(2)))


def test_compare_uses_the_criterion():
    a = Runs((0, 1), np.array([[5.0, 1e-3], [5.0, 2e-3]]))
    b = Runs((0, 1), np.array([[1.0, 1e-2], [1.0, 2e-2]]))
    assert compare(a, b).every_seed                      # final value
    assert not compare(a, b, criterion=lambda c: c[0]).holds    # first value
    assert compare(a, b, criterion=log_final).mean_diff == pytest.approx(-1.0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=10),
       st.lists(st.floats(0.001, 1e3), min_size=10, max_size=10))
def test_a_shift_that_lowers_every_seed_holds_by_every_seed(scores, gaps):
    a = np.array(scores)
    b = a + np.array(gaps[: len(a)])
    c = compare(fixed(a), fixed(b))
    assert c.every_seed and c.rule == "every seed"
    assert not compare(fixed(b), fixed(a)).holds         # and never the other way round


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=10))
def test_the_rules_are_what_they_say(diffs):
    d = np.array(diffs)
    b = fixed(np.zeros_like(d))
    c = compare(fixed(d), b)
    assert c.every_seed == bool(np.all(d < 0))
    sem = d.std(ddof=1) / math.sqrt(len(d))
    assert c.beyond_2se == bool(-d.mean() > 2 * sem)
    swapped = compare(b, fixed(d))
    assert not (c.holds and swapped.holds)               # never both ways


# --------------------------------------------------------------------------- tune

def bowl(seed, lr, optimum=0.1):
    """A noisy score with its minimum at lr = optimum (on a log scale)."""
    return (math.log10(lr) - math.log10(optimum)) ** 2 + 0.01 * np.random.default_rng(seed).normal()


GRID = {"lr": [0.001, 0.01, 0.1, 1.0, 10.0]}


def test_tune_picks_each_competitors_own_best_from_the_same_sweep():
    tuned = tune_each({"slow": lambda seed, lr: bowl(seed, lr, 1.0),
                       "fast": lambda seed, lr: bowl(seed, lr, 0.01)}, GRID, SEEDS)
    assert tuned["slow"].best_params == {"lr": 1.0} and tuned["fast"].best_params == {"lr": 0.01}
    for t in tuned.values():
        assert t.grid == GRID and len(t.runs) == 5 and all(r.seeds == SEEDS for r in t.runs)
        assert t.on_edge == ()
        assert t.scores[t.best_index] == min(t.scores)


def test_an_optimum_on_the_edge_of_the_grid_is_reported():
    t = tune(lambda seed, lr: bowl(seed, lr, 100.0), GRID, SEEDS)
    assert t.best_params == {"lr": 10.0} and t.on_edge == ("lr",)
    assert "ON THE EDGE" in repr(t)
    low = tune(lambda seed, lr: bowl(seed, lr, 1e-5), GRID, SEEDS)
    assert low.on_edge == ("lr",)


def test_tune_over_two_parameters_maximising_with_fixed_arguments():
    def run(seed, lr, mu, scale):
        return scale * (-(lr - 0.3) ** 2 - (mu - 0.5) ** 2)

    t = tune(run, {"lr": [0.1, 0.3, 0.5], "mu": [0.0, 0.5, 0.9]}, (0, 1), minimize=False, scale=2.0)
    assert t.best_params == {"lr": 0.3, "mu": 0.5} and t.on_edge == ()
    assert len(t.points) == 9 and t.best.params == {"scale": 2.0, "lr": 0.3, "mu": 0.5}


def test_diverged_configurations_never_win():
    t = tune(lambda seed, lr: math.nan if lr > 0.5 else lr, {"lr": [0.1, 1.0, 10.0]}, (0, 1))
    assert t.best_params == {"lr": 0.1} and math.isnan(t.scores[2])


def test_tune_rejects_bad_grids():
    with pytest.raises(ValueError, match="at least one"):
        tune(lambda seed, lr: lr, {"lr": []})
    with pytest.raises(ValueError, match="both swept"):
        tune(lambda seed, lr: lr, {"lr": [1.0]}, lr=2.0)


# --------------------------------------------------------------------------- plots

def test_plot_runs_draws_every_seed_and_the_centre():
    r = repeat(lambda seed: np.exp(-np.arange(30) / (5 + seed)), SEEDS)
    fig = plot_runs({"A": r}, logy=True)
    ax = fig.axes[0]
    assert len(ax.lines) == len(SEEDS) + 1 and ax.get_yscale() == "log"
    np.testing.assert_allclose(ax.lines[-1].get_ydata(), r.mean)
    fig.canvas.draw()
    fig2 = plot_runs(r, band=True, center="median")
    assert len(fig2.axes[0].lines) == 1 and len(fig2.axes[0].collections) == 1
    np.testing.assert_allclose(fig2.axes[0].lines[0].get_ydata(), np.median(r.values, axis=0))
    with pytest.raises(ValueError, match="curves"):
        plot_runs(repeat(lambda seed: 1.0, SEEDS))
    plt.close("all")


def test_plot_sweep_marks_the_winner():
    t = tune(lambda seed, lr: bowl(seed, lr, 0.1), GRID, SEEDS)
    fig = plot_sweep({"A": t}, ylabel="loss")
    ax = fig.axes[0]
    ring = ax.lines[-1]
    assert ring.get_xdata()[0] == 0.1 and ax.get_xscale() == "log"
    fig.canvas.draw()
    plt.close("all")
