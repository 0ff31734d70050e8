"""Verdicts: which test cells keep their points, from the instructor's source and the service's log.

The kernel's report can be forged by the student's code; the check service's log and the
gradebook's source cells cannot. :func:`confirm_hidden_checks` scores 0 every test cell whose
hidden checks the service did not see pass.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

CHECK_CALL = re.compile(r"\bcheck_(\w+)\s*\(")


def check_calls(course_dir: Path, spec: dict) -> dict:
    """(notebook, grade id) -> the checks its cell calls, read from the instructor's source.

    From the job's gradebook (root's, 0600), never from a notebook the student's code could have
    written: which checks a cell calls is what the instructor wrote.
    """
    from nbgrader.api import Gradebook

    known = set(spec["checks"]) if "checks" in spec else None
    calls = {}
    with Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}", spec["course_id"]) as gb:
        for name in spec["notebooks"]:
            nb = gb.find_notebook(name, spec["assignment"])
            for cell in nb.source_cells:
                if cell.cell_type != "code":
                    continue
                # Only calls of the course's hidden checks, in the hidden region (a visible test
                # may have a helper called check_something).
                found = [c for c in CHECK_CALL.findall(_hidden_region(cell.source or ""))
                         if known is None or c in known]
                if found:
                    calls[(name, cell.name)] = found
    return calls


def _hidden_region(source: str) -> str:
    lines, inside = [], False
    for line in source.splitlines():
        if "BEGIN HIDDEN TESTS" in line:
            inside = True
        elif "END HIDDEN TESTS" in line:
            inside = False
        elif inside:
            lines.append(line)
    return "\n".join(lines)


def verdicts(log: Path) -> tuple[set, set]:
    """Checks the service logged as passed and as not passed (the service's own log)."""
    passed, failed = set(), set()
    for line in log.read_text().splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        (passed if entry.get("ok") is True else failed).add(entry.get("check"))
    return passed, failed


def confirm_hidden_checks(course_dir: Path, spec: dict, log: Path) -> list[str]:
    """Score 0 any test cell whose checks the service did not see pass (and only pass).

    The kernel's report can be forged by the student's code (patch the check stand-in, or
    ``subprocess``); the service's log cannot, nor the gradebook's source cells. A cell that
    calls ``check_<name>(...)`` in the instructor's source keeps its points only if the log holds a
    passing verdict for ``<name>`` and no failing one. Runs after every process of the job's uid
    is gone, so nothing rewrites the notebook it annotates. Returns notes.
    """
    import nbformat
    from nbgrader.api import Gradebook

    from .execute import add_error

    passed, failed = verdicts(log)
    calls = check_calls(course_dir, spec)
    a, s = spec["assignment"], spec["student"]
    notes = []
    with Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}", spec["course_id"]) as gb:
        for name in spec["notebooks"]:
            path = course_dir / "autograded" / s / a / f"{name}.ipynb"
            try:
                nb = nbformat.read(path, as_version=4)
            except Exception:  # noqa: BLE001 - missing or unreadable: the grades still hold
                nb = None
            cells = {c.get("metadata", {}).get("nbgrader", {}).get("grade_id"): c for c in (nb.cells if nb else [])}
            changed = False
            for (nb_name, grade_id), checks in calls.items():
                if nb_name != name:
                    continue
                unconfirmed = [c for c in checks if c not in passed or c in failed]
                if not unconfirmed:
                    continue
                try:
                    grade = gb.find_grade(grade_id, name, a, s)
                except Exception:  # noqa: BLE001 - not a grade cell
                    continue
                if grade.auto_score:
                    grade.auto_score = 0.0
                    gb.db.commit()
                    detail = (f"the hidden check of {', '.join(unconfirmed)} did not pass in the grader's "
                              "check service (the kernel's report was tampered with)")
                    if grade_id in cells:
                        add_error(cells[grade_id], "HiddenCheckNotConfirmed", detail)
                        changed = True
                    notes.append(f"{name}/{grade_id}: {detail}")
            if changed:
                nbformat.write(nb, path)
    return notes
