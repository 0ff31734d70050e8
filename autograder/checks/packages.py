"""The two ``autograder.checks`` packages of a grading job, built from a course's checks folder.

* the service's (``job/checks``, root only, outside every box): this package's machinery
  (:data:`~autograder.checks.MACHINERY`), ``autograder.sandbox.box`` (the zygote's box), and each
  assignment's ``<checks folder>/<assignment>/checks.py`` as ``autograder.checks.<assignment>``;
* the kernel's (``job/pkgs``): ``client.py`` and, per assignment, a generated stand-in whose
  ``check_<name>`` only names the check: no cases, references, seeds or expected values.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

from ..errors import InstructorError
from ..sandbox import box as _box
from . import CHECKS_FILE, HERE, MACHINERY, check_modules
from .isolation import HiddenCheck

__all__ = ["CHECKS_FILE", "build"]


def _load_check_module(name: str, path: Path):
    """Import a check module from its file (parent side, to list its checks)."""
    spec = importlib.util.spec_from_file_location(f"_autograder_scan_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _package(root: Path) -> Path:
    """``root/autograder/checks/``, fresh, with empty ``__init__`` files (no finder: see ``__init__.py``)."""
    shutil.rmtree(root / "autograder", ignore_errors=True)
    (root / "autograder" / "checks").mkdir(parents=True)
    (root / "autograder" / "__init__.py").write_text('"""Grading-time package."""\n')
    (root / "autograder" / "checks" / "__init__.py").write_text("")
    return root / "autograder" / "checks"


def build(checks_dir: Path, assignment: str, pkgs: Path, checks: Path) -> tuple[set[str], list[str]]:
    """Write the kernel's package under ``pkgs`` and the service's under ``checks``.

    Returns the names of every hidden check and the frameworks (torch, keras, tensorflow) that
    ``assignment``'s checks' student processes import (the zygote preloads them).
    """
    flat = sorted(p.name for p in Path(checks_dir).glob("*.py"))
    if flat and not check_modules(checks_dir):
        raise InstructorError(f"{checks_dir} holds {', '.join(flat[:3])}: an assignment's hidden checks go in "
                              f"<checks folder>/<assignment>/{CHECKS_FILE} (e.g. {checks_dir}/{assignment}/{CHECKS_FILE})")
    kernel, service = _package(pkgs), _package(checks)
    (checks / "autograder" / "sandbox").mkdir()
    (checks / "autograder" / "sandbox" / "__init__.py").write_text("")
    shutil.copy(_box.__file__, checks / "autograder" / "sandbox" / "box.py")
    for name in MACHINERY:
        shutil.copy(HERE / f"{name}.py", service / f"{name}.py")
    shutil.copy(HERE / "client.py", kernel / "client.py")
    check_names: set[str] = set()
    preload: list[str] = []
    for name, src in check_modules(checks_dir).items():
        shutil.copy(src, service / f"{name}.py")
        module = _load_check_module(name, src)
        found = {k: v for k, v in vars(module).items() if k.startswith("check_") and isinstance(v, HiddenCheck)}
        check_names |= {v.name for v in found.values()}
        if name == assignment:  # frameworks its checks' student processes import
            preload = sorted({n for v in found.values()
                              for n in getattr(getattr(v.call, "__code__", None), "co_names", ())}
                             & {"torch", "keras", "tensorflow"})
        lines = [f'"""Grading-time stand-in: the checks of {name} run in the grader\'s check service."""',
                 "from autograder.checks.client import remote_check", ""]
        lines += [f"{k} = remote_check({'autograder.checks.' + name!r}, {v.name!r}, {float(v.timeout)!r})"
                  for k, v in sorted(found.items())]
        (kernel / f"{name}.py").write_text("\n".join(lines) + "\n")
    for p in [pkgs, *pkgs.rglob("*")]:
        os.chmod(p, 0o755 if p.is_dir() else 0o644)
    return check_names, preload
