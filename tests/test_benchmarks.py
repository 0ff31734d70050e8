"""The benchmark scripts still run and print what they promise (figures, not timing assertions)."""
import re
import runpy
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def _run(script, argv, capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", [str(BENCH / script), *argv])
    runpy.run_path(str(BENCH / script), run_name="__main__")
    return capsys.readouterr().out


@pytest.mark.slow
def test_training_benchmark_prints_one_row_per_framework(capsys, monkeypatch):
    out = _run("training.py", ["--datasets", "digits", "--epochs", "8", "--repeats", "2",
                               "--frameworks", "numpy,sklearn,products", "--numpy-ref", "HEAD"], capsys, monkeypatch)
    assert "GFLOP/s (best of 5; measured again after every round)" in out and "GPU:" in out
    assert re.search(r"^BLAS: .*kernel \S+", out, re.M), out[:300]  # which BLAS kernel NumPy ran
    # the committed NumPy core, imported as course_lib_ref and interleaved: the same training, the same accuracy
    ref = [line.split() for line in out.splitlines() if line.startswith("numpy@")]
    assert len(ref) == 1 and float(ref[0][1]) > 0
    assert "the best of 3 measurements so far" in out  # at the start and after each of the 2 rounds
    names = ("numpy", "sklearn", "products")
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.split()[:1] in [[n] for n in names]}
    assert set(rows) == set(names)
    assert rows["numpy"][2] == "1.00"  # the NumPy core against itself
    assert ref[0][5] == rows["numpy"][5]  # mean test accuracy of the committed core: identical
    for name in ("numpy", "sklearn"):
        assert float(rows[name][1]) > 0  # seconds per epoch
        assert 80 < float(rows[name][5]) <= 100  # mean test accuracy in %, after 8 epochs
    # the products-only row: a time and an efficiency, no model and so no accuracy
    assert float(rows["products"][1]) > 0 and rows["products"][5:] == ["-", "-"]


@pytest.mark.parametrize("sizes", ["1,5,20"])
def test_autodiff_benchmark_modes_agree(sizes, capsys, monkeypatch):
    out = _run("autodiff.py", ["--sizes", sizes, "--repeats", "1"], capsys, monkeypatch)
    rows = [line.split() for line in out.splitlines()[1:] if line.strip()]
    assert [int(r[0]) for r in rows] == [1, 5, 20]
    assert all(float(r[4]) < 1e-12 for r in rows)  # forward and reverse mode give the same gradient
