"""Triton is loaded before TensorFlow (course_lib/load_order.py): the other order crashes the process.

A stand-in ``triton`` package on ``sys.path`` records what was loaded when it was imported, in a fresh
interpreter per entry point a notebook or a script uses. The crash itself needs PyTorch's CUDA build
(Triton 3.7+) beside TensorFlow 2.20+, which this machine's CPU build of PyTorch does not bring: it was
reproduced as a user without root, whose pip installs the CUDA build (`import tensorflow; import torch;
torch.optim.Adam(...)` dies with SIGSEGV in libtriton.so, chapter 9's kernel with it).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

FAKE_TRITON = ('import json, os, sys\n'
               'with open(os.environ["TRITON_PROBE"], "w") as f:\n'
               '    json.dump({"tensorflow_loaded": "tensorflow" in sys.modules}, f)\n')


def _imports_triton_first(tmp_path: Path, code: str, *, triton_installed: bool = True) -> dict | None:
    """Run ``code`` in a fresh interpreter; what the stand-in Triton saw when imported (None: never)."""
    if triton_installed:
        (tmp_path / "triton").mkdir(exist_ok=True)
        (tmp_path / "triton" / "__init__.py").write_text(FAKE_TRITON)
    probe = tmp_path / "probe.json"
    env = dict(os.environ, TRITON_PROBE=str(probe), PYTHONPATH=os.pathsep.join([str(tmp_path), str(ROOT)]),
               KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(probe.read_text()) if probe.exists() else None


@pytest.mark.parametrize("code", [
    "import course_lib.keras",
    "from course_lib.notebook import quiet_tensorflow; quiet_tensorflow()",
    "from course_lib.notebook import environment_report; environment_report('torch', 'tensorflow')",
], ids=["course_lib.keras", "quiet_tensorflow", "environment_report"])
def test_triton_is_loaded_before_tensorflow(tmp_path, code):
    pytest.importorskip("tensorflow")
    seen = _imports_triton_first(tmp_path, code + "\nimport sys; assert 'tensorflow' in sys.modules")
    assert seen is not None, f"{code!r} loaded TensorFlow without loading Triton first"
    assert seen == {"tensorflow_loaded": False}, f"{code!r} loaded Triton only after TensorFlow"


def test_nothing_is_imported_where_triton_is_missing_or_too_late(tmp_path):
    """Where TensorFlow is already loaded, importing Triton would be the crash itself: nothing is
    imported. Where Triton is not installed, nothing is either, and nothing fails."""
    too_late = ("import sys; sys.modules['tensorflow'] = type(sys)('tensorflow')\n"
                "from course_lib.load_order import load_triton_before_tensorflow as f\n"
                "assert f() is False and 'triton' not in sys.modules")
    (tmp_path / "late").mkdir()
    assert _imports_triton_first(tmp_path / "late", too_late) is None, "Triton imported after TensorFlow"
    missing = ("import importlib.util, sys; assert importlib.util.find_spec('triton') is None\n"
               "from course_lib.load_order import load_triton_before_tensorflow as f\n"
               "assert f() is False and 'triton' not in sys.modules")
    (tmp_path / "missing").mkdir()
    assert _imports_triton_first(tmp_path / "missing", missing, triton_installed=False) is None
