"""Bring submissions into nbgrader's ``submitted/<student>/<assignment>/`` layout.

Sources: a folder (or zip) with one sub-folder per student id, or an LMS bulk download (zip or
its unpacked folder): Canvas "Download Submissions" or Moodle "Download all submissions". The
naming rules of both are in ``lms/canvas.py`` and ``lms/moodle.py`` (sources in ``LMS.md``).

Rules, in the order they matter:

* **Nothing is lost.** Every file that is not graded (unmatched, a second notebook, an older
  upload, a damaged zip) is copied to ``collected/<assignment>/<student or _unmatched>/`` and its
  report line says so. A submission replaced by a newer one is moved to ``submitted/.superseded/``.
* **Nothing is guessed.** A student is matched on the LMS's own stable id first (Canvas user id;
  Moodle participant id through the grading worksheet or the roster), each id looked up only in
  its own id space, then on a name only when exactly one student has it. Two notebooks where one
  is expected, two students with one name, an id that points at two students: the report names
  the problem, nothing is graded for that student, and collect exits non-zero.
* **Broken input stops everything.** A damaged or truncated download, or a file that is not a
  zip, raises :class:`~autograder.errors.InstructorError` before anything is written.
* **Times are real or absent.** ``timestamp.txt`` (nbgrader's submission time, which its late
  penalties use) is written from the file times Moodle and folders keep; a Canvas zip has none
  (every entry carries the time the zip was built), so its ``LATE`` flag is recorded instead.

What the LMS said about each student (ids, LATE, files) is kept in
``.autograder/lms/<assignment>.json``: the exports need the ids.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..course import Course
from ..errors import InstructorError
from . import canvas, moodle
from .records import load_records, save_records, sync_roster
from .roster import STUDENT_ID, Roster

NB_TIME = "%Y-%m-%d %H:%M:%S.%f %Z"
JUNK = ("__MACOSX/", ".DS_Store", "Thumbs.db")  # operating-system litter, not submissions


@dataclass
class Item:
    """One file as found in the download."""

    path: str                      # where it was found (zip member or relative path): the report's name
    data: bytes
    time: dt.datetime | None       # real modification time; None where the LMS gives none (Canvas)


@dataclass
class Claim:
    """An item attributed to a student (or not), with what the LMS said about it."""

    item: Item
    name: str                      # its name inside the submission
    student: str | None = None
    problem: str | None = None     # why it has no student
    lms: dict = field(default_factory=dict)
    order: tuple = ()              # larger = newer upload of the same name


@dataclass
class Row:
    """One line of the report."""

    student: str | None
    file: str
    status: str
    problem: bool = False          # the instructor must act: collect exits non-zero


# ----------------------------------------------------------------- reading the source


def read_source(source: Path) -> list[Item]:
    """Every file in a folder or zip; a damaged zip or a file that is not one is an error."""
    source = Path(source)
    if source.is_dir():
        return [Item(p.relative_to(source).as_posix(), p.read_bytes(),
                     dt.datetime.fromtimestamp(p.stat().st_mtime, dt.timezone.utc).replace(tzinfo=None))
                for p in sorted(source.rglob("*")) if p.is_file() and not _junk(p.relative_to(source).as_posix())]
    try:
        return _zip_items(source.read_bytes())
    except zipfile.BadZipFile as exc:
        raise InstructorError(f"{source} is not a readable zip file ({exc}); download it from the LMS again, "
                              "or unpack it and give the folder") from exc


def _zip_items(data: bytes) -> list[Item]:
    """Members of a zip, each checked against its CRC (a truncated download fails here, not later)."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        bad = z.testzip()
        if bad is not None:
            raise zipfile.BadZipFile(f"member {bad!r} is damaged")
        return [Item(i.filename, z.read(i), dt.datetime(*i.date_time)) for i in z.infolist()
                if not i.is_dir() and not _junk(i.filename)]


def _junk(path: str) -> bool:
    return path.startswith(JUNK[0]) or f"/{JUNK[0]}" in path or PurePosixPath(path).name in JUNK[1:]


def _safe(path: str) -> bool:
    p = PurePosixPath(path.replace("\\", "/"))
    return bool(p.parts) and not p.is_absolute() and ".." not in p.parts


# ----------------------------------------------------------------- who sent it


def identify(item: Item, roster: Roster, participants: dict[str, str]) -> Claim:
    """Attribute one item by the rules of the LMS that named it (or as a folder per student)."""
    parts = PurePosixPath(item.path).parts
    if not _safe(item.path):
        return Claim(item, parts[-1] if parts else item.path, problem="unsafe path in the archive")
    top = parts[0]
    # An LMS name may sit below a folder the instructor added (a re-zipped or unpacked download).
    for i, part in enumerate(parts):
        mf = moodle.parse(part)
        if mf is not None:
            inner = "/".join(parts[i + 1:]) or mf.rest
            claim = Claim(item, inner, lms={"lms": "moodle", "participant_id": mf.participant_id},
                          order=(item.time or dt.datetime.min,))
            _moodle_student(claim, mf, roster, participants)
            return claim
    cf = canvas.parse(parts[-1])  # Canvas zips are flat: the file name alone says who
    if cf is not None:
        name, n = canvas.without_unique_suffix(cf.display)
        claim = Claim(Item(item.path, item.data, None), name, order=(cf.attachment_id, n),
                      lms={"lms": "canvas", "user_id": cf.user_id, "late": cf.late, "resubmission": n})
        _canvas_student(claim, cf, roster)
        return claim
    if len(parts) == 1:
        return Claim(item, top, problem="no student folder and no LMS name")
    claim = Claim(item, "/".join(parts[1:]), order=(item.time or dt.datetime.min,))
    if roster and top not in roster.people:
        claim.problem = f"folder {top!r} is not a student id in the roster"
    elif not STUDENT_ID.fullmatch(top):
        claim.problem = f"folder {top!r} is not usable as a student id"
    else:
        claim.student = top
    return claim


def _canvas_student(claim: Claim, cf: canvas.CanvasFile, roster: Roster) -> None:
    if not roster:
        claim.problem = "Canvas file: pass --roster with each student's Canvas user id (column lms_user_id)"
        return
    by_id = roster.by("lms_user_id", cf.user_id)
    by_slug = sorted(p.id for p in roster.people.values() if cf.slug and canvas.slug(p) == cf.slug)
    if by_id:
        claim.student = by_id
        if by_slug and by_id not in by_slug:  # the id wins, but an instructor should know
            claim.lms["note"] = f"name {cf.slug!r} is {', '.join(by_slug)}'s; matched on the Canvas user id"
    elif len(by_slug) == 1:
        if roster.people[by_slug[0]].lms_user_id:  # that student has another Canvas id: not them
            claim.problem = f"Canvas user {cf.user_id} is not in the roster (name {cf.slug!r} has another id)"
        else:
            claim.student = by_slug[0]
            claim.lms["note"] = f"matched on the name {cf.slug!r} (roster has no Canvas id for them)"
    elif len(by_slug) > 1:
        claim.problem = f"AMBIGUOUS: Canvas name {cf.slug!r} is {', '.join(by_slug)}; add lms_user_id to the roster"
    else:
        claim.problem = f"Canvas user {cf.user_id} is not in the roster"


def _moodle_student(claim: Claim, mf: moodle.MoodleFile, roster: Roster, participants: dict[str, str]) -> None:
    pid = mf.participant_id
    by_pid = participants.get(pid) or roster.by("participant_id", pid)
    if by_pid:
        claim.student = by_pid
        return
    if mf.blind:
        claim.problem = (f"blind-marked Moodle participant {pid}: pass --worksheet (the assignment's grading "
                         "worksheet) or a roster with participant_id")
        return
    if not roster:
        claim.problem = "Moodle file: pass --roster (names, emails) and --worksheet to match participants"
        return
    for name in mf.names():  # longest first: the whole label, then without a group prefix
        hits = roster.by_name(name)
        if len(hits) == 1:
            theirs = {k for k, v in participants.items() if v == hits[0]} | {roster.people[hits[0]].participant_id}
            if theirs - {""}:  # that student is known under another participant id: not them
                claim.problem = f"Moodle participant {pid} is not known; {name!r} is participant {min(theirs - {''})}"
                return
            claim.student = hits[0]
            claim.lms["note"] = f"matched on the name {name!r}"
            return
        if len(hits) > 1:
            claim.problem = (f"AMBIGUOUS: {name!r} is the name of {', '.join(hits)}; pass --worksheet "
                             "to match on Moodle's participant id")
            return
    claim.problem = f"Moodle participant {pid} ({mf.label}) is not in the roster"


def _expand_zips(claims: list[Claim]) -> list[Claim]:
    """A zip a student submitted is opened: its members become that student's files."""
    out = []
    for c in claims:
        if c.student is None or not c.name.lower().endswith(".zip"):
            out.append(c)
            continue
        try:
            members = _zip_items(c.item.data)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            c.problem, c.student, c.lms["owner"] = f"the submitted zip is damaged ({exc})", None, c.student
            out.append(c)
            continue
        for m in members:
            if not _safe(m.path):
                out.append(Claim(m, m.path, problem=f"unsafe path inside {c.item.path}", lms={"owner": c.student}))
                continue
            out.append(Claim(Item(f"{c.item.path}!{m.path}", m.data, c.item.time), m.path, c.student,
                             lms=dict(c.lms), order=c.order))
    return out


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
        same.sort(key=lambda c: c.order)
        newest = same[-1]
        if len(same) > 1 and same[-2].order == newest.order:
            for c in same:
                used.add(id(c))
                rest.append((c, f"AMBIGUOUS: {len(same)} files named {want} and no way to tell which is newer", True))
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
            notebooks: list[str] | None = None, worksheet: Path | None = None) -> list[Row]:
    """Copy submissions into the course; return one report row per file found."""
    notebooks = notebooks or course.notebooks(assignment)
    roster = Roster.load(roster_csv)
    participants: dict[str, str] = {}
    rows: list[Row] = []
    if worksheet is not None:
        _, ws_rows = moodle.read_worksheet(worksheet)
        participants, problems = moodle.participant_map(ws_rows, roster)
        rows += [Row(None, str(worksheet), f"AMBIGUOUS: {p}", True) for p in problems]
    claims = _expand_zips([identify(i, roster, participants) for i in read_source(source)])
    _check_one_student_per_id(claims)
    keep = Keeper(course, assignment)
    by_student: dict[str, list[Claim]] = {}
    for c in claims:
        if c.student is None:
            where = keep.put(c.lms.get("owner") or "_unmatched", c.item)
            rows.append(Row(c.lms.get("owner"), c.item.path, f"{_upper(c.problem)}; kept in {where}", True))
        else:
            by_student.setdefault(c.student, []).append(c)
    records = load_records(course, assignment)
    for student in sorted(by_student):
        graded, rest = _choose(by_student[student], notebooks)
        for c, why, problem in rest:
            rows.append(Row(student, c.item.path, f"{why}; kept in {keep.put(student, c.item)}", problem))
        if graded:
            rows += _place(course, assignment, student, graded, keep)
        records[student] = _record(by_student[student], graded)
    save_records(course, assignment, records)
    if roster:
        sync_roster(course, roster)
    return rows


def _check_one_student_per_id(claims: list[Claim]) -> None:
    """One LMS id must lead to one student in the whole download; otherwise nobody with it is graded."""
    owners: dict[tuple, set[str]] = {}
    for c in claims:
        if c.student:
            key = (c.lms.get("lms"), c.lms.get("user_id") or c.lms.get("participant_id"))
            if key[0]:
                owners.setdefault(key, set()).add(c.student)
    ids: dict[str, set] = {}  # and the other way round: one student, one LMS id
    for key, students in owners.items():
        for s in students:
            ids.setdefault(s, set()).add(key)
    for c in claims:
        key = (c.lms.get("lms"), c.lms.get("user_id") or c.lms.get("participant_id"))
        if c.student and len(owners.get(key, ())) > 1:
            c.problem = f"AMBIGUOUS: {key[0]} id {key[1]} was matched to {', '.join(sorted(owners[key]))}"
            c.lms["owner"], c.student = None, None
        elif c.student and len(ids.get(c.student, ())) > 1:
            others = ", ".join(sorted(str(k[1]) for k in ids[c.student]))
            c.problem = f"AMBIGUOUS: files of {others} were all matched to {c.student}; add their LMS ids to the roster"
            c.lms["owner"], c.student = None, None


def _upper(problem: str | None) -> str:
    text = problem or "unmatched"
    return text if text.startswith(("AMBIGUOUS", "UNSAFE")) else "UNMATCHED: " + text


def _record(claims: list[Claim], graded: dict[str, Claim]) -> dict:
    lms = {k: v for c in claims for k, v in c.lms.items() if k in ("lms", "user_id", "participant_id")}
    return {**lms, "late": any(c.lms.get("late") for c in graded.values()),
            "files": {want: c.item.path for want, c in graded.items()},
            "collected": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}


def _place(course: Course, assignment: str, student: str, graded: dict[str, Claim], keep: "Keeper") -> list[Row]:
    """Write one student's graded files; an existing submission is kept unless this one is newer."""
    dest = course.dir("submitted", student, assignment)
    times = [c.item.time for c in graded.values() if c.item.time is not None]
    when = max(times) if times else None
    notes = {w: "; ".join(filter(None, [c.lms.get("note"), c.lms.get("renamed"),
                                        "LATE (Canvas)" if c.lms.get("late") else None]))
             for w, c in graded.items()}
    if dest.exists():
        same = all((dest / w).is_file() and (dest / w).read_bytes() == c.item.data for w, c in graded.items())
        old = _read_time(dest / "timestamp.txt")
        if same:
            return [Row(student, c.item.path, _join("unchanged (already collected)", notes[w]))
                    for w, c in graded.items()]
        if old is not None and when is not None and old > when:
            return [Row(student, c.item.path, f"IGNORED: older than the submission already collected ({old}); "
                                              f"kept in {keep.put(student, c.item)}", True) for c in graded.values()]
        backup = course.root / "submitted" / ".superseded" / f"{student}-{assignment}-{_stamp(old)}"
        shutil.rmtree(backup, ignore_errors=True)
        backup.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(dest), backup)
        status = f"graded, replaced the earlier submission (kept in {backup.relative_to(course.root)})"
    else:
        status = "graded"
    dest.mkdir(parents=True)
    for want, c in graded.items():
        (dest / want).write_bytes(c.item.data)
    if when is not None:
        (dest / "timestamp.txt").write_text(when.replace(tzinfo=dt.timezone.utc).strftime(NB_TIME))
    return [Row(student, c.item.path, _join(status, notes[w])) for w, c in graded.items()]


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


def _stamp(when: dt.datetime | None) -> str:
    return when.strftime("%Y%m%dT%H%M%S") if when else dt.datetime.now().strftime("replaced%Y%m%dT%H%M%S")


def _read_time(path: Path) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(path.read_text().strip(), NB_TIME).replace(tzinfo=None)
    except (OSError, ValueError):
        return None


class Keeper:
    """``collected/<assignment>/<who>/``: every file not graded, under its name in the download."""

    def __init__(self, course: Course, assignment: str):
        self.root = course.root / "collected" / assignment
        self.course = course

    def put(self, who: str, item: Item) -> str:
        name = item.path.replace("!", "/")
        parts = [p for p in PurePosixPath(name.replace("\\", "/")).parts if p not in ("..", "/", "")]
        target = self.root.joinpath(who, *parts)
        if target.exists() and target.read_bytes() != item.data:  # a different file of the same name
            digest = hashlib.sha256(item.data).hexdigest()[:8]
            target = target.with_name(f"{target.stem}.{digest}{target.suffix}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(item.data)
        return str(target.relative_to(self.course.root))
