"""Text a student shaped, made safe to show an instructor: in a terminal, a log or a spreadsheet.

One rule each, used by every report, summary, log line and export:

* :func:`printable`: C0 and C1 control characters (ESC included, so no terminal escape sequence)
  and DEL become visible ``\\xNN`` escapes; newlines and tabs too where one line is expected, so a
  student cannot forge a row of a table or a line of a log;
* :func:`spreadsheet_safe`: a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
  return is prefixed with ``'`` so a spreadsheet reads it as text, not as a formula (OWASP's rule
  against CSV injection).
"""
from __future__ import annotations

import re

# Unicode's invisible format characters too: bidirectional overrides and isolates (U+202A-202E,
# U+2066-2069, U+200E/F, U+061C) reorder what a terminal or a report shows ("Trojan Source": a
# student named 'alice\u202e...' or code whose shown order is not its order); a zero-width space
# or word joiner hides where text splits.
_FORMAT = "\u061c\u200b\u200e\u200f\u202a-\u202e\u2060-\u2069\ufeff"  # not U+200C/D: joiners of Persian, Indic, emoji
_CONTROL = re.compile(rf"[\x00-\x08\x0b-\x1f\x7f-\x9f{_FORMAT}]")
_CONTROL_OR_NEWLINE = re.compile(rf"[\x00-\x1f\x7f-\x9f{_FORMAT}]")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def printable(text: str, *, one_line: bool = False) -> str:
    """``text`` with every control character shown as ``\\xNN`` and every invisible reordering or
    splitting one as ``\\uNNNN`` (newlines and tabs kept unless ``one_line``)."""
    pattern = _CONTROL_OR_NEWLINE if one_line else _CONTROL
    return pattern.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}",
                       str(text))


def spreadsheet_safe(cell: str) -> str:
    """A text cell a spreadsheet shows as text (``'`` before a formula's first character)."""
    cell = str(cell)
    return "'" + cell if cell.startswith(FORMULA_START) else cell
