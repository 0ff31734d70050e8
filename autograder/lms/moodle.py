"""Moodle: the names in "Download all submissions", the grading worksheet, the gradebook CSV.

Sources (moodle/moodle; see autograder/LMS.md):

* ``mod/assign/locallib.php``, ``download_submissions()``: each submission's files are prefixed
  ``<group name>-<full name>_<participant id>_assignsubmission_file_`` (a folder, the default, or a
  prefix of the file name). Underscores in the name are replaced by spaces before the id is added;
  blind marking writes ``Participant`` for the name; the group part only appears for group
  submissions. The participant id (``get_uniqueid_for_user``) is per assignment: it is neither the
  user id nor the "ID number". Files keep their modification time.
* ``mod/assign/feedback/offline/importgradeslib.php``: the offline grading worksheet needs
  ``Identifier`` ("Participant <id>"), ``Grade`` and ``Last modified (grade)``. A row whose
  ``Last modified (grade)`` is older than the grade Moodle holds is skipped on import, so a filled
  worksheet keeps that column exactly as downloaded.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import InstructorError
from .roster import Roster

PREFIX = re.compile(r"^(?P<label>[^_/]+)_(?P<participant_id>\d+)_assign(?:submission|feedback)_(?P<plugin>[a-z]+)_"
                    r"(?P<rest>.*)$")
IDENTIFIER = re.compile(r"(\d+)\s*$")


@dataclass
class MoodleFile:
    participant_id: str
    label: str           # '[<group>-]<full name>' or '[<group>-]Participant'
    plugin: str          # 'file' or 'onlinetext'
    rest: str            # the file name when the download was flat, '' for a folder

    @property
    def blind(self) -> bool:
        return self.label.split("-")[-1].strip().lower() == "participant"

    def names(self) -> list[str]:
        """The full name with every possible group prefix removed ('Grp-1-Anne-Marie Roy' gives
        'Grp-1-Anne-Marie Roy', '1-Anne-Marie Roy', 'Anne-Marie Roy', 'Marie Roy'): a group name may
        contain '-', and so may a person's name."""
        parts = self.label.split("-")
        return ["-".join(parts[i:]) for i in range(len(parts))]


def parse(component: str) -> MoodleFile | None:
    """The parts of a Moodle download folder or file name, or None if it is not one."""
    m = PREFIX.match(component)
    if not m:
        return None
    return MoodleFile(m["participant_id"], m["label"], m["plugin"], m["rest"])


# ----------------------------------------------------------------- grading worksheet


def read_worksheet(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """(header, rows) of an assignment's offline grading worksheet, checked to be one."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            header, rows = list(reader.fieldnames or []), list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InstructorError(f"cannot read the Moodle grading worksheet {path}: {exc}") from exc
    missing = [c for c in ("Identifier", "Grade", "Last modified (grade)") if c not in header]
    if missing:
        raise InstructorError(f"{path} is not a Moodle grading worksheet (no {', '.join(missing)} column); in "
                              "Moodle: the assignment > View all submissions > Download grading worksheet")
    return header, rows


def participant_map(rows: list[dict[str, str]], roster: Roster) -> tuple[dict[str, str], list[str]]:
    """Participant id -> student id from a worksheet's identity columns, and the rows that did not
    match exactly one student. Each column is looked up in its own id space only."""
    found: dict[str, str] = {}
    problems: list[str] = []
    for row in rows:
        m = IDENTIFIER.search(row.get("Identifier", ""))
        if not m:
            continue
        pid = m.group(1)
        hits = {s for s in (roster.by("participant_id", pid), roster.by("email", row.get("Email address", "")),
                            roster.by("id_number", row.get("ID number", ""))) if s}
        if not hits:
            names = roster.by_name(row.get("Full name", ""))
            hits = set(names) if len(names) == 1 else set()
            if len(names) > 1:
                problems.append(f"Participant {pid} ({row.get('Full name')}): same name as {', '.join(names)}")
                continue
        if len(hits) == 1:
            found[pid] = hits.pop()
        elif hits:
            problems.append(f"Participant {pid}: its email/ID number/participant id point to {sorted(hits)}")
    return found, problems
