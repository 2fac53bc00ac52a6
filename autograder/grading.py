"""Grade a class: intake, nbgrader autograde per student, scores from the gradebook.

    results = grade_class(get_assignment("a1"), Path("submissions"), Path("out"))

Layout of the output folder:

    out/grades.csv               one row per student (see reports.write_grades_csv)
    out/feedback/<student>.html  what each student sees: every lost point and why
    out/nbgrader/                the nbgrader course used: gradebook.db (SQLite), submitted/,
                                 autograded/ (the executed notebooks), feedback/
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from tqdm import tqdm

from autograder.course import Assignment
from autograder.intake import Submission, collect
from autograder.nbgrader_course import Course

GRADED = "graded"
NOT_GRADED = "not graded"


@dataclass
class StudentResult:
    student: str
    status: str
    scores: dict[str, float]                 # grade_id -> points earned
    lost: dict[str, str] = field(default_factory=dict)  # grade_id -> why points were lost
    reason: str = ""                         # why the whole submission was not graded

    @property
    def total(self) -> float:
        return sum(self.scores.values())


@dataclass
class GradingOptions:
    cell_timeout: int = 60           # seconds one cell may run
    notebook_timeout: int = 600      # seconds the whole notebook may run
    progress: bool = True


def _cell_failure(cell) -> str:
    """A one-line reason from a test cell's outputs: the error, or what it wrote to stderr."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            if output.get("ename") == "NotImplementedError":
                return "not implemented (the YOUR CODE HERE stub raised NotImplementedError)"
            evalue = (output.get("evalue") or "").strip()
            lines = [ln for ln in evalue.splitlines() if ln.strip()]
            detail = " ".join(ln.strip() for ln in lines[:3])
            text = f"{output.get('ename', 'Error')}: {detail}" if detail else output.get(
                "ename", "Error")
            return text[:300]
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream" and output.get("name") == "stderr":
            return "the test wrote to stderr: " + "".join(output.get("text", "")).strip()[:200]
    return "the test did not pass"


def _why_lost(autograded: Path, parts: dict[str, float], scores: dict[str, float]) -> dict:
    lost = {gid: "" for gid, pts in parts.items() if scores.get(gid, 0) < pts}
    if not lost:
        return lost
    try:
        nb = nbformat.read(autograded, as_version=4)
    except Exception:  # the autograded notebook is ours, but be robust
        return {gid: "the test did not pass" for gid in lost}
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in lost:
            lost[gid] = _cell_failure(cell)
    return {gid: why or "the test cell did not run" for gid, why in lost.items()}


def _nbgrader_failure(result: dict) -> str:
    """The most telling line of a failed nbgrader run: the exception that stopped it."""
    lines = [ln.strip() for ln in (result.get("log", "") + "\n" + result.get("error", ""))
             .splitlines() if ln.strip()]
    exceptions = [ln for ln in lines if re.match(r"^[A-Za-z_.]*(Error|Exception|Exit)\b", ln)
                  and "Please see the" not in ln]
    errors = [ln for ln in lines if ln.startswith("[ERROR]") and "Please see the" not in ln]
    return ((exceptions or errors or lines or ["no log"])[0])[:300]


def _autograde_one(course: Course, sub: Submission) -> str | None:
    """Autograde one submission; return why it could not be graded, or None."""
    dest = course.submitted_dir(sub.student)
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    shutil.copyfile(sub.notebook, dest / course.assignment.notebook_name)
    result = course.autograde(sub.student)
    if not result.get("success") or not course.autograded_notebook(sub.student).is_file():
        return "nbgrader could not grade the notebook: " + _nbgrader_failure(result)
    return None


def _scores_from_gradebook(course: Course, student: str,
                           parts: dict[str, float]) -> dict[str, float]:
    name = course.assignment.name
    with Gradebook(course.db_url) as gb:
        scores = {}
        for gid in parts:
            try:
                scores[gid] = float(gb.find_grade(gid, name, name, student).score or 0.0)
            except MissingEntry:
                scores[gid] = 0.0
        return scores


def grade_class(assignment: Assignment, submissions_dir: Path, out: Path,
                options: GradingOptions | None = None) -> list[StudentResult]:
    """Grade every student folder in `submissions_dir`; write everything under `out`."""
    from autograder.reports import write_feedback, write_grades_csv

    options = options or GradingOptions()
    parts = {p.grade_id: p.points for p in assignment.graded_parts()}
    course = Course(out / "nbgrader", assignment, cell_timeout=options.cell_timeout)
    course.generate_release()  # records every source cell in the gradebook, hidden tests too

    submissions = collect(submissions_dir, assignment)
    results: list[StudentResult] = []
    bar = tqdm(submissions, desc=f"grading {assignment.name}", unit="student",
               disable=not options.progress)
    for sub in bar:
        bar.set_postfix_str(sub.student)
        problem = sub.problem or _autograde_one(course, sub)
        if problem:
            results.append(StudentResult(sub.student, NOT_GRADED, {g: 0.0 for g in parts},
                                         reason=problem))
            continue
        scores = _scores_from_gradebook(course, sub.student, parts)
        results.append(StudentResult(sub.student, GRADED, scores, lost=_why_lost(
            course.autograded_notebook(sub.student), parts, scores)))

    if any(r.status == GRADED for r in results):
        course.generate_feedback()
    write_feedback(assignment, results, course, out / "feedback")
    write_grades_csv(assignment, results, out / "grades.csv")
    return results
