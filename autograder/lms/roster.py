"""The class list: who the students are and every id an LMS knows them by.

Two CSV layouts are read (column names are case-insensitive, extra columns are ignored):

* the tool's own: ``student_id, name, lms_id, email`` (+ optional ``participant_id``, ``id_number``,
  ``sis_user_id``, ``sis_login_id``);
* nbgrader's (``nbgrader db student import``): ``id, first_name, last_name, email, lms_user_id``.

Every id space gets its own index, and a lookup names the space it searches: a Moodle participant
id is only ever looked up among participant ids, a Canvas user id only among Canvas user ids. (The
old collector looked every number up in one table, so a participant id equal to another student's
ID number gave one student's file to the other.)
"""
from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InstructorError

# nbgrader uses the id as a directory name (submitted/<id>/...): one safe path component, with a
# letter or digit in it (so never '.', '..' or a name the shell reads as an option alone).
STUDENT_ID = re.compile(r"(?=[^A-Za-z0-9]*[A-Za-z0-9])[A-Za-z0-9_.@-]+")
STUDENT_ID_RULE = "letters, digits and _ . @ - only, with at least one letter or digit"

ALIASES = {  # our field <- accepted column names (lower case)
    "id": ("student_id", "id"),
    "name": ("name", "full name", "full_name"),
    "first_name": ("first_name", "first name"),
    "last_name": ("last_name", "last name", "surname"),
    "email": ("email", "email address"),
    "lms_user_id": ("lms_user_id", "lms_id", "canvas_id", "canvas_user_id"),
    "participant_id": ("participant_id", "moodle_participant_id"),
    "id_number": ("id_number", "idnumber", "id number"),
    "sis_user_id": ("sis_user_id", "sis user id"),
    "sis_login_id": ("sis_login_id", "sis login id"),
}


def fold(text: str) -> str:
    """Case- and accent-blind form of a name, for comparing names only: 'Müller, José' -> 'mullerjose'."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", text.lower())


@dataclass
class Person:
    id: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    lms_user_id: str = ""      # Canvas user id (nbgrader's column name for it)
    participant_id: str = ""   # Moodle's per-assignment participant id, when the roster has it
    id_number: str = ""        # Moodle's "ID number" profile field
    sis_user_id: str = ""
    sis_login_id: str = ""

    @property
    def full_name(self) -> str:
        return " ".join(filter(None, [self.first_name, self.last_name])) or self.id

    @property
    def sortable_name(self) -> str:
        """Canvas's default sortable name, 'Last, First'."""
        return ", ".join(filter(None, [self.last_name, self.first_name])) or self.id


@dataclass
class Roster:
    """People by student id, plus one index per id space (each value: the student ids that have it)."""

    people: dict[str, Person] = field(default_factory=dict)
    source: str = "no roster"

    def __bool__(self) -> bool:
        return bool(self.people)

    # ---- reading

    @classmethod
    def load(cls, path: Path | None) -> "Roster":
        roster = cls()
        if path is None:
            return roster
        roster.source = str(path)
        try:
            with open(path, newline="", encoding="utf-8-sig") as f:
                reader = csv.DictReader(f)
                header = [h.strip().lower() for h in (reader.fieldnames or [])]
                rows = list(reader)
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise InstructorError(f"cannot read the roster {path}: {exc}; give a UTF-8 CSV file") from exc
        columns = {ours: next((h for h in names if h in header), None) for ours, names in ALIASES.items()}
        if columns["id"] is None:
            raise InstructorError(
                f"roster {path} has no 'student_id' or 'id' column (it has {', '.join(header) or 'none'}); "
                "use the tool's columns student_id,name,lms_id,email or nbgrader's id,first_name,last_name,"
                "email,lms_user_id")
        for n, raw in enumerate(rows, start=2):
            row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if k}
            values = {ours: row.get(col, "") if col else "" for ours, col in columns.items()}
            sid = values.pop("id")
            if not sid:
                continue
            if not STUDENT_ID.fullmatch(sid):
                raise InstructorError(f"roster {path} line {n}: student id {sid!r} is not usable as a folder "
                                      f"name; use {STUDENT_ID_RULE}")
            if sid in roster.people:
                raise InstructorError(f"roster {path} line {n}: student id {sid!r} appears twice; "
                                      "keep one line per student")
            name = values.pop("name")
            if name and not (values["first_name"] or values["last_name"]):
                words = name.split()  # 'Jane Q. Doe' -> first 'Jane Q.', last 'Doe'
                values["first_name"], values["last_name"] = " ".join(words[:-1]), words[-1]
            roster.people[sid] = Person(sid, **values)
        roster._check_unique()
        return roster

    def _check_unique(self) -> None:
        """Two students with one LMS id would make every later match a guess: refuse the roster."""
        for space in ("lms_user_id", "participant_id", "email", "id_number", "sis_user_id"):
            seen: dict[str, str] = {}
            for p in self.people.values():
                key = getattr(p, space).lower()
                if key and key in seen:
                    raise InstructorError(f"roster {self.source}: {space} {key!r} belongs to both {seen[key]} "
                                          f"and {p.id}; correct the roster")
                seen[key] = p.id

    # ---- lookups, one id space each

    def by(self, space: str, value: str) -> str | None:
        """The student whose `space` (lms_user_id, participant_id, email, id_number, id) is `value`."""
        value = (value or "").strip().lower()
        if not value:
            return None
        for p in self.people.values():
            if (p.id if space == "id" else getattr(p, space)).lower() == value:
                return p.id
        return None

    def by_name(self, name: str) -> list[str]:
        """Students whose full name ('First Last' or 'Last First') folds to `name`'s: may be several."""
        key = fold(name)
        return sorted(p.id for p in self.people.values()
                      if key and key in (fold(p.full_name), fold(p.last_name + p.first_name)))
