"""The book's numbers follow the library: a change in ``course_lib`` re-executes every chapter.

MyST-NB's jupyter-cache (``_build/.jupyter_cache``) keys an executed notebook on the notebook
alone (its code cells and kernel), so after a change in ``course_lib`` an unchanged chapter
would be taken from the cache and show numbers computed by the old library. This Sphinx
extension (loaded from ``_config.yml``, ``sphinx.local_extensions``) stores a hash of every
``course_lib/**/*.py`` next to the cache, in ``_build/.course_lib.sha256``. At the start of a
build, when the stored hash is missing or differs from the library's, it empties the
execution cache and has every notebook read again, so every chapter is executed with the
library as it is now; then it stores the new hash.

It works for every way the book is built (``make book``, ``jupyter-book build`` directly, the
test suite), since it runs inside the build. From the command line,

    python tools/book_cache.py [BUILD_DIR]     clear BUILD_DIR/.jupyter_cache if course_lib changed

does the same without Sphinx (BUILD_DIR defaults to _build).
"""

from __future__ import annotations

import hashlib
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "course_lib"
STAMP_NAME = ".course_lib.sha256"


def library_hash(library: Path = LIBRARY) -> str:
    """SHA-256 of the library's Python sources: every ``*.py`` path (relative) and its bytes."""
    digest = hashlib.sha256()
    for path in sorted(p for p in library.rglob("*.py") if "__pycache__" not in p.parts):
        digest.update(path.relative_to(library).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def refresh(cache: Path, library: Path | None = None) -> bool:
    """Empty the jupyter-cache directory ``cache`` if ``library`` changed since it was filled.

    The hash is kept in ``cache.parent / STAMP_NAME``. Returns True when the cache was
    invalidated (the library changed, or no hash had been stored yet).
    """
    cache = Path(cache)
    stamp = cache.parent / STAMP_NAME
    current = library_hash(LIBRARY if library is None else library)
    stored = stamp.read_text().strip() if stamp.exists() else None
    if stored == current:
        return False
    if cache.exists():
        shutil.rmtree(cache)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(current + "\n")
    return True


# --------------------------------------------------------------------------- Sphinx extension

def _cache_path(app) -> Path | None:
    config = getattr(app.env, "mystnb_config", None)
    path = getattr(config, "execution_cache_path", None)
    return Path(path) if path else None


def _outdated_notebooks(app, env, added, changed, removed):
    """``env-get-outdated``: invalidate the cache if course_lib changed; then re-read every notebook."""
    cache = _cache_path(app)
    if cache is None or not refresh(cache):
        return []
    from sphinx.util import logging

    logging.getLogger(__name__).info(
        f"course_lib changed: emptied {cache}, every notebook is executed again")
    return [name for name in env.found_docs
            if str(env.doc2path(name, False)).endswith(".ipynb") and name not in added]


def setup(app):
    app.connect("env-get-outdated", _outdated_notebooks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":
    build = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "_build"
    if refresh(build / ".jupyter_cache"):
        print(f"course_lib changed: emptied {build / '.jupyter_cache'}")
