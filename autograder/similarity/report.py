"""The similarity report: ranked pairs as a CSV and as an HTML page with the code side by side.

Everything shown comes from students, so every piece of it is escaped (``html.escape`` after the
control characters are made visible), the page loads nothing and runs no script, and every CSV
cell that a spreadsheet would read as a formula is written as text.
"""
from __future__ import annotations

import csv
import html
from pathlib import Path

import numpy as np

from ..text import printable, spreadsheet_safe
from .compare import Pair, Unit, locate

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; max-width: 90em; }
table.pairs td, table.pairs th { padding: 0.2em 0.8em; text-align: left; }
.side { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; }
pre { background: #f6f8fa; padding: 0.6em; overflow-x: auto; font-size: 0.85em; white-space: pre-wrap; }
mark { background: #ffd54f; }
@media (prefers-color-scheme: dark) {
  body { background: #111; color: #ddd; } pre { background: #1e1e1e; } mark { background: #8a6d00; color: #fff; }
}
"""


def _highlight(code: str, slices: np.ndarray) -> str:
    """``code`` as escaped HTML with the shared parts in ``<mark>``."""
    out, at = [], 0
    for start, end in sorted(zip(slices[0].tolist(), slices[1].tolist())) if slices.size else []:
        start, end = max(start, at), max(end, at)
        out += [html.escape(printable(code[at:start])), "<mark>", html.escape(printable(code[start:end])), "</mark>"]
        at = end
    out.append(html.escape(printable(code[at:])))
    return "".join(out)


def write_csv(pairs: list[Pair], path: Path) -> None:
    """One row per pair and scored unit: ``student_a, student_b, pair_score, unit, unit_score, shared``."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["student_a", "student_b", "pair_score", "unit", "unit_score", "shared_fingerprints"])
        for p in pairs:
            for m in p.matches:
                w.writerow([spreadsheet_safe(p.a), spreadsheet_safe(p.b), f"{p.score:.3f}",
                            spreadsheet_safe(m.unit), f"{m.score:.3f}", len(m.shared)])


def write_html(pairs: list[Pair], units: dict[str, dict[str, Unit]], path: Path, *, assignment: str,
               top: int, settings_line: str) -> None:
    """The ``top`` pairs, each with its matching units side by side (shared code marked)."""
    e = lambda s: html.escape(printable(str(s)))  # noqa: E731
    rows = "".join(f'<tr><td><a href="#pair{i}">{i}</a></td><td>{e(p.a)}</td><td>{e(p.b)}</td>'
                   f"<td>{p.score:.2f}</td><td>{e(p.matches[0].unit)}</td></tr>"
                   for i, p in enumerate(pairs[:top], 1))
    sections = []
    for i, p in enumerate(pairs[:top], 1):
        parts = [f'<h2 id="pair{i}">{i}. {e(p.a)} and {e(p.b)}: {p.score:.2f}</h2>']
        for m in p.matches:
            if m.score < 0.5 * p.score and m is not p.matches[0]:
                continue  # the units that make the pair's case
            ua, ub = units[p.a][m.unit], units[p.b][m.unit]
            parts.append(f"<h3>{e(m.unit)}: {m.score:.2f} ({len(m.shared)} shared fingerprints)</h3>"
                         f'<div class="side"><div><b>{e(p.a)}</b><pre>{_highlight(ua.code, locate(ua, m.shared))}'
                         f'</pre></div><div><b>{e(p.b)}</b><pre>{_highlight(ub.code, locate(ub, m.shared))}'
                         f"</pre></div></div>")
        sections.append("".join(parts))
    path.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f"<title>Similarity: {e(assignment)}</title><style>{STYLE}</style></head><body>"
        f"<h1>Similarity of the answers to {e(assignment)}</h1>"
        f"<p>{len(pairs)} pairs scored; the top {min(top, len(pairs))} are shown. {e(settings_line)} "
        "A score is the fraction of the shorter answer's fingerprints that the other answer has too, "
        "after the release's code and the code common to much of the class are removed. A high score "
        "is a reason to read both answers, not a finding.</p>"
        f"<table class='pairs'><tr><th>#</th><th>student</th><th>student</th><th>score</th><th>most similar</th></tr>"
        f"{rows}</table>{''.join(sections)}</body></html>",
        encoding="utf-8")
