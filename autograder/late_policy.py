"""The course's late policy as it is stored (``<course>/.autograder/late.json``) and as nbgrader config.

:class:`PerDayPenalty` is the late-submission plugin nbgrader's ``AssignLatePenalties`` loads by
name (``autograder.late_policy.PerDayPenalty``); :func:`config` and :func:`config_lines` are the
course's policy as traitlets config and as lines of an ``nbgrader_config.py``. Kept below
``course.py`` (which merges the policy into every config it reads) and apart from the commands that
change the policy (``grading/late.py``), so neither imports the other's importer.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Float

METHODS = ("none", "zero", "per_day")


class PerDayPenalty(LateSubmissionPlugin):
    """``percent_per_day`` of the score for each started day late, after ``grace_minutes``;
    the whole score after ``zero_after_days`` days."""

    percent_per_day = Float(10.0, help="Percent of the score taken per started day late.").tag(config=True)
    grace_minutes = Float(0.0, help="Minutes late that cost nothing.").tag(config=True)
    zero_after_days = Float(None, allow_none=True, help="Days late after which the score is 0.").tag(config=True)

    def late_submission_penalty(self, student_id: str, score: float, total_seconds_late: float) -> float:
        seconds = total_seconds_late - 60 * self.grace_minutes
        if seconds <= 0:
            return 0.0
        days = math.ceil(seconds / 86400)
        if self.zero_after_days is not None and days > self.zero_after_days:
            return score
        return min(score, score * self.percent_per_day * days / 100)


# ----------------------------------------------------------------- the settings file


def _path(root: Path) -> Path:
    return Path(root) / ".autograder" / "late.json"


def _stored(root: Path) -> dict:
    path = _path(root)
    try:
        data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except (ValueError, OSError) as exc:  # every config the tool reads goes through here: one line
        from .errors import InstructorError

        raise InstructorError(f"{path} cannot be read ({type(exc).__name__}: {exc}); fix it, or delete it and "
                              "set the policy again with `python -m autograder late`") from None
    return data if isinstance(data, dict) else {}


def settings(root: Path) -> dict:
    """The stored policy and extensions of the course at ``root`` (policy ``none`` where none was
    set: see :func:`is_set` for whether it was)."""
    data = _stored(root)
    data.setdefault("policy", {"method": "none"})
    data.setdefault("extensions", {})
    return data


def _write(root: Path, data: dict) -> None:
    path = _path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, sort_keys=True))


def save_policy(root: Path, policy: dict) -> None:
    _write(root, {**_stored(root), "policy": policy})


def save_extension(root: Path, assignment: str, student: str, hours: float) -> None:
    """One extension stored, and nothing else: the policy stays unset if it was (writing the
    default 'none' here would override an nbgrader course's own policy for everyone)."""
    data = _stored(root)
    data.setdefault("extensions", {}).setdefault(assignment, {})[student] = hours
    _write(root, data)


def is_set(root: Path) -> bool:
    """Whether the tool's own policy was set (``python -m autograder late --penalty``). If not, the
    course's nbgrader_config.py decides, exactly as ``nbgrader autograde`` would."""
    return "policy" in _stored(root)


def config(root: Path):
    """The traitlets Config that makes nbgrader's AssignLatePenalties use the tool's policy (empty
    when none was set: the course's own nbgrader configuration then applies)."""
    from traitlets.config import Config

    policy = settings(root)["policy"]
    cfg = Config()
    if not is_set(root):
        return cfg
    if policy["method"] == "per_day":
        cfg.AssignLatePenalties.plugin_class = PerDayPenalty
        for key in ("percent_per_day", "grace_minutes", "zero_after_days"):
            if key in policy:
                setattr(cfg.PerDayPenalty, key, policy[key])
    else:
        cfg.AssignLatePenalties.plugin_class = LateSubmissionPlugin
        cfg.LateSubmissionPlugin.penalty_method = policy["method"]
    return cfg


def config_lines(root: Path) -> str:
    """The same, as lines of an nbgrader_config.py (so `nbgrader autograde` agrees with the tool)."""
    policy = settings(root)["policy"]
    if not is_set(root):
        return ""
    if policy["method"] == "none":
        return 'c.LateSubmissionPlugin.penalty_method = "none"\n'
    if policy["method"] == "zero":
        return 'c.LateSubmissionPlugin.penalty_method = "zero"\n'
    lines = 'c.AssignLatePenalties.plugin_class = "autograder.late_policy.PerDayPenalty"\n'
    for key in ("percent_per_day", "grace_minutes", "zero_after_days"):
        if key in policy:
            lines += f"c.PerDayPenalty.{key} = {policy[key]!r}\n"
    return lines
