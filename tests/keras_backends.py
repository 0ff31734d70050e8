"""Run a test module's Keras cases again on the other Keras backend.

Keras reads ``KERAS_BACKEND`` once, at ``import keras``, so the other backend needs a fresh
interpreter: a pytest subprocess on the same file, selecting its Keras tests.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def assert_passes_on_the_other_backend(test_file: str, expected_passed: int) -> None:
    """Run ``-k "keras and not other"`` of `test_file` under the backend this process is not using.

    `expected_passed` guards against a selection that silently runs fewer tests than it should.
    """
    import keras

    other = "torch" if keras.backend.backend() == "tensorflow" else "tensorflow"
    env = {**os.environ, "KERAS_BACKEND": other, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning",
         "-k", "keras and not other", test_file],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, f"on the {other} backend:\n{proc.stdout[-5000:]}\n{proc.stderr[-2000:]}"
    last = proc.stdout.strip().splitlines()[-1]
    assert f"{expected_passed} passed" in last, proc.stdout[-500:]
