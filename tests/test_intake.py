"""An LMS bulk download (a zip whose file names carry student ids) is graded like folders."""

import io
import zipfile
from pathlib import Path

import nbformat

from autograder.course import get_assignment
from autograder.intake import unpack_zip
from tests.harness import Stub, make_submission, read_grades, run_grader


def _bytes(nb) -> bytes:
    return nbformat.writes(nb).encode()


def _lms_zip(path):
    full, partial = make_submission("a1"), make_submission("a1", (Stub("value_class"),))
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("alice_1234_5678_a1.ipynb", _bytes(full))
        zf.writestr("submissions/bob_LATE_4321_8765_a1-1.ipynb", _bytes(partial))
        zf.writestr("carol_99_100_my notes.ipynb", _bytes(full))
        zf.writestr("../../dave_5_6_a1.ipynb", _bytes(partial))     # a path that climbs out
        zf.writestr("README.txt", b"not a notebook")
        zf.writestr("no-id.ipynb", _bytes(full))


def test_zip_is_graded_per_student(tmp_path):
    archive = tmp_path / "canvas.zip"
    _lms_zip(archive)
    out = tmp_path / "out"
    # Started in tmp_path with relative paths, as the README's examples are.
    proc = run_grader("a1", Path(archive.name), Path(out.name), cwd=tmp_path)
    rows = read_grades(out / "grades.csv")
    assert sorted(rows) == ["alice", "bob", "carol", "dave"]
    assert rows["alice"]["score"] == "20"
    assert rows["bob"]["score"] == "9"
    assert rows["dave"]["score"] == "9"
    assert rows["carol"]["status"] == "not graded"
    assert "found my notes.ipynb instead" in rows["carol"]["reason"]
    assert "no-id.ipynb: no student id" in proc.stderr
    assert not (tmp_path / "dave").exists() and not (tmp_path.parent / "dave").exists()


def test_unpack_refuses_a_non_zip_and_caps_member_size(tmp_path):
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"not a zip")
    try:
        unpack_zip(bad, tmp_path / "dest", get_assignment("a1"))
    except ValueError as exc:
        assert "not a readable zip" in str(exc)
    else:
        raise AssertionError("a non-zip was accepted")
    huge = tmp_path / "huge.zip"
    with zipfile.ZipFile(huge, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("eve_1_2_a1.ipynb", io.BytesIO(b" " * (30 * 2**20)).getvalue())
    unpack_zip(huge, tmp_path / "dest2", get_assignment("a1"))
    written = (tmp_path / "dest2" / "eve" / "a1.ipynb").stat().st_size
    assert written <= 20 * 2**20 + 1
