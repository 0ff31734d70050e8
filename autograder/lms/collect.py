"""Bring submissions into nbgrader's ``submitted/<student>/<assignment>/`` layout.

Sources: a folder (or zip) with one sub-folder per student id, or an LMS bulk download (zip or
its unpacked folder): Canvas "Download Submissions" or Moodle "Download all submissions". The
naming rules of both are in ``lms/canvas.py`` and ``lms/moodle.py`` (sources in ``LMS.md``); how a
download is read is in ``unpack.py``, who sent each file in ``owners.py``.

Every name, size, time and link in a download is the student's to choose; the rules below
hold against a hostile class (``SECURITY.md``, "Collect and export"). In the order they matter:

* **Nothing is lost.** Every file that is not graded (unmatched, a second notebook, an older
  upload, a damaged or oversized zip) is copied to ``collected/<assignment>/<student or
  _unmatched>/`` and its report line says so. A submission replaced by a newer one is moved to
  ``submitted/.superseded/`` under a name of its own (never deleted, never overwritten).
* **Nothing is guessed.** The LMS format is decided once per download (per folder of it) and each
  name read only by that LMS's own rule, anchored as that LMS writes it; in a folder per student
  the folder is the owner. A student is matched on the LMS's stable id first (Canvas user id;
  Moodle participant id through the grading worksheet or the roster), each id looked up only in
  its own id space, then on a name only when exactly one student has it. Two readings of one
  name that point at two students, two notebooks where one is expected, two students with one
  name: the report names the problem, nothing is graded for them, and collect exits non-zero.
* **One file's problem is that file's.** Each zip is unpacked as a stream within the limits of
  ``unpack.Limits`` (per file, per zip, entries): beyond them it is kept as it came and reported.
  A name too long for the disk is shortened with a hash, a file and a folder of one name are
  both kept (one renamed), an error writing one file is that file's report line. Links are
  never followed.
  What the LMS said is saved after every student, so a crash loses nothing already placed.
* **Broken downloads stop everything.** A damaged or truncated download, or a file that is not a
  zip, raises :class:`~autograder.errors.InstructorError` before anything is written.
* **Times are evidence, not truth.** ``timestamp.txt`` (nbgrader's submission time) is written
  from the file times Moodle and folders keep; a time in the future is clamped to the collection
  time and flagged. A Canvas zip has no times (every entry carries the time the zip was built): its
  ``LATE`` flag is recorded, and its attachment ids order uploads across downloads, so an older
  download never replaces a newer upload.

What the LMS said about each student (ids, LATE, files) is kept in
``.autograder/lms/<assignment>.json``: the exports need the ids.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..course import Course
from ..errors import InstructorError
from . import moodle
from .owners import Claim, attribute, check_one_student_per_id, expand_zips
from .records import load_records, save_records, sync_roster
from .roster import Roster
from .unpack import CHUNK, Item, Limits, read_source

__all__ = ["Limits", "Row", "collect"]

NB_TIME = "%Y-%m-%d %H:%M:%S.%f %Z"
NAME_BYTES = 200  # longest file name written (most file systems allow 255 bytes)


@dataclass
class Row:
    """One line of the report."""

    student: str | None
    file: str
    status: str
    problem: bool = False          # the instructor must act: collect exits non-zero

# ----------------------------------------------------------------- choosing what is graded


def _choose(claims: list[Claim], notebooks: list[str]) -> tuple[dict[str, Claim], list[tuple[Claim, str, bool]]]:
    """For one student: expected notebook name -> the claim graded as it; and (claim, why, problem)
    for every other file."""
    graded: dict[str, Claim] = {}
    rest: list[tuple[Claim, str, bool]] = []
    expected = {f"{n}.ipynb" for n in notebooks}
    used: set[int] = set()
    for want in sorted(expected):
        same = [c for c in claims if PurePosixPath(c.name).name == want]
        if not same and len(expected) == 1:
            nbs = [c for c in claims if c.name.endswith(".ipynb")]
            if len(nbs) == 1:
                same = nbs
                nbs[0].lms["renamed"] = f"renamed {PurePosixPath(nbs[0].name).name} to {want}"
            elif len(nbs) > 1:
                for c in nbs:
                    used.add(id(c))
                    rest.append((c, f"AMBIGUOUS: {len(nbs)} notebooks, none named {want}; copy the right one to "
                                    f"submitted/{c.student}/<assignment>/{want}", True))
                continue
        if not same:
            continue
        kinds = {c.lms.get("lms") for c in same}
        same.sort(key=lambda c: c.order)
        newest = same[-1]
        if len(kinds) > 1 or (len(same) > 1 and same[-2].order == newest.order):
            why = (f"from {' and '.join(sorted(map(str, kinds)))} at once" if len(kinds) > 1
                   else "no way to tell which is newer")
            for c in same:
                used.add(id(c))
                rest.append((c, f"AMBIGUOUS: {len(same)} files named {want}, {why}", True))
            continue
        graded[want] = newest
        used.add(id(newest))
        for c in same[:-1]:
            used.add(id(c))
            rest.append((c, f"older upload of {want} (graded: {newest.item.path})", False))
    for c in claims:
        if id(c) not in used:
            rest.append((c, "not an assignment notebook", False))
    return graded, rest


# ----------------------------------------------------------------- the command


def collect(course: Course, assignment: str, source: Path, roster_csv: Path | None = None,
            notebooks: list[str] | None = None, worksheet: Path | None = None,
            limits: Limits | None = None) -> list[Row]:
    """Copy submissions into the course; return one report row per file found."""
    notebooks = notebooks or course.notebooks(assignment)
    limits = limits or Limits()
    roster = Roster.load(roster_csv)
    participants: dict[str, str] = {}
    rows: list[Row] = []
    if worksheet is not None:
        _, ws_rows = moodle.read_worksheet(worksheet)
        participants, problems = moodle.participant_map(ws_rows, roster)
        rows += [Row(None, str(worksheet), f"AMBIGUOUS: {p}", True) for p in problems]
    with contextlib.ExitStack() as stack:
        try:
            items = read_source(source, limits, stack)
        except zipfile.LargeZipFile as exc:
            raise InstructorError(f"{source}: {exc}; unpack it and collect its parts") from exc
        claims = expand_zips(attribute(items, roster, participants), limits, stack)
        check_one_student_per_id(claims)
        keep = Keeper(course, assignment, limits)
        by_student: dict[str, list[Claim]] = {}
        records = load_records(course, assignment)
        for c in claims:
            owner = c.student or c.lms.get("owner")
            if c.item.problem:  # a link, a file over the limit: never copied, never graded
                rows.append(Row(owner, c.item.path, _join(c.item.problem, None if owner else _upper(c.problem)), True))
            elif c.student is None:
                rows.append(Row(owner, c.item.path, f"{_upper(c.problem)}; {keep.put(owner, c.item)}", True))
            else:
                by_student.setdefault(c.student, []).append(c)
                continue
            if owner and c.lms.get("lms") in ("canvas", "moodle"):  # their LMS id is known all the same
                records.setdefault(owner, {}).update({k: c.lms[k] for k in ("lms", "user_id", "participant_id")
                                                      if k in c.lms})
        for student in sorted(by_student):
            rows += _collect_one(course, assignment, student, by_student[student], notebooks, keep, records)
            save_records(course, assignment, records)  # as collect goes: a later failure loses nothing
    save_records(course, assignment, records)
    if roster:
        sync_roster(course, roster)
    return rows


def _collect_one(course: Course, assignment: str, student: str, claims: list[Claim], notebooks: list[str],
                 keep: "Keeper", records: dict) -> list[Row]:
    rows = []
    graded, rest = _choose(claims, notebooks)
    for c, why, problem in rest:
        rows.append(Row(student, c.item.path, _join(why, *c.item.flags, keep.put(student, c.item)),
                        problem or "could not" in keep.last))
    placed = {}
    if graded:
        try:
            placed_rows, placed = _place(course, assignment, student, graded, keep, records.get(student, {}))
            rows += placed_rows
        except (OSError, zipfile.BadZipFile) as exc:  # this student's problem, reported; the class goes on
            rows += [Row(student, c.item.path, f"NOT PLACED: {getattr(exc, 'strerror', None) or exc}; "
                                               f"{keep.put(student, c.item)}", True) for c in graded.values()]
    records[student] = _record(claims, placed, records.get(student, {}))
    return rows


def _upper(problem: str | None) -> str:
    text = problem or "unmatched"
    return text if text.split(":")[0].split()[0].isupper() else "UNMATCHED: " + text


def _record(claims: list[Claim], graded: dict[str, Claim], old: dict) -> dict:
    lms = {k: v for c in claims for k, v in c.lms.items() if k in ("lms", "user_id", "participant_id")
           and c.lms.get("lms") != "folder"}
    if not graded:  # nothing placed this time: what was placed before stays on record
        return {**old, **lms}
    attachments = dict(old.get("attachments", {}))
    attachments.update({w: c.lms["attachment_id"] for w, c in graded.items() if "attachment_id" in c.lms})
    return {**lms, "late": any(c.lms.get("late") for c in graded.values()),
            "files": {want: c.item.path for want, c in graded.items()},
            **({"attachments": attachments} if attachments else {}),
            "collected": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}


def _place(course: Course, assignment: str, student: str, graded: dict[str, Claim], keep: "Keeper",
           record: dict) -> tuple[list[Row], dict[str, Claim]]:
    """Write one student's graded files; an existing submission is kept unless this one is newer
    (by file time, or for Canvas by attachment id, which grows with every upload). Returns the
    report's rows and what is now the submission (empty when an older one was ignored)."""
    dest = course.dir("submitted", student, assignment)
    times = [c.item.time for c in graded.values() if c.item.time is not None]
    when = max(times) if times else None
    notes = {w: _join(c.lms.get("note"), c.lms.get("renamed"), "LATE (Canvas)" if c.lms.get("late") else None,
                      *c.item.flags) for w, c in graded.items()}
    if dest.exists():
        same = all(_same(dest / w, c.item) for w, c in graded.items())
        if same:
            return [Row(student, c.item.path, _join("unchanged (already collected)", notes[w]))
                    for w, c in graded.items()], graded
        older = _older(dest, graded, when, record)
        if older:
            return [Row(student, c.item.path, f"IGNORED: older than the submission already collected ({older}); "
                                              f"{keep.put(student, c.item)}", True) for c in graded.values()], {}
        backup = _unique(course.root / "submitted" / ".superseded" /
                         f"{student}-{assignment}-{_stamp(_read_time(dest / 'timestamp.txt'))}")
        backup.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(dest), backup)
        status = f"graded, replaced the earlier submission (kept in {backup.relative_to(course.root)})"
    else:
        status = "graded"
    dest.mkdir(parents=True)
    for want, c in graded.items():
        c.item.copy_to(dest / want, keep.limits.file_bytes)
    if when is not None:
        (dest / "timestamp.txt").write_text(when.replace(tzinfo=dt.timezone.utc).strftime(NB_TIME))
    return [Row(student, c.item.path, _join(status, notes[w])) for w, c in graded.items()], graded


def _older(dest: Path, graded: dict[str, Claim], when: dt.datetime | None, record: dict) -> str | None:
    """Why the collected submission is newer than this one, or None."""
    old = _read_time(dest / "timestamp.txt")
    if old is not None and when is not None and old > when:
        return str(old)
    for want, c in graded.items():
        had = record.get("attachments", {}).get(want)
        if "attachment_id" in c.lms and had is not None and int(had) > c.lms["attachment_id"]:
            return f"Canvas attachment {had} is newer than {c.lms['attachment_id']}"
    return None


def _same(path: Path, item: Item) -> bool:
    if not path.is_file() or path.is_symlink() or path.stat().st_size != item.size:
        return False
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest() == item.digest()


def _unique(path: Path) -> Path:
    """`path`, or `path-2`, `path-3`...: the first that does not exist (a backup is never replaced)."""
    n, candidate = 1, path
    while candidate.exists() or candidate.is_symlink():
        n += 1
        candidate = path.with_name(f"{path.name}-{n}")
    return candidate


def _join(*parts: str | None) -> str:
    return "; ".join(p for p in parts if p)


def _stamp(when: dt.datetime | None) -> str:
    return when.strftime("%Y%m%dT%H%M%S") if when else dt.datetime.now().strftime("replaced%Y%m%dT%H%M%S")


def _read_time(path: Path) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(path.read_text().strip(), NB_TIME).replace(tzinfo=None)
    except (OSError, ValueError):
        return None


def _component(name: str) -> str:
    """A file name the disk takes: one too long is cut and told apart by a hash of the whole."""
    if len(name.encode()) <= NAME_BYTES:
        return name
    stem, dot, ext = name.rpartition(".")
    ext = dot + ext if stem and len(ext) <= 16 else ""
    tag = "~" + hashlib.sha256(name.encode()).hexdigest()[:12]
    keep = (stem if ext else name).encode()[:NAME_BYTES - len(ext.encode()) - len(tag)].decode(errors="ignore")
    return keep + tag + ext


class Keeper:
    """``collected/<assignment>/<who>/``: every file not graded, under its name in the download."""

    def __init__(self, course: Course, assignment: str, limits: Limits):
        self.root = course.root / "collected" / assignment
        self.course = course
        self.limits = limits
        self.last = ""

    def put(self, who: str | None, item: Item) -> str:
        """Copy `item`; return the report's words for where it went (or why it could not)."""
        self.last = self._put(who or "_unmatched", item)
        return self.last

    def _put(self, who: str, item: Item) -> str:
        if item.opener is None or item.problem:
            return "nothing copied"
        name = item.path.replace("!", "/")
        parts = [_component(p) for p in PurePosixPath(name.replace("\\", "/")).parts if p not in ("..", "/", "")]
        try:
            folder = self.root / _component(who)
            folder.mkdir(parents=True, exist_ok=True)
            for part in parts[:-1]:  # a file already holds this folder's name: the folder is renamed
                folder = folder / part
                if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
                    folder = folder.with_name(_component(f"{part}.folder-{_hash(str(folder))}"))
                folder.mkdir(parents=True, exist_ok=True)
            target = folder / parts[-1]
            if target.is_symlink() or target.is_dir():  # a folder holds this file's name: the file is renamed
                target = target.with_name(_component(f"{target.stem}.{item.digest()[:8]}{target.suffix}"))
            if target.exists() and not _same(target, item):  # a different file of the same name
                target = target.with_name(_component(f"{target.stem}.{item.digest()[:8]}{target.suffix}"))
            if not target.exists():
                item.copy_to(target, self.limits.file_bytes)
        except (OSError, zipfile.BadZipFile) as exc:
            return f"could not be kept ({getattr(exc, 'strerror', None) or exc})"
        return f"kept in {target.relative_to(self.course.root)}"


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:8]
