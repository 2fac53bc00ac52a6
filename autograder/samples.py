"""Sample submissions built from an assignment's source: the reference solution with edits.

    python -m autograder samples a1 DIR     # DIR/{complete,partial,untouched}/a1.ipynb

Instructors use the samples to try the grading command; the test suite uses the same functions
to express every wrong submission as the mistake a student makes (tests/submissions/aN.py).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder.course import get_assignment

SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


@dataclass(frozen=True)
class Edit:
    """Replace `old` by `new` in the reference code of answer cell `cell` (`old` must occur)."""

    cell: str
    old: str
    new: str


@dataclass(frozen=True)
class Stub:
    """Leave answer cell `cell` as released: `# YOUR CODE HERE` / NotImplementedError."""

    cell: str


def reference_code(assignment: str) -> dict[str, str]:
    """The reference solution of every answer cell, solution markers removed."""
    nb = get_assignment(assignment).read_source()
    code = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            lines = [ln for ln in cell.source.splitlines()
                     if ln.strip() not in SOLUTION_MARKERS]
            code[meta["grade_id"]] = "\n".join(lines)
    return code


def release_notebook(assignment: str) -> nbformat.NotebookNode:
    a = get_assignment(assignment)
    return nbformat.read(a.release_dir / a.notebook_name, as_version=4)


def make_submission(assignment: str, edits: Iterable = ()) -> nbformat.NotebookNode:
    """The release notebook with every answer filled in from the reference, then `edits`."""
    nb = copy.deepcopy(release_notebook(assignment))
    code = reference_code(assignment)
    stubs = {e.cell for e in edits if isinstance(e, Stub)}
    by_id = {}
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in code:
            by_id[gid] = cell
            if gid not in stubs:
                cell.source = code[gid]
    for edit in edits:
        if edit.cell not in by_id:
            raise KeyError(f"no answer cell {edit.cell!r} in {assignment} (have {sorted(by_id)})")
        if isinstance(edit, Edit):
            cell = by_id[edit.cell]
            if edit.old not in cell.source:
                raise ValueError(f"{edit.old!r} not found in the reference code of {edit.cell!r}")
            cell.source = cell.source.replace(edit.old, edit.new)
    return nb


def write_samples(assignment: str, dest: Path) -> list[Path]:
    """Three submissions: complete (reference), partial (first half of the answers), untouched."""
    answers = list(reference_code(assignment))
    half = tuple(Stub(gid) for gid in answers[len(answers) // 2:])
    a = get_assignment(assignment)
    written = []
    for student, nb in [("complete", make_submission(assignment)),
                        ("partial", make_submission(assignment, half)),
                        ("untouched", release_notebook(assignment))]:
        folder = dest / student
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, folder / a.notebook_name)
        written.append(folder / a.notebook_name)
    return written
