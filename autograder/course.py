"""Where an nbgrader course lives and how to read its configuration."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_ROOT = REPO / "autograder" / "course"
DEFAULT_CONFIG = REPO / "autograder" / "nbgrader_config.py"
#: the folder whose ``<assignment>/checks.py`` are the hidden checks (beside each assignment's source)
DEFAULT_CHECKS = REPO / "solutions"


@dataclass
class Course:
    """An nbgrader course directory plus the config file and hidden checks it uses.

    ``checks_dir`` holds one folder per assignment with its hidden checks in ``checks.py``
    (``autograder/checks/__init__.py`` says how a hidden test cell reaches them)."""

    root: Path = DEFAULT_ROOT
    config_file: Path | None = DEFAULT_CONFIG
    checks_dir: Path = DEFAULT_CHECKS

    def __post_init__(self):
        self.root = Path(self.root).resolve()
        self.checks_dir = Path(self.checks_dir).resolve()
        if self.config_file is not None:
            self.config_file = Path(self.config_file).resolve()

    @property
    def db_path(self) -> Path:
        return self.root / "gradebook.db"

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.db_path}"

    def dir(self, kind: str, student: str | None = None, assignment: str | None = None) -> Path:
        """nbgrader's layout: source/<a>, release/<a>, submitted/<s>/<a>, autograded/<s>/<a>..."""
        parts = [kind] + ([student] if student else []) + ([assignment] if assignment else [])
        return self.root.joinpath(*parts)

    def config(self):
        """The course's nbgrader Config (from the config file), rooted at this course."""
        from traitlets.config import Config
        from traitlets.config.loader import PyFileConfigLoader

        cfg = Config()
        if self.config_file is not None and self.config_file.exists():
            loader = PyFileConfigLoader(self.config_file.name, path=str(self.config_file.parent))
            cfg.merge(loader.load_config())
        cfg.CourseDirectory.root = str(self.root)
        cfg.CourseDirectory.db_url = self.db_url
        from .late_policy import config as late_config  # imports nbgrader: only when a config is read

        cfg.merge(late_config(self.root))  # the late policy set with `python -m autograder late`
        return cfg

    @property
    def course_id(self) -> str:
        return self.config().CourseDirectory.get("course_id", "default_course") or "default_course"

    def api(self):
        """An NbGraderAPI for this course (main gradebook: parent process only)."""
        from nbgrader.apps import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory

        cfg = self.config()
        return NbGraderAPI(coursedir=CourseDirectory(config=cfg), config=cfg)

    def source_dir(self, assignment: str) -> Path:
        """The assignment's source folder (the config may point source/ elsewhere, e.g. solutions/)."""
        src = Path(self.config().CourseDirectory.get("source_directory", "source"))
        return (src if src.is_absolute() else self.root / src) / assignment

    def generate(self, assignment: str) -> None:
        """`nbgrader generate_assignment` into this course (gradebook + release/), retried once:
        its first run in a fresh course has been seen to fail (TOOLCHAIN.md)."""
        import subprocess
        import sys

        self.write_root_config()
        cmd = [sys.executable, "-m", "nbgrader", "generate_assignment", assignment, "--force"]
        for _ in range(2):
            proc = subprocess.run(cmd, cwd=self.root, capture_output=True, text=True)
            if proc.returncode == 0:
                return
        import logging

        from .errors import InstructorError

        logging.getLogger("autograder").error("nbgrader generate_assignment %s:\n%s%s", assignment,
                                              proc.stdout[-4000:], proc.stderr[-8000:])
        last = (proc.stderr.strip() or proc.stdout.strip() or "no output").splitlines()[-1]
        raise InstructorError(f"nbgrader generate_assignment {assignment} failed: {last[:300]}; "
                              f"fix solutions/{assignment}/{assignment}.ipynb")

    def write_root_config(self) -> Path:
        """`<root>/nbgrader_config.py`, which the `nbgrader` command reads from its working
        directory: it loads the course config file and pins the root."""
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / "nbgrader_config.py"
        text = "c = get_config()  # noqa: F821\n"
        if self.config_file is not None and self.config_file.exists():
            text += f"load_subconfig({str(self.config_file)!r})  # noqa: F821\n"
        text += f"c.CourseDirectory.root = {str(self.root)!r}\n"
        # an assignment's hidden checks lie beside its source: never copied into release/
        text += "c.CourseDirectory.ignore.append('checks.py')\n"
        from .late_policy import config_lines  # imports nbgrader: only when a config is written

        late = config_lines(self.root)  # the late policy set with `python -m autograder late`
        if late:
            text += f"import sys  # noqa: E402\nsys.path.insert(0, {str(REPO)!r})  # autograder.late_policy\n" + late
        path.write_text(text)
        return path

    def is_generated(self, assignment: str) -> bool:
        from nbgrader.api import Gradebook, MissingEntry

        if not self.db_path.exists() or not self.dir("release", assignment=assignment).is_dir():
            return False
        with Gradebook(self.db_url, self.course_id) as gb:
            try:
                return bool(gb.find_assignment(assignment).notebooks)
            except MissingEntry:
                return False

    def assignments(self) -> list[str]:
        """Assignments registered in the gradebook (none when there is no gradebook yet)."""
        from nbgrader.api import Gradebook

        if not self.db_path.exists():
            return []
        with Gradebook(self.db_url, self.course_id) as gb:
            return sorted(a.name for a in gb.assignments)

    def notebooks(self, assignment: str) -> list[str]:
        """The assignment's notebook names; an error that says what to do when it is not registered."""
        from nbgrader.api import Gradebook, MissingEntry

        from .errors import InstructorError

        known = self.assignments()
        if assignment not in known:
            raise InstructorError(
                f"assignment {assignment!r} is not in the gradebook of {self.root} "
                f"(it has {', '.join(known) or 'none'}); check the spelling, or run "
                f"`python -m autograder release {assignment}` first")
        with Gradebook(self.db_url, self.course_id) as gb:
            try:
                return [nb.name for nb in gb.find_assignment(assignment).notebooks]
            except MissingEntry:  # registered by a crashed release: no notebooks yet
                return []

    def check_assignment(self, assignment: str) -> None:
        """An error that says what to do when `assignment` is neither registered nor in the sources."""
        from .errors import InstructorError

        if assignment in self.assignments() or (self.source_dir(assignment) / f"{assignment}.ipynb").exists():
            return
        sources = sorted(p.parent.name for p in self.source_dir(assignment).parent.glob("*/*.ipynb")
                         if p.stem == p.parent.name)
        known = ", ".join(sources or self.assignments()) or "none"
        raise InstructorError(f"unknown assignment {assignment!r} (known: {known}); check the spelling")

    def students_submitted(self, assignment: str) -> list[str]:
        sub = self.root / "submitted"
        if not sub.is_dir():
            return []
        return sorted(p.name for p in sub.iterdir() if (p / assignment).is_dir())
