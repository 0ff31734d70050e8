"""Scores every pair of students by the code they share, per notebook and per graded function.

The fingerprints are copydetect's (Schleimer, Wilkerson and Aiken's winnowing, the method of MOSS):
the code is tokenized with Pygments and every name, string, comment and space is filtered out
before hashing, so renamed identifiers, reformatting and changed comments leave the fingerprints
as they were, and reordered functions only move them. Two kinds are not evidence and are removed:

* the **template**: fingerprints of the release's own code (stubs, docstrings, locked cells);
* the **common**: fingerprints found in more than ``max_common`` students, the way MOSS ignores
  a passage seen more than ten times (its ``-m``): a short correct answer that many write alike.

A pair's score for one unit of code (a notebook, or one graded function) is the fraction of the
smaller side's remaining fingerprints that the other side has too (containment, so one function
copied into an otherwise independent notebook scores high on that function). A unit with fewer than
``min_fingerprints`` remaining fingerprints is too short to tell and gets no score. The pair's
score is the highest of its units' scores.
"""
from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
from copydetect import CodeFingerprint
from copydetect.utils import get_copied_slices

from .extract import Answer, Template

NOTEBOOK = "(whole notebook)"  # the name of the unit that holds all of a student's code


@dataclass(frozen=True)
class Settings:
    noise: int = 25            # copydetect's noise threshold: k-grams of 25 filtered characters
    guarantee: int = 30        # a match this long is always found (window = guarantee - noise + 1)
    max_common: int = 10       # a fingerprint in more students than this is common (MOSS's -m)
    min_fingerprints: int = 8  # a unit with fewer remaining fingerprints gets no score

    @property
    def window(self) -> int:
        return self.guarantee - self.noise + 1


@dataclass
class Unit:
    """One student's code of one unit, fingerprinted."""

    code: str
    print: CodeFingerprint

    def evidence(self, common: set) -> set:
        return self.print.hashes - common


@dataclass
class Match:
    """Two students' code of one unit and the fingerprints they share."""

    unit: str
    score: float
    shared: frozenset  # fingerprints both have, after the template and the common ones are removed


@dataclass
class Pair:
    a: str
    b: str
    score: float
    matches: list[Match] = field(default_factory=list)  # units with a score, highest first

    @property
    def notebook_score(self) -> float | None:
        return next((m.score for m in self.matches if m.unit.endswith(NOTEBOOK)), None)


def _fingerprint(code: str, settings: Settings, template: set) -> CodeFingerprint:
    return CodeFingerprint("answer.py", settings.noise, settings.window, boilerplate=list(template),
                           language="python", fp=io.StringIO(code))


def fingerprint_class(answers: dict[str, dict[str, Answer]], templates: dict[str, Template],
                      settings: Settings) -> dict[str, dict[str, Unit]]:
    """Every student's units, fingerprinted: ``{student: {"nb.ipynb:fn" or "nb.ipynb (whole
    notebook)": Unit}}``, from ``answers = {student: {notebook: Answer}}``."""
    template_prints = {nb: _fingerprint(t.code, settings, set()).hashes for nb, t in templates.items()}
    units: dict[str, dict[str, Unit]] = {}
    for student, notebooks in answers.items():
        mine = units.setdefault(student, {})
        for nb, answer in notebooks.items():
            tpl = template_prints.get(nb, set())
            mine[f"{nb} {NOTEBOOK}"] = Unit(answer.code, _fingerprint(answer.code, settings, tpl))
            for name, source in answer.functions.items():
                mine[f"{nb}: {name}"] = Unit(source, _fingerprint(source, settings, tpl))
    return units


def common_fingerprints(units: dict[str, dict[str, Unit]], settings: Settings) -> set:
    """Fingerprints found in the code of more than ``settings.max_common`` students."""
    seen: Counter = Counter()
    for mine in units.values():
        seen.update(set().union(*(u.print.hashes for u in mine.values())) if mine else set())
    return {h for h, n in seen.items() if n > settings.max_common}


def locate(unit: Unit, shared: frozenset) -> np.ndarray:
    """Where the ``shared`` fingerprints lie in the unit's own (unfiltered) code: a 2 x n array of
    (start, end) character offsets, as copydetect maps them back through its filter."""
    fp = unit.print
    idx = [i for h in shared for i in fp.hash_idx.get(h, [])]
    slices = get_copied_slices(np.asarray(idx, dtype=int), fp.k)
    if len(fp.offsets) > 0 and slices.size:
        slices = slices + fp.offsets[:, 1][np.clip(np.searchsorted(fp.offsets[:, 0], slices),
                                                   0, fp.offsets.shape[0] - 1)]
    return slices


def score_pairs(units: dict[str, dict[str, Unit]], settings: Settings) -> list[Pair]:
    """Every pair of students with at least one scored unit, most similar first."""
    common = common_fingerprints(units, settings)
    evidence = {s: {name: u.evidence(common) for name, u in mine.items()} for s, mine in units.items()}
    pairs = []
    for a, b in combinations(sorted(units), 2):
        matches = []
        for name in evidence[a].keys() & evidence[b].keys():
            ea, eb = evidence[a][name], evidence[b][name]
            smaller = min(len(ea), len(eb))
            if smaller >= settings.min_fingerprints:
                shared = frozenset(ea & eb)
                matches.append(Match(name, len(shared) / smaller, shared))
        if matches:
            matches.sort(key=lambda m: (-m.score, m.unit))
            pairs.append(Pair(a, b, matches[0].score, matches))
    pairs.sort(key=lambda p: (-p.score, p.a, p.b))
    return pairs
