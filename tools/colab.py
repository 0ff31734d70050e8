"""Keep every notebook of the course ready for Colab and diff-friendly.

    python tools/colab.py sync  [NOTEBOOK ...]   rewrite the notebooks in normal form
    python tools/colab.py check [NOTEBOOK ...]   list what `sync` would change; exit 1 if anything
    python tools/colab.py run NOTEBOOK ...       execute notebooks as Colab would (see `run --help`)
    python tools/colab.py release X.Y.Z          name a new release (pyproject.toml, _config.yml), then sync

Without arguments sync and check act on every notebook under chapters/ and solutions/.

The normal form of a notebook:

* its first cell is the Colab setup cell (tagged ``colab-setup``), written from _config.yml:
  the repository address (``repository.url``, the one place where it is written) and the
  course_lib release the students install (``repository.course_lib_release``, a git tag such
  as ``v0.2.0``, fixed for a term: README.md says how an instructor cuts one). On Colab the
  cell pip-installs ``course_lib`` at that release, core dependencies only, so Colab's own
  torch and tensorflow are never reinstalled; elsewhere it does nothing when course_lib is
  installed, and prints the pip command that installs it when it is not;
* the notebooks that use a framework (:data:`RUNTIMES`) have a second tool-written cell
  (tagged ``environment-report``): its output, the first of the notebook, says which versions
  and which device (CUDA GPU, Apple MPS or CPU) are in use, and it imports TensorFlow with its
  start-up log silenced (``course_lib.notebook``). Those that gain from a GPU ask Colab for a
  GPU runtime in their metadata (``accelerator`` and ``colab.gpuType``, as Colab itself saves
  them);
* no outputs and no execution counts (outputs are not committed: the book build executes
  the notebooks), no per-cell execution timings;
* nbformat's own JSON layout (sorted keys, one-space indent), so diffs stay small.

Only the standard library and nbformat are needed (``run`` needs nbclient and a kernel too).
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import importlib.util
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

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
# Setup for Google Colab: installs the course library `course_lib`, release {release}, from the
# course repository. Only its light core is installed (NumPy, matplotlib, seaborn, scikit-learn,
# tqdm, pooch): the PyTorch and TensorFlow that Colab ships are left exactly as they are.
# Anywhere else this cell installs nothing; where course_lib is missing it says how to install it.
# (Written by tools/colab.py from the book's _config.yml; edit that, not this cell.)
import importlib, importlib.util, os, subprocess, sys

COURSE_LIB = "course_lib @ git+{url}@{release}"
if importlib.util.find_spec("course_lib") is None:
    if "COLAB_RELEASE_TAG" in os.environ or "google.colab" in sys.modules:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", COURSE_LIB], check=True)
        importlib.invalidate_caches()
    else:
        print(f'course_lib is not installed in this Python: run  pip install "{{COURSE_LIB}}"  and restart the kernel')
'''

REPORT_TAG = "environment-report"
REPORT_ID = "environment-report"
REPORT_TAGS = [REPORT_TAG, "hide-input"]
REPORT_TEMPLATE = '''\
# The versions in use and the device each framework computes on (CUDA GPU, Apple MPS or CPU).
# It also imports TensorFlow, if listed, with its start-up log messages silenced.
# (Written by tools/colab.py; edit RUNTIMES there, not this cell.)
from course_lib.notebook import environment_report

environment_report({frameworks})
'''


class Runtime(NamedTuple):
    """What a notebook needs from its runtime.

    frameworks: reported (versions, device) by the notebook's first output, in its
    ``environment-report`` cell; gpu: the notebook asks Colab for a GPU runtime.
    """

    frameworks: tuple[str, ...]
    gpu: bool


#: The notebooks (by file name, so an assignment's source in solutions/ and its student version in
#: chapters/assignments/ agree) that use a framework. The GPU ones train networks for minutes on
#: the CPU; chapter 4 only differentiates a few scalars with torch and TensorFlow, chapter 5 checks
#: what it says of PyTorch's optimizers on a few numbers.
RUNTIMES = {
    "04_automatic_differentiation": Runtime(("torch", "tensorflow"), gpu=False),
    "05_optimization": Runtime(("torch",), gpu=False),
    "08_pytorch": Runtime(("torch",), gpu=True),
    "09_keras": Runtime(("tensorflow",), gpu=True),
    "a6_pytorch": Runtime(("torch",), gpu=True),
    "a7_keras": Runtime(("tensorflow",), gpu=True),
}
NO_RUNTIME = Runtime((), gpu=False)
#: The notebook metadata with which Colab opens a notebook on a GPU runtime (what Colab itself
#: writes when a notebook whose runtime type is "T4 GPU" is saved). The free tier's GPU is a T4.
COLAB_GPU_METADATA = {"accelerator": "GPU", "colab": {"gpuType": "T4"}}


def runtime_for(notebook: Path | str) -> Runtime:
    """The :class:`Runtime` of a notebook, from its file name."""
    return RUNTIMES.get(Path(notebook).stem, NO_RUNTIME)


# --------------------------------------------------------------------------- configuration

def _config_block(config: Path, section: str) -> str:
    block = re.search(rf"^{section}:[ \t]*(?:#.*)?\n((?:[ \t]+.*\n|[ \t]*\n)*)",
                      config.read_text(encoding="utf-8") + "\n", re.MULTILINE)
    if block is None:
        raise ValueError(f"{config}: no top-level '{section}:' section")
    return block.group(1)


def _config_value(config: Path, section: str, key: str) -> str:
    found = re.search(rf"^[ \t]+{key}[ \t]*:[ \t]*[\"']?([^\"'#\s]+)", _config_block(config, section),
                      re.MULTILINE)
    if found is None:
        raise ValueError(f"{config}: '{section}.{key}' is missing")
    return found.group(1)


def read_repository(config: Path = CONFIG) -> tuple[str, str]:
    """Return (url, branch) of the ``repository:`` mapping of a Jupyter Book _config.yml.

    A deliberately small reader (no YAML library): it looks only at the indented keys
    directly under the top-level ``repository:`` key.
    """
    return _config_value(config, "repository", "url").rstrip("/"), _config_value(config, "repository", "branch")


RELEASE_PATTERN = re.compile(r"^v\d+\.\d+\.\d+$")


def read_release(config: Path = CONFIG) -> str:
    """The course_lib release the notebooks install: ``repository.course_lib_release`` (a tag, vX.Y.Z)."""
    release = _config_value(config, "repository", "course_lib_release")
    if not RELEASE_PATTERN.match(release):
        raise ValueError(f"{config}: repository.course_lib_release is {release!r}; expected a tag like v0.2.0")
    return release


def setup_source(url: str, release: str) -> str:
    """The source of the Colab setup cell: install course_lib at `release` from the repository `url`."""
    return SETUP_TEMPLATE.format(url=url, release=release).rstrip("\n")


def report_source(frameworks: tuple[str, ...]) -> str:
    """The source of the environment-report cell for these frameworks."""
    return REPORT_TEMPLATE.format(frameworks=", ".join(json.dumps(f) for f in frameworks)).rstrip("\n")


def colab_url(notebook: Path, url: str, branch: str, root: Path = ROOT) -> str:
    """The address that opens `notebook` (a path in the repository) in Colab."""
    repo_path = url.split("://", 1)[-1].split("/", 1)[1]  # "owner/name"
    rel = notebook.resolve().relative_to(root.resolve()).as_posix()
    return f"https://colab.research.google.com/github/{repo_path}/blob/{branch}/{rel}"


# --------------------------------------------------------------------------- normal form

def _is_setup_cell(cell) -> bool:
    return SETUP_TAG in cell.get("metadata", {}).get("tags", [])


def _is_report_cell(cell) -> bool:
    return REPORT_TAG in cell.get("metadata", {}).get("tags", [])


def setup_cell(url: str | None = None, release: str | None = None):
    """The Colab setup cell (for the repository and release of _config.yml unless told otherwise)."""
    url = url if url is not None else read_repository()[0]
    release = release if release is not None else read_release()
    cell = nbformat.v4.new_code_cell(source=setup_source(url, release))
    cell.id = SETUP_ID
    cell.metadata = nbformat.from_dict({"tags": list(SETUP_TAGS)})
    return cell


def report_cell(frameworks: tuple[str, ...]):
    """The environment-report cell: the notebook's first output (versions and device)."""
    cell = nbformat.v4.new_code_cell(source=report_source(frameworks))
    cell.id = REPORT_ID
    cell.metadata = nbformat.from_dict({"tags": list(REPORT_TAGS)})
    return cell


def _stable_id(index: int, cell) -> str:
    """A deterministic cell id, for notebooks written before cells had ids."""
    digest = hashlib.sha1(f"{index}\0{cell.get('source', '')}".encode()).hexdigest()
    return digest[:12]


def _set_gpu_metadata(metadata, gpu: bool) -> None:
    """Ask Colab for a GPU runtime (or not) in a notebook's metadata, leaving other keys alone."""
    colab = dict(metadata.get("colab", {}))
    if gpu:
        metadata["accelerator"] = COLAB_GPU_METADATA["accelerator"]
        colab.update(COLAB_GPU_METADATA["colab"])
    else:
        metadata.pop("accelerator", None)
        colab.pop("gpuType", None)
    if colab:
        metadata["colab"] = nbformat.from_dict(colab)
    else:
        metadata.pop("colab", None)


def normalise(nb, url: str, release: str, runtime: Runtime = NO_RUNTIME):
    """Return a normalised copy of the notebook `nb` (see the module docstring)."""
    nb = copy.deepcopy(nb)
    if nb.nbformat_minor < 5:  # cell ids (nbformat 4.5) let tools track cells
        nb.nbformat_minor = 5
    cells = [cell for cell in nb.cells if not (_is_setup_cell(cell) or _is_report_cell(cell))]
    first = [setup_cell(url, release)] + ([report_cell(runtime.frameworks)] if runtime.frameworks else [])
    nb.cells = first + cells
    _set_gpu_metadata(nb.metadata, runtime.gpu)
    for index, cell in enumerate(nb.cells):
        if "id" not in cell:
            cell.id = _stable_id(index, cell)
        for key in VOLATILE_CELL_METADATA:
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return nb


def problems(path: Path, url: str, release: str) -> list[str]:
    """What `sync` would change in the notebook file `path` (an empty list: nothing)."""
    text = path.read_text(encoding="utf-8")
    nb = nbformat.reads(text, as_version=4)
    runtime = runtime_for(path)
    found = []
    first = nb.cells[0] if nb.cells else None
    if first is None or not _is_setup_cell(first):
        found.append("the first cell is not the Colab setup cell")
    elif first.source != setup_source(url, release) or first.cell_type != "code":
        found.append("the Colab setup cell is out of date")
    if sum(_is_setup_cell(cell) for cell in nb.cells) > 1:
        found.append("more than one Colab setup cell")
    reports = [i for i, cell in enumerate(nb.cells) if _is_report_cell(cell)]
    if runtime.frameworks and (reports != [1] or nb.cells[1].source != report_source(runtime.frameworks)):
        found.append("the environment-report cell is missing, misplaced or out of date")
    if not runtime.frameworks and reports:
        found.append("an environment-report cell in a notebook that uses no framework")
    wants_gpu = nb.metadata.get("accelerator") == "GPU" and "gpuType" in nb.metadata.get("colab", {})
    if wants_gpu != runtime.gpu:
        found.append("the Colab GPU runtime metadata is " + ("missing" if runtime.gpu else "set"))
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    if any(cell.get("outputs") for cell in code):
        found.append("committed outputs")
    if any(cell.get("execution_count") is not None for cell in code):
        found.append("execution counts")
    if not found and _dumps(normalise(nb, url, release, runtime)) != text:
        found.append("not in normal form (layout, cell ids or execution metadata)")
    return found


def _dumps(nb) -> str:
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def sync(path: Path, url: str, release: str) -> bool:
    """Rewrite `path` in normal form; return whether the file changed."""
    text = path.read_text(encoding="utf-8")
    new = _dumps(normalise(nbformat.reads(text, as_version=4), url, release, runtime_for(path)))
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


def notebooks(root: Path = ROOT) -> list[Path]:
    """Every notebook under chapters/ and solutions/, checkpoints excluded."""
    found = []
    for folder in NOTEBOOK_DIRS:
        found += [p for p in (root / folder).rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts]
    return sorted(found)


# --------------------------------------------------------------------------- running as on Colab

#: nbgrader's markers of the hidden tests: a student's notebook never has what lies between them.
HIDDEN_TESTS = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS\n.*?^[ \t]*### END HIDDEN TESTS[ \t]*\n?",
                          re.MULTILINE | re.DOTALL)


def _log_noise() -> re.Pattern:
    """course_lib's pattern of framework log noise, read from this repository's course_lib/notebook.py
    (the Python that runs the notebooks need not have course_lib: the set-up cell installs it)."""
    spec = importlib.util.spec_from_file_location("_course_notebook", ROOT / "course_lib" / "notebook.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.FRAMEWORK_LOG_NOISE


def run_notebook(path: Path, *, requirement: str | None = None, timeout: int = 600) -> dict:
    """Execute the notebook `path` top to bottom as a student on Colab would; return a report.

    The kernel is this Python's (``python3``), started in an empty folder, with Colab's marker
    variable ``COLAB_RELEASE_TAG`` set, so the set-up cell behaves as on Colab. `requirement`,
    if given, replaces the pip requirement of the set-up cell (e.g. a ``git+file://`` clone that
    stands in for the repository). Hidden tests are removed, as in a student's copy.

    The report: ``notebook``, ``seconds``, ``error`` (the first error, or None), ``noise`` (lines
    of framework log noise in any output) and ``stderr`` (every other stderr line), ``outputs``
    (the text of the first outputs).
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = HIDDEN_TESTS.sub("", cell.source)
            if requirement is not None and _is_setup_cell(cell):
                cell.source = re.sub(r'^COURSE_LIB = ".*"$', f"COURSE_LIB = {json.dumps(requirement)}",
                                     cell.source, flags=re.MULTILINE)
    error = None
    start = time.perf_counter()
    previous = os.environ.get("COLAB_RELEASE_TAG")
    os.environ["COLAB_RELEASE_TAG"] = "course-colab-like-run"
    try:
        with tempfile.TemporaryDirectory(prefix="colab-content-") as content:
            client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                    resources={"metadata": {"path": content}})
            try:
                client.execute()
            except CellExecutionError as err:
                error = str(err)[-3000:]
            except Exception as err:  # a dead kernel, a timeout: still a failure to report
                error = f"{type(err).__name__}: {err}"[-3000:]
    finally:
        if previous is None:
            os.environ.pop("COLAB_RELEASE_TAG", None)
        else:
            os.environ["COLAB_RELEASE_TAG"] = previous
    noise_pattern = _log_noise()
    noise, stderr, texts = [], [], []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                text = output.get("text", "")
            elif output.get("output_type") in ("execute_result", "display_data"):
                text = output.get("data", {}).get("text/plain", "")
            else:
                continue
            texts.append(text)
            for line in text.splitlines():
                if noise_pattern.search(line):
                    noise.append(f"cell {index}: {line}")
                elif output.get("name") == "stderr" and line.strip():
                    stderr.append(f"cell {index}: {line}")
    return {"notebook": str(path), "seconds": round(time.perf_counter() - start, 1), "error": error,
            "noise": noise, "stderr": stderr, "outputs": [t[:500] for t in texts[:3]]}


# --------------------------------------------------------------------------- command line

def set_release(version: str, pyproject: Path = ROOT / "pyproject.toml", config: Path = CONFIG) -> str:
    """Write ``version`` into pyproject.toml and its tag ``v<version>`` into _config.yml's
    ``repository.course_lib_release`` (the two places a release is named); return the tag."""
    tag = f"v{version}"
    if not RELEASE_PATTERN.match(tag):
        raise ValueError(f"{version!r} is not a version like 0.3.0")
    text = pyproject.read_text(encoding="utf-8")
    text, n = re.subn(r'^version = "[^"]*"', f'version = "{version}"', text, count=1, flags=re.M)
    if n != 1:
        raise ValueError(f"{pyproject}: no version = \"...\" line")
    pyproject.write_text(text, encoding="utf-8")
    text = config.read_text(encoding="utf-8")
    text, n = re.subn(r"^([ \t]+course_lib_release[ \t]*:[ \t]*)v\d+\.\d+\.\d+", rf"\g<1>{tag}", text,
                      count=1, flags=re.M)
    if n != 1:
        raise ValueError(f"{config}: no repository.course_lib_release line")
    config.write_text(text, encoding="utf-8")
    return tag


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("sync", "check", "run", "release"))
    parser.add_argument("paths", nargs="*", type=Path,
                        help="notebooks (default for sync and check: every one under chapters/ and solutions/)")
    parser.add_argument("--requirement", help="run: the pip requirement the set-up cell installs instead "
                                              "of the release of _config.yml")
    parser.add_argument("--json", type=Path, help="run: write the reports to this file")
    parser.add_argument("--timeout", type=int, default=600, help="run: seconds per cell")
    args = parser.parse_intermixed_args(argv)  # options before or after the notebooks
    if args.command == "run":
        if not args.paths:
            parser.error("run: name the notebooks to execute")
        reports, failures = [], 0
        for path in args.paths:
            report = run_notebook(path, requirement=args.requirement, timeout=args.timeout)
            reports.append(report)
            bad = bool(report["error"] or report["noise"])
            failures += bad
            print(f"{'FAILED' if bad else 'ok':6} {report['seconds']:6.1f} s  {path}")
            for line in ([report["error"]] if report["error"] else []) + report["noise"]:
                print("    " + line.replace("\n", "\n    "))
            if args.json:  # after every notebook: a partial report survives a crash
                args.json.write_text(json.dumps(reports, indent=1))
        return 1 if failures else 0
    if args.command == "release":  # release X.Y.Z: name the release, then sync every notebook to it
        if len(args.paths) != 1:
            parser.error("release: give the new version, e.g. 0.3.0")
        print(f"release {set_release(str(args.paths[0]))}: pyproject.toml and _config.yml")
        args.command, args.paths = "sync", []
    url, _ = read_repository()
    release = read_release()
    paths = args.paths or notebooks()
    failures = 0
    for path in paths:
        shown = path.resolve().relative_to(ROOT) if path.resolve().is_relative_to(ROOT) else path
        if args.command == "sync":
            if sync(path, url, release):
                print(f"normalised {shown}")
        else:
            for problem in problems(path, url, release):
                print(f"{shown}: {problem}")
                failures += 1
    if args.command == "check":
        print(f"{len(paths)} notebooks checked, {failures} problems"
              + (" (run: python tools/colab.py sync)" if failures else ""))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
