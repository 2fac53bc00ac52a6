"""Grade a class: intake, sandboxed execution, scores in nbgrader's gradebook, reports.

    results = grade_class(get_assignment("a1"), Path("submissions"), Path("out"))

For each student: the notebook is checked (intake.py), rebuilt from the assignment's source with
the student's answers, and executed (execute.py): the student's code in a sandboxed worker
process under limits, the tests in a grader process of its own. Submissions run in parallel,
one grader process per core. nbgrader then records the scores in its gradebook and writes the
feedback pages.

Layout of the output folder:

    out/grades.csv               one row per student (see reports.write_grades_csv)
    out/summary.html             the class report: score distributions, limits hit, failures
    out/feedback/<student>.html  what each student sees: every lost point and why
    out/submissions/<student>/   each student's notebook as submitted (nothing is lost)
    out/nbgrader/                the nbgrader course: gradebook.db (SQLite), autograded/, ...
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from tqdm import tqdm

from autograder.course import Assignment, get_assignment
from autograder.execute import Execution, execute_submission
from autograder.intake import Submission, collect
from autograder.nbgrader_course import Course
from autograder.sandbox import Limits, can_isolate

GRADED = "graded"
NOT_GRADED = "not graded"


@dataclass
class StudentResult:
    student: str
    status: str
    scores: dict[str, float]                 # grade_id -> points earned
    lost: dict[str, str] = field(default_factory=dict)  # grade_id -> why points were lost
    reason: str = ""                         # why the whole submission was not graded
    limits: list[str] = field(default_factory=list)     # limits the submission hit
    seconds: float = 0.0

    @property
    def total(self) -> float:
        return sum(self.scores.values())


@dataclass
class GradingOptions:
    limits: Limits = field(default_factory=Limits)
    jobs: int = 0                    # parallel submissions; 0 = one per core
    progress: bool = True


def _execute(assignment_name: str, notebook: str, limits: Limits,
             hide: list[str]) -> Execution:
    """Runs in a pool process: one submission, from reading its notebook to its verdicts."""
    nb = nbformat.read(notebook, as_version=4)
    return execute_submission(get_assignment(assignment_name), nb, limits,
                              hide=[Path(p) for p in hide])


def _scores_from_gradebook(course: Course, student: str,
                           parts: dict[str, float]) -> dict[str, float]:
    from nbgrader.api import Gradebook, MissingEntry

    name = course.assignment.name
    with Gradebook(course.db_url) as gb:
        scores = {}
        for gid in parts:
            try:
                scores[gid] = float(gb.find_grade(gid, name, name, student).score or 0.0)
            except MissingEntry:
                scores[gid] = 0.0
        return scores


def _record(course: Course, sub: Submission, execution: Execution,
            parts: dict[str, float]) -> StudentResult:
    """Hand the executed notebook to nbgrader, which scores it into the gradebook."""
    dest = course.submitted_dir(sub.student)
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    nbformat.write(execution.notebook, dest / course.assignment.notebook_name)
    outcome = course.autograde(sub.student)
    if not outcome.get("success"):
        log = (outcome.get("log", "") + outcome.get("error", "")).strip().splitlines()
        return StudentResult(sub.student, NOT_GRADED, {g: 0.0 for g in parts},
                             reason="nbgrader could not record the grades: "
                                    + (log[-1] if log else "no log")[:300])
    scores = _scores_from_gradebook(course, sub.student, parts)
    lost = {}
    for gid, pts in parts.items():
        if scores.get(gid, 0.0) < pts:
            part = execution.parts.get(gid)
            why = part.reason if part and part.reason else "the test did not run"
            if why.startswith("NotImplementedError"):
                why = "not implemented (the YOUR CODE HERE stub raised NotImplementedError)"
            lost[gid] = why
    return StudentResult(sub.student, GRADED, scores, lost=lost,
                         limits=list(execution.limits_hit), seconds=execution.seconds)


def grade_class(assignment: Assignment, submissions_dir: Path, out: Path,
                options: GradingOptions | None = None) -> list[StudentResult]:
    """Grade every student folder in `submissions_dir`; write everything under `out`."""
    from autograder.reports import write_class_summary, write_feedback, write_grades_csv

    options = options or GradingOptions()
    parts = {p.grade_id: p.points for p in assignment.graded_parts()}
    course = Course(out / "nbgrader", assignment)
    course.generate_release()  # records every source cell in the gradebook, hidden tests too

    submissions = collect(submissions_dir, assignment)
    kept = out / "submissions"
    for sub in submissions:
        if sub.notebook is not None:
            (kept / sub.student).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(sub.notebook, kept / sub.student / sub.notebook.name)

    results: dict[str, StudentResult] = {}
    for sub in submissions:
        if not sub.gradable:
            results[sub.student] = StudentResult(sub.student, NOT_GRADED,
                                                 {g: 0.0 for g in parts}, reason=sub.problem)
    gradable = [s for s in submissions if s.gradable]
    hide = [str(submissions_dir.resolve()), str(out.resolve())]
    jobs = options.jobs or os.cpu_count() or 1
    bar = tqdm(total=len(submissions), desc=f"grading {assignment.name}", unit="student",
               disable=not options.progress)
    bar.update(len(submissions) - len(gradable))

    def run(subs: list[Submission], workers: int) -> list[Submission]:
        """Grade `subs` in a pool; returns those lost to a crash of a pool process."""
        lost = []
        with ProcessPoolExecutor(max_workers=max(1, min(workers, len(subs) or 1)),
                                 mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = {pool.submit(_execute, assignment.name, str(sub.notebook),
                                   options.limits, hide): sub
                       for sub in subs}
            for future in as_completed(futures):
                sub = futures[future]
                bar.set_postfix_str(sub.student)
                try:
                    results[sub.student] = _record(course, sub, future.result(), parts)
                except BrokenProcessPool:
                    lost.append(sub)
                    continue
                except Exception as exc:  # a grader bug must not cost the rest of the class
                    results[sub.student] = StudentResult(
                        sub.student, NOT_GRADED, {g: 0.0 for g in parts},
                        reason=f"internal grading error ({type(exc).__name__}: {exc}); "
                               "please report it")
                bar.update(1)
        return lost

    # A crash of the grader's own side (e.g. a segfault in a test) breaks the whole pool: the
    # submissions it took down are graded again one at a time, so it costs one student only.
    for sub in run(gradable, jobs):
        for crashed in run([sub], 1):
            results[crashed.student] = StudentResult(
                crashed.student, NOT_GRADED, {g: 0.0 for g in parts},
                reason="internal grading error: the grader's own process crashed while "
                       "running the tests on this submission; please report it")
            bar.update(1)
    bar.close()

    ordered = [results[s.student] for s in submissions]
    if any(r.status == GRADED for r in ordered):
        course.generate_feedback()
    write_feedback(assignment, ordered, course, out / "feedback")
    write_grades_csv(assignment, ordered, out / "grades.csv")
    write_class_summary(assignment, ordered, out / "summary.html", isolated=can_isolate())
    return ordered
