"""Set-up on the Pythons people have: requirements/dev.lock installs on every Python the project claims.

The claim is written once, in pyproject.toml's ``requires-python``; README says the same. Each claimed
Python resolves the lock (uv's resolver, given the interpreter where this machine has it: pyenv's, the
distribution's ``/usr/bin/python3``; else the version and Linux's wheel tags), and
``requirements/find-python.sh`` (the Makefile's choice of Python) refuses the others with one line.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements" / "dev.lock"
FIND_PYTHON = ROOT / "requirements" / "find-python.sh"
UV = Path(sys.executable).with_name("uv")
#: torch's CUDA runtime, which the lock leaves out (Makefile: TORCH_CUDA): pip adds it where torch's build needs it
CUDA_RUNTIME = re.compile(r"^(nvidia-.*|cuda-.*|triton)$")
#: Pythons people have besides the newest of each minor version: Ubuntu 22.04's and Debian 12's
DISTRIBUTIONS = {"3.10.12": "Ubuntu 22.04", "3.11.2": "Debian 12"}


def claimed() -> SpecifierSet:
    text = (ROOT / "pyproject.toml").read_text()
    return SpecifierSet(re.search(r'^requires-python\s*=\s*"([^"]+)"', text, re.M).group(1))


def claimed_minors() -> list[str]:
    spec = claimed()
    return [f"3.{m}" for m in range(0, 30) if f"3.{m}.0" in spec or f"3.{m}.99" in spec]


def lock_requirements() -> list[Requirement]:
    return [Requirement(line) for line in LOCK.read_text().splitlines() if line.strip() and not line.startswith("#")]


def interpreters() -> dict[str, str]:
    """Full version -> an interpreter of it on this machine (pyenv's, the PATH's, /usr/bin/python3)."""
    found = {}
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates = sorted(pyenv.glob("3.*/bin/python3")) + [Path("/usr/bin/python3")]
    candidates += [Path(p) for m in claimed_minors() if (p := shutil.which(f"python{m}"))]
    for path in candidates:
        try:
            out = subprocess.run([str(path), "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
                                 capture_output=True, text=True, timeout=20)
        except OSError:
            continue
        if out.returncode == 0:
            found.setdefault(out.stdout.strip(), str(path))
    return found


def targets() -> list[tuple[str, str | None]]:
    """(full version, interpreter or None): every claimed minor version and the distributions' Pythons."""
    here = interpreters()
    out = {v: p for v, p in here.items() if v in claimed()}
    for minor in claimed_minors():
        if not any(v.startswith(minor + ".") for v in out):
            out[f"{minor}.0"] = None  # not on this machine: resolved for the version and Linux's tags
    for version in DISTRIBUTIONS:
        out.setdefault(version, None)
    return sorted(out.items(), key=lambda kv: tuple(map(int, kv[0].split("."))))


def test_readme_pyproject_and_lock_claim_the_same_pythons():
    minors = claimed_minors()
    assert minors == ["3.10", "3.11", "3.12", "3.13"]
    readme = (ROOT / "README.md").read_text()
    assert f"Python {minors[0]} to {minors[-1]}" in readme
    makefile = (ROOT / "Makefile").read_text()
    assert "requires-python" in makefile  # `make lock` resolves from requires-python's lower bound


@pytest.mark.parametrize("version", ["3.10.12", "3.11.2", "3.11.7", "3.12.1", "3.13.0"])
def test_lock_pins_one_version_of_each_package_for_each_python(version):
    env = {**default_environment(), "python_full_version": version, "python_version": version.rsplit(".", 1)[0],
           "sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64", "os_name": "posix",
           "implementation_name": "cpython"}
    pins: dict[str, list[str]] = {}
    for req in lock_requirements():
        if req.marker is None or req.marker.evaluate(env):
            (spec,) = req.specifier
            assert spec.operator == "==", f"{req}: not pinned"
            pins.setdefault(req.name.lower().replace("_", "-"), []).append(spec.version)
    twice = {name: v for name, v in pins.items() if len(v) > 1}
    assert not twice, f"Python {version} gets two pins of {twice}"
    assert {"torch", "tensorflow-cpu", "keras", "nbgrader", "jupyter-book", "ruff", "import-linter",
            "copydetect", "uv"} <= set(pins)
    assert not [n for n in pins if CUDA_RUNTIME.match(n)], "the lock must not force torch's CUDA runtime"


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("version,python", targets(), ids=lambda x: str(x).replace("/", "_") if x else "by-version")
def test_lock_resolves_on_each_claimed_python(version, python, tmp_path):
    """uv's resolver, for this Python: every pin allowed (Requires-Python, markers) and every dependency pinned."""
    assert UV.exists(), f"{UV} is missing: uv is in requirements/dev.lock (make env)"
    where = ["--python", python] if python else ["--python-version", version,
                                                 "--python-platform", "x86_64-manylinux_2_28"]
    out = tmp_path / "resolved.txt"
    done = subprocess.run([str(UV), "pip", "compile", str(LOCK), *where, "--no-header", "--no-annotate",
                           "--quiet", "-o", str(out)], capture_output=True, text=True, timeout=280,
                          env={**os.environ, "UV_NO_PROGRESS": "1"})
    label = f"Python {version}" + (f" ({python})" if python else "") + (
        f", {DISTRIBUTIONS[version]}'s" if version in DISTRIBUTIONS else "")
    assert done.returncode == 0, f"{label}: the lock does not resolve\n{done.stderr[-3000:]}"
    locked = {r.name.lower().replace("_", "-") for r in lock_requirements()}
    added = {Requirement(line).name.lower() for line in out.read_text().splitlines() if line and line[0] != "#"}
    extra = {n for n in added - locked if not CUDA_RUNTIME.match(n)}
    assert not extra, f"{label}: dependencies missing from the lock: {sorted(extra)}"


# ------------------------------------------------------------------ requirements/find-python.sh


def _fake_python(directory: Path, name: str, version: tuple) -> Path:
    """A `name` that is this interpreter claiming to be `version` (all find-python.sh asks of it)."""
    path = directory / name
    path.write_text(f"#!/bin/sh\nshift\nexec {sys.executable} -c 'import sys; sys.version_info = {version!r}; "
                    "exec(sys.stdin.read())' \"$@\"\n")
    path.chmod(0o755)
    return path


def _run_find(tmp_path: Path, *args: str, pythons: dict) -> subprocess.CompletedProcess:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for tool in ("sh", "sed", "awk", "sort", "cut", "ls", "dirname", "cat"):
        if not (bin_dir / tool).exists():
            (bin_dir / tool).symlink_to(shutil.which(tool))
    for name, version in pythons.items():
        _fake_python(bin_dir, name, version)
    env = {"PATH": str(bin_dir), "HOME": str(tmp_path), "PYENV_ROOT": str(tmp_path / "no-pyenv")}
    return subprocess.run(["sh", str(FIND_PYTHON), *args], capture_output=True, text=True, env=env, timeout=60)


def test_find_python_takes_a_fitting_python_when_python3_is_too_old(tmp_path):
    done = _run_find(tmp_path, pythons={"python3": (3, 9, 2), "python3.12": (3, 12, 3)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("/python3.12")
    assert done.stderr.count("\n") == 1 and "3.12.3" in done.stderr and "python3=3.9.2" in done.stderr


def test_find_python_names_what_it_found_and_what_works(tmp_path):
    done = _run_find(tmp_path, "python3.14", pythons={"python3.14": (3, 14, 0), "python3.11": (3, 11, 2)})
    assert done.returncode == 1 and done.stdout == ""
    line = done.stderr.strip()
    assert "\n" not in line and "3.14.0" in line and "3.10 to 3.13" in line and "python3.11 (3.11.2)" in line


def test_find_python_without_any_fitting_python_says_how_to_get_one(tmp_path):
    done = _run_find(tmp_path, pythons={"python3": (3, 9, 2)})
    assert done.returncode == 1 and done.stdout == ""
    line = done.stderr.strip()
    assert "\n" not in line and "python3=3.9.2" in line and "pyenv install" in line and "PYTHON=" in line
