"""What a submitted notebook may be before it is graded: limits applied when the job is built, in
the grading parent, before the job's clock starts.

A notebook's size, its number of cells and its attachments (images pasted into markdown cells)
are the student's to choose, and nbgrader's own reading, validating and writing of a notebook
grows with them: 200,000 empty cells (30 MB) made the tool's own work exceed a job's hard time
limit, on every run, and a 100 MB attachment travelled into the graded notebook, its feedback and
the grading parent's memory. So, per notebook of the submission (renamed ones included):

* beyond :class:`~autograder.grading.job.Limits` ``notebook_mb``, ``max_cells`` or
  ``attachments_mb`` the notebook is not graded: it scores 0, with a note saying which limit;
* within them, attachments are removed from the job's copy (nothing graded reads them); the
  submission in ``submitted/`` keeps them, as it keeps everything.

The size is read with ``stat`` before anything is parsed; the parse is plain JSON, counted once.
"""
from __future__ import annotations

import json
from pathlib import Path


def check_notebooks(sub: Path, limits) -> dict:
    """Apply the limits to every notebook in the job's copy `sub` of a submission.

    Returns ``{"notes": [...], "refused": [file names]}`` for the job's spec: a refused notebook is
    removed from the copy, and :func:`~autograder.grading.repair.prepare_submission` scores it 0.
    """
    notes, refused = [], []
    for path in sorted(sub.glob("*.ipynb")):
        if path.is_symlink() or not path.is_file():
            continue
        why, stripped = _check(path, limits)
        if why:
            path.unlink()
            refused.append(path.name)
            notes.append(f"{path.name}: {why}: not graded, scored 0")
        elif stripped:
            notes.append(f"{path.name}: attachments removed from the graded copy ({stripped // 1024} kB; "
                         "the submission keeps them)")
    return {"notes": notes, "refused": refused}


def _check(path: Path, limits) -> tuple[str | None, int]:
    """(why the notebook is refused or None, bytes of attachments stripped)."""
    size = path.stat().st_size
    if size > limits.notebook_mb << 20:
        return f"{size / 2**20:.1f} MB, over the limit of {limits.notebook_mb} MB per notebook", 0
    try:
        nb = json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError):
        return None, 0  # not JSON: prepare_submission reports it as corrupt
    cells = nb.get("cells") if isinstance(nb, dict) else None
    if not isinstance(cells, list):
        return None, 0
    if len(cells) > limits.max_cells:
        return f"{len(cells)} cells, over the limit of {limits.max_cells} per notebook", 0
    with_attachments = [c for c in cells if isinstance(c, dict) and c.get("attachments")]
    total = sum(len(json.dumps(c["attachments"])) for c in with_attachments)
    if total > limits.attachments_mb << 20:
        return f"{total / 2**20:.1f} MB of attachments, over the limit of {limits.attachments_mb} MB", 0
    if with_attachments:
        for c in with_attachments:
            del c["attachments"]
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False), encoding="utf-8")
    return None, total
