"""Keep every notebook of the course ready for Colab and diff-friendly.

    python tools/colab.py sync  [NOTEBOOK ...]   rewrite the notebooks in normal form
    python tools/colab.py check [NOTEBOOK ...]   list what `sync` would change; exit 1 if anything

Without arguments both act on every notebook under chapters/ and solutions/.

The normal form of a notebook:

* its first cell is the Colab setup cell (tagged ``colab-setup``), written from the
  repository address in _config.yml (``repository.url`` and ``repository.branch``, the one
  place where the address is written). On Colab the cell pip-installs ``course_lib`` from
  that repository, core dependencies only, so Colab's own torch and tensorflow are never
  reinstalled; anywhere else it does nothing;
* no outputs and no execution counts (outputs are not committed: the book build executes
  the notebooks), no per-cell execution timings;
* nbformat's own JSON layout (sorted keys, one-space indent), so diffs stay small.

Only the standard library and nbformat are needed.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "_config.yml"
NOTEBOOK_DIRS = ("chapters", "solutions")

SETUP_TAG = "colab-setup"
SETUP_ID = "colab-setup"
# The book shows the cell folded ("Show code cell source"): present, but compact.
SETUP_TAGS = [SETUP_TAG, "hide-input"]
# Cell metadata that only records a past execution.
VOLATILE_CELL_METADATA = ("execution", "ExecuteTime")

SETUP_TEMPLATE = '''\
# Setup for Google Colab: installs the course library `course_lib` from the course repository.
# Only its light core is installed (NumPy, matplotlib, seaborn, scikit-learn, tqdm, pooch):
# the PyTorch and TensorFlow that Colab ships are left exactly as they are.
# Anywhere else (the book build, your own Jupyter) this cell does nothing.
# (Written by tools/colab.py from the book's _config.yml; edit that, not this cell.)
import importlib, importlib.util, os, subprocess, sys

if ("COLAB_RELEASE_TAG" in os.environ or "google.colab" in sys.modules) and (
    importlib.util.find_spec("course_lib") is None
):
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet",
         "course_lib @ git+{url}@{branch}"],
        check=True,
    )
    importlib.invalidate_caches()
'''


# --------------------------------------------------------------------------- configuration

def read_repository(config: Path = CONFIG) -> tuple[str, str]:
    """Return (url, branch) of the ``repository:`` mapping of a Jupyter Book _config.yml.

    A deliberately small reader (no YAML library): it looks only at the indented
    ``url:`` and ``branch:`` keys directly under the top-level ``repository:`` key.
    """
    block = re.search(r"^repository:[ \t]*(?:#.*)?\n((?:[ \t]+.*\n|[ \t]*\n)*)",
                      config.read_text(encoding="utf-8") + "\n", re.MULTILINE)
    if block is None:
        raise ValueError(f"{config}: no top-level 'repository:' section")
    values = {}
    for key in ("url", "branch"):
        found = re.search(rf"^[ \t]+{key}[ \t]*:[ \t]*[\"']?([^\"'#\s]+)", block.group(1), re.MULTILINE)
        if found is None:
            raise ValueError(f"{config}: 'repository.{key}' is missing")
        values[key] = found.group(1)
    return values["url"].rstrip("/"), values["branch"]


def setup_source(url: str, branch: str) -> str:
    """The source of the Colab setup cell for this repository and branch."""
    return SETUP_TEMPLATE.format(url=url, branch=branch).rstrip("\n")


def colab_url(notebook: Path, url: str, branch: str, root: Path = ROOT) -> str:
    """The address that opens `notebook` (a path in the repository) in Colab."""
    repo_path = url.split("://", 1)[-1].split("/", 1)[1]  # "owner/name"
    rel = notebook.resolve().relative_to(root.resolve()).as_posix()
    return f"https://colab.research.google.com/github/{repo_path}/blob/{branch}/{rel}"


# --------------------------------------------------------------------------- normal form

def _is_setup_cell(cell) -> bool:
    return SETUP_TAG in cell.get("metadata", {}).get("tags", [])


def setup_cell(url: str | None = None, branch: str | None = None):
    """The Colab setup cell (for the repository of _config.yml unless told otherwise)."""
    if url is None or branch is None:
        url, branch = read_repository()
    cell = nbformat.v4.new_code_cell(source=setup_source(url, branch))
    cell.id = SETUP_ID
    cell.metadata = nbformat.from_dict({"tags": list(SETUP_TAGS)})
    return cell


def _stable_id(index: int, cell) -> str:
    """A deterministic cell id, for notebooks written before cells had ids."""
    digest = hashlib.sha1(f"{index}\0{cell.get('source', '')}".encode()).hexdigest()
    return digest[:12]


def normalise(nb, url: str, branch: str):
    """Return a normalised copy of the notebook `nb` (see the module docstring)."""
    nb = copy.deepcopy(nb)
    if nb.nbformat_minor < 5:  # cell ids (nbformat 4.5) let tools track cells
        nb.nbformat_minor = 5
    cells = [cell for cell in nb.cells if not _is_setup_cell(cell)]
    nb.cells = [setup_cell(url, branch)] + cells
    for index, cell in enumerate(nb.cells):
        if "id" not in cell:
            cell.id = _stable_id(index, cell)
        for key in VOLATILE_CELL_METADATA:
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return nb


def problems(path: Path, url: str, branch: str) -> list[str]:
    """What `sync` would change in the notebook file `path` (an empty list: nothing)."""
    text = path.read_text(encoding="utf-8")
    nb = nbformat.reads(text, as_version=4)
    found = []
    first = nb.cells[0] if nb.cells else None
    if first is None or not _is_setup_cell(first):
        found.append("the first cell is not the Colab setup cell")
    elif first.source != setup_source(url, branch) or first.cell_type != "code":
        found.append("the Colab setup cell is out of date")
    if sum(_is_setup_cell(cell) for cell in nb.cells) > 1:
        found.append("more than one Colab setup cell")
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    if any(cell.get("outputs") for cell in code):
        found.append("committed outputs")
    if any(cell.get("execution_count") is not None for cell in code):
        found.append("execution counts")
    if not found and _dumps(normalise(nb, url, branch)) != text:
        found.append("not in normal form (layout, cell ids or execution metadata)")
    return found


def _dumps(nb) -> str:
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def sync(path: Path, url: str, branch: str) -> bool:
    """Rewrite `path` in normal form; return whether the file changed."""
    text = path.read_text(encoding="utf-8")
    new = _dumps(normalise(nbformat.reads(text, as_version=4), url, branch))
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


# --------------------------------------------------------------------------- command line

def notebooks(root: Path = ROOT) -> list[Path]:
    """Every notebook under chapters/ and solutions/, checkpoints excluded."""
    found = []
    for folder in NOTEBOOK_DIRS:
        found += [p for p in (root / folder).rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts]
    return sorted(found)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("sync", "check"))
    parser.add_argument("paths", nargs="*", type=Path,
                        help="notebooks (default: every one under chapters/ and solutions/)")
    args = parser.parse_args(argv)
    url, branch = read_repository()
    paths = args.paths or notebooks()
    failures = 0
    for path in paths:
        shown = path.resolve().relative_to(ROOT) if path.resolve().is_relative_to(ROOT) else path
        if args.command == "sync":
            if sync(path, url, branch):
                print(f"normalised {shown}")
        else:
            for problem in problems(path, url, branch):
                print(f"{shown}: {problem}")
                failures += 1
    if args.command == "check":
        print(f"{len(paths)} notebooks checked, {failures} problems"
              + (" (run: python tools/colab.py sync)" if failures else ""))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
