"""Grade a class: intake, sandboxed execution, scores in nbgrader's gradebook, reports.

    results = grade_class(get_assignment("a1"), Path("submissions"), Path("out"))

For each student: the notebook is checked (intake.py), rebuilt from the assignment's source with
the student's answers, and executed (execute.py): the student's code in a sandboxed worker
process under limits, the tests in a grader process of its own. Submissions run in parallel,
one grader process per core. nbgrader then records the scores in its gradebook and writes the
feedback pages.

A grader process grades one submission at a time, so when one dies (a segfault in a test or in
NumPy on the grader's side), the submission it was grading is known: that student gets "not
graded", with the signal, a fresh grader process takes its place, and the class run goes on.

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
import signal
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path

import nbformat
from tqdm import tqdm

from autograder.course import Assignment, get_assignment
from autograder.execute import Execution, execute_submission
from autograder.intake import Submission, collect
from autograder.nbgrader_course import Course
from autograder.sandbox import Limits, check_sandbox

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
    visible: dict[str, str] = field(default_factory=dict)  # grade_id -> "" when the visible
    # tests passed, else why (what `check` says); absent when they did not run

    @property
    def total(self) -> float:
        return sum(self.scores.values())


@dataclass
class GradingOptions:
    limits: Limits = field(default_factory=Limits)
    jobs: int = 0                    # parallel submissions; 0 = one per core
    progress: bool = True


CRASH_FOR_TESTS = "BBH_CRASH_ON_STUDENT"
"""Fault injection for the test suite only: a grader process that is about to grade the student
named in this environment variable kills itself with SIGSEGV, as a crash in a test would."""


def _execute(assignment_name: str, notebook: str, limits: Limits,
             hide: list[str]) -> Execution:
    """Runs in a grader process: one submission, from reading its notebook to its verdicts."""
    nb = nbformat.read(notebook, as_version=4)
    return execute_submission(get_assignment(assignment_name), nb, limits,
                              hide=[Path(p) for p in hide])


def _serve(conn) -> None:
    """A grader process: grade the submissions sent on `conn`, one at a time, until None."""
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        student, args = task
        if os.environ.get(CRASH_FOR_TESTS) == student:
            os.kill(os.getpid(), signal.SIGSEGV)
        try:
            reply = ("ok", _execute(*args))
        except Exception as exc:  # a grader bug: reported for this student only
            reply = ("error", f"{type(exc).__name__}: {exc}")
        conn.send(reply)


class _GraderProcess:
    """The parent's end of one grader process, and the student it is grading (if any)."""

    def __init__(self, context) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child,), daemon=True)
        self.process.start()
        child.close()
        self.student: str | None = None

    def give(self, student: str, args: tuple) -> None:
        self.student = student
        self.conn.send((student, args))

    def death(self) -> str:
        """Why the process ended, once it has (for the student's reason)."""
        self.process.join(timeout=10)
        code = self.process.exitcode
        if code is not None and code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = "unknown signal"
            how = f"signal {-code}, {name}"
        else:
            how = f"exit code {code}"
        return (f"the grader crashed while grading this submission ({how}); the other "
                "submissions were graded. Please report it")

    def close(self) -> None:
        try:
            self.conn.send(None)
        except (OSError, ValueError):
            pass
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


def _run_graders(tasks: list[tuple[str, tuple]], jobs: int, done) -> None:
    """Grade `tasks` ((student, args of _execute)) on `jobs` grader processes.

    Calls ``done(student, status, value)`` for each: ("ok", Execution), ("error", message) for
    an exception in the grader, or ("crashed", reason) when the grader process died.
    """
    context = multiprocessing.get_context("spawn")
    pending = deque(tasks)
    idle: list[_GraderProcess] = []
    busy: list[_GraderProcess] = []
    try:
        while pending or busy:
            while pending and len(busy) < jobs:
                grader = idle.pop() if idle else _GraderProcess(context)
                grader.give(*pending.popleft())
                busy.append(grader)
            ready = wait([g.conn for g in busy] + [g.process.sentinel for g in busy])
            for grader in [g for g in busy if g.conn in ready or g.process.sentinel in ready]:
                busy.remove(grader)
                student = grader.student
                try:
                    status, value = grader.conn.recv()
                except (EOFError, OSError):   # the process died before it could answer
                    status, value = "crashed", grader.death()
                    grader.conn.close()
                else:
                    idle.append(grader)
                grader.student = None
                done(student, status, value)
    finally:
        for grader in idle + busy:
            grader.close()


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
    visible = {gid: part.visible_reason for gid, part in execution.parts.items()
               if part.visible_passed is not None}
    return StudentResult(sub.student, GRADED, scores, lost=lost,
                         limits=list(execution.limits_hit), seconds=execution.seconds,
                         visible=visible)


def grade_class(assignment: Assignment, submissions_dir: Path, out: Path,
                options: GradingOptions | None = None) -> list[StudentResult]:
    """Grade every student folder in `submissions_dir`; write everything under `out`.

    Raises SandboxUnavailable, before running any student code, where the sandbox cannot be set
    up and options.limits.sandbox is True (the default; False is the --no-sandbox flag).
    """
    from autograder.reports import (
        write_class_summary,
        write_feedback,
        write_grades_csv,
        write_results_json,
    )

    options = options or GradingOptions()
    if options.limits.sandbox:
        check_sandbox()
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
    by_student = {sub.student: sub for sub in gradable}

    def done(student: str, status: str, value) -> None:
        sub = by_student[student]
        bar.set_postfix_str(student)
        try:
            if status == "crashed":
                reason = value
            elif status == "error":
                reason = f"internal grading error ({value}); please report it"
            else:
                results[student] = _record(course, sub, value, parts)
                reason = ""
        except Exception as exc:  # a grader bug must not cost the rest of the class
            reason = f"internal grading error ({type(exc).__name__}: {exc}); please report it"
        if reason:
            results[student] = StudentResult(student, NOT_GRADED, {g: 0.0 for g in parts},
                                             reason=reason)
        bar.update(1)

    tasks = [(sub.student, (assignment.name, str(sub.notebook), options.limits, hide))
             for sub in gradable]
    _run_graders(tasks, max(1, min(jobs, len(gradable) or 1)), done)
    bar.close()

    ordered = [results[s.student] for s in submissions]
    if any(r.status == GRADED for r in ordered):
        course.generate_feedback()
    write_feedback(assignment, ordered, course, out / "feedback")
    write_grades_csv(assignment, ordered, out / "grades.csv")
    write_results_json(assignment, ordered, out / "results.json")
    write_class_summary(assignment, ordered, out / "summary.html",
                        sandbox=options.limits.sandbox, limits=options.limits)
    return ordered
