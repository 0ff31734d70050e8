"""`collect` against a hostile class (issue 25, item 1): one student's upload never stops the run
for everyone, never lands on another student, and nothing in it is trusted (sizes, names, links,
times, versions).

Every test drives the real command line (``python -m autograder collect``, through click's runner)
on downloads written by hand to the LMSs' own naming rules (autograder/LMS.md)."""
import json
import os
import time
import zipfile

import pytest
from click.testing import CliRunner

from autograder.cli import main
from tests import gradebooks

ROSTER = ("id,first_name,last_name,email,lms_user_id\n"
          "alice,Alice,Jones,alice@uni.edu,101\n"
          "bob,Bob,Smith,bob@uni.edu,202\n")
ZIP_BUILT = (2026, 12, 1, 8, 0, 0)  # Canvas: every entry carries the time the zip was built


@pytest.fixture
def course(tmp_path):
    return gradebooks.make(tmp_path / "course")  # assignment fx with one notebook fx


@pytest.fixture
def roster(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER)
    return path


def run(course, source, *args, roster=None):
    cmd = ["--course", str(course.root), "--config", str(course.root / "none.py"), "collect", "fx", str(source)]
    cmd += (["--roster", str(roster)] if roster else []) + [str(a) for a in args]
    result = CliRunner().invoke(main, cmd, catch_exceptions=False)
    return result.exit_code, result.output


def _zip(path, entries, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression) as z:
        for name, data, *when in entries:
            z.writestr(zipfile.ZipInfo(name, date_time=when[0] if when else ZIP_BUILT), data,
                       compress_type=compression)
    return path


def submitted(course, student, name="fx.ipynb"):
    path = course.dir("submitted", student, "fx") / name
    return path.read_bytes() if path.exists() else None


def kept(course):
    top = course.root / "collected" / "fx"
    return {p.relative_to(top).as_posix(): p.read_bytes() for p in top.rglob("*") if p.is_file()}


def records(course):
    return json.loads((course.root / ".autograder" / "lms" / "fx.json").read_text())


def all_files(root):
    return [p for p in root.rglob("*") if p.is_file() and not p.is_symlink()]


# ----------------------------------------------------------------- sizes: one zip never takes the run down


def test_zip_bomb_in_a_submitted_zip_is_kept_as_it_is_and_reported(course, roster, tmp_path):
    bomb = _zip(tmp_path / "bomb.zip", [("fx.ipynb", b"alice"), ("big.bin", b"\0" * (3 << 20))],
                zipfile.ZIP_DEFLATED).read_bytes()
    assert len(bomb) < 20_000  # 3 MiB of zeros deflate to a few kB: a small bomb
    z = _zip(tmp_path / "canvas.zip", [("jonesalice_101_5001_work.zip", bomb),
                                       ("smithbob_202_5002_fx.ipynb", b"bob")])
    code, out = run(course, z, "--max-file-mb", "1", roster=roster)
    assert code == 1 and "TOO LARGE" in out
    assert submitted(course, "bob") == b"bob"  # the rest of the class is collected
    assert submitted(course, "alice") is None
    assert kept(course)["alice/jonesalice_101_5001_work.zip"] == bomb  # kept as it came
    assert max(p.stat().st_size for p in all_files(course.root)) < 1 << 20  # never unpacked
    assert set(records(course)) == {"alice", "bob"} and records(course)["alice"]["user_id"] == "101"


def test_too_many_entries_in_a_submitted_zip(course, roster, tmp_path):
    many = _zip(tmp_path / "many.zip", [(f"f{i}.txt", b"x") for i in range(50)] + [("fx.ipynb", b"a")]).read_bytes()
    z = _zip(tmp_path / "canvas.zip", [("jonesalice_101_5001_work.zip", many)])
    code, out = run(course, z, "--max-entries", "20", roster=roster)
    assert code == 1 and "TOO LARGE" in out and "entries" in out
    assert kept(course) == {"alice/jonesalice_101_5001_work.zip": many}


def test_an_oversized_entry_of_the_download_is_not_written(course, roster, tmp_path):
    z = _zip(tmp_path / "canvas.zip", [("jonesalice_101_5001_fx.ipynb", b"\0" * (3 << 20)),
                                       ("smithbob_202_5002_fx.ipynb", b"bob")], zipfile.ZIP_DEFLATED)
    code, out = run(course, z, "--max-file-mb", "1", roster=roster)
    assert code == 1 and "TOO LARGE" in out
    assert submitted(course, "bob") == b"bob" and submitted(course, "alice") is None
    assert max(p.stat().st_size for p in all_files(course.root)) < 1 << 20


def test_a_file_name_over_255_bytes_is_shortened_not_fatal(course, roster, tmp_path):
    long = "n" * 300 + ".txt"
    z = _zip(tmp_path / "canvas.zip", [(f"jonesalice_101_5001_{long}", b"notes"),
                                       ("jonesalice_101_5002_fx.ipynb", b"alice"),
                                       ("smithbob_202_5003_fx.ipynb", b"bob")])
    code, out = run(course, z, roster=roster)
    assert submitted(course, "alice") == b"alice" and submitted(course, "bob") == b"bob"
    [(name, data)] = [(k, v) for k, v in kept(course).items() if v == b"notes"]
    assert all(len(part.encode()) <= 255 for part in name.split("/")) and name.endswith(".txt")
    assert set(records(course)) == {"alice", "bob"}


def test_a_file_and_a_folder_of_one_name_in_a_submitted_zip(course, roster, tmp_path):
    clash = _zip(tmp_path / "clash.zip", [("fx.ipynb", b"alice"), ("notes", b"file"),
                                          ("notes/x.txt", b"inside")]).read_bytes()
    z = _zip(tmp_path / "canvas.zip", [("jonesalice_101_5001_work.zip", clash),
                                       ("smithbob_202_5002_fx.ipynb", b"bob")])
    run(course, z, roster=roster)
    assert submitted(course, "alice") == b"alice" and submitted(course, "bob") == b"bob"
    assert sorted(v for v in kept(course).values()) == [b"file", b"inside"]  # both kept, one renamed
    assert set(records(course)) == {"alice", "bob"}


# ----------------------------------------------------------------- owners: never guessed


def test_a_canvas_name_that_also_reads_as_moodle_is_read_the_canvas_way(roster, tmp_path):
    # Alice's sortable name 'bobsmith_202_assignsubmission_file_' makes her Canvas entry look Moodle's
    # (participant 202, named 'bobsmith'); the rest of the download says it is Canvas's.
    alice = "bobsmith_202_assignsubmission_file__101_5001_fx.ipynb"
    carol = roster.parent / "roster3.csv"
    carol.write_text(ROSTER + "carol,Carol,Nguyen,carol@uni.edu,303\n")
    for with_bob in (False, True):
        root = tmp_path / f"c{with_bob}"
        c = gradebooks.make(root)
        entries = [(alice, b"alice"), ("nguyencarol_303_5003_fx.ipynb", b"carol")]
        entries += [("smithbob_202_5002_fx.ipynb", b"bob")] if with_bob else []
        code, out = run(c, _zip(root / "canvas.zip", entries), roster=carol)
        assert submitted(c, "alice") == b"alice" and submitted(c, "carol") == b"carol"
        assert submitted(c, "bob") == (b"bob" if with_bob else None)
        assert code == 0, out


def test_a_lone_name_that_fits_both_lmss_is_nobodys(course, roster, tmp_path):
    z = _zip(tmp_path / "canvas.zip", [("bobsmith_202_assignsubmission_file__101_5001_fx.ipynb", b"alice")])
    code, out = run(course, z, roster=roster)
    assert code == 1 and "AMBIGUOUS" in out and submitted(course, "bob") is None


def test_a_user_id_forged_in_the_sortable_name_never_moves_the_file(course, roster, tmp_path):
    # Alice (101) named herself 'x_202_99999999_a2': read from the left, her file is Bob's (202)
    z = _zip(tmp_path / "canvas.zip", [("x_202_99999999_a2_101_5001_fx.ipynb", b"alice"),
                                       ("smithbob_202_5002_fx.ipynb", b"bob")])
    code, out = run(course, z, roster=roster)
    assert code == 1 and "AMBIGUOUS" in out
    assert submitted(course, "bob") == b"bob" and submitted(course, "alice") is None
    assert kept(course)["_unmatched/x_202_99999999_a2_101_5001_fx.ipynb"] == b"alice"


def test_a_canvas_name_in_the_students_filename_cannot_move_it(course, roster, tmp_path):
    z = _zip(tmp_path / "canvas.zip", [("jonesalice_101_5001_smithbob_202_9999_fx.ipynb", b"alice")])
    run(course, z, roster=roster)
    assert submitted(course, "alice") == b"alice" and submitted(course, "bob") is None


def test_in_a_folder_source_the_folder_decides_the_owner(course, roster, tmp_path):
    src = tmp_path / "folders"
    (src / "alice").mkdir(parents=True)
    (src / "alice" / "smithbob_202_5001_fx.ipynb").write_bytes(b"alice")
    run(course, src, roster=roster)
    assert submitted(course, "alice") == b"alice" and submitted(course, "bob") is None
    (src / "bob").mkdir()
    (src / "bob" / "fx.ipynb").write_bytes(b"bob")
    code, out = run(course, src, roster=roster)  # was: TypeError comparing datetime and int
    assert "error" not in out.lower().split("result")[0]
    assert submitted(course, "alice") == b"alice" and submitted(course, "bob") == b"bob"


# ----------------------------------------------------------------- links


def test_links_in_a_folder_source_are_never_followed(course, roster, tmp_path):
    secret = tmp_path / "solution.ipynb"
    secret.write_bytes(b"the solution")
    os.chmod(secret, 0o600)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "fx.ipynb").write_bytes(b"carol?")
    src = tmp_path / "folders"
    (src / "alice").mkdir(parents=True)
    (src / "alice" / "fx.ipynb").symlink_to(secret)
    (src / "bob").mkdir()
    (src / "bob" / "fx.ipynb").write_bytes(b"bob")
    (src / "carol").symlink_to(elsewhere, target_is_directory=True)
    code, out = run(course, src)
    assert code == 1 and out.count("LINK") >= 2 and "carol" in out
    assert submitted(course, "bob") == b"bob" and submitted(course, "alice") is None
    assert b"the solution" not in [p.read_bytes() for p in all_files(course.root)]
    assert not (course.root / "submitted" / "carol").exists()


# ----------------------------------------------------------------- times and versions


def _put(path, data, when):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, (when, when))


def test_a_future_time_is_clamped_and_flagged(course, tmp_path):
    nb = tmp_path / "folders" / "alice" / "fx.ipynb"
    _put(nb, b"first", 4_070_908_800)  # 2099-01-01
    code, out = run(course, nb.parent.parent)
    assert "FUTURE" in out
    stamp = (course.dir("submitted", "alice", "fx") / "timestamp.txt").read_text()
    assert stamp < "2099"
    _put(nb, b"resubmitted", time.time() + 5)  # the real resubmission, later than the first collect
    code, out = run(course, nb.parent.parent)
    assert submitted(course, "alice") == b"resubmitted" and "IGNORED" not in out


def test_an_older_canvas_download_never_replaces_a_newer_attachment(course, roster, tmp_path):
    newer = _zip(tmp_path / "newer.zip", [("jonesalice_101_5002_fx.ipynb", b"second")])
    older = _zip(tmp_path / "older.zip", [("jonesalice_101_5001_fx.ipynb", b"first")])
    run(course, newer, roster=roster)
    code, out = run(course, older, roster=roster)
    assert submitted(course, "alice") == b"second" and "IGNORED" in out and code == 1
    assert b"first" in kept(course).values()


def test_backups_of_replaced_versions_are_unique_and_never_deleted(course, tmp_path):
    nb = tmp_path / "folders" / "alice" / "fx.ipynb"
    now = time.time()
    for i, data in enumerate([b"v1", b"v2", b"v3", b"v4"]):
        _put(nb, data, int(now) - 100 + i / 10)  # four versions within one second
        run(course, nb.parent.parent)
    backups = sorted(p.read_bytes() for p in (course.root / "submitted" / ".superseded").rglob("fx.ipynb"))
    assert backups == [b"v1", b"v2", b"v3"] and submitted(course, "alice") == b"v4"


# ----------------------------------------------------------------- student ids


@pytest.mark.parametrize("sid", ["..", ".", "-_-"])
def test_a_roster_id_without_a_letter_or_digit_is_refused(course, tmp_path, sid):
    roster = tmp_path / "roster.csv"
    roster.write_text(f"id,first_name,last_name\nalice,Alice,Jones\n{sid},Dot,Dot\n")
    src = tmp_path / "folders" / "alice"
    src.mkdir(parents=True)
    (src / "fx.ipynb").write_bytes(b"alice")
    code, out = run(course, src.parent, roster=roster)
    assert code == 2 and "letter or digit" in out and len(out.strip().splitlines()) == 1
    assert not (course.root / "submitted").exists()


def test_a_folder_without_a_letter_or_digit_is_not_a_student(course, tmp_path):
    src = tmp_path / "folders" / "___"
    src.mkdir(parents=True)
    (src / "fx.ipynb").write_bytes(b"who")
    code, out = run(course, src.parent)
    assert code == 1 and not (course.root / "submitted" / "___").exists()
