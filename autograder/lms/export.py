"""Grades out of the gradebook, in files the LMSs import as they are.

Formats (the LMS rules and their sources are in ``LMS.md``):

* ``plain``  -- ``student_id``, one column per assignment, ``total``;
* ``long``   -- one row per student, assignment, notebook and question (points, maximum,
  whether it still needs manual grading), plus a ``late_penalty`` row where one applies;
* ``canvas`` -- the gradebook CSV Canvas exported, with the ``Title (id)`` columns of the asked
  assignments filled for the students we graded; every other row, column and cell as it was.
  Without that file, ``--canvas-id NAME=ID`` builds a minimal import with those columns;
* ``moodle`` -- one assignment's offline grading worksheet (downloaded from Moodle) with its
  ``Grade`` column filled; without one, a worksheet is written from the participant ids collect saw;
* ``moodle-gradebook`` -- ``ID number``, ``Email address`` and one column per assignment, for the
  gradebook's CSV import (map the columns by hand there).

Scores are nbgrader's score minus its late penalty. Only the assignments asked for are written
(by default: those with at least one graded submission), and work never submitted or graded is
left blank -- an LMS import overwrites, and a 0 there would replace a real grade -- unless the
instructor asks for zeros.
"""
from __future__ import annotations

import csv
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from ..course import Course
from ..errors import InstructorError
from ..text import spreadsheet_safe
from . import canvas, moodle
from . import canvas_ids as canvas_id_memory
from .records import lms_records
from .roster import Person, Roster

FORMATS = ("plain", "long", "canvas", "moodle", "moodle-gradebook")


@dataclass
class Grades:
    """What the gradebook holds for the asked assignments."""

    assignments: list[str]
    maxima: dict[str, float]
    scores: dict[str, dict[str, float | None]]   # student -> assignment -> score after penalty, None = none
    penalties: dict[str, dict[str, float]]
    people: dict[str, Person]                    # the gradebook's students (names, email, Canvas id)
    questions: list[tuple] = field(default_factory=list)  # rows of the long format


@dataclass
class Report:
    written: int = 0                             # student rows with at least one grade written
    unplaced: list[str] = field(default_factory=list)   # graded students the LMS file has no row for
    notes: list[str] = field(default_factory=list)


def grades(course: Course, assignments: list[str] | None = None) -> Grades:
    from nbgrader.api import Gradebook

    known = course.assignments()
    if not known:
        raise InstructorError(f"no gradebook with assignments in {course.root}; release and grade first")
    unknown = [a for a in assignments or [] if a not in known]
    if unknown:
        raise InstructorError(f"unknown assignment(s) {', '.join(unknown)} (the gradebook has {', '.join(known)})")
    with warnings.catch_warnings(), Gradebook(course.db_url, course.course_id) as gb:
        warnings.simplefilter("ignore")
        if not assignments:  # by default only what has been graded: never a column of blanks or zeros
            assignments = [a for a in known if gb.assignment_submissions(a)]
        out = Grades(list(assignments), {}, {}, {}, {})
        for st in gb.students:
            out.people[st.id] = Person(st.id, st.first_name or "", st.last_name or "", st.email or "",
                                       st.lms_user_id or "")
            out.scores[st.id] = {a: None for a in assignments}
            out.penalties[st.id] = {}
        for a in assignments:
            out.maxima[a] = gb.find_assignment(a).max_score
            for sub in gb.assignment_submissions(a):
                s = sub.student.id
                penalty = sum(nb.late_submission_penalty or 0 for nb in sub.notebooks)
                out.scores[s][a] = max(0.0, sub.score - penalty)
                out.penalties[s][a] = penalty
                for nb in sub.notebooks:
                    for g in sorted(nb.grades, key=lambda g: g.name):
                        out.questions.append((s, a, nb.name, g.name, g.score, g.max_score,
                                              int(bool(g.needs_manual_grade))))
                if penalty:
                    out.questions.append((s, a, "", "late_penalty", -penalty, "", 0))
    return out


def _fmt(value: float | None, zeros: bool) -> str:
    if value is None:
        return "0" if zeros else ""
    return f"{round(value, 2):g}"


def export(course: Course, output: Path, fmt: str = "plain", roster_csv: Path | None = None, *,
           assignments: list[str] | None = None, zeros: bool = False, canvas_gradebook: Path | None = None,
           canvas_ids: dict[str, str] | None = None, moodle_worksheet: Path | None = None) -> Report:
    """Write `output` in `fmt`; return what was written and what could not be placed."""
    if fmt not in FORMATS:
        raise InstructorError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    g = grades(course, assignments)
    if not g.assignments:
        raise InstructorError("nothing graded yet: no assignment has a graded submission; name the "
                              "assignments to export or run `grade` first")
    roster = Roster.load(roster_csv)
    for sid, p in roster.people.items():  # the roster file fills what the gradebook lacks
        if sid in g.people:
            base = g.people[sid]
            for k in ("first_name", "last_name", "email", "lms_user_id"):
                setattr(p, k, getattr(p, k) or getattr(base, k))
        g.people[sid] = p
        g.scores.setdefault(sid, {a: None for a in g.assignments})  # on the roster, nothing submitted
        g.penalties.setdefault(sid, {})
    rows, report = _FORMATS[fmt](course, g, zeros, canvas_gradebook=canvas_gradebook, canvas_ids=canvas_ids or {},
                                 moodle_worksheet=moodle_worksheet)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    with open(output, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([[csv_cell(c) for c in row] for row in rows])
    return report


NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")


def csv_cell(value) -> str:
    """A cell no spreadsheet runs as a formula (OWASP's rule: ``'`` before a leading ``= + - @``, tab
    or CR), applied to text only: a number (a score, a negative late penalty) is written as the
    number the LMS's importer parses, and Moodle's ``-`` (no date) as it came (LMS.md)."""
    text = str(value)
    return text if NUMBER.fullmatch(text) or text == "-" else spreadsheet_safe(text)


# ----------------------------------------------------------------- the formats


def _plain(course, g: Grades, zeros, **_):
    rows = [["student_id"] + g.assignments + ["total"]]
    report = Report()
    for s in sorted(g.scores):
        vals = [g.scores[s][a] for a in g.assignments]
        if all(v is None for v in vals) and not zeros:
            continue
        report.written += 1
        rows.append([s] + [_fmt(v, zeros) for v in vals] + [_fmt(sum(v or 0 for v in vals), True)])
    return rows, report


def _long(course, g: Grades, zeros, **_):
    rows = [["student_id", "assignment", "notebook", "question", "score", "max_score", "needs_manual_grade"]]
    rows += [[s, a, nb, q, _fmt(sc, True), "" if mx == "" else _fmt(mx, True), m]
             for s, a, nb, q, sc, mx, m in sorted(g.questions, key=lambda r: r[:4])]
    return rows, Report(written=len({r[0] for r in g.questions}))


def _canvas_ids(course: Course, g: Grades) -> dict[str, str]:
    """Canvas user id -> student: from the roster/gradebook, then from what collect saw in zips."""
    out = {p.lms_user_id: s for s, p in g.people.items() if p.lms_user_id}
    for s, rec in lms_records(course).items():
        if rec.get("user_id"):
            out.setdefault(rec["user_id"], s)
    return out


def _canvas(course, g: Grades, zeros, *, canvas_gradebook, canvas_ids, **_):
    by_user = _canvas_ids(course, g)
    report = Report()
    canvas_ids = {**{a: i for a, i in canvas_id_memory.remembered(course).items() if a in g.assignments},
                  **canvas_ids}
    if canvas_gradebook is not None:
        header, body = canvas.read_gradebook(canvas_gradebook)
        columns = canvas.assignment_columns(header, g.assignments, canvas_ids)
        found = {a: m["id"] for a, i in columns.items() if (m := canvas.COLUMN.match(header[i].strip()))}
        canvas_id_memory.remember(course, found)
        report.notes += [f"{a} -> Canvas column {header[i].strip()!r}" for a, i in columns.items()]
    else:
        canvas_id_memory.remember(course, {a: canvas_ids[a] for a in g.assignments if a in canvas_ids})
        header, body = canvas.new_gradebook(g.assignments, canvas_ids, g.maxima)
        for user, s in sorted(by_user.items(), key=lambda kv: kv[1]):
            if s in g.scores and (zeros or any(v is not None for v in g.scores[s].values())):
                p = g.people.get(s, Person(s))
                body.append([p.sortable_name, user, p.sis_user_id, p.sis_login_id, ""] + [""] * len(g.assignments))
        columns = {a: 5 + i for i, a in enumerate(g.assignments)}
    placed: set[str] = set()
    for row in body:
        if not row or "Points Possible" in row[0]:
            if row and canvas_gradebook is not None:
                for a, i in columns.items():  # Canvas's own maximum is kept; a mismatch is worth knowing
                    if i < len(row) and row[i].strip() and float(row[i]) != g.maxima[a]:
                        report.notes.append(f"{a}: Canvas has {row[i]} points possible, the gradebook {g.maxima[a]:g}")
            continue
        s = by_user.get(row[1].strip()) if len(row) > 1 else None
        if s is None or s not in g.scores:
            continue  # not our student: the row goes back exactly as it came
        row.extend([""] * (max(columns.values()) + 1 - len(row)))
        wrote = False
        for a, i in columns.items():
            v = g.scores[s][a]
            if v is not None or zeros:
                row[i] = _fmt(v, zeros)
                wrote = True
        placed.add(s)
        report.written += wrote
    report.unplaced = sorted(s for s in g.scores if s not in placed
                             and any(v is not None for v in g.scores[s].values()))
    return [header] + body, report


def _moodle(course, g: Grades, zeros, *, moodle_worksheet, **_):
    if len(g.assignments) != 1:
        raise InstructorError("a Moodle grading worksheet holds one assignment; name exactly one "
                              f"(asked: {', '.join(g.assignments)})")
    a = g.assignments[0]
    roster = Roster(people=g.people, source="gradebook")
    by_pid = {rec["participant_id"]: s for s, rec in lms_records(course, a).items() if rec.get("participant_id")}
    by_pid.update({p.participant_id: s for s, p in g.people.items() if p.participant_id})
    report = Report()
    if moodle_worksheet is not None:
        header, rows = moodle.read_worksheet(moodle_worksheet)
        from_sheet, problems = moodle.participant_map(rows, roster)
        report.notes += problems
        for pid, s in from_sheet.items():
            by_pid.setdefault(pid, s)
    else:
        header = ["Identifier", "Full name", "Email address", "Grade", "Maximum Grade", "Last modified (grade)"]
        rows = [{"Identifier": f"Participant {pid}", "Full name": g.people.get(s, Person(s)).full_name,
                 "Email address": g.people.get(s, Person(s)).email, "Grade": "",
                 "Maximum Grade": f"{g.maxima[a]:g}", "Last modified (grade)": ""}
                for pid, s in sorted(by_pid.items(), key=lambda kv: int(kv[0]))]
    placed = set()
    for row in rows:
        m = moodle.IDENTIFIER.search(row.get("Identifier", ""))
        s = by_pid.get(m.group(1)) if m else None
        if s is None or s not in g.scores:
            continue
        v = g.scores[s][a]
        top = _number(row.get("Maximum Grade"))
        if v is not None and top is not None and g.maxima[a] and top != g.maxima[a]:
            v = v * top / g.maxima[a]  # Moodle grades out of its own maximum
            if not report.notes or "scaled" not in report.notes[-1]:
                report.notes.append(f"{a}: scaled from {g.maxima[a]:g} to Moodle's maximum grade {top:g}")
        if v is not None or zeros:
            row["Grade"] = _fmt(v, zeros)  # 'Last modified (grade)' stays as downloaded (see moodle.py)
            report.written += 1
        placed.add(s)
    report.unplaced = sorted(s for s in g.scores if s not in placed and g.scores[s][a] is not None)
    return [header] + [[r.get(h, "") for h in header] for r in rows], report


def _number(text: str | None) -> float | None:
    try:
        return float((text or "").replace(",", "."))
    except ValueError:
        return None


def _moodle_gradebook(course, g: Grades, zeros, **_):
    rows = [["ID number", "Email address"] + g.assignments]
    report = Report()
    for s in sorted(g.scores):
        p = g.people.get(s, Person(s))
        vals = [g.scores[s][a] for a in g.assignments]
        if all(v is None for v in vals) and not zeros:
            continue
        if not (p.id_number or p.email):
            report.unplaced.append(s)
        rows.append([p.id_number or s, p.email] + [_fmt(v, zeros) for v in vals])
        report.written += 1
    return rows, report


_FORMATS = {"plain": _plain, "long": _long, "canvas": _canvas, "moodle": _moodle, "moodle-gradebook": _moodle_gradebook}
