"""Reading a download as a stream, within limits: the first thing ``collect`` does with it.

Every size, entry count, time and link in a download is the student's to choose, so nothing is
read whole into memory and nothing is trusted: a zip member's declared size is checked against
:class:`Limits` before a byte is read (``zipfile`` never returns more than it declared: the CRC
check fails instead), a link in a folder is reported and never followed (``lstat``), and a file
time later than the collection is clamped to it and flagged.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Callable

from ..errors import InstructorError

JUNK = ("__MACOSX/", ".DS_Store", "Thumbs.db")  # operating-system litter, not submissions
CHUNK = 1 << 20
# A file time later than the collection is the student's (or a wrong clock's), not the LMS's:
# folders are this machine's clock; a zip stores local time without a zone (up to UTC+14).
SLACK = {"folder": dt.timedelta(minutes=5), "zip": dt.timedelta(hours=14)}


@dataclass(frozen=True)
class Limits:
    """What one file, and one zip a student submitted, may unpack to (``collect --max-*``)."""

    file_bytes: int = 100 << 20          # any one file, in the download or in a submitted zip
    zip_bytes: int = 500 << 20           # all members of one submitted zip together
    zip_entries: int = 10_000            # members of one submitted zip
    download_entries: int = 500_000      # members of the download itself (the instructor's file)


@dataclass
class Item:
    """One file as found in the download: read as a stream, never whole into memory."""

    path: str                      # where it was found (zip member or relative path): the report's name
    time: dt.datetime | None       # modification time; None where the LMS gives none (Canvas)
    size: int
    opener: Callable[[], BinaryIO] | None   # None: nothing that can be copied (a link, a device)
    problem: str | None = None     # why it cannot be copied (a link, too large)
    flags: list[str] = field(default_factory=list)   # worth knowing, not a problem (a clamped time)
    _digest: str | None = None

    def digest(self) -> str:
        if self._digest is None:
            h = hashlib.sha256()
            with self.opener() as f:
                for block in iter(lambda: f.read(CHUNK), b""):
                    h.update(block)
            self._digest = h.hexdigest()
        return self._digest

    def copy_to(self, target: Path, limit: int) -> None:
        """Stream the contents to `target` (at most `limit` bytes: a size a header lied about)."""
        try:
            with self.opener() as src, open(target, "wb") as dst:
                left = limit
                for block in iter(lambda: src.read(CHUNK), b""):
                    left -= len(block)
                    if left < 0:
                        raise OSError(f"larger than the limit of {limit} bytes")
                    dst.write(block)
        except BaseException:
            target.unlink(missing_ok=True)
            raise


def read_source(source: Path, limits: Limits, stack: contextlib.ExitStack) -> list[Item]:
    """Every file in a folder or zip; a damaged zip or a file that is not one is an error."""
    source = Path(source)
    if source.is_dir():
        return _folder_items(source, limits)
    try:
        z = stack.enter_context(zipfile.ZipFile(source))
        return zip_items(z, limits, entries=limits.download_entries, total=None, clock="zip")
    except zipfile.BadZipFile as exc:
        raise InstructorError(f"{source} is not a readable zip file ({exc}); download it from the LMS again, "
                              "or unpack it and give the folder") from exc


def _folder_items(source: Path, limits: Limits) -> list[Item]:
    """Files below `source`, found with lstat: a link is reported, never followed."""
    items = []
    for top, dirs, files in os.walk(source):
        for name in sorted(dirs + files):
            path = Path(top, name)
            rel = path.relative_to(source).as_posix()
            if _junk(rel):
                continue
            st = os.lstat(path)
            if stat.S_ISDIR(st.st_mode):
                continue  # os.walk goes in (it never follows a link to a folder)
            when = dt.datetime.fromtimestamp(st.st_mtime, dt.timezone.utc).replace(tzinfo=None)
            if stat.S_ISLNK(st.st_mode):
                items.append(Item(rel, when, 0, None, "LINK: not followed, nothing copied"))
            elif not stat.S_ISREG(st.st_mode):
                items.append(Item(rel, when, 0, None, "not a regular file: nothing copied"))
            else:
                items.append(_sized(Item(rel, when, st.st_size, _opener(path)), limits, "folder"))
        dirs.sort()
    return sorted(items, key=lambda i: i.path)


def _opener(path: Path) -> Callable[[], BinaryIO]:
    return lambda: os.fdopen(os.open(path, os.O_RDONLY | os.O_NOFOLLOW), "rb")


def zip_items(z: zipfile.ZipFile, limits: Limits, *, entries: int, total: int | None, clock: str) -> list[Item]:
    """Members of a zip within the limits, each checked against its CRC as a stream (a truncated
    download fails here, not later). A member's size is its declared one: ``zipfile`` never
    returns more than that (the CRC check fails instead), so every limit is checked before
    anything is read."""
    infos = [i for i in z.infolist() if not i.is_dir() and not _junk(i.filename)]
    if len(infos) > entries:
        raise zipfile.LargeZipFile(f"{len(infos)} entries, over the limit of {entries}")
    items = [_sized(Item(info.filename, dt.datetime(*info.date_time), info.file_size,
                         (lambda i=info: z.open(i))), limits, clock) for info in infos]
    if total is not None:
        big = [i for i in items if i.problem]
        if big:
            raise zipfile.LargeZipFile(f"{big[0].path}: {big[0].size} bytes, over the limit of "
                                       f"{limits.file_bytes} per file")
        if sum(i.size for i in items) > total:
            raise zipfile.LargeZipFile(f"{sum(i.size for i in items)} bytes unpacked, over the limit of "
                                       f"{total} per zip")
    for item in items:
        if item.problem is None:
            with item.opener() as f:
                while f.read(CHUNK):
                    pass  # BadZipFile on a bad CRC
    return items


def _sized(item: Item, limits: Limits, clock: str) -> Item:
    if item.size > limits.file_bytes:
        item.problem = f"TOO LARGE: {item.size} bytes, over the limit of {limits.file_bytes} per file; not copied"
    return _clamp(item, clock)


def _clamp(item: Item, clock: str) -> Item:
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    if item.time is not None and item.time > now + SLACK[clock]:
        item.flags.append(f"FUTURE TIME {item.time:%Y-%m-%d %H:%M} clamped to the collection time")
        item.time = now
    return item


def _junk(path: str) -> bool:
    return path.startswith(JUNK[0]) or f"/{JUNK[0]}" in path or PurePosixPath(path).name in JUNK[1:]


def safe(path: str) -> bool:
    p = PurePosixPath(path.replace("\\", "/"))
    return bool(p.parts) and not p.is_absolute() and ".." not in p.parts
