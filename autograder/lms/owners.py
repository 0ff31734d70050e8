"""Who sent each file of a download: the LMS's own naming rules, read so that nothing is guessed.

The LMS format is decided once per folder of the download, from all its names together, and each
name is read by that format's rule only, anchored as that LMS writes it; in a folder per student
the folder is the owner. A student is matched on the LMS's stable id first (Canvas user id; Moodle
participant id through the grading worksheet or the roster), each id looked up only in its own id
space, then on a name only when exactly one student has it. The rules' sources are in ``LMS.md``.
"""
from __future__ import annotations

import contextlib
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from . import canvas, moodle
from .roster import STUDENT_ID, Roster
from .unpack import CHUNK, Item, Limits, safe, zip_items


@dataclass
class Claim:
    """An item attributed to a student (or not), with what the LMS said about it."""

    item: Item
    name: str                      # its name inside the submission
    student: str | None = None
    problem: str | None = None     # why it has no student
    lms: dict = field(default_factory=dict)
    order: tuple = ()              # larger = newer upload of the same name (within one LMS)


def attribute(items: list[Item], roster: Roster, participants: dict[str, str]) -> list[Claim]:
    """Claims for every item: the LMS format is decided once per folder of the download, from all
    its names together, and each name is read by that format's rule only."""
    claims, here, folders = [], [], {}
    for item in items:
        parts = PurePosixPath(item.path).parts
        if not safe(item.path):
            claims.append(Claim(item, parts[-1] if parts else item.path, problem="unsafe path in the archive"))
        elif len(parts) == 1:
            here.append(item)
        else:
            folders.setdefault(parts[0], []).append(item)
    claims += _read_files(here, 0, roster, participants)
    for top, inside in sorted(folders.items()):
        if top in roster.people or (not roster and not _lms_shaped(inside, 1)):
            claims += [_folder_claim(i, top, roster) for i in inside]   # a folder per student
        elif moodle.parse(top) is not None:
            claims += [_moodle_claim(i, moodle.parse(top), "/".join(PurePosixPath(i.path).parts[1:]),
                                     roster, participants) for i in inside]
        elif _lms_shaped(inside, 1):  # a folder the instructor put the download in
            flat = [i for i in inside if len(PurePosixPath(i.path).parts) == 2]
            claims += _read_files(flat, 1, roster, participants)
            for i in inside:
                parts = PurePosixPath(i.path).parts
                if len(parts) > 2:
                    claims.append(_moodle_claim(i, moodle.parse(parts[1]), "/".join(parts[2:]), roster, participants))
        else:
            claims += [_folder_claim(i, top, roster) for i in inside]
    return claims


def _lms_shaped(items: list[Item], depth: int) -> bool:
    """Every item below `depth` folders is an LMS name: a flat file Canvas or Moodle could have
    written, or a file in a Moodle submission folder."""
    for i in items:
        parts = PurePosixPath(i.path).parts[depth:]
        if len(parts) == 1 and (canvas.readings(parts[0], parts[0].startswith("anon_"))
                                or moodle.parse(parts[0])):
            continue
        if len(parts) > 1 and moodle.parse(parts[0]) is not None:
            continue
        return False
    return bool(items)


def _read_files(items: list[Item], depth: int, roster: Roster, participants: dict[str, str]) -> list[Claim]:
    """Flat files (a Canvas download, or Moodle's flat one): one format for all of them."""
    names = [PurePosixPath(i.path).parts[depth] for i in items]
    # Under anonymous grading Canvas writes every name part itself ('anon_<id>'): all or none.
    anonymous = bool(names) and all(n.startswith("anon_") for n in names)
    is_canvas = [bool(canvas.readings(n, anonymous)) for n in names]
    is_moodle = [moodle.parse(n) is not None for n in names]
    n_canvas, n_moodle = sum(is_canvas), sum(is_moodle)
    if n_canvas > n_moodle:
        fmt = "canvas"
    elif n_moodle > n_canvas:
        fmt = "moodle"
    else:
        fmt = None  # as many names of each (or none): nothing can be told
    claims = []
    for item, name, c, m in zip(items, names, is_canvas, is_moodle):
        if fmt == "canvas" and c:
            claims.append(_canvas_claim(item, name, roster, anonymous))
        elif fmt == "moodle" and m:
            mf = moodle.parse(name)
            claims.append(_moodle_claim(item, mf, mf.rest, roster, participants))
        elif c or m:
            claims.append(Claim(item, name, problem="AMBIGUOUS: the download's names fit Canvas and Moodle "
                                                    "equally; collect each LMS's download on its own"
                                if fmt is None else f"not a {fmt.title()} name like the rest of the download"))
        else:
            claims.append(Claim(item, name, problem="no student folder and no LMS name"))
    return claims


def _folder_claim(item: Item, top: str, roster: Roster) -> Claim:
    claim = Claim(item, "/".join(PurePosixPath(item.path).parts[1:]), lms={"lms": "folder"},
                  order=(item.time.timestamp() if item.time else 0.0,))
    if roster and top not in roster.people:
        claim.problem = f"folder {top!r} is not a student id in the roster"
    elif not STUDENT_ID.fullmatch(top):
        claim.problem = f"folder {top!r} is not usable as a student id (letters, digits and _ . @ -, one letter or digit at least)"
    else:
        claim.student = top
    return claim


def _moodle_claim(item: Item, mf: moodle.MoodleFile, inner: str, roster: Roster, participants) -> Claim:
    claim = Claim(item, inner or mf.rest, lms={"lms": "moodle", "participant_id": mf.participant_id},
                  order=(item.time.timestamp() if item.time else 0.0,))
    _moodle_student(claim, mf, roster, participants)
    return claim


def _canvas_claim(item: Item, name: str, roster: Roster, anonymous: bool) -> Claim:
    """Canvas writes ``<name>[_LATE]_<user_id>_<attachment_id>_<file>``, and a student chooses both
    <name> (their sortable name) and <file>: every split of the name that fits is a reading, and
    one reading must be the only one that points at a student."""
    readings = canvas.readings(name, anonymous)
    item.time, item.flags = None, []  # the time the zip was built, not the submission's
    cf, problem = _canvas_reading(readings, roster)
    name_in, n = canvas.without_unique_suffix(cf.display)
    claim = Claim(item, name_in, order=(cf.attachment_id, n),
                  lms={"lms": "canvas", "user_id": cf.user_id, "late": cf.late, "resubmission": n,
                       "attachment_id": cf.attachment_id})
    if problem:
        claim.problem = problem
    else:
        _canvas_student(claim, cf, roster)
    return claim


def _canvas_reading(readings: list[canvas.CanvasFile], roster: Roster) -> tuple[canvas.CanvasFile, str | None]:
    if len(readings) == 1:
        return readings[0], None
    known = {}
    for r in readings:  # the readings whose user id is a roster student's, one per student
        s = roster.by("lms_user_id", r.user_id)
        if s:
            known.setdefault(s, r)
    if len(known) == 1:
        return next(iter(known.values())), None
    if not known:
        return readings[0], None  # no reading is anyone's: reported as an unknown user below
    # Several students: only a reading whose name part is that student's own Canvas name counts.
    own = [r for s, r in known.items() if canvas.slug(roster.people[s]) == r.slug]
    if len(own) == 1:
        return own[0], None
    who = ", ".join(sorted(known))
    return readings[0], (f"AMBIGUOUS: this Canvas name reads as a file of {who} (its name part or file name "
                         "holds another user id); copy it to the right student's submitted/ folder")


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


def expand_zips(claims: list[Claim], limits: Limits, stack: contextlib.ExitStack) -> list[Claim]:
    """A zip a student submitted is opened (as a stream, within the limits): its members become
    that student's files. Beyond the limits, or damaged, it is kept as it came and reported."""
    out = []
    for c in claims:
        if c.student is None or c.item.problem or not c.name.lower().endswith(".zip"):
            out.append(c)
            continue
        try:
            spool = stack.enter_context(tempfile.TemporaryFile())
            with c.item.opener() as src:
                shutil.copyfileobj(src, spool, CHUNK)
            z = stack.enter_context(zipfile.ZipFile(spool))
            members = zip_items(z, limits, entries=limits.zip_entries, total=limits.zip_bytes, clock="zip")
        except zipfile.LargeZipFile as exc:
            c.problem, c.student, c.lms["owner"] = f"TOO LARGE zip ({exc}): not unpacked", None, c.student
            out.append(c)
            continue
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
            c.problem, c.student, c.lms["owner"] = f"the submitted zip is damaged ({exc})", None, c.student
            out.append(c)
            continue
        for m in members:
            if not safe(m.path):
                out.append(Claim(m, m.path, problem=f"unsafe path inside {c.item.path}", lms={"owner": c.student}))
                continue
            inner = Item(f"{c.item.path}!{m.path}", c.item.time, m.size, m.opener)
            out.append(Claim(inner, m.path, c.student, lms=dict(c.lms), order=c.order))
    return out


def check_one_student_per_id(claims: list[Claim]) -> None:
    """One LMS id must lead to one student in the whole download; otherwise nobody with it is graded."""
    def key(c):
        return (c.lms.get("lms"), c.lms.get("user_id") or c.lms.get("participant_id"))

    owners: dict[tuple, set[str]] = {}
    for c in claims:
        if c.student and key(c)[0] in ("canvas", "moodle"):
            owners.setdefault(key(c), set()).add(c.student)
    ids: dict[str, set] = {}  # and the other way round: one student, one LMS id
    for k, students in owners.items():
        for s in students:
            ids.setdefault(s, set()).add(k)
    for c in claims:
        if c.student and len(owners.get(key(c), ())) > 1:
            c.problem = f"AMBIGUOUS: {key(c)[0]} id {key(c)[1]} was matched to {', '.join(sorted(owners[key(c)]))}"
            c.lms["owner"], c.student = None, None
        elif c.student and len(ids.get(c.student, ())) > 1:
            others = ", ".join(sorted(str(k[1]) for k in ids[c.student]))
            c.problem = f"AMBIGUOUS: files of {others} were all matched to {c.student}; add their LMS ids to the roster"
            c.lms["owner"], c.student = None, None
