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


def collect(submissions_dir: Path, assignment: Assignment) -> list[Submission]:
    """One Submission per student folder, sorted by student id."""
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
        sub.problem = check_notebook(notebook, assignment, expected_ids)
    return submissions
