"""Every notebook runs as a student on Colab opens it, with the versions a term relies on.

* The Colab-like run (slow): every chapter and every solved assignment (hidden tests removed, as in
  a student's copy) is executed top to bottom in ``.venv-colab``, which `make test` builds from
  requirements/colab.txt: Python 3.12, Colab's framework versions (a CUDA build of torch 2.8,
  TensorFlow 2.19, Keras 3.10, NumPy 2.0: none of them the lock's), and no book toolchain. The
  notebooks' own set-up cell installs course_lib there, in Colab mode, from a git repository that
  stands in for GitHub, at the release tag of _config.yml. A notebook fails on any error and on
  any framework log line (absl, cuDNN, oneDNN, TensorFlow's C++ log) in its outputs.
* The notebooks that use a framework say first which versions and device they use, the GPU ones
  ask Colab for a GPU runtime, and the set-up cell pins a course_lib release (fast tests).
"""

from __future__ import annotations

from importlib import import_module
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
import uuid
from pathlib import Path

import nbformat
import pytest
from tests.file_lock import file_lock

ROOT = Path(__file__).resolve().parents[1]
COLAB_VENV = ROOT / ".venv-colab"
COLAB_PYTHON = COLAB_VENV / "bin" / "python"
STATE = ROOT / "_build" / "colab-like"


colab = import_module("tools.colab")  # tools/ is a package; the repository root is on sys.path
REPO_URL, BRANCH = colab.read_repository()
RELEASE = colab.read_release()

CHAPTERS = sorted((ROOT / "chapters").glob("0*.ipynb"))
SOLVED = sorted((ROOT / "solutions").glob("*/*.ipynb"))
COLAB_NOTEBOOKS = CHAPTERS + SOLVED
GPU_NOTEBOOKS = {"08_pytorch", "09_keras", "a6_pytorch", "a7_keras"}
# What requirements/colab.txt pins and the lock must not have: the run proves the chapters do not
# depend on the lock's versions.
COLAB_FRAMEWORKS = {"torch": "2.8.0", "tensorflow": "2.19.0", "keras": "3.10.0", "numpy": "2.0.2"}
BOOK_TOOLCHAIN = {"jupyter-book", "jupyter_book", "myst-nb", "myst_nb", "sphinx", "nbgrader"}


# --------------------------------------------------------------------------- the release pin (fast)

def _pyproject_version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def test_the_release_is_written_once_and_names_the_package_version():
    config = (ROOT / "_config.yml").read_text()
    assert config.count("course_lib_release:") == 1
    assert colab.RELEASE_PATTERN.match(RELEASE)
    assert RELEASE == f"v{_pyproject_version()}", (
        "_config.yml's repository.course_lib_release must be the tag of pyproject.toml's version")


def test_the_release_tag_if_present_holds_that_version():
    """Where the tag exists in this clone, its pyproject.toml has the version the tag names."""
    done = subprocess.run(["git", "show", f"{RELEASE}:pyproject.toml"], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        assert "does not exist" in done.stderr or "invalid object" in done.stderr or "unknown revision" in \
            done.stderr or "bad revision" in done.stderr, done.stderr
        return
    assert tomllib.loads(done.stdout)["project"]["version"] == RELEASE[1:]


def test_every_notebook_installs_the_release():
    for path in colab.notebooks():
        first = nbformat.read(path, as_version=4).cells[0]
        assert f'COURSE_LIB = "course_lib @ git+{REPO_URL}@{RELEASE}"' in first.source, path


def test_readme_says_how_to_cut_a_release():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Releasing course_lib for a term", 1)[1].split("\n## ", 1)[0]
    for needed in ("pyproject.toml", "course_lib_release", "make release VERSION=", "git push", "tags that commit"):
        assert needed in section, needed


def test_a_bad_release_is_refused(tmp_path):
    config = tmp_path / "_config.yml"
    config.write_text("repository:\n  url: https://example.org/a/b\n  branch: main\n  course_lib_release: main\n")
    with pytest.raises(ValueError, match="v0.2.0"):
        colab.read_release(config)


# --------------------------------------------------------------------------- GPU runtime and first output (fast)

@pytest.mark.parametrize("path", colab.notebooks(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_gpu_runtime_is_asked_for_where_it_helps(path):
    nb = nbformat.read(path, as_version=4)
    if path.stem in GPU_NOTEBOOKS:
        # What Colab writes when it saves a notebook whose runtime type is "T4 GPU".
        assert nb.metadata["accelerator"] == "GPU" and nb.metadata["colab"]["gpuType"] == "T4"
    else:
        assert "accelerator" not in nb.metadata and "gpuType" not in nb.metadata.get("colab", {})


@pytest.mark.parametrize("path", colab.notebooks(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_framework_notebooks_report_versions_and_device_first(path):
    cells = nbformat.read(path, as_version=4).cells
    runtime = colab.runtime_for(path)
    if runtime.frameworks:
        assert cells[1].id == "environment-report"
        assert f"environment_report({', '.join(json.dumps(f) for f in runtime.frameworks)})" in cells[1].source
        # No earlier cell prints anything: the set-up cell is silent where course_lib is installed.
        source = "\n".join(cell.source for cell in cells if cell.cell_type == "code")
        uses = {"torch": "import torch", "tensorflow": "import tensorflow"}
        assert all(uses[f] in source or f == "tensorflow" and "import keras" in source for f in runtime.frameworks)
    else:
        assert not any("environment-report" in c.metadata.get("tags", []) for c in cells)


def test_every_notebook_that_imports_a_framework_has_a_runtime():
    """TensorFlow is imported quietly (by the report cell) wherever a notebook uses it; a notebook that
    uses torch reports at least one framework's versions and device."""
    for path in colab.notebooks():
        source = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
        frameworks = colab.runtime_for(path).frameworks
        if re.search(r"^\s*(import|from) (tensorflow|keras)\b", source, re.MULTILINE):
            assert "tensorflow" in frameworks, f"{path.name} uses TensorFlow"
        if re.search(r"^\s*(import|from) torch\b", source, re.MULTILINE):
            assert frameworks, f"{path.name} uses torch"


def test_sync_writes_and_removes_the_gpu_runtime(tmp_path, monkeypatch):
    nb = nbformat.v4.new_notebook()
    nb.metadata["colab"] = {"provenance": [], "toc_visible": True}
    nb.cells = [nbformat.v4.new_code_cell("import torch")]
    path = tmp_path / "08_pytorch.ipynb"
    nbformat.write(nb, path)
    assert "the Colab GPU runtime metadata is missing" in colab.problems(path, REPO_URL, RELEASE)
    assert colab.sync(path, REPO_URL, RELEASE)
    synced = nbformat.read(path, as_version=4)
    assert synced.metadata["accelerator"] == "GPU"
    assert synced.metadata["colab"] == {"provenance": [], "toc_visible": True, "gpuType": "T4"}
    assert [c.id for c in synced.cells] == ["colab-setup", "environment-report", synced.cells[2].id]
    assert synced.cells[1].source.endswith('environment_report("torch")')
    assert colab.problems(path, REPO_URL, RELEASE) == []
    # The same notebook under a name without a runtime: sync takes both away again.
    plain = tmp_path / "01_plain.ipynb"
    shutil.copy(path, plain)
    assert set(colab.problems(plain, REPO_URL, RELEASE)) == {
        "the Colab GPU runtime metadata is set", "an environment-report cell in a notebook that uses no framework"}
    colab.sync(plain, REPO_URL, RELEASE)
    back = nbformat.read(plain, as_version=4)
    assert "accelerator" not in back.metadata and back.metadata["colab"] == {"provenance": [], "toc_visible": True}
    assert [c.source for c in back.cells[1:]] == ["import torch"]


def test_hidden_tests_are_removed_for_the_colab_run():
    source = ("assert f(1) == 2\n### BEGIN HIDDEN TESTS\nfrom autograder.checks.a1 import check_f; check_f(f)\n"
              "### END HIDDEN TESTS\nprint('done')")
    assert colab.HIDDEN_TESTS.sub("", source) == "assert f(1) == 2\nprint('done')"


# --------------------------------------------------------------------------- the helpers (fast, lock's frameworks)

NOISE_SAMPLES = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "E0000 00:00:1733000000.123456   12345 cuda_dnn.cc:8310] Unable to register cuDNN factory: Attempting "
    "to register factory for plugin cuDNN when one has already been registered",
    "W0000 00:00:1733000000.223456   12345 computation_placer.cc:177] computation placer already registered.",
    "I0000 00:00:1733000000.323456   12345 cuda_executor.cc:1015] could not open file to read NUMA node",
    "2025-12-01 20:00:00.123456: I tensorflow/core/util/port.cc:153] oneDNN custom operations are on. You may "
    "see slightly different numerical results due to floating-point round-off errors",
    "2025-12-01 20:00:00.223456: E external/local_xla/xla/stream_executor/cuda/cuda_fft.cc:467] Unable to "
    "register cuFFT factory",
    "WARNING:absl:Compiled the loaded model, but the compiled metrics have yet to be built.",
]
NOT_NOISE = ["RuntimeWarning: overflow encountered in exp", "epoch 3: loss 0.25",
             "E = 0.5 * (y - a)**2", "Warning: the learning rate 10 diverges"]


def test_noise_pattern_finds_framework_log_lines_and_nothing_else():
    from course_lib.notebook import FRAMEWORK_LOG_NOISE

    assert [line for line in NOISE_SAMPLES if not FRAMEWORK_LOG_NOISE.search(line)] == []
    assert [line for line in NOT_NOISE if FRAMEWORK_LOG_NOISE.search(line)] == []


def _python(code: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          cwd=ROOT, env={**os.environ, **env})


def test_native_log_lines_are_filtered_and_others_kept():
    """What C code writes on descriptor 2 inside the filter: noise dropped, anything else re-emitted."""
    code = (
        "import os\n"
        "from course_lib.notebook import _native_stderr_filtered\n"
        "with _native_stderr_filtered():\n"
        f"    os.write(2, {NOISE_SAMPLES[1]!r}.encode() + b'\\n')\n"
        "    os.write(2, b'a real problem\\n')\n"
        "os.write(2, b'after\\n')\n"
    )
    done = _python(code)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == ["a real problem", "after"]


@pytest.mark.slow
def test_quiet_tensorflow_imports_tensorflow_without_log_noise():
    from course_lib.notebook import FRAMEWORK_LOG_NOISE

    done = _python("from course_lib.notebook import quiet_tensorflow\n"
                   "tf = quiet_tensorflow()\nprint(tf.reduce_sum(tf.ones((2, 2))).numpy())\n",
                   KERAS_BACKEND="tensorflow")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "4.0"
    assert [line for line in done.stderr.splitlines() if FRAMEWORK_LOG_NOISE.search(line)] == []


@pytest.mark.slow
def test_environment_report_names_versions_and_device():
    import numpy as np
    import torch

    done = _python("from course_lib.notebook import environment_report\n"
                   "line = environment_report('torch', 'keras')\n", COURSE_DEVICE="cpu", KERAS_BACKEND="tensorflow")
    assert done.returncode == 0, done.stderr
    line = done.stdout.strip()
    assert line.startswith(f"Python {sys.version.split()[0]} · NumPy {np.__version__} · PyTorch {torch.__version__} on cpu")
    assert re.search(r"Keras 3\.\d+\.\d+ \(tensorflow backend\), TensorFlow 2\.\d+\.\d+ on (cpu|\d GPUs?)$", line), line


def test_environment_report_uses_the_course_device(monkeypatch, capsys):
    """The device is course_lib.torch.get_device()'s: CUDA, then MPS, then the CPU."""
    import torch

    from course_lib.notebook import environment_report

    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: "Tesla T4")
    assert environment_report("torch").endswith("PyTorch %s on cuda (Tesla T4)" % torch.__version__)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert environment_report("torch").endswith("on mps (Apple GPU)")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    monkeypatch.setenv("COLAB_RELEASE_TAG", "x")
    assert environment_report("torch").endswith("on cpu")
    assert "Change runtime type" in capsys.readouterr().out  # on Colab without a GPU: how to get one
    with pytest.raises(ValueError):
        environment_report("jax")


# --------------------------------------------------------------------------- the Colab-like run (slow)

def _colab_pip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(COLAB_PYTHON), "-m", "pip", *args], capture_output=True, text=True, timeout=600)


def _freeze() -> dict[str, str]:
    done = _colab_pip("list", "--format=json", "--disable-pip-version-check")
    assert done.returncode == 0, done.stderr
    return {p["name"].lower().replace("_", "-"): p["version"] for p in json.loads(done.stdout)}


def _release_repository(where: Path) -> Path:
    """A git repository that stands in for GitHub: course_lib as in this working tree, tagged RELEASE."""
    repo = where / "nn-course"
    repo.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, repo / name)
    shutil.copytree(ROOT / "course_lib", repo / "course_lib", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    git = ["git", "-C", str(repo), "-c", "user.name=CI", "-c", "user.email=ci@localhost"]
    for args in (["init", "--quiet"], ["add", "."], ["commit", "--quiet", "-m", "release"], ["tag", RELEASE]):
        subprocess.run(git + args, check=True, capture_output=True)
    return repo


@pytest.fixture(scope="session")
def colab_env():
    """.venv-colab with course_lib installed by the set-up cell in Colab mode, once per test run.

    Returns what the install did: the requirement, the seconds it took, the packages before/after.
    """
    if not (COLAB_VENV / ".installed").exists():
        done = subprocess.run(["make", ".venv-colab/.installed"], cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 0, f"could not build .venv-colab:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID") or uuid.uuid4().hex
    stamp = STATE / "install.json"
    with file_lock(STATE / "install.lock"):
        if stamp.exists():
            previous = json.loads(stamp.read_text())
            if previous.pop("run_id") == run_id:
                return previous
        shutil.rmtree(STATE / "release", ignore_errors=True)
        repo = _release_repository(STATE / "release")
        requirement = f"course_lib @ git+file://{repo}@{RELEASE}"
        _colab_pip("uninstall", "--yes", "course_lib")
        before = _freeze()
        # The set-up cell itself, as Colab runs it, with the stand-in for GitHub.
        source = colab.setup_source(REPO_URL, RELEASE).replace(
            f"course_lib @ git+{REPO_URL}@{RELEASE}", requirement)
        start = time.perf_counter()
        done = subprocess.run([str(COLAB_PYTHON), "-c", source], capture_output=True, text=True, timeout=600,
                              cwd=STATE, env={**os.environ, "COLAB_RELEASE_TAG": "course-colab-like-run"})
        result = {"requirement": requirement, "seconds": round(time.perf_counter() - start, 1),
                  "returncode": done.returncode, "output": done.stdout + done.stderr,
                  "before": before, "after": _freeze()}
        stamp.write_text(json.dumps({"run_id": run_id, **result}))
        return result


@pytest.mark.slow
def test_colab_like_environment_is_not_the_lock():
    """The run means something: Python 3.12, Colab's framework versions (not the lock's), no book toolchain."""
    assert (COLAB_VENV / ".installed").exists(), "make test builds .venv-colab first (make colab-env)"
    version = subprocess.run([str(COLAB_PYTHON), "-c", "import sys; print(sys.version_info[:2])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    assert version == "(3, 12)"
    packages = _freeze()
    lock = dict(line.strip().split("==", 1) for line in (ROOT / "requirements" / "dev.lock").read_text().splitlines()
                if "==" in line and not line.startswith("#"))
    lock = {name.lower().replace("_", "-"): v for name, v in lock.items()}
    for name, version in COLAB_FRAMEWORKS.items():
        assert packages[name].split("+")[0] == version
        assert lock.get(name, lock.get(f"{name}-cpu")) != version, f"{name}: the lock has Colab's version"
    assert not BOOK_TOOLCHAIN & set(packages), "the book's toolchain must not be in the Colab-like environment"


@pytest.mark.slow
def test_setup_cell_installs_course_lib_and_changes_nothing_else(colab_env):
    assert colab_env["returncode"] == 0, colab_env["output"]
    before, after = colab_env["before"], colab_env["after"]
    assert "course-lib" not in before and after.get("course-lib") == _pyproject_version()
    changed = {name: (version, after.get(name)) for name, version in before.items() if after.get(name) != version}
    assert changed == {}, "the set-up cell changed Colab's packages"
    assert not {"torch", "tensorflow", "keras", "numpy"} & (set(after) - set(before))
    assert colab_env["seconds"] < 120


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("path", COLAB_NOTEBOOKS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_notebook_runs_as_on_colab(colab_env, path, tmp_path):
    """Executed top to bottom in the Colab-like environment: no error, no framework log noise."""
    assert colab_env["returncode"] == 0, colab_env["output"]
    report_file = tmp_path / "report.json"
    done = subprocess.run([str(COLAB_PYTHON), str(ROOT / "tools" / "colab.py"), "run", "--json", str(report_file),
                           "--requirement", colab_env["requirement"], str(path)],
                          capture_output=True, text=True, timeout=1800, cwd=tmp_path)
    assert report_file.exists(), f"the run did not report:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    (report,) = json.loads(report_file.read_text())
    assert report["error"] is None, report["error"]
    assert report["noise"] == [], "framework log noise in the outputs"
    assert report["stderr"] == [], "the student would see these lines on stderr (in red on Colab)"
    assert done.returncode == 0, done.stdout[-3000:]
    runtime = colab.runtime_for(path)
    if runtime.frameworks:
        first = report["outputs"][0]
        assert first.startswith("Python 3.12.") and "NumPy 2.0.2" in first, first
        if "torch" in runtime.frameworks:
            assert "PyTorch 2.8.0" in first and " on cpu" in first
        if "tensorflow" in runtime.frameworks:
            assert "Keras 3.10.0 (tensorflow backend), TensorFlow 2.19.0 on cpu" in first
