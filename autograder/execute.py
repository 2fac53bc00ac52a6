"""Execute one submission: student cells in a sandboxed worker, test cells in the grader.

The notebook that is graded is rebuilt from the assignment's source: every instruction, given
cell and test cell (hidden tests included) comes from ``solutions/<aN>/``; only the answer cells
(and any extra code cells the student added) come from the submission. A test cell deleted or
edited by the student is therefore restored, and a renamed or reordered cell changes nothing.

Cells run in notebook order:
- given cells run in the worker (so the student's code sees their imports and helpers) and in the
  grader (so the tests see them, untouched by the student); a given function the cell's metadata
  lists under ``bbh.runs_with_student_code`` (a training loop) is called in the worker instead,
  its result judged by the test like a student function's (grader_proxy.StudentSide);
- answer cells and the student's own cells run in the worker only; the names they define reach
  the grader as proxies (see grader_proxy.py) or, for plain data, as values (wire.py); a cell
  runs as in Jupyter (worker.py), so the names bound before an error in it still count;
- test cells run in the grader only. A test passes when its code raises nothing.

When the worker dies or overruns a limit, the test running at the time fails with that reason; a
fresh worker replays the student's cells and grading goes on with the next test.
"""

from __future__ import annotations

import contextlib
import errno
import io
import sys
import time
import traceback
import types
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.v4 import new_output

from autograder.course import Assignment
from autograder.grader_proxy import StudentModule, StudentSide, WorkerGone
from autograder.sandbox import Limits, start_worker, stop_worker

MAX_RESTARTS = 3


NOT_IMPLEMENTED = "not implemented (the YOUR CODE HERE stub raised NotImplementedError)"


def readable_reason(reason: str) -> str:
    """A part's failure reason as grade and check report it: a stub left unfilled says so."""
    return NOT_IMPLEMENTED if reason.startswith("NotImplementedError") else reason


@dataclass
class PartResult:
    passed: bool
    reason: str = ""          # why it failed
    limit: str = ""           # the limit that was hit, if that is why it failed
    visible_passed: bool | None = None   # the verdict of the visible tests alone
    visible_reason: str = ""             # (what `check` reports), None before they ran


@dataclass
class Execution:
    notebook: nbformat.NotebookNode
    parts: dict[str, PartResult] = field(default_factory=dict)
    limits_hit: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def cell_kind(cell) -> str:
    """'markdown', 'given', 'answer', 'test' or 'extra' (a cell the student added)."""
    if cell.cell_type != "code":
        return "markdown"
    meta = _meta(cell)
    if meta.get("solution"):
        return "answer"
    if meta.get("grade"):
        return "test"
    if meta.get("locked") and meta.get("grade_id"):
        return "given"
    return "extra"


def build_graded_notebook(assignment: Assignment, student_nb) -> nbformat.NotebookNode:
    """Source structure, with the student's answers and added code cells put in."""
    source = assignment.read_source()
    release = nbformat.read(assignment.release_dir / assignment.notebook_name, as_version=4)
    stubs = {_meta(c)["grade_id"]: c.source for c in release.cells
             if cell_kind(c) == "answer"}
    known = {_meta(c).get("grade_id") for c in source.cells if _meta(c).get("grade_id")}

    answers: dict[str, str] = {}
    extras: dict[str | None, list[str]] = {}
    anchor = None
    for cell in student_nb.cells:
        gid = _meta(cell).get("grade_id")
        if cell.cell_type == "code" and _meta(cell).get("solution") and gid in stubs:
            answers.setdefault(gid, cell.source)
            anchor = gid
        elif gid in known:
            anchor = gid
        elif cell.cell_type == "code" and cell.source.strip():
            extras.setdefault(anchor, []).append(cell.source)

    graded = nbformat.v4.new_notebook(metadata=source.metadata)
    for code in extras.get(None, []):
        graded.cells.append(nbformat.v4.new_code_cell(code))
    for cell in source.cells:
        kind = cell_kind(cell)
        if kind == "extra":
            continue  # the source's own scratch cells are replaced by the student's
        new = nbformat.from_dict(dict(cell))
        new.pop("id", None)
        if new.cell_type == "code":
            new.outputs, new.execution_count = [], None
        gid = _meta(cell).get("grade_id")
        if kind == "answer":
            new.source = answers.get(gid, stubs.get(gid, ""))
        graded.cells.append(new)
        for code in extras.get(gid, []):
            graded.cells.append(nbformat.v4.new_code_cell(code))
    for index, cell in enumerate(graded.cells):
        cell.setdefault("id", f"graded-{index}")
    nbformat.validator.normalize(graded)
    return graded


HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"


def split_hidden(source: str) -> tuple[str, str]:
    """A test cell's (visible, hidden) code: the hidden part starts at its BEGIN marker.

    The release notebook's test cell is the visible part (nbgrader removes the hidden region,
    which every source test cell ends with), so running the two parts one after the other in
    the grader gives the verdict of the visible tests alone, as `check` sees it, on the way.
    """
    lines = source.splitlines(keepends=True)
    for index, line in enumerate(lines):
        if line.strip().startswith(HIDDEN_BEGIN):
            # Blank lines keep the hidden part's line numbers those of the whole cell.
            return "".join(lines[:index]), "\n" * index + "".join(lines[index:])
    return source, ""


def _stream(text: str, limit: int):
    if len(text) > limit:
        text = text[:limit] + f"\n[... {len(text) - limit} more characters dropped: output limit]\n"
    return new_output("stream", name="stdout", text=text)


def _error(exc: BaseException, hidden_source: bool):
    ename = type(exc).__name__
    evalue = str(exc)
    notes = "\n".join(getattr(exc, "__notes__", []) or [])
    lines = [f"{ename}: {evalue}"] + ([notes] if notes else [])
    if not hidden_source:
        frames = [f for f in traceback.extract_tb(exc.__traceback__)
                  if f.filename.startswith("<test")]
        if frames:
            lines = ["".join(traceback.format_list(frames[-3:]))] + lines
    return new_output("error", ename=ename, evalue=evalue + (f"\n{notes}" if notes else ""),
                      traceback=lines)


class _Runner:
    def __init__(self, limits: Limits, hide: list[Path]):
        self.limits, self.hide = limits, hide
        self.worker_cells: list[tuple[str, str, str]] = []   # (kind, name, source) run so far
        self.trusted: dict = {"__name__": "__main__"}
        self.trusted_names: set[str] = set()
        self.restarts = 0
        self.dead: str = ""
        self.given: dict[int, str] = {}   # objects given cells defined, by id -> name
        self.client = self._start()

    def _start(self):
        client = start_worker(self.limits, self.hide)
        client.given = self.given
        return client

    def close(self) -> None:
        stop_worker(self.client)

    def _import(self, changed: dict) -> None:
        for name, value in changed.items():
            if name in self.trusted_names:
                continue
            if isinstance(value, StudentModule):
                # As in Jupyter, a test may use a module the student's cell imported (`math`),
                # but the grader never imports one on the student's say-so: only a module the
                # grader itself has already loaded is bound; any other name stays unbound.
                value = sys.modules.get(value.name)
                if not isinstance(value, types.ModuleType):
                    continue
            self.trusted[name] = value

    def run_in_worker(self, kind: str, name: str, source: str, timeout: float):
        """Run a cell in the worker; returns (printed text, exception or None)."""
        if self.dead:
            return "", WorkerGone(self.dead)
        self.worker_cells.append((kind, name, source))
        self.client.start_cell(timeout)
        try:
            changed, error = self.client.exec_cell(source, name)
            if kind != "given":
                self._import(changed)   # what was bound before an error counts, as in Jupyter
            return self.client.output.getvalue(), error
        except WorkerGone as gone:
            printed = self.client.output.getvalue()
            self.restart(timeout, skip_last=True)
            return printed, gone
        except Exception as exc:  # the student's code raised: shown, and grading goes on
            return self.client.output.getvalue(), exc

    def restart(self, timeout: float, skip_last: bool = False) -> None:
        stop_worker(self.client)
        if self.restarts >= MAX_RESTARTS:
            self.dead = "the student's process was restarted too often; grading stopped"
            return
        self.restarts += 1
        replay = self.worker_cells[:-1] if skip_last else self.worker_cells
        self.client = self._start()
        for kind, name, source in replay:
            self.client.start_cell(timeout)
            try:
                changed, _ = self.client.exec_cell(source, name)
                if kind != "given":
                    self._import(changed)
            except WorkerGone as gone:
                stop_worker(self.client)
                self.dead = f"{gone.reason} (while re-running cell {name})"
                return
            except Exception:
                continue

    def run_trusted(self, name: str, source: str, timeout: float, limit: int, is_test: bool,
                    student_side: tuple[str, ...] = ()):
        """Run a given or test cell in the grader; returns (printed, exception or None).

        student_side: functions this given cell defines that run in the student's process
        (grader_proxy.StudentSide; the cell's ``bbh.runs_with_student_code`` metadata).
        """
        before = {k: id(v) for k, v in self.trusted.items()}
        out = io.StringIO()
        self.client.start_cell(timeout)
        exc = None
        with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(out):
            warnings.simplefilter("always")
            try:
                exec(compile(source, f"<test {name}>", "exec"), self.trusted)
            except WorkerGone as gone:
                exc = gone
                self.restart(timeout)
            except BaseException as error:  # noqa: BLE001 - a failing test, whatever it raised
                if isinstance(error, KeyboardInterrupt):
                    raise
                exc = error
        printed = self.client.output.getvalue() + out.getvalue()
        printed += "".join(f"{w.category.__name__}: {w.message}\n" for w in caught[:5])
        if is_test and caught and exc is None:
            # In a notebook a warning prints to stderr, and nbgrader fails such a test cell.
            first = caught[0]
            exc = AssertionError(f"the code emitted a warning, and a test cell must run cleanly: "
                                 f"{first.category.__name__}: {first.message}")
        if not is_test:
            new = {k for k, v in self.trusted.items() if before.get(k) != id(v)}
            for key in new & set(student_side):
                if isinstance(self.trusted[key], types.FunctionType):
                    self.trusted[key] = StudentSide(lambda: self.client, key,
                                                    self.trusted[key].__doc__)
            self.trusted_names |= new
            self.given.update({id(self.trusted[k]): k for k in new if not k.startswith("_")})
        return printed[: limit * 2], exc


def _limit_hit(exc: BaseException | None, printed: str) -> str:
    """The limit a cell ran into, named as the grading command's flags name it, or ''."""
    if isinstance(exc, WorkerGone):
        return exc.reason.split(":")[0]
    if isinstance(exc, MemoryError):
        return "memory limit"
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        return "disk limit"
    if isinstance(exc, BlockingIOError) or (isinstance(exc, OSError)
                                            and exc.errno == errno.EAGAIN):
        return "process limit"
    if "output limit]" in printed:
        return "output limit"
    return ""


def execute_submission(assignment: Assignment, student_nb, limits: Limits,
                       hide: list[Path] | None = None) -> Execution:
    """Grade-execute one (already validated) submission. Never raises for student behaviour."""
    start = time.monotonic()
    nb = build_graded_notebook(assignment, student_nb)
    result = Execution(notebook=nb)
    deadline = start + limits.notebook_timeout
    out_limit = limits.output_kb * 1024
    runner = _Runner(limits, hide or [])
    try:
        for cell in nb.cells:
            kind = cell_kind(cell)
            if kind == "markdown":
                continue
            name = _meta(cell).get("grade_id", "student cell")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                reason = f"notebook time limit: grading stopped after {limits.notebook_timeout:g} s"
                if kind == "test":
                    result.parts[name] = PartResult(False, reason, "notebook time limit")
                    cell.outputs = [new_output("error", ename="TimeLimit", evalue=reason,
                                               traceback=[reason])]
                if "notebook time limit" not in result.limits_hit:
                    result.limits_hit.append("notebook time limit")
                continue
            timeout = min(limits.cell_timeout, remaining)
            outputs = []
            if kind in ("given", "answer", "extra"):
                printed, exc = runner.run_in_worker(kind, name, cell.source, timeout)
                if kind == "given" and exc is None:
                    student_side = cell.metadata.get("bbh", {}).get("runs_with_student_code")
                    printed2, exc = runner.run_trusted(name, cell.source, timeout, out_limit,
                                                       is_test=False,
                                                       student_side=tuple(student_side or ()))
            else:
                visible, hidden = split_hidden(cell.source)
                started = time.monotonic()
                printed, exc = runner.run_trusted(name, visible, timeout, out_limit,
                                                  is_test=True)
                visible_exc = exc
                left = timeout - (time.monotonic() - started)
                if exc is None and hidden.strip():
                    if left <= 0:
                        exc = WorkerGone("time limit: the code ran longer than the per-cell limit")
                    else:
                        more, exc = runner.run_trusted(name, hidden, left, out_limit,
                                                       is_test=True)
                        printed += more
            if printed:
                outputs.append(_stream(printed, out_limit))
            if exc is not None:
                outputs.append(_error(exc, hidden_source=(kind == "test")))
            cell.outputs = outputs
            limit = _limit_hit(exc, printed)
            if limit and limit not in result.limits_hit:
                result.limits_hit.append(limit)
            if kind == "test":
                if exc is None:
                    part = PartResult(True)
                else:
                    reason = (exc.reason if isinstance(exc, WorkerGone)
                              else f"{type(exc).__name__}: {str(exc).strip()}")
                    if limit and not reason.startswith(limit):
                        reason = f"{limit}: {reason}"
                    part = PartResult(False, reason[:400], limit or "")
                part.visible_passed = visible_exc is None
                part.visible_reason = "" if visible_exc is None else part.reason
                result.parts[name] = part
    finally:
        runner.close()
    result.seconds = time.monotonic() - start
    return result
