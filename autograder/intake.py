"""Find each student's notebook in a folder of submissions and check it can be graded.

A submissions folder holds one sub-folder per student, named by the student's id, containing
the assignment's notebook (``a1.ipynb``). Anything that keeps a notebook from being graded
(missing, renamed, not UTF-8, not JSON, not a notebook, another assignment's notebook) is
recorded as a reason, so that student gets 0 with that reason and everyone else is graded.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder.course import Assignment

_STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,99}$")
MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024


@dataclass
class Submission:
    student: str
    folder: Path
    notebook: Path | None = None
    problem: str | None = None  # why it cannot be graded; None when it can

    @property
    def gradable(self) -> bool:
        return self.problem is None


def _graded_cell_ids(nb: nbformat.NotebookNode) -> set[str]:
    ids = set()
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade_id") and (meta.get("grade") or meta.get("solution")):
            ids.add(meta["grade_id"])
    return ids


def check_notebook(path: Path, assignment: Assignment,
                   expected_ids: set[str] | None = None) -> str | None:
    """Return why `path` cannot be graded as `assignment`, or None if it can."""
    size = path.stat().st_size
    if size == 0:
        return f"{path.name} is empty (0 bytes)"
    if size > MAX_NOTEBOOK_BYTES:
        return (f"{path.name} is {size / 2**20:.1f} MiB, larger than the "
                f"{MAX_NOTEBOOK_BYTES // 2**20} MiB a notebook may be: clear its outputs")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return (f"{path.name} is not UTF-8 text (byte {exc.start}): it is not a notebook, "
                "or it was saved in another encoding")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return f"{path.name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
    if not isinstance(data, dict) or "cells" not in data:
        return f"{path.name} is JSON but not a Jupyter notebook (no 'cells')"
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # nbformat raises several unrelated types
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"{path.name} is not a valid notebook: {first[:200]}"
    if expected_ids is None:
        expected_ids = _graded_cell_ids(assignment.read_source())
    found = _graded_cell_ids(nb)
    if not found & expected_ids:
        if found:
            return (f"{path.name} is not {assignment.name}: none of its graded cells belong to "
                    f"{assignment.name} (it has {', '.join(sorted(found)[:4])}): "
                    "is it another assignment's notebook?")
        return (f"{path.name} has none of {assignment.name}'s graded cells: start from the "
                "released notebook, and do not copy your code into a new notebook")
    return None


def collect(submissions_dir: Path, assignment: Assignment,
            check: bool = True) -> list[Submission]:
    """One Submission per student folder, sorted by student id.

    check=False only finds each notebook; the grading command checks it on the worker that
    grades it (check_notebook), so the coordinator does not read every notebook twice.
    """
    expected_ids = _graded_cell_ids(assignment.read_source())
    wanted = assignment.notebook_name
    submissions = []
    for folder in sorted(p for p in submissions_dir.iterdir() if p.is_dir()
                         and not p.name.startswith((".", "_"))):
        sub = Submission(student=folder.name, folder=folder)
        submissions.append(sub)
        if not _STUDENT_ID.match(folder.name):
            sub.problem = (f"folder name {folder.name!r} is not a usable student id "
                           "(letters, digits and _.@+- only)")
            continue
        candidates = [folder / wanted, folder / assignment.name / wanted]
        notebook = next((p for p in candidates if p.is_file() and not p.is_symlink()), None)
        if notebook is None:
            others = sorted(str(p.relative_to(folder)) for p in folder.rglob("*.ipynb")
                            if ".ipynb_checkpoints" not in p.parts)
            if others:
                sub.problem = (f"{wanted} not found; found {', '.join(others[:3])} instead: "
                               f"a renamed notebook is not graded, submit it as {wanted}")
            else:
                sub.problem = f"no notebook: {wanted} not found in the submission"
            continue
        sub.notebook = notebook
        if check:
            sub.problem = check_notebook(notebook, assignment, expected_ids)
    return submissions


# Canvas-style names: "<student>_<numbers>_..._<file>"; "LATE" may follow the student id.
DEFAULT_ZIP_PATTERN = r"^(?P<student_id>[A-Za-z0-9.@+-]+?)_(?:LATE_|late_)?(?:\d+_)*(?P<file_id>[^/]+)$"
MAX_ZIP_MEMBERS = 10_000


def unpack_zip(archive: Path, dest: Path, assignment: Assignment,
               pattern: str = DEFAULT_ZIP_PATTERN) -> list[str]:
    """Unpack an LMS bulk download into one folder per student; return warnings.

    Only notebooks are taken, by their base name (paths inside the archive are ignored, so
    nothing can be written outside `dest`); the student id comes from the file name, as
    nbgrader's zip_collect reads it. An LMS-renamed copy ("a1-1.ipynb", "a1 (2).ipynb") is
    taken as the assignment's notebook.
    """
    import zipfile

    regex = re.compile(pattern)
    if "student_id" not in regex.groupindex:
        raise ValueError("the file-name pattern needs a (?P<student_id>...) group")
    lms_copy = re.compile(rf"^{re.escape(assignment.name)}(?:[-_ ]?\(?\d+\)?)?\.ipynb$")
    warnings: list[str] = []
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ValueError(f"{archive} is not a readable zip archive: {exc}") from None
    with zf:
        members = [m for m in zf.infolist() if not m.is_dir()]
        if len(members) > MAX_ZIP_MEMBERS:
            raise ValueError(f"{archive} holds {len(members)} files; at most "
                             f"{MAX_ZIP_MEMBERS} are unpacked")
        for member in members:
            base = member.filename.replace("\\", "/").rsplit("/", 1)[-1]
            if not base.endswith(".ipynb") or member.filename.startswith("__MACOSX"):
                continue
            match = regex.match(base)
            if not match or not _STUDENT_ID.match(match.group("student_id")):
                warnings.append(f"{member.filename}: no student id in the file name; skipped")
                continue
            student = match.group("student_id")
            name = match.groupdict().get("file_id") or base
            if lms_copy.match(name):
                name = assignment.notebook_name
            folder = dest / student
            folder.mkdir(parents=True, exist_ok=True)
            with zf.open(member) as src:
                data = src.read(MAX_NOTEBOOK_BYTES + 1)   # a zip bomb stops here
            (folder / name).write_bytes(data)
    if not dest.exists() or not any(dest.iterdir()):
        warnings.append(f"{archive} holds no notebook whose name carries a student id")
    return warnings
