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

# What follows the name part: ``[_LATE]_<user_id>_<attachment_id>_<file>`` or ``_<user_id>_text.html``.
TAIL = re.compile(r"_(?P<late>LATE_)?(?P<user_id>[0-9]+)_(?:(?P<attachment_id>[0-9]+)_(?P<display>.+)|(?P<text>text\.html)$)")
NAME = re.compile(r"\w+")
ANON = re.compile(r"anon_(?P<anon>[A-Za-z0-9]+)")
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


def readings(name: str, anonymous: bool = False) -> list[CanvasFile]:
    """Every way `name` fits ``<name>[_LATE]_<user_id>_<attachment_id>_<file>``, from the left.

    A student chooses both the name part (their sortable name: word characters, ``_`` included)
    and the file name, so a name like ``x_202_9_a2_101_5001_fx.ipynb`` fits twice (user 202 or
    user 101): the caller must not pick one by position. Under anonymous grading the name part is
    Canvas's own ``anon_<id>`` (no ``_`` in the id), so exactly one reading fits.
    """
    name = unicodedata.normalize("NFC", name)
    out, seen = [], set()
    for i, ch in enumerate(name):
        if ch != "_" or i == 0:
            continue
        m = TAIL.match(name, i)
        head = name[:i]
        anon = ANON.fullmatch(head)
        if not m or not NAME.fullmatch(head) or bool(anon) != anonymous:
            continue
        key = (m["user_id"], m["attachment_id"], m["display"] or m["text"])
        if key in seen:  # 'doe_LATE_1_2_f' also reads as name 'doe_LATE': the same file
            continue
        seen.add(key)
        out.append(CanvasFile(user_id=m["user_id"], slug="" if anon else head, late=bool(m["late"]),
                              attachment_id=int(m["attachment_id"] or 0), display=m["display"] or m["text"],
                              anonymous=bool(anon)))
    return out


def parse(name: str) -> CanvasFile | None:
    """The first reading of a Canvas zip entry name (anonymous or not), or None if it is not one."""
    found = readings(name, anonymous=name.startswith("anon_")) or readings(name)
    return found[0] if found else None


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
