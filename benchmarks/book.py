"""Time the textbook's build: a full executed build from nothing, then an unchanged rebuild.

    python benchmarks/book.py

Works on a copy of the tracked files (plus the vendored MathJax) in a temporary
directory, so the repository's own _build and execution cache are left alone.
Prints both build times, each notebook's execution time (from the jupyter-cache
records) and the size of the built site.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from jupyter_cache import get_cache

ROOT = Path(__file__).resolve().parents[1]
JUPYTER_BOOK = Path(sys.executable).with_name("jupyter-book")


def copy_sources(dest: Path) -> None:
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for name in files:
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, dest / name)
    shutil.copytree(ROOT / "_vendor", dest / "_vendor")


def build(book: Path) -> float:
    start = time.perf_counter()
    subprocess.run([str(JUPYTER_BOOK), "build", "--all", "-W", "-n", "--keep-going", "."], cwd=book,
                   check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    if not (ROOT / "_vendor" / "mathjax").is_dir():
        sys.exit("run `make book` once first: it vendors MathJax into _vendor/")
    with tempfile.TemporaryDirectory() as tmp:
        book = Path(tmp)
        copy_sources(book)
        full = build(book)
        again = build(book)
        size = sum(f.stat().st_size for f in (book / "_build" / "html").rglob("*") if f.is_file())
        records = get_cache(book / "_build" / ".jupyter_cache").list_cache_records()
        times = sorted(((r.data or {}).get("execution_seconds", float("nan")), Path(r.uri).name) for r in records)
    print(f"{'full executed build':<28}{full:>8.1f} s")
    print(f"{'unchanged rebuild':<28}{again:>8.1f} s")
    print(f"{'built site':<28}{size / 2**20:>8.1f} MiB")
    print("\nnotebook execution times (slowest last):")
    for seconds, name in times:
        print(f"  {name:<40}{seconds:>7.1f} s")


if __name__ == "__main__":
    main()
