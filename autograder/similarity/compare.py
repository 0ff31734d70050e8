"""Scores every pair of students by the code they share, per notebook and per graded function.

The fingerprints are copydetect's (Schleimer, Wilkerson and Aiken's winnowing, the method of MOSS):
the code is tokenized with Pygments and every name, string, comment and space is filtered out
before hashing, so renamed identifiers, reformatting and changed comments leave the fingerprints
as they were, and reordered functions only move them. Two kinds are not evidence and are removed:

* the **template**: fingerprints of the release's own code (stubs, docstrings, locked cells);
* the **common**: fingerprints found in more than ``max_common`` students, the way MOSS ignores
  a passage seen more than ten times (its ``-m``): a short correct answer that many write alike.

Each fingerprint is weighed by how few students have it: ``1 / (n - 1)`` for one found in ``n``
students' code, so a passage only this pair shares counts fully and one a third student wrote too
counts half: what several independent students write alike is explained by the class, not by the
pair. A pair's score for one unit of code (a notebook, or one graded function) is the weight of the
fingerprints the two share over the weight of the smaller side's (weighted containment: 1 for an
exact copy, whatever the class wrote). The pair is ranked by its notebooks' scores; the per-function
scores say where the shared code is (a single copied function shows as that function near 1 and a
notebook score of its share of the notebook). A unit with fewer than ``min_fingerprints``
remaining fingerprints is too short to tell and gets no score.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
from copydetect.utils import filter_code, get_copied_slices, winnow

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
    print: Fingerprint

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


@dataclass
class Fingerprint:
    """copydetect's fingerprint of one piece of code (the fields its ``CodeFingerprint`` has)."""

    hashes: set                 # the winnowed k-gram hashes, template removed
    hash_idx: dict              # hash -> where its k-grams start in the filtered code
    offsets: np.ndarray         # filtered position -> characters removed before it (copydetect's)
    k: int


def _kgram_hashes(doc: str, k: int) -> np.ndarray:
    """A stable 64-bit hash of every k-gram. copydetect's own uses Python's ``hash()``, which is salted
    per process (PYTHONHASHSEED): the same class would get other fingerprints, and other scores, on
    every run."""
    data = [doc[i:i + k].encode("utf-8", "surrogatepass") for i in range(len(doc) - k + 1)]
    return np.array([int.from_bytes(hashlib.blake2b(d, digest_size=8).digest(), "little", signed=True)
                     for d in data], dtype=np.int64)


def _fingerprint(code: str, settings: Settings, template: set) -> Fingerprint:
    """Tokenised and filtered by copydetect (names, strings, comments, spaces), hashed, winnowed."""
    filtered, offsets = filter_code(code, "answer.py", "python")
    all_hashes = _kgram_hashes(filtered, settings.noise)
    hashes, idx = winnow(all_hashes, window_size=settings.window, remove_duplicates=False) if len(all_hashes) \
        else (np.array([], dtype=np.int64), np.array([], dtype=int))
    where: dict = {}
    for h, i in zip(hashes.tolist(), np.asarray(idx).tolist()):
        if h not in template:
            where.setdefault(h, []).append(i)
    return Fingerprint(set(where), where, offsets, settings.noise)


def fingerprint_class(answers: dict[str, dict[str, Answer]], templates: dict[str, Template],
                      settings: Settings) -> dict[str, dict[str, Unit]]:
    """Every student's units, fingerprinted: ``{student: {"nb.ipynb:fn" or "nb.ipynb (whole
    notebook)": Unit}}``, from ``answers = {student: {notebook: Answer}}``."""
    template_prints = {nb: _fingerprint(t.code, settings, set()).hashes | _fingerprint(t.untouched, settings, set()).hashes
                       for nb, t in templates.items()}
    units: dict[str, dict[str, Unit]] = {}
    for student, notebooks in answers.items():
        mine = units.setdefault(student, {})
        for nb, answer in notebooks.items():
            tpl = template_prints.get(nb, set())
            mine[f"{nb} {NOTEBOOK}"] = Unit(answer.code, _fingerprint(answer.code, settings, tpl))
            for name, source in answer.functions.items():
                mine[f"{nb}: {name}"] = Unit(source, _fingerprint(source, settings, tpl))
    return units


def class_counts(units: dict[str, dict[str, Unit]]) -> Counter:
    """In how many students' code each fingerprint is found."""
    seen: Counter = Counter()
    for mine in units.values():
        seen.update(set().union(*(u.print.hashes for u in mine.values())) if mine else set())
    return seen


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
    counts = class_counts(units)
    common = {h for h, n in counts.items() if n > settings.max_common}
    weight = {h: 1.0 / max(n - 1, 1) for h, n in counts.items()}
    evidence = {s: {name: u.evidence(common) for name, u in mine.items()} for s, mine in units.items()}
    mass = {s: {name: sum(weight[h] for h in e) for name, e in mine.items()} for s, mine in evidence.items()}
    pairs = []
    for a, b in combinations(sorted(units), 2):
        matches = []
        for name in evidence[a].keys() & evidence[b].keys():
            ea, eb = evidence[a][name], evidence[b][name]
            if min(len(ea), len(eb)) >= settings.min_fingerprints:
                shared = frozenset(ea & eb)
                score = sum(weight[h] for h in shared) / min(mass[a][name], mass[b][name])
                matches.append(Match(name, score, shared))
        notebooks = [m.score for m in matches if m.unit.endswith(NOTEBOOK)]
        if notebooks:
            matches.sort(key=lambda m: (not m.unit.endswith(NOTEBOOK), -m.score, m.unit))
            pairs.append(Pair(a, b, max(notebooks), matches))
    pairs.sort(key=lambda p: (-p.score, p.a, p.b))
    return pairs


def wholly_common(units: dict[str, dict[str, Unit]], settings: Settings) -> list[str]:
    """Students with code of their own in a notebook (past the template) none of which is left as
    evidence: all of it is common to more than ``max_common`` students. No pair of them is scored,
    so a class that copied one source (the book, a forum) would show nothing; they are named instead."""
    counts = class_counts(units)
    common = {h for h, n in counts.items() if n > settings.max_common}
    return sorted(s for s, mine in units.items()
                  if any(name.endswith(NOTEBOOK) and len(u.print.hashes) >= settings.min_fingerprints
                         and len(u.evidence(common)) < settings.min_fingerprints for name, u in mine.items()))

