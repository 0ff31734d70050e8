"""The book's numbers follow the library (tools/book_cache.py).

A change in course_lib must re-execute the chapters: the jupyter-cache keys a notebook on the
notebook alone, so the build's extension empties the cache when the library's hash changes.
Cheap: a fake library and a real jupyter-cache in a temporary directory, no book build.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


book_cache = import_module("tools.book_cache")  # tools/ is a package; the repository root is on sys.path


@pytest.fixture
def library(tmp_path):
    lib = tmp_path / "course_lib"
    (lib / "numpy").mkdir(parents=True)
    (lib / "__init__.py").write_text("")
    (lib / "numpy" / "losses.py").write_text("def loss(x):\n    return x\n")
    return lib


def _executed_notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("print(1 + 1)")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="2\n")]
    cell.execution_count = 1
    nb.cells = [cell]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def test_a_library_change_invalidates_the_execution_cache(tmp_path, library):
    from jupyter_cache import get_cache

    build = tmp_path / "_build"
    cache_dir = build / ".jupyter_cache"
    notebook = _executed_notebook(tmp_path / "chapter.ipynb")

    def cache_the_chapter():
        get_cache(cache_dir).cache_notebook_file(str(notebook), check_validity=False, overwrite=True)

    def is_cached() -> bool:
        try:
            get_cache(cache_dir).match_cache_notebook(nbformat.read(notebook, as_version=4))
            return True
        except KeyError:
            return False

    # A cache filled before any hash was stored: nobody knows which library made it.
    cache_the_chapter()
    assert is_cached()
    assert book_cache.refresh(cache_dir, library) is True
    assert not is_cached()

    # Executed again with this library: an unchanged rebuild keeps it.
    cache_the_chapter()
    assert book_cache.refresh(cache_dir, library) is False
    assert is_cached()

    # A file that is not Python source does not count; a change in a module does.
    (library / "notes.txt").write_text("not code")
    assert book_cache.refresh(cache_dir, library) is False and is_cached()
    (library / "numpy" / "losses.py").write_text("def loss(x):\n    return 2 * x\n")
    assert book_cache.refresh(cache_dir, library) is True
    assert not is_cached()
    # ... and so does a new module.
    cache_the_chapter()
    (library / "numpy" / "normalization.py").write_text("")
    assert book_cache.refresh(cache_dir, library) is True and not is_cached()


def test_the_hash_covers_paths_and_contents(library):
    before = book_cache.library_hash(library)
    (library / "numpy" / "losses.py").rename(library / "numpy" / "other.py")
    assert book_cache.library_hash(library) != before


def test_the_build_extension_rereads_every_notebook_after_a_change(tmp_path, library, monkeypatch):
    """The Sphinx hook (env-get-outdated) empties the cache and returns every notebook to re-read."""
    monkeypatch.setattr(book_cache, "LIBRARY", library)
    cache_dir = tmp_path / "_build" / ".jupyter_cache"
    cache_dir.mkdir(parents=True)
    (cache_dir / "global.db").write_text("stale")
    docs = {"chapters/intro": "chapters/intro.md", "chapters/05_optimization": "chapters/05_optimization.ipynb"}
    env = SimpleNamespace(found_docs=set(docs), doc2path=lambda name, base=True: docs[name])
    app = SimpleNamespace(env=SimpleNamespace(mystnb_config=SimpleNamespace(execution_cache_path=str(cache_dir))))

    assert book_cache._outdated_notebooks(app, env, set(), set(), set()) == ["chapters/05_optimization"]
    assert not cache_dir.exists()
    assert book_cache._outdated_notebooks(app, env, set(), set(), set()) == []   # nothing changed since


def test_the_book_loads_the_extension():
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert config["sphinx"]["local_extensions"].get("book_cache") == "tools/"
    assert config["execute"]["execute_notebooks"] == "cache"
