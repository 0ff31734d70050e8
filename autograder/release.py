"""Generate the student versions of the assignments with ``nbgrader generate_assignment``.

``release()`` regenerates ``chapters/assignments/<assignment>.ipynb`` from
``solutions/<assignment>/<assignment>.ipynb``: solutions replaced by stubs, hidden tests removed,
outputs cleared, nbgrader's checksums added (deterministic, so the files are reproducible and a
test can tell when a committed one is stale). From the command line::

    python -m autograder.release                 # every assignment
    python -m autograder.release <assignment>    # some

The helpers :func:`make_course`, :func:`nbgrader` and :func:`generate` are shared with the tests
and the grading pipeline: they set up an nbgrader course root that uses ``nbgrader_config.py``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO / "solutions"
STUDENT_DIR = REPO / "chapters" / "assignments"
CONFIG = Path(__file__).resolve().parent / "nbgrader_config.py"


def all_assignments() -> list[str]:
    """Every assignment: a folder ``solutions/<name>/`` holding ``<name>.ipynb``."""
    return sorted(p.parent.name for p in SOLUTIONS.glob("*/*.ipynb") if p.stem == p.parent.name)


def make_course(root: Path) -> Path:
    """Make ``root`` an nbgrader course that uses the course's config (sources stay in solutions/)."""
    root = Path(root).resolve()
    root.mkdir(parents=True, exist_ok=True)
    (root / "nbgrader_config.py").write_text(
        "c = get_config()  # noqa: F821\n"
        f"load_subconfig({str(CONFIG)!r})  # noqa: F821\n"
        f"c.CourseDirectory.root = {str(root)!r}\n"
    )
    return root


def nbgrader(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run ``nbgrader <args>`` in the course ``root`` with this interpreter's nbgrader."""
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=root,
                          capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}"
                           f"\n{proc.stderr[-6000:]}")
    return proc


def generate(root: Path, assignment: str, db: bool = True) -> Path:
    """``nbgrader generate_assignment``; returns the released notebook in ``root/release/``.

    With ``db`` the gradebook records the source cells (``autograde`` needs them). In a fresh
    course the first run has been seen to fail with "No assignment with ID ... exists in the
    database"; it is retried once.
    """
    args = ["generate_assignment", assignment, "--force"] + ([] if db else ["--no-db"])
    proc = nbgrader(root, *args, check=False)
    if proc.returncode != 0:
        proc = nbgrader(root, *args)
    out = Path(root) / "release" / assignment / f"{assignment}.ipynb"
    if not out.exists():
        raise RuntimeError(f"nbgrader did not write {out}:\n{proc.stderr[-3000:]}")
    return out


def release(assignments: list[str] | None = None, dest: Path | None = None) -> list[Path]:
    """Write the student version of each assignment (default: all) to ``dest`` (default chapters/assignments)."""
    names = all_assignments() if not assignments else list(assignments)
    unknown = sorted(set(names) - set(all_assignments()))
    if unknown:
        from .errors import InstructorError  # a ValueError too: one line at the command line

        raise InstructorError(f"unknown assignment(s) {', '.join(unknown)}; the assignments in solutions/ are "
                              f"{', '.join(all_assignments())}")
    dest = Path(dest) if dest is not None else STUDENT_DIR
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory(prefix="release-") as tmp:
        root = make_course(Path(tmp) / "course")
        for name in names:
            target = dest / f"{name}.ipynb"
            shutil.copyfile(generate(root, name, db=False), target)
            target.chmod(0o644)
            written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    names = [a for a in argv if a != "--all"]
    for path in release(names or None):
        print(path.relative_to(REPO) if path.is_relative_to(REPO) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
