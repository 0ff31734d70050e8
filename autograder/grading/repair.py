"""Repairing a submission before nbgrader sees it: misnamed, corrupt or missing notebooks, and
locked cells the student deleted, edited or reordered (the release is the authority)."""
from __future__ import annotations

import copy
import difflib
from pathlib import Path


def _cell_map(nb) -> dict:
    out = {}
    for cell in nb.cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid and gid not in out:
            out[gid] = cell
    return out


def prepare_submission(sub: Path, notebooks: list[str], release: dict, intake: dict | None = None) -> list[str]:
    """Fix what can be fixed before nbgrader sees the submission; return notes. `intake` is what
    the job's preparation found (``intake.check_notebooks``): a notebook it refused scores 0."""
    import nbformat

    notes = list((intake or {}).get("notes", []))
    present = sorted(p.name for p in sub.glob("*.ipynb"))
    expected = [f"{n}.ipynb" for n in notebooks]
    missing = [e for e in expected if e not in present and e not in (intake or {}).get("refused", [])]
    spare = [p for p in present if p not in expected]
    for name in missing:
        match = (list(spare) if len(spare) == 1 and len(missing) == 1
                 else difflib.get_close_matches(name, spare, n=1, cutoff=0.6))
        if match:
            (sub / match[0]).rename(sub / name)
            spare.remove(match[0])
            notes.append(f"renamed '{match[0]}' to '{name}'")
        else:
            notes.append(f"missing notebook '{name}': scored 0")
    for name in notebooks:
        path = sub / f"{name}.ipynb"
        if not path.exists():
            continue
        try:
            nb = nbformat.read(path, as_version=4)
            nbformat.validate(nb)
        except Exception as exc:  # NotJSONError, ValidationError, UnicodeError...
            path.unlink()  # nbgrader then scores the notebook 0 instead of failing the batch
            notes.append(f"corrupt notebook '{name}.ipynb' ({type(exc).__name__}): scored 0")
            continue
        if name in release:
            fixed, tamper = restore_locked_cells(nb, nbformat.from_dict(release[name]))
            notes += [f"{name}: {t}" for t in tamper]
            if fixed is not None:
                nbformat.write(fixed, path)
    return notes


def restore_locked_cells(nb, release):
    """Detect deleted, edited and reordered locked cells.

    Edited locked cells need nothing here (nbgrader's OverwriteCells restores
    them from the gradebook); deleted or reordered ones make us rebuild the
    notebook in the released order: the student's answer cells, the released
    locked cells, and the student's extra cells after the cell they followed.
    Returns (rebuilt notebook or None, notes).
    """
    ref = _cell_map(release)
    notes = []
    # The release is the authority on what is graded: a cell that claims a grade_id the release does not
    # have (a "bonus" test, a renamed one) or a second cell with the same grade_id is the student's own
    # cell, nothing more; a matched cell gets the release's metadata back (points, kind, lock).
    stripped, seen = [], set()
    for cell in nb.cells:
        meta = cell.get("metadata", {})
        if "nbgrader" not in meta:
            continue
        gid = meta["nbgrader"].get("grade_id") if isinstance(meta["nbgrader"], dict) else None
        if gid in ref and gid not in seen and cell.get("cell_type") == ref[gid].get("cell_type"):
            seen.add(gid)
            meta["nbgrader"] = copy.deepcopy(ref[gid].metadata["nbgrader"])
        else:
            del meta["nbgrader"]
            stripped.append(str(gid))
    if stripped:
        notes.append(f"grading metadata the release does not have ignored (duplicated or unknown grade ids): "
                     f"{', '.join(stripped)}")
    mine = _cell_map(nb)
    locked = [g for g, c in ref.items() if c.metadata["nbgrader"].get("locked")]
    deleted = [g for g in locked if g not in mine]
    edited = [g for g in locked if g in mine and mine[g].source.strip() != ref[g].source.strip()]
    order = [g for g in mine if g in ref]
    reordered = order != [g for g in ref if g in mine]
    if deleted:
        notes.append(f"locked cells deleted (restored): {', '.join(deleted)}")
    if edited:
        notes.append(f"locked cells edited (originals graded): {', '.join(edited)}")
    if reordered:
        notes.append("graded cells reordered (original order restored)")
    if not deleted and not reordered:
        return (nb if stripped else None), notes
    extras, anchor = {}, None
    for cell in nb.cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid in ref:
            anchor = gid
        else:
            extras.setdefault(anchor, []).append(cell)
    cells = list(extras.get(None, []))
    for cell in release.cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        cells.append(mine.get(gid, cell) if gid else cell)
        cells += extras.get(gid, []) if gid else []
    nb.cells = cells
    return nb, notes
