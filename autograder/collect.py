"""Bring submissions into nbgrader's ``submitted/<student>/<assignment>/`` layout.

Sources: a folder with one sub-folder per student, or an LMS bulk download
(folder or zip) whose file names carry the student:

* Canvas: ``doejane_LATE_12345_67890_a2_backprop-1.ipynb``
  (name slug, optional LATE, user id, submission id, original name, ``-N`` on resubmission);
* Moodle: ``Jane Doe_12345_assignsubmission_file_a2_backprop.ipynb``, or the same
  prefix as a folder holding the file.

A roster CSV (``student_id`` plus any of ``name``, ``lms_id``, ``email``) maps
LMS names and ids to student ids. Every file that cannot be matched is
reported; an earlier submission is never overwritten silently: the newest one
is kept, the other moved to ``submitted/.superseded/`` and the report says so.
"""
from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .course import Course

CANVAS = re.compile(r"^(?P<slug>[a-z0-9]+)_(?:late_)?(?P<lms_id>\d+)_(?P<sub_id>\d+)_(?P<name>.+)$", re.I)
MOODLE = re.compile(r"^(?P<full>[^_/]+)_(?P<lms_id>\d+)_assign(?:submission|feedback)_\w+?_(?P<name>.*)$")
RESUBMISSION = re.compile(r"-\d+(?=\.ipynb$)")
NB_TIME = "%Y-%m-%d %H:%M:%S.%f %Z"


def _norm(text: str) -> str:
    """Lowercase letters and digits only, accents removed: 'Jané Doe' -> 'janedoe'."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", text.lower())


@dataclass
class Roster:
    """Lookup of student ids by LMS id, name (either order) or email."""

    keys: dict[str, str] = field(default_factory=dict)
    ids: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, path: Path | None) -> "Roster":
        roster = cls()
        if path is None:
            return roster
        with open(path, newline="", encoding="utf-8-sig") as f:
            for row in csv.DictReader(f):
                row = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
                sid = row.get("student_id") or row.get("id")
                if not sid:
                    continue
                roster.ids.add(sid)
                roster.keys[_norm(sid)] = sid
                for col in ("lms_id", "canvas_id", "moodle_id", "email"):
                    if row.get(col):
                        roster.keys[_norm(row[col])] = sid
                name = row.get("name") or " ".join(filter(None, [row.get("first_name"), row.get("last_name")]))
                if name:
                    words = name.split()
                    roster.keys[_norm(name)] = sid
                    roster.keys[_norm(words[-1] + "".join(words[:-1]))] = sid  # Canvas: lastfirst
        return roster

    def find(self, *candidates: str) -> str | None:
        for c in candidates:
            if c and _norm(c) in self.keys:
                return self.keys[_norm(c)]
        return None


@dataclass
class Item:
    """One submitted file, wherever it came from."""

    path: str            # name as found (for the report)
    data: bytes
    time: dt.datetime


@dataclass
class Row:
    student: str | None
    file: str
    status: str


def _items(source: Path) -> list[Item]:
    if source.is_file() and zipfile.is_zipfile(source):
        with zipfile.ZipFile(source) as z:
            return [Item(i.filename, z.read(i), dt.datetime(*i.date_time)) for i in z.infolist()
                    if not i.is_dir() and "__MACOSX" not in i.filename]
    return [Item(str(p.relative_to(source)), p.read_bytes(), dt.datetime.fromtimestamp(p.stat().st_mtime))
            for p in sorted(source.rglob("*")) if p.is_file()]


def identify(item: Item, roster: Roster) -> tuple[str | None, str]:
    """(student id or None, file name inside the submission) for one item."""
    parts = Path(item.path).parts
    head, base = (parts[0], parts[-1]) if len(parts) > 1 else (None, parts[-1])
    for text, inner in ((head, base), (base, None)):
        if not text:
            continue
        m = MOODLE.match(text)
        if m:
            return roster.find(m["lms_id"], m["full"]), inner or m["name"]
        m = CANVAS.match(text)
        if m and inner is None:
            return roster.find(m["lms_id"], m["slug"]), RESUBMISSION.sub("", m["name"])
    if head:  # plain folder per student
        return (roster.find(head) or (head if not roster.ids else None)), base
    return None, base


def collect(course: Course, assignment: str, source: Path, roster_csv: Path | None = None,
            notebooks: list[str] | None = None) -> list[Row]:
    """Copy submissions into the course; return one report row per file."""
    roster = Roster.load(roster_csv)
    notebooks = notebooks or _notebooks(course, assignment)
    rows: list[Row] = []
    chosen: dict[tuple[str, str], Item] = {}
    renamed: dict[str, str] = {}  # item path -> note
    for item in _items(Path(source)):
        if Path(item.path).name.startswith(".") or item.path.endswith("timestamp.txt"):
            continue
        student, name = identify(item, roster)
        if student is None:
            rows.append(Row(None, item.path, "UNMATCHED: no student for this file"))
            continue
        if not re.fullmatch(r"[A-Za-z0-9_.@-]+", student):
            rows.append(Row(None, item.path, f"UNMATCHED: unusable student id {student!r}"))
            continue
        if name.endswith(".ipynb") and name[:-6] not in notebooks and len(notebooks) == 1:
            name = notebooks[0] + ".ipynb"
            renamed[item.path] = f"renamed to {name}"
        key = (student, name)
        if key in chosen:
            old = chosen[key]
            newer, older = (item, old) if item.time >= old.time else (old, item)
            rows.append(Row(student, older.path, f"duplicate: kept newer {newer.path}"))
            chosen[key] = newer
        else:
            chosen[key] = item
    by_student: dict[str, list[tuple[str, Item]]] = {}
    for (student, name), item in chosen.items():
        by_student.setdefault(student, []).append((name, item))
    for student, files in sorted(by_student.items()):
        rows += _place(course, assignment, student, files)
    for row in rows:
        if row.file in renamed and not row.status.startswith("duplicate"):
            row.status = f"{row.status}, {renamed[row.file]}"
    return rows


def _place(course: Course, assignment: str, student: str, files: list[tuple[str, Item]]) -> list[Row]:
    """Write one student's files; an existing newer submission wins and is kept."""
    dest = course.dir("submitted", student, assignment)
    when = max(item.time for _, item in files)
    if dest.exists():
        old = _read_time(dest / "timestamp.txt")
        if old is not None and old > when:
            return [Row(student, item.path, f"IGNORED: older than the submission already collected ({old})")
                    for _, item in files]
        backup = course.root / "submitted" / ".superseded" / f"{student}-{assignment}-{old or 'unknown'}"
        backup = Path(str(backup).replace(" ", "_").replace(":", ""))
        shutil.rmtree(backup, ignore_errors=True)
        backup.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(dest), backup)
        note = f"replaced older submission (kept in {backup.relative_to(course.root)})"
    else:
        note = "collected"
    dest.mkdir(parents=True)
    rows = []
    for name, item in files:
        target = (dest / name).resolve()
        if dest.resolve() not in target.parents:  # '../' in an archive
            rows.append(Row(student, item.path, "UNMATCHED: unsafe path"))
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(item.data)
        rows.append(Row(student, item.path, note))
    (dest / "timestamp.txt").write_text(when.replace(tzinfo=dt.timezone.utc).strftime(NB_TIME))
    return rows


def _read_time(path: Path) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(path.read_text().strip(), NB_TIME).replace(tzinfo=None)
    except (OSError, ValueError):
        return None


def _notebooks(course: Course, assignment: str) -> list[str]:
    from nbgrader.api import Gradebook

    with Gradebook(course.db_url, course.course_id) as gb:
        return [nb.name for nb in gb.find_assignment(assignment).notebooks]
