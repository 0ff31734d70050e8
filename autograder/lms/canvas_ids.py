"""The Canvas assignment id of each assignment, remembered with the course.

Given once (``export --canvas-id <assignment>=98765``) or found once in the gradebook Canvas exported
(a column ``A2: Back-propagation (98765)`` matched by its id or its title), it is kept in
``<course>/.autograder/canvas_ids.json`` and used by every later Canvas export; an id given on
the command line always wins, and replaces the one remembered.
"""
from __future__ import annotations

import json

from ..course import Course


def _path(course: Course):
    return course.root / ".autograder" / "canvas_ids.json"  # beside lms/, whose *.json are per assignment


def remembered(course: Course) -> dict[str, str]:
    path = _path(course)
    try:
        data = json.loads(path.read_text()) if path.exists() else {}
    except ValueError:  # a damaged file only loses what it remembered
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def remember(course: Course, ids: dict[str, str]) -> None:
    known = remembered(course)
    if all(known.get(k) == v for k, v in ids.items()):
        return
    path = _path(course)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({**known, **ids}, indent=1, sort_keys=True))
    tmp.replace(path)
