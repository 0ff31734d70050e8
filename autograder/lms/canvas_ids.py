"""The Canvas assignment id of each assignment, remembered with the course.

Given once (``export --canvas-id <assignment>=98765``) or found once in the gradebook Canvas exported
(a column ``A2: Back-propagation (98765)`` matched by its id or its title), it is kept in
``<course>/.autograder/canvas_ids.json`` and used by every later Canvas export; an id given on
the command line always wins, and replaces the one remembered.
"""
from __future__ import annotations

import json
import re

from ..course import Course
from ..errors import InstructorError

CANVAS_ID = re.compile(r"[0-9]+")  # Canvas's ids are numbers, unique across the whole instance


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
    """Keep ``ids`` (assignment -> Canvas id). An id that is not a number, or the id of another
    assignment already (a typo: both would fill one Canvas column), is refused with one line and
    nothing is written."""
    known = remembered(course)
    for name, cid in ids.items():
        if not CANVAS_ID.fullmatch(cid):
            raise InstructorError(f"Canvas id {cid!r} of {name!r} is not a number: use the number in the "
                                  "column title 'Title (id)' or in the assignment's URL")
        others = sorted(a for a, i in {**known, **ids}.items() if i == cid and a != name)
        if others:
            raise InstructorError(
                f"Canvas id {cid} given for {name!r} is already {', '.join(map(repr, others))}'s: one Canvas "
                f"assignment would get both; pass the right --canvas-id for each (or delete the wrong one "
                f"from {_path(course)})")
    if all(known.get(k) == v for k, v in ids.items()):
        return
    path = _path(course)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({**known, **ids}, indent=1, sort_keys=True))
    tmp.replace(path)
