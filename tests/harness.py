"""Build student submissions from an assignment's source and grade them with the real command.

A wrong submission is written as a list of edits of the reference solution, so every case in
tests/submissions/aN.py reads as the mistake a student makes:

    Case("transposed_dw", "dw computed as dout.T @ x",
         edits=(Edit("affine", "dw = x2.T @ dout", "dw = (dout.T @ x2)"),),
         expected=14, lost=("test_affine_backward",))

``write_class`` writes the reference solution, the untouched release and every case as one class;
tests/test_differential.py grades it in ONE run of ``python -m autograder grade`` (and once with
stock nbgrader), and ``check_class`` checks each score against what the case says.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder.course import REPO_ROOT, get_assignment
from autograder.samples import Edit, Stub, make_submission, reference_code, release_notebook

__all__ = ["Case", "Edit", "Stub", "cell_after", "check_class", "make_submission", "read_grades",
           "reference_code", "release_notebook", "run_grader", "save_report", "write_class"]

REPORTS = REPO_ROOT / "_build" / "test-reports"


def save_report(name: str, text: str) -> Path:
    """Keep a table the suite measured (scores, verdicts) in _build/test-reports/NAME.txt, so
    that `make test` leaves it for a reader without -s; returns the file's path."""
    REPORTS.mkdir(parents=True, exist_ok=True)
    path = REPORTS / f"{name}.txt"
    path.write_text(text + "\n", encoding="utf-8")
    return path


@dataclass(frozen=True)
class Case:
    """A submission (edits of the reference solution) and the score it must get."""

    name: str
    description: str
    edits: tuple = ()
    expected: float = 0.0
    lost: tuple[str, ...] | None = None   # graded cells that must score 0 (None: not checked)
    raw: Callable[[Path], None] | None = field(default=None, compare=False)
    # raw: writes the student's folder itself (missing, renamed or malformed notebooks)


def cell_after(assignment: str, given: str, code: str,
               edits: Iterable = ()) -> Callable[[Path], None]:
    """A `Case.raw` writer: the reference (with `edits`) plus a code cell of the student's own
    right after the given cell `given`, e.g. one that redefines a given training loop."""
    def write(folder: Path) -> None:
        nb = make_submission(assignment, edits)
        at = next(i for i, c in enumerate(nb.cells)
                  if c.metadata.get("nbgrader", {}).get("grade_id") == given)
        nb.cells.insert(at + 1, nbformat.v4.new_code_cell(code))
        nbformat.write(nb, folder / get_assignment(assignment).notebook_name)
    return write


def run_grader(assignment: str, submissions: Path, out: Path, *extra: str,
               timeout: float = 1800, prefix: Sequence[str] = (),
               env: dict[str, str] | None = None,
               python: str = sys.executable,
               cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess:
    """Run the real grading command; fail the test with its output if it does not exit 0.

    prefix: a command that runs it (e.g. setpriv to another user); env: its environment;
    python: the interpreter (the prefix may make it reachable under another path); cwd: the
    folder it starts in (relative paths are relative to it).
    """
    proc = subprocess.run([*prefix, python, "-m", "autograder", "grade", assignment,
                           str(submissions), "--out", str(out), "--no-progress", *extra],
                          cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env=env)
    assert proc.returncode == 0, f"grading command failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


def read_grades(path: Path) -> dict[str, dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return {row["student_id"]: row for row in csv.DictReader(fh)}


def write_class(assignment: str, cases: Iterable[Case], submissions: Path) -> list[str]:
    """One folder per student: the reference solution, the untouched release, every case.

    Returns the student names in that order.
    """
    a = get_assignment(assignment)
    for name, nb in [("solution", make_submission(assignment)),
                     ("release", release_notebook(assignment))]:
        (submissions / name).mkdir(parents=True)
        nbformat.write(nb, submissions / name / a.notebook_name)
    names = ["solution", "release"]
    for case in cases:
        folder = submissions / case.name
        folder.mkdir(parents=True)
        if case.raw is not None:
            case.raw(folder)
        else:
            nbformat.write(make_submission(assignment, case.edits), folder / a.notebook_name)
        names.append(case.name)
    return names


def check_class(assignment: str, cases: Iterable[Case], rows: dict[str, dict],
                out: Path) -> list[str]:
    """What is wrong with the grading command's results for write_class's class ([] if nothing).

    Checks full marks for the solution, zero for the release, each case's exact score and lost
    parts, a reason wherever points were lost, and a feedback page for everyone.
    """
    a = get_assignment(assignment)
    parts = [p.grade_id for p in a.graded_parts()]
    cases = list(cases)
    problems = []
    solution = rows["solution"]
    if float(solution["score"]) != a.max_score:
        problems.append(f"solution scored {solution['score']}/{a.max_score:g}: {solution['reason']}")
    release = rows["release"]
    nonzero = [p for p in parts if float(release[p]) != 0]
    if float(release["score"]) != 0 or nonzero:
        problems.append(f"untouched release scored {release['score']} (parts {nonzero})")
    for case in cases:
        row = rows[case.name]
        got = float(row["score"])
        if got != case.expected:
            problems.append(f"{case.name}: scored {got:g}, expected {case.expected:g} "
                            f"({case.description}); reason: {row['reason']}")
        if case.lost is not None:
            lost = {p for p in parts if float(row[p]) == 0}
            if lost != set(case.lost):
                problems.append(f"{case.name}: lost {sorted(lost)}, expected {sorted(case.lost)}")
        if not row["reason"] and got < a.max_score:
            problems.append(f"{case.name}: lost points but grades.csv gives no reason")
    for name in ("solution", "release", *[c.name for c in cases]):
        if not (out / "feedback" / f"{name}.html").is_file():
            problems.append(f"no feedback page for {name}")
    return problems

