"""The similarity report on a class of a2_backprop answers: time for N students, and how far the planted
copies stand above the independent answers.

    .venv/bin/python benchmarks/similarity.py [-n 200] [--seeds 0 1 2]

Prints, per seed: the wall time of ``python -m autograder similarity``'s work (reading every notebook,
fingerprinting, scoring every pair, writing the report), the weakest planted copy's score, the most
similar independent pair's score, and the margin between them. Not a test.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from autograder.course import Course  # noqa: E402
from autograder.similarity.run import similarity  # noqa: E402
from tests.similarity.class_a2 import build_class  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=200, help="independent students (5 copiers are added)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    release_path = REPO / "chapters" / "assignments" / "a2_backprop.ipynb"
    release = json.loads(release_path.read_text())
    print(f"{'seed':>4} {'students':>8} {'pairs':>7} {'time s':>7} {'weakest copy':>12} {'top independent':>15} {'margin':>7}")
    for seed in args.seeds:
        notebooks, planted = build_class(release, args.n, seed=seed)
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            (root / "release" / "a2_backprop").mkdir(parents=True)
            (root / "release" / "a2_backprop" / "a2_backprop.ipynb").write_text(release_path.read_text())
            for student, nb in notebooks.items():
                folder = root / "submitted" / student / "a2_backprop"
                folder.mkdir(parents=True)
                (folder / "a2_backprop.ipynb").write_text(json.dumps(nb))
            start = time.perf_counter()
            result = similarity(Course(root=root, config_file=None), "a2_backprop")
            seconds = time.perf_counter() - start
        copies = [p.score for p in result.pairs if frozenset((p.a, p.b)) in planted]
        others = [p.score for p in result.pairs if frozenset((p.a, p.b)) not in planted]
        print(f"{seed:>4} {result.students:>8} {len(result.pairs):>7} {seconds:>7.1f} {min(copies):>12.3f} "
              f"{max(others):>15.3f} {min(copies) - max(others):>7.3f}")


if __name__ == "__main__":
    main()
