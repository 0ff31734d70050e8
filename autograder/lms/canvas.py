"""Canvas: the names in a "Download Submissions" zip, and the gradebook CSV its importer reads.

Sources (instructure/canvas-lms; see autograder/LMS.md):

* ``lib/content_zipper.rb``: each file is ``<name>[_LATE]_<user_id>_<attachment_id>_<display name>``;
  ``<name>`` is the sortable name ("Last, First") lowercased with every non-word character removed
  (Ruby's word characters include accented letters), or ``anon_<anonymous id>`` under anonymous
  grading; a text entry is ``<name>_<user_id>_text.html``. Every entry carries the time the zip was
  built, so ``LATE`` is the only timing information.
* ``Attachment.make_unique_filename``: a re-upload of the same name becomes ``name-1.ext``, ``name-2.ext``.
* ``app/models/gradebook_importer.rb``: columns ``Student, ID, SIS User ID, SIS Login ID, Section``;
  a row whose first cell contains "Points Possible" is the points row; an assignment column is
  matched by ``Title (assignment_id)`` (else Canvas proposes a new assignment); a student by ``ID``.
"""
from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ..errors import InstructorError
from .roster import Person, fold

FILE = re.compile(
    r"^(?:anon_(?P<anon>[A-Za-z0-9]+)|(?P<slug>\w+?))(?P<late>_LATE)?_(?P<user_id>\d+)_"
    r"(?:(?P<attachment_id>\d+)_(?P<display>.+)|(?P<text>text\.html))$")
UNIQUE_SUFFIX = re.compile(r"^(?P<stem>.+)-(?P<n>\d+)(?P<ext>\.[^.]+)?$")
COLUMN = re.compile(r"^(?P<title>.*) \((?P<id>\d+)\)$")
FIXED = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


@dataclass
class CanvasFile:
    user_id: str
    slug: str              # '' under anonymous grading
    late: bool
    attachment_id: int     # grows with every upload: the newest upload has the largest
    display: str           # the name the student gave the file (with Canvas's -N suffix)
    anonymous: bool = False


def parse(name: str) -> CanvasFile | None:
    """The parts of a Canvas zip entry name, or None if it is not one."""
    m = FILE.match(unicodedata.normalize("NFC", name))
    if not m:
        return None
    return CanvasFile(user_id=m["user_id"], slug=m["slug"] or "", late=bool(m["late"]),
                      attachment_id=int(m["attachment_id"] or 0), display=m["display"] or m["text"],
                      anonymous=bool(m["anon"]))


def without_unique_suffix(display: str) -> tuple[str, int]:
    """'fx-2.ipynb' -> ('fx.ipynb', 2): the name before Canvas made it unique, and the counter."""
    m = UNIQUE_SUFFIX.match(display)
    return (m["stem"] + (m["ext"] or ""), int(m["n"])) if m else (display, 0)


def slug(person: Person) -> str:
    """The name part Canvas writes for `person` (content_zipper.rb): 'Müller, José' -> 'müllerjosé'."""
    return re.sub(r"\W", "", unicodedata.normalize("NFC", person.sortable_name).lower())


# ----------------------------------------------------------------- gradebook CSV


def read_gradebook(path: Path) -> tuple[list[str], list[list[str]]]:
    """(header, rows) of a gradebook CSV exported from Canvas, checked to be one."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.reader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InstructorError(f"cannot read the Canvas gradebook {path}: {exc}") from exc
    if not rows or rows[0][:2] != FIXED[:2]:
        raise InstructorError(f"{path} is not a Canvas gradebook export (its first columns are not "
                              "'Student,ID'); in Canvas: Grades > Export > Export Entire Gradebook")
    return rows[0], rows[1:]


def assignment_columns(header: list[str], names: list[str], ids: dict[str, str]) -> dict[str, int]:
    """Column index of each assignment: by the Canvas id given in `ids`, else by exact title."""
    found: dict[str, int] = {}
    for name in names:
        hits = [i for i, h in enumerate(header) if (m := COLUMN.match(h.strip()))
                and ((m["id"] == ids[name]) if name in ids else fold(m["title"]) == fold(name))]
        if len(hits) != 1:
            what = "no" if not hits else f"{len(hits)}"
            raise InstructorError(
                f"{what} Canvas gradebook column for assignment {name!r}"
                + (f" with id {ids[name]}" if name in ids else " with that title")
                + f"; pass --canvas-id {name}=<Canvas assignment id> (the number in the column title "
                "'Title (id)' or in the assignment's URL)")
        found[name] = hits[0]
    return found


def new_gradebook(names: list[str], ids: dict[str, str], maxima: dict[str, float]) -> tuple[list[str], list[list[str]]]:
    """Header and points row for a gradebook built from scratch (every column needs its Canvas id)."""
    missing = [n for n in names if n not in ids]
    if missing:
        raise InstructorError(
            "a Canvas import needs each assignment's Canvas id: pass the gradebook CSV exported from Canvas "
            "(--canvas-gradebook) or " + " ".join(f"--canvas-id {n}=<id>" for n in missing))
    header = FIXED + [f"{n} ({ids[n]})" for n in names]
    points = ["    Points Possible", "", "", "", ""] + [f"{maxima[n]:g}" for n in names]
    return header, [points]
