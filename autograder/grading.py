"""Grade a class: intake, sandboxed execution, scores in nbgrader's gradebook, reports.

    results = grade_class(get_assignment("a1"), Path("submissions"), Path("out"))

The coordinator (this process) finds each student's notebook and ships it, as bytes, to a Dask
worker (cluster.py: a LocalCluster with one worker process per core by default, or any Dask
cluster). The worker grades the whole submission (``grade_submission``): it checks the notebook
(intake.py), executes it (execute.py: the student's code in a sandboxed process under limits,
the tests in the worker itself), lets nbgrader score it in a gradebook of the worker's own and
renders the student's feedback page. Only plain data comes back: the scores, the reasons, the
page and the autograded notebook. The coordinator writes them out as they arrive and records the
scores in the class's gradebook in batches, through nbgrader's gradebook API, in this one process
(SQLite has one writer). Nothing assumes the workers share a file system with the coordinator.

A worker grades one submission at a time, so when one dies (a segfault in a test or in NumPy,
the machine running out of memory, a lost machine), the submission it was grading is known: the
scheduler re-runs it on another worker, and a submission that takes down a second worker gets
"could not be graded: worker lost"; the class run goes on.

Layout of the output folder:

    out/grades.csv               one row per student (see reports.write_grades_csv)
    out/summary.html             the class report: score distributions, limits hit, failures
    out/feedback/<student>.html  what each student sees: every lost point and why
    out/submissions/<student>/   each student's notebook as submitted (nothing is lost)
    out/nbgrader/                the nbgrader course: gradebook.db (SQLite), autograded/, ...
    out/results.jsonl            one line per graded submission, with its notebook's hash:
                                 what --resume re-uses
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import signal
import tempfile
import threading
import time
import types
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tqdm import tqdm

from autograder.course import Assignment, get_assignment
from autograder.intake import Submission, check_notebook, collect
from autograder.nbgrader_course import Course
from autograder.sandbox import Limits, check_sandbox

GRADED = "graded"
NOT_GRADED = "not graded"
WORKER_LOST = ("could not be graded: worker lost (the process grading this submission died "
               "{n} times, on different workers: a crash in the grader or the machine running "
               "out of memory); the other submissions were graded. Please report it")
RESULTS_FILE = "results.jsonl"
GRADEBOOK_BATCH = 64          # results written to the gradebook per transaction


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
    jobs: int = 0                    # worker processes of the local cluster; 0 = one per core
    progress: bool = True
    scheduler: str | None = None     # address of an existing Dask scheduler; None = local
    resume: bool = False             # re-use results in `out` for unchanged notebooks
    connect_timeout: float = 10.0    # seconds to wait for the scheduler


@dataclass
class RunStats:
    """What a run cost, for the command's output and the benchmark."""

    submissions: int = 0
    graded_here: int = 0             # sent to the workers in this run
    reused: int = 0                  # taken from --resume's results
    workers: int = 0
    cluster_seconds: float = 0.0     # starting or reaching the cluster
    ready_seconds: float = 0.0       # from the start until the first submission is shipped
    # this process's own work for the submissions: CPU time of its main thread in the
    # per-submission steps (finding, reading and shipping notebooks; writing pages, results,
    # gradebook and CSV), so that other jobs on the machine do not inflate it
    coordinator_seconds: float = 0.0

    @property
    def serial_ms_per_submission(self) -> float:
        return 1000 * self.coordinator_seconds / max(1, self.submissions)


class ResumeError(RuntimeError):
    """--resume cannot use the output folder; the message says why and what to do."""


CRASH_FOR_TESTS = "BBH_CRASH_ON_STUDENT"
"""Fault injection for the test suite only: a worker process that is about to grade the student
named in this environment variable kills itself with SIGSEGV, as a crash in a test would."""


def grading_fingerprint(assignment: Assignment, limits: Limits) -> str:
    """What a result depends on besides the notebook: the assignment's files and the limits."""
    digest = hashlib.sha256(json.dumps(asdict(limits), sort_keys=True).encode())
    for folder in (assignment.source_dir, assignment.release_dir):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts \
                    and ".ipynb_checkpoints" not in path.parts:
                digest.update(str(path.relative_to(folder)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:32]


# --------------------------------------------------------------------------- on a Dask worker

_COURSES: dict[str, Course] = {}
_SANDBOX_CHECKED: list[str] = []


def _keep_compiled_templates() -> None:
    """nbgrader builds a new HTML exporter for every generate_feedback call, and Jinja compiles
    the feedback templates again each time (about half of the call): keep the compiled code
    for the life of this worker process (a Jinja bytecode cache, keyed by template source)."""
    import jinja2
    from nbconvert.exporters.templateexporter import TemplateExporter

    if getattr(TemplateExporter, "_bbh_cached", False):
        return

    class _InMemory(jinja2.BytecodeCache):
        def __init__(self) -> None:
            self.code: dict[str, bytes] = {}

        def load_bytecode(self, bucket) -> None:
            if bucket.key in self.code:
                bucket.bytecode_from_string(self.code[bucket.key])

        def dump_bytecode(self, bucket) -> None:
            self.code[bucket.key] = bucket.bytecode_to_string()

    cache = _InMemory()
    create = TemplateExporter._create_environment

    def _create_environment(self):
        environment = create(self)
        environment.bytecode_cache = cache
        return environment

    TemplateExporter._create_environment = _create_environment
    TemplateExporter._bbh_cached = True


def _validate_schemas_once() -> None:
    """nbgrader checks every cell's metadata with ``jsonschema.validate``, which first checks the
    schema itself (nbgrader's own, a file it ships) on every call: a tenth of a second per
    submission. Check each schema once, then validate as ``jsonschema.validate`` does (the
    same error, jsonschema's best match, for metadata that does not fit)."""
    import jsonschema
    from nbgrader.nbgraderformat import common

    if getattr(common.jsonschema, "_bbh_cached", False):
        return
    validators: dict[str, object] = {}   # by the schema's text: nbgrader re-reads its file

    def validate(instance, schema, *args, **kwargs):
        if args or kwargs:
            return jsonschema.validate(instance, schema, *args, **kwargs)
        key = json.dumps(schema, sort_keys=True)
        validator = validators.get(key)
        if validator is None:
            cls = jsonschema.validators.validator_for(schema)
            cls.check_schema(schema)
            validator = validators[key] = cls(schema)
        error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
        if error is not None:
            raise error

    common.jsonschema = types.SimpleNamespace(validate=validate, _bbh_cached=True)


def _worker_course(assignment: Assignment, gradebook: bytes | None = None,
                   base: Path | None = None) -> Course:
    """This worker process's own nbgrader course, made once: a copy of the coordinator's
    gradebook when it was sent (`gradebook`), else nbgrader's generate_assignment here."""
    course = _COURSES.get(assignment.name)
    if course is None:
        if base is None:
            try:   # the Dask worker's own scratch folder, cleaned up with it
                from distributed import get_worker

                base = Path(get_worker().local_directory)
            except (ImportError, ValueError):   # not in a Dask task
                base = Path(tempfile.mkdtemp(prefix="bbh-grader-"))
        _keep_compiled_templates()
        _validate_schemas_once()
        course = Course(base / f"nbgrader-{assignment.name}", assignment)
        if gradebook:
            (course.root / "gradebook.db").write_bytes(gradebook)
        else:
            course.generate_release()
        _COURSES[assignment.name] = course
    return course


class _QuietHeartbeatAtClose(logging.Filter):
    """Drops the traceback a Dask worker logs when its heartbeat finds its connection to the
    scheduler closed, as happens when the scheduler closes first at the end of a run
    (dask/distributed#7105): printed at random after a run that had gone well. The worker
    deals with a lost scheduler itself; other heartbeat errors are still logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        from distributed.comm import CommClosedError

        return not (record.getMessage().startswith("Failed to communicate with scheduler")
                    and record.exc_info and isinstance(record.exc_info[1], CommClosedError))


def worker_preflight(sandbox: bool, assignment_name: str, fingerprint: str,
                     limits: Limits) -> str:
    """Runs on every worker (Client.run) before grading: '' when it can grade, else why not.

    sandbox: probe the sandbox here (not needed on a local cluster: the coordinator probed this
    very machine). Also imports what grading needs, while the coordinator sets up its course.
    """
    import socket

    quiet = logging.getLogger("distributed.worker")
    if not any(isinstance(f, _QuietHeartbeatAtClose) for f in quiet.filters):
        quiet.addFilter(_QuietHeartbeatAtClose())
    host = socket.gethostname()
    try:
        assignment = get_assignment(assignment_name)
    except Exception as exc:  # noqa: BLE001 - reported to the instructor, whatever it is
        return f"{host}: {exc}"
    if grading_fingerprint(assignment, limits) != fingerprint:
        return (f"{host}: its copy of the course's {assignment_name} (solutions/ or exercises/) "
                "differs from the coordinator's: install the same version of the course on "
                "every worker")
    if sandbox and not _SANDBOX_CHECKED:
        try:
            check_sandbox()
        except Exception as exc:  # noqa: BLE001 - SandboxUnavailable, or a broken install
            return f"{host}: the sandbox cannot be set up: {exc}"
        _SANDBOX_CHECKED.append(host)
    import nbgrader.apps  # noqa: F401

    import autograder.execute  # noqa: F401 - imported now, not in the first task
    import autograder.reports  # noqa: F401
    return ""


def worker_setup(assignment_name: str, gradebook: bytes, dask_worker=None) -> str:
    """Runs on every worker (Client.run): its nbgrader course, from the class's gradebook."""
    base = Path(dask_worker.local_directory) if dask_worker is not None else None
    _worker_course(get_assignment(assignment_name), gradebook, base)
    return ""


def _lost_reasons(execution, parts: dict[str, float], scores: dict[str, float]) -> dict[str, str]:
    from autograder.execute import readable_reason

    lost = {}
    for gid, pts in parts.items():
        if scores.get(gid, 0.0) < pts:
            part = execution.parts.get(gid)
            lost[gid] = readable_reason(part.reason) if part and part.reason \
                else "the test did not run"
    return lost


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


def _not_graded(student: str, parts, reason: str) -> StudentResult:
    return StudentResult(student, NOT_GRADED, {g: 0.0 for g in parts}, reason=reason)


def _grade_here(assignment: Assignment, student: str, data: bytes, limits: Limits,
                course: Course) -> tuple[StudentResult, bytes | None]:
    """Check, execute, score (nbgrader, in this worker's gradebook) one submission."""
    import nbformat

    from autograder.execute import execute_submission

    parts = {p.grade_id: p.points for p in assignment.graded_parts()}
    submitted = course.submitted_dir(student)
    if submitted.exists():
        shutil.rmtree(submitted)
    submitted.mkdir(parents=True)
    notebook = submitted / assignment.notebook_name
    notebook.write_bytes(data)
    problem = check_notebook(notebook, assignment)
    if problem:
        return _not_graded(student, parts, problem), None
    # The worker's own folders (its gradebook holds the hidden tests) are hidden from the sandbox.
    execution = execute_submission(assignment, nbformat.reads(data.decode("utf-8"), as_version=4),
                                   limits, hide=[course.root])
    nbformat.write(execution.notebook, notebook)
    outcome = course.autograde(student)
    if not outcome.get("success"):
        log = (outcome.get("log", "") + outcome.get("error", "")).strip().splitlines()
        return _not_graded(student, parts, "nbgrader could not record the grades: "
                           + (log[-1] if log else "no log")[:300]), None
    scores = _scores_from_gradebook(course, student, parts)
    visible = {gid: part.visible_reason for gid, part in execution.parts.items()
               if part.visible_passed is not None}
    result = StudentResult(student, GRADED, scores, lost=_lost_reasons(execution, parts, scores),
                           limits=list(execution.limits_hit), seconds=execution.seconds,
                           visible=visible)
    autograded = course.root / "autograded" / student / assignment.name / assignment.notebook_name
    return result, autograded.read_bytes() if autograded.is_file() else None


def grade_submission(assignment_name: str, student: str, data: bytes, limits: Limits) -> dict:
    """A Dask task: grade one whole submission on this worker; plain data back.

    Returns the StudentResult's fields, plus ``feedback`` (the student's page, HTML) and
    ``autograded`` (nbgrader's autograded notebook, bytes, or None). Never raises for anything
    a student did; a grader bug is reported for this student only.
    """
    from autograder.reports import write_feedback

    if os.environ.get(CRASH_FOR_TESTS) == student:
        os.kill(os.getpid(), signal.SIGSEGV)
    start = time.perf_counter()
    assignment = get_assignment(assignment_name)
    course = _worker_course(assignment)
    try:
        result, autograded = _grade_here(assignment, student, data, limits, course)
    except Exception as exc:  # a grader bug must not cost the rest of the class
        parts = [p.grade_id for p in assignment.graded_parts()]
        result, autograded = _not_graded(
            student, parts, f"internal grading error ({type(exc).__name__}: {exc}); "
                            "please report it"), None
    if result.status == GRADED:
        course.api.generate_feedback(assignment.name, student_id=student, force=True)
    # The page is written by reports.write_feedback, as for every student, then read back.
    with tempfile.TemporaryDirectory(prefix="bbh-feedback-") as tmp:
        write_feedback(assignment, [result], course, Path(tmp), with_mathjax=False)
        page = (Path(tmp) / f"{student}.html").read_text(encoding="utf-8")
    for folder in ("submitted", "autograded", "feedback"):
        shutil.rmtree(course.root / folder / student, ignore_errors=True)
    return {**asdict(result), "feedback": page, "autograded": autograded,
            "worker_seconds": time.perf_counter() - start}


# --------------------------------------------------------------------------- the coordinator

def _result_from(data: dict) -> StudentResult:
    return StudentResult(data["student"], data["status"], dict(data["scores"]),
                         lost=dict(data.get("lost", {})), reason=data.get("reason", ""),
                         limits=list(data.get("limits", [])), seconds=data.get("seconds", 0.0),
                         visible=dict(data.get("visible", {})))


def read_resume_state(out: Path, fingerprint: str) -> dict[str, tuple[str, StudentResult]]:
    """student -> (notebook sha256, result) from a previous run's results.jsonl.

    Only results graded with the same assignment files and limits count. A line cut short by an
    interruption (the last one) is ignored; anything else unreadable is a ResumeError.
    """
    path = out / RESULTS_FILE
    if not path.is_file():
        raise ResumeError(f"--resume: {out} holds no {RESULTS_FILE} (no earlier run of the grading "
                          "command wrote to it): run without --resume")
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    state: dict[str, tuple[str, StudentResult]] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            result = _result_from(entry["result"])
            sha, mark = entry["sha256"], entry["fingerprint"]
        except (ValueError, KeyError, TypeError) as exc:
            if number == len(lines):
                continue   # the run was interrupted while writing this line
            raise ResumeError(f"--resume: {path} is corrupt at line {number} ({exc}): delete "
                              "the output folder, or grade into a new one without --resume"
                              ) from exc
        if mark == fingerprint and (out / "feedback" / f"{result.student}.html").is_file():
            state[result.student] = (sha, result)
        else:
            state.pop(result.student, None)
    return state


def write_gradebook(db_url: str, assignment: Assignment, results: list[StudentResult]) -> None:
    """Record the scores of `results` through nbgrader's gradebook API, in one transaction.

    nbgrader's methods commit after every call; during the batch a commit only flushes, and the
    batch is committed once (SQLite pays its disk sync once, not twice per student). A student
    already in the gradebook is replaced; a submission that was not graded is left out of it.
    """
    from nbgrader.api import Gradebook, MissingEntry

    name = assignment.name
    with Gradebook(db_url) as gb:
        session = gb.db
        commit = session.commit
        session.commit = session.flush
        try:
            for result in results:
                try:
                    gb.remove_submission(name, result.student)
                except MissingEntry:
                    pass
                if result.status != GRADED:
                    continue
                gb.update_or_create_student(result.student)
                submission = gb.add_submission(name, result.student)
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        if grade.name in result.scores:
                            grade.auto_score = result.scores[grade.name]
        except Exception:
            session.rollback()
            raise
        finally:
            session.commit = commit
        session.commit()


def _locate(submissions_dir: Path, assignment: Assignment) -> list[Submission]:
    """collect() without reading the notebooks: each is checked on the worker that grades it."""
    return collect(submissions_dir, assignment, check=False)


def grade_class(assignment: Assignment, submissions_dir: Path, out: Path,
                options: GradingOptions | None = None,
                stats: RunStats | None = None) -> list[StudentResult]:
    """Grade every student folder in `submissions_dir`; write everything under `out`.

    Raises SandboxUnavailable (before running any student code) where the sandbox cannot be set
    up and options.limits.sandbox is True; ClusterError when the Dask cluster cannot be reached
    or a worker cannot grade; ResumeError when --resume cannot use `out`.
    """
    from autograder.reports import (
        write_class_summary,
        write_feedback,
        write_grades_csv,
        write_results_json,
    )

    options = options or GradingOptions()
    stats = stats if stats is not None else RunStats()
    run_start = time.perf_counter()
    # Absolute from here on: nbgrader's gradebook URL and the worker threads must not depend on
    # the folder the command was started in (`--out graded-a1/` is relative).
    submissions_dir, out = submissions_dir.resolve(), out.resolve()
    if options.limits.sandbox and not options.scheduler:
        check_sandbox()
    fingerprint = grading_fingerprint(assignment, options.limits)
    previous = read_resume_state(out, fingerprint) if options.resume else {}
    parts = {p.grade_id: p.points for p in assignment.graded_parts()}

    busy = time.thread_time()
    submissions = _locate(submissions_dir, assignment)
    stats.submissions = len(submissions)
    kept = out / "submissions"
    results: dict[str, StudentResult] = {}
    to_grade: list[tuple[Submission, bytes, str]] = []
    for sub in submissions:
        if sub.notebook is None or not sub.gradable:
            results[sub.student] = _not_graded(sub.student, parts, sub.problem or "")
            continue
        data = sub.notebook.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        if sub.student in previous and previous[sub.student][0] == sha:
            results[sub.student] = previous[sub.student][1]
            stats.reused += 1
            continue
        to_grade.append((sub, data, sha))
        folder = kept / sub.student
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        (folder / sub.notebook.name).write_bytes(data)
    stats.graded_here = len(to_grade)
    coordinator = time.thread_time() - busy

    # The cluster starts (worker processes spawn and import) while this process sets up the
    # class's nbgrader course.
    stack = contextlib.ExitStack()
    starter = ThreadPoolExecutor(max_workers=1)
    cluster_ready = (starter.submit(_start_cluster, stack, options, len(to_grade), stats,
                                    assignment, fingerprint) if to_grade else None)
    starter.shutdown(wait=False)
    try:
        course = Course(out / "nbgrader", assignment)
        course.generate_release()  # records every source cell in the class's gradebook
        cluster = cluster_ready.result() if cluster_ready else None
    except BaseException:
        if cluster_ready:
            with contextlib.suppress(Exception):
                cluster_ready.result()
        stack.close()
        raise
    feedback_dir = out / "feedback"
    feedback_dir.mkdir(parents=True, exist_ok=True)
    autograded_dir = out / "nbgrader" / "autograded"
    pending_gradebook: list[StudentResult] = []
    # Results of an earlier run that never reached the gradebook (interrupted) are written now.
    if previous:
        from nbgrader.api import Gradebook

        with Gradebook(course.db_url) as gb:
            recorded = {s.student.id for s in gb.find_assignment(assignment.name).submissions}
        pending_gradebook += [r for r in results.values()
                              if r.status == GRADED and r.student not in recorded]

    log = (out / RESULTS_FILE).open("a" if options.resume else "w", encoding="utf-8")
    bar = tqdm(total=len(submissions), desc=f"grading {assignment.name}", unit="student",
               disable=not options.progress)
    bar.update(len(submissions) - len(to_grade))

    def receive(sub: Submission, sha: str, data: dict | None, reason: str = "") -> None:
        """Write one submission's outcome: its page, its notebook, its line, its gradebook turn."""
        if data is None:
            result = _not_graded(sub.student, parts, reason)
        else:
            result = _result_from(data)
            (feedback_dir / f"{sub.student}.html").write_text(data["feedback"], encoding="utf-8")
            if data.get("autograded"):
                dest = autograded_dir / sub.student / assignment.name
                dest.mkdir(parents=True, exist_ok=True)
                (dest / assignment.notebook_name).write_bytes(data["autograded"])
        results[sub.student] = result
        if data is not None:   # a lost worker is not a result worth keeping for --resume
            log.write(json.dumps({"sha256": sha, "fingerprint": fingerprint,
                                  "result": asdict(result)}) + "\n")
            log.flush()
        pending_gradebook.append(result)
        if len(pending_gradebook) >= GRADEBOOK_BATCH:
            write_gradebook(course.db_url, assignment, pending_gradebook)
            pending_gradebook.clear()
        bar.set_postfix_str(sub.student)
        bar.update(1)

    started = [False]   # set once the first submission is on the cluster
    closer: threading.Thread | None = None

    def grading_started() -> None:
        stats.ready_seconds = time.perf_counter() - run_start
        # The class summary's plotting library loads while the class is graded, not after.
        threading.Thread(target=_load_plotting, name="load-plotting", daemon=True).start()

    try:
        if cluster is not None:
            coordinator += _run_on_cluster(cluster, assignment, to_grade, options,
                                           fingerprint, course, receive, started,
                                           grading_started)
            # The cluster's processes shut down while the gradebook and the reports are written
            # (after an error, the `finally` below closes it before the reports).
            closer = threading.Thread(target=_close_quietly, args=(stack,), name="close-cluster")
            closer.start()
        busy = time.thread_time()
        if pending_gradebook:
            write_gradebook(course.db_url, assignment, pending_gradebook)
            pending_gradebook.clear()
        coordinator += time.thread_time() - busy
    finally:
        if closer is None:
            stack.close()   # a no-op once the cluster is closed; stops it on an error before
        bar.close()
        log.close()
        try:
            # When the cluster refused, there is no report of a run not made. Nothing is lost:
            # whoever has no result yet (an interrupted run) is listed as such.
            if started[0] or not to_grade:
                for sub in submissions:
                    results.setdefault(sub.student, _not_graded(
                        sub.student, parts, "could not be graded: the grading run stopped before "
                                            "this submission was graded (grade again with "
                                            "--resume)"))
                ordered = [results[s.student] for s in submissions]
                busy = time.thread_time()
                missing_pages = [r for r in ordered
                                 if not (feedback_dir / f"{r.student}.html").is_file()
                                 or (r.status == NOT_GRADED and r.student not in previous)]
                write_feedback(assignment, missing_pages, course, feedback_dir)
                write_grades_csv(assignment, ordered, out / "grades.csv")
                write_results_json(assignment, ordered, out / "results.json")
                coordinator += time.thread_time() - busy
                write_class_summary(assignment, ordered, out / "summary.html",
                                    sandbox=options.limits.sandbox, limits=options.limits)
                stats.coordinator_seconds = coordinator
        finally:
            if closer is not None:
                closer.join()
    return ordered


def _close_quietly(stack: contextlib.ExitStack) -> None:
    """Close the cluster (in a thread of its own): a failure to shut down after every result
    is in costs nothing, so it is a warning, not an error."""
    try:
        stack.close()
    except Exception as exc:  # noqa: BLE001
        logging.getLogger(__name__).warning("the Dask cluster did not close cleanly: %s", exc)


def _load_plotting() -> None:
    from autograder.reports import pyplot

    with contextlib.suppress(Exception):   # only a head start: the summary loads it anyway
        pyplot()


def _start_cluster(stack: contextlib.ExitStack, options: GradingOptions, tasks: int,
                   stats: RunStats, assignment: Assignment, fingerprint: str):
    """Open the cluster (see cluster.py) on `stack`, wait for a worker, and check that every
    worker can grade (worker_preflight); ClusterError if one cannot."""
    from autograder.cluster import ClusterError, open_cluster, wait_for_workers

    jobs = options.jobs or os.cpu_count() or 1
    cluster = stack.enter_context(open_cluster(options.scheduler, max(1, min(jobs, tasks)),
                                               options.connect_timeout))
    stats.workers = wait_for_workers(cluster)
    stats.cluster_seconds = time.perf_counter() - cluster.started
    # A worker that dies meanwhile answers with an exception: its replacement sets up in its
    # first task. Only a worker that says why it cannot grade stops the run.
    answers = cluster.client.run(worker_preflight, options.limits.sandbox and not cluster.local,
                                 assignment.name, fingerprint, options.limits,
                                 on_error="return")
    problems = [p for p in answers.values() if isinstance(p, str) and p]
    if problems:
        raise ClusterError("a Dask worker cannot grade, so no student code was run: "
                           + "; ".join(sorted(set(problems))[:5]))
    return cluster


def _run_on_cluster(cluster, assignment: Assignment, to_grade, options: GradingOptions,
                    fingerprint: str, course: Course, receive, started: list[bool],
                    ready=lambda: None) -> float:
    """Ship every submission to the cluster and hand each outcome to `receive` as it comes.

    Returns the CPU seconds this thread spent on its own work (shipping, receiving).
    """
    from distributed import as_completed
    from distributed.client import FutureCancelledError
    from distributed.scheduler import KilledWorker

    from autograder.cluster import ALLOWED_FAILURES

    gradebook = (course.root / "gradebook.db").read_bytes()
    cluster.client.run(worker_setup, assignment.name, gradebook, on_error="return")
    started[0] = True
    ready()
    busy = time.thread_time()
    by_key, futures = {}, []
    for sub, data, sha in to_grade:
        future = cluster.client.submit(grade_submission, assignment.name, sub.student, data,
                                       options.limits, key=f"grade-{sub.student}-{sha[:12]}",
                                       pure=False, retries=1)
        by_key[future.key] = (sub, sha)
        futures.append(future)
    own = time.thread_time() - busy
    for future in as_completed(futures):
        sub, sha = by_key[future.key]
        try:
            data = future.result()
            reason = ""
        except KilledWorker:
            data, reason = None, WORKER_LOST.format(n=1 + ALLOWED_FAILURES)
        except FutureCancelledError:
            data, reason = None, ("could not be graded: the Dask cluster lost this task "
                                  "(scheduler restarted?); grade again with --resume")
        except Exception as exc:  # noqa: BLE001 - the task itself failed twice
            data, reason = None, (f"internal grading error on the worker "
                                  f"({type(exc).__name__}: {exc}); please report it")
        busy = time.thread_time()
        receive(sub, sha, data, reason)
        own += time.thread_time() - busy
        future.release()
    return own
