"""The similarity report: planted copies rank above independent answers; only the students' own
code is compared; hostile names and code stay inert; one broken notebook never stops the run."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.course import Course
from autograder.similarity.compare import Settings, fingerprint_class, score_pairs
from autograder.similarity.extract import read_answer, read_template
from autograder.similarity.run import similarity
from tests.similarity.class_a2 import GRADED, build_class, dead_code, independent, notebook, rename, reformat

REPO = Path(__file__).resolve().parent.parent
RELEASE = REPO / "chapters" / "assignments" / "a2_backprop.ipynb"
NB = "a2_backprop.ipynb"


def _course(tmp_path: Path, notebooks: dict[str, dict]) -> Course:
    """A course with the release and the submitted notebooks laid out as nbgrader lays them."""
    root = tmp_path / "course"
    (root / "release" / "a2_backprop").mkdir(parents=True)
    (root / "release" / "a2_backprop" / NB).write_text(RELEASE.read_text())
    for student, nb in notebooks.items():
        folder = root / "submitted" / student / "a2_backprop"
        folder.mkdir(parents=True)
        (folder / NB).write_text(json.dumps(nb))
    return Course(root=root, config_file=None)


@pytest.fixture(scope="module")
def release() -> dict:
    return json.loads(RELEASE.read_text())


def _scores(release: dict, tmp_path: Path, notebooks: dict[str, dict]):
    (tmp_path / "rel.ipynb").write_text(json.dumps(release))
    template = read_template(tmp_path / "rel.ipynb")
    answers = {}
    for student, nb in notebooks.items():
        (tmp_path / f"{student}.ipynb").write_text(json.dumps(nb))
        answers[student] = {NB: read_answer(tmp_path / f"{student}.ipynb", template)}
    settings = Settings()
    return score_pairs(fingerprint_class(answers, {NB: template}, settings), settings)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_planted_copy_ranks_above_every_independent_pair(release, tmp_path, seed):
    notebooks, planted = build_class(release, 30, seed=seed)
    pairs = _scores(release, tmp_path, notebooks)
    copies = [p.score for p in pairs if frozenset((p.a, p.b)) in planted]
    independent_pairs = [p.score for p in pairs if frozenset((p.a, p.b)) not in planted]
    assert len(copies) == len(planted), "a planted pair got no score at all"
    assert min(copies) > max(independent_pairs), (
        f"seed {seed}: weakest copy {min(copies):.3f} <= most similar independent pair {max(independent_pairs):.3f}")


def test_a_single_copied_function_is_named(release, tmp_path):
    notebooks, _ = build_class(release, 20, seed=3)
    pair = next(p for p in _scores(release, tmp_path, notebooks) if {p.a, p.b} == {"s010", "copy_one_function"})
    by_unit = {m.unit: m.score for m in pair.matches}
    assert by_unit[f"{NB}: mlp_backward"] == pytest.approx(1.0)
    assert pair.score < 0.9, "the rest of that notebook is its own work: its notebook score says so"


def test_renaming_reformatting_and_comments_change_nothing(release, tmp_path):
    answers = independent(42)
    twins = {"orig": notebook(release, answers), "disguised": notebook(release, reformat(rename(answers, 1))),
             **{f"other{i}": notebook(release, independent(100 + i)) for i in range(6)}}
    top = _scores(release, tmp_path, twins)[0]
    assert {top.a, top.b} == {"orig", "disguised"} and top.score == pytest.approx(1.0)


def test_a_copy_padded_with_dead_code_is_still_a_copy(release, tmp_path):
    """A no-op after every line broke every k-gram: the copy scored 0.09, below dozens of
    independent pairs. Dead code is removed before fingerprinting (extract.canonical)."""
    answers = independent(42)
    twins = {"orig": notebook(release, answers), "padded": notebook(release, dead_code(rename(answers, 1))),
             **{f"other{i}": notebook(release, independent(100 + i)) for i in range(6)}}
    top = _scores(release, tmp_path, twins)[0]
    assert {top.a, top.b} == {"orig", "padded"} and top.score == pytest.approx(1.0)


def test_only_the_students_own_code_is_compared(release, tmp_path):
    """Two students who submit the release untouched share every line of it, and none of it is theirs."""
    (tmp_path / "rel.ipynb").write_text(json.dumps(release))
    template = read_template(tmp_path / "rel.ipynb")
    assert set(template.functions) == set(GRADED)
    (tmp_path / "stub.ipynb").write_text(json.dumps(release))
    untouched = read_answer(tmp_path / "stub.ipynb", template)
    pairs = _scores(release, tmp_path, {"lazy1": release, "lazy2": release, "worker": notebook(release, independent(5))})
    assert not [p for p in pairs if {p.a, p.b} == {"lazy1", "lazy2"}], "the template itself was scored as shared code"
    assert "raise NotImplementedError" in untouched.code  # the stub is read, its fingerprints removed


def test_report_is_inert_and_a_broken_notebook_is_a_note(release, tmp_path):
    hostile = independent(7)
    hostile["sgd_step"] += "\n# </pre><script>alert(1)</script>\x1b]0;owned\x07\n"
    notebooks = {"alice": notebook(release, hostile), "=HYPERLINK(1)": notebook(release, rename(hostile, 3)),
                 "carol": notebook(release, independent(8))}
    course = _course(tmp_path, notebooks)
    (course.root / "submitted" / "mallory" / "a2_backprop").mkdir(parents=True)
    (course.root / "submitted" / "mallory" / "a2_backprop" / NB).write_text("{not json")
    result = similarity(course, "a2_backprop", top=5)
    assert result.skipped == {"mallory": f"{NB} is not a readable notebook (JSONDecodeError)"}
    page = result.html.read_text()
    assert "<script>" not in page and "\x1b" not in page and "\x07" not in page
    assert "&lt;/pre&gt;&lt;script&gt;" in page or "<mark>" in page
    rows = list(csv.reader(result.csv.open()))
    assert rows[0][:3] == ["student_a", "student_b", "pair_score"]
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert {rows[1][0], rows[1][1]} == {"'=HYPERLINK(1)", "alice"}


def test_cli_prints_the_top_pairs(release, tmp_path):
    notebooks, planted = build_class(release, 12, seed=4)
    course = _course(tmp_path, notebooks)
    proc = subprocess.run([sys.executable, "-m", "autograder", "--course", str(course.root), "similarity",
                           "a2_backprop", "--top", "5"], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert proc.returncode == 0, proc.stderr
    first_row = proc.stdout.splitlines()[2].split()
    assert frozenset(first_row[:2]) in planted, proc.stdout
    assert (course.root / "reports" / "similarity-a2_backprop.html").is_file()
    assert "17 students, 136 pairs compared" in proc.stdout, proc.stdout


def _code_cell(source, grade_id=None) -> dict:
    meta = {"nbgrader": {"grade_id": grade_id, "solution": True}} if grade_id is not None else {}
    return {"cell_type": "code", "source": source, "metadata": meta, "outputs": [], "execution_count": None}


HOSTILE = {  # what a student can put in a notebook that json, ast or copydetect choke on, and the note
    "deep_json": ("[" * 100_000 + "]" * 100_000, "not a readable notebook (RecursionError)"),
    "list_grade_id": ({"cells": [_code_cell("x = 1", grade_id=["a", "b"])]}, None),
    "deep_unary": ({"cells": [_code_cell("x = " + "-" * 90_000 + "1")]}, None),
    "deep_sum": ({"cells": [_code_cell("x = " + "+".join(["1"] * 45_000))]}, None),
    "many_cells": ({"cells": [_code_cell(f"x{i} = {i}") for i in range(2001)]}, "2001 cells, over the limit"),
    "much_code": ({"cells": [_code_cell("x = 1 + y\n" * 12_000)]}, "over the limit of 100,000"),
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_a_hostile_notebook_is_its_students_note_and_the_run_goes_on(release, tmp_path, kind):
    """Each of these once ended the whole run (RecursionError, TypeError, MemoryError) or took it
    minutes (100,000 cells: 40 s to read, minutes to fingerprint); now each is one line of its own."""
    content, note = HOSTILE[kind]
    course = _course(tmp_path, {"alice": notebook(release, independent(7)),
                                "bob": notebook(release, rename(independent(7), 2))})
    folder = course.root / "submitted" / "mallory" / "a2_backprop"
    folder.mkdir(parents=True)
    (folder / NB).write_text(content if isinstance(content, str) else json.dumps(content))
    result = similarity(course, "a2_backprop", top=5)
    assert result.pairs[0].score == pytest.approx(1.0) and {result.pairs[0].a, result.pairs[0].b} == {"alice", "bob"}
    if note:
        assert note in result.skipped["mallory"]
    else:  # read: nothing of it parses, so nothing of it is scored, and nothing fails
        assert "mallory" not in result.skipped


def test_a_linked_submission_folder_is_not_followed(release, tmp_path):
    """submitted/mallory/a2 -> a folder outside the class (an instructor's, another course's): not read."""
    outside = tmp_path / "elsewhere" / "a2_backprop"
    outside.mkdir(parents=True)
    (outside / NB).write_text(json.dumps(notebook(release, independent(7))))
    course = _course(tmp_path, {"alice": notebook(release, independent(7))})
    (course.root / "submitted" / "mallory").mkdir()
    (course.root / "submitted" / "mallory" / "a2_backprop").symlink_to(outside, target_is_directory=True)
    result = similarity(course, "a2_backprop")
    assert result.pairs == [] and "link" in result.skipped["mallory"]


def test_students_who_all_copied_one_source_are_named(release, tmp_path):
    """Twelve students paste the same solution (the book's, say): every fingerprint of it is in more
    than max_common students, so no pair of them gets a score; the run names them instead."""
    source = independent(42)
    notebooks = {f"paste{i:02d}": notebook(release, source if i % 2 else rename(source, i)) for i in range(12)}
    notebooks.update({f"own{i}": notebook(release, independent(200 + i)) for i in range(4)})
    notebooks["lazy"] = release  # the release untouched: nothing of their own, nothing to name
    result = similarity(_course(tmp_path, notebooks), "a2_backprop")
    assert not [p for p in result.pairs if p.a.startswith("paste") and p.b.startswith("paste")]
    assert sorted(s for s, why in result.skipped.items() if "more than 10 students" in why) == sorted(
        s for s in notebooks if s.startswith("paste"))


def test_dead_code_removal_keeps_what_a_function_does():
    from autograder.similarity.extract import canonical

    code = ("def f(x):\n    global calls\n    calls = 1\n    unused = x * 2\n    if False:\n        print(x)\n"
            "    y = x + 1\n    pass\n    return y")
    assert canonical(code) == "def f(x):\n    global calls\n    calls = 1\n    y = x + 1\n    return y"
