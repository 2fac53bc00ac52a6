"""A student's check before they submit: the notebook run as the grader runs it, visible tests only.

    python -m autograder check exercises/a3/a3.ipynb
    from autograder import check; check()          # the last cell of every assignment

The notebook is rebuilt and executed by the very functions ``grade`` uses
(execute.build_graded_notebook and execute.execute_submission), with one difference: the
source it is rebuilt from is the *release* notebook (``exercises/<aN>/<aN>.ipynb``, which every
clone of the course has), whose test cells are the visible tests only. So the order of the
cells, the restored given and test cells, the sandbox (on Linux) and the verdicts of the visible
tests are the grader's; the grader records the same visible verdicts on its way through each
test cell (execute.PartResult.visible_passed), and the test suite compares the two.

Besides the verdicts it warns about what costs points at grading although it works in the
student's session: a wrong file name, deleted or edited test and given cells (restored at
grading), answers still raising NotImplementedError, names used but defined nowhere in the
notebook (state only the student's session had), a notebook over the size limit.
"""

from __future__ import annotations

import ast
import builtins
import os
import platform
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder import being_graded
from autograder.course import EXERCISES, Assignment, CourseError
from autograder.execute import PartResult, cell_kind, execute_submission, readable_reason
from autograder.intake import MAX_NOTEBOOK_BYTES, check_notebook
from autograder.sandbox import Limits, SandboxUnavailable, check_sandbox

_ASSIGNMENT_FILE = re.compile(r"^(a\d+)\.ipynb$")
# Names a notebook has without defining them: IPython's.
_IPYTHON_NAMES = {"get_ipython", "display", "In", "Out", "exit", "quit", "_", "__", "___",
                  "_i", "_ii", "_iii", "_oh", "_ih", "_dh", "__file__"}


class CheckError(Exception):
    """The notebook cannot be checked at all (missing, not a notebook, unknown assignment)."""


@dataclass(frozen=True)
class ReleasedAssignment(Assignment):
    """An assignment whose graded notebook is built from its release notebook (visible tests)."""

    release_notebook: Path = Path()
    standalone: bool = False   # no course folder: the student's own notebook is the release

    @property
    def release_dir(self) -> Path:
        return self.release_notebook.parent

    def read_source(self) -> nbformat.NotebookNode:
        return nbformat.read(self.release_notebook, as_version=4)


@dataclass
class PartCheck:
    grade_id: str
    points: float
    result: PartResult
    visible_tests: bool       # False when the release cell holds no test code at all


@dataclass
class CheckReport:
    notebook: Path
    assignment: str
    parts: list[PartCheck] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    mode: str = ""
    seconds: float = 0.0
    limits_hit: list[str] = field(default_factory=list)

    @property
    def max_score(self) -> float:
        return sum(p.points for p in self.parts)

    @property
    def confirmed(self) -> float:
        return sum(p.points for p in self.parts if p.result.passed and p.visible_tests)

    @property
    def failed(self) -> float:
        return sum(p.points for p in self.parts if not p.result.passed)

    @property
    def verdicts(self) -> dict[str, tuple[bool, str]]:
        """grade_id -> (passed, reason): what the grader's visible verdicts are compared with."""
        return {p.grade_id: (p.result.passed, p.result.reason) for p in self.parts}


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def _ids(nb, kinds: tuple[str, ...]) -> dict[str, str]:
    return {_meta(c)["grade_id"]: c.source for c in nb.cells
            if cell_kind(c) in kinds and _meta(c).get("grade_id")}


def release_notebooks(root: Path = EXERCISES) -> dict[str, Path]:
    """The release notebooks a clone of the course has, by assignment name."""
    if not root.is_dir():
        return {}
    found = {}
    for folder in root.iterdir():
        path = folder / f"{folder.name}.ipynb"
        if re.fullmatch(r"a\d+", folder.name) and path.is_file():
            found[folder.name] = path
    return found


def find_assignment(path: Path, nb, name: str | None = None,
                    releases: dict[str, Path] | None = None) -> ReleasedAssignment:
    """Which assignment `nb` is: `name` if given, else the release sharing most graded cells."""
    releases = release_notebooks() if releases is None else releases
    if not releases:
        # A notebook downloaded on its own, autograder installed without the course: its own
        # test cells stand in for the release's (nbgrader's checksums tell edited ones).
        by_name = _ASSIGNMENT_FILE.match(path.name)
        name = name or (by_name.group(1) if by_name else None)
        if name is None or not _ids(nb, ("test",)):
            raise CheckError(f"cannot tell which assignment {path.name} is, and no course "
                             f"folder exercises/ was found (looked in {EXERCISES}): run check "
                             "from a clone of the course, or pass --assignment aN")
        return ReleasedAssignment(name, release_notebook=path, standalone=True)
    if name is not None:
        if name not in releases:
            raise CheckError(f"unknown assignment {name!r}: the course has "
                             f"{', '.join(sorted(releases, key=lambda n: int(n[1:])))}")
        return ReleasedAssignment(name, release_notebook=releases[name])
    mine = set(_ids(nb, ("answer", "test", "given")))
    best, overlap = None, 0
    for candidate, release_path in releases.items():
        release = nbformat.read(release_path, as_version=4)
        shared = len(mine & set(_ids(release, ("answer", "test", "given"))))
        if shared > overlap:
            best, overlap = candidate, shared
    if best is None:
        by_name = _ASSIGNMENT_FILE.match(path.name)
        if by_name and by_name.group(1) in releases:
            best = by_name.group(1)
        else:
            raise CheckError(f"{path.name} has none of the graded cells of any assignment "
                             f"({', '.join(sorted(releases))}): start from the released "
                             "notebook in exercises/, and do not copy your code into a new one")
    return ReleasedAssignment(best, release_notebook=releases[best])


# ------------------------------------------------------------------------------ warnings

def _code_for_ast(source: str) -> str:
    """Cell source as Python (IPython magics and ! commands turned into calls)."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(source)
    except Exception:  # IPython missing or confused: take the source as it is
        return source


def _bound_and_used(source: str) -> tuple[set[str], list[str]]:
    """Names a cell binds anywhere (over-approximated), and the names it reads."""
    try:
        tree = ast.parse(_code_for_ast(source))
    except SyntaxError:
        return set(), []
    bound: set[str] = set()
    used: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                used.append(node.id)
            else:
                bound.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                bound.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            bound.update(node.names)
        elif isinstance(node, ast.MatchAs | ast.MatchStar) and node.name:
            bound.add(node.name)
    return bound, used


def undefined_names(cells: list[str]) -> dict[str, int]:
    """Names read somewhere but bound in no cell (nor built in): name -> first cell index."""
    bound = set(dir(builtins)) | _IPYTHON_NAMES
    uses: dict[str, int] = {}
    for index, source in enumerate(cells):
        names, used = _bound_and_used(source)
        bound |= names
        for name in used:
            uses.setdefault(name, index)
    return {name: index for name, index in uses.items() if name not in bound}


def notebook_warnings(path: Path, nb, assignment: ReleasedAssignment, graded) -> list[str]:
    """What would cost points at grading although it may work in the student's session."""
    release = assignment.read_source()
    notes = []
    if assignment.standalone:
        notes.append(f"the course folder exercises/ was not found ({EXERCISES}), so this check "
                     "ran your notebook's own test cells; a deleted test cell cannot be noticed "
                     "without it. Run check from a clone of the course to be sure.")
        notes += _checksum_warnings(nb)
    wanted = assignment.notebook_name
    if path.name != wanted:
        notes.append(f"file name: the grader only looks for {wanted}; this file is "
                     f"{path.name}. Rename it to {wanted} before you submit.")
    size = path.stat().st_size
    if size > MAX_NOTEBOOK_BYTES * 0.8:
        state = ("over the limit: it would NOT be graded (0 points)"
                 if size > MAX_NOTEBOOK_BYTES else "close to the limit")
        notes.append(f"size: the notebook is {size / 2**20:.1f} MiB, {state} of "
                     f"{MAX_NOTEBOOK_BYTES // 2**20} MiB. Clear the outputs (Edit > Clear "
                     "Outputs of All Cells) and save.")
    mine_tests = _ids(nb, ("test",))
    for gid, source in _ids(release, ("test",)).items():
        if gid not in mine_tests:
            notes.append(f"test cell {gid} was deleted (or lost its metadata): it is restored "
                         "at grading, and this check ran the original.")
        elif mine_tests[gid].strip() != source.strip():
            notes.append(f"test cell {gid} was edited: the grader runs the original, and so "
                         "did this check; your edits change nothing.")
    mine_given = _ids(nb, ("given",))
    for gid, source in _ids(release, ("given",)).items():
        if gid in mine_given and mine_given[gid].strip() != source.strip():
            notes.append(f"given cell {gid} was edited: the grader runs the original, and "
                         "so did this check.")
    mine_answers = _ids(nb, ("answer",))
    for gid in _ids(release, ("answer",)):
        if gid not in mine_answers:
            notes.append(f"answer cell {gid} is missing (deleted, or its metadata lost): at "
                         "grading it is the empty stub, and its parts score 0. Copy your code "
                         "back into the released cell.")
        elif "raise NotImplementedError" in mine_answers[gid]:
            notes.append(f"answer cell {gid} still raises NotImplementedError: replace the "
                         "`raise NotImplementedError()` line with your code.")
    code = [c.source for c in graded.cells if c.cell_type == "code"]
    missing = undefined_names(code)
    for name in sorted(missing, key=missing.__getitem__):
        notes.append(f"name {name!r} is used but defined in no cell of the notebook: it "
                     "existed only in your session (a deleted or edited cell?) and raises "
                     "NameError at grading. Define it in a cell, then Restart & Run All.")
    counts = [c.get("execution_count") for c in nb.cells
              if c.cell_type == "code" and c.get("execution_count")]
    if counts != sorted(counts):
        notes.append("the cells were last run out of order in your session: the grader runs "
                     "them top to bottom, as this check did.")
    return notes


def _checksum_warnings(nb) -> list[str]:
    """Test and given cells whose source no longer matches nbgrader's checksum."""
    try:
        from nbgrader.utils import compute_checksum
    except ImportError:
        return []
    notes = []
    for cell in nb.cells:
        meta = _meta(cell)
        if cell_kind(cell) in ("test", "given") and meta.get("checksum"):
            if compute_checksum(cell) != meta["checksum"]:
                notes.append(f"{cell_kind(cell)} cell {meta.get('grade_id')} was edited: the "
                             "grader runs the original, but this check (without exercises/) "
                             "ran your edited version. Undo the edit.")
    return notes


# ------------------------------------------------------------------------------- the check

def check_limits(sandbox: bool | None = None) -> tuple[Limits, str]:
    """The grader's default limits; the sandbox where it exists, and how the code ran."""
    limits = Limits()
    if sandbox is False:
        limits.sandbox = False
        return limits, "no sandbox (asked for)"
    if sys.platform != "linux":
        limits.sandbox = False
        return limits, (f"no sandbox: bubblewrap exists on Linux only, not on "
                        f"{platform.system()}; the grader runs your code in it, with the "
                        "same limits")
    try:
        check_sandbox()
    except SandboxUnavailable as exc:
        limits.sandbox = False
        return limits, ("no sandbox: it cannot be set up on this machine "
                        f"({str(exc).split(':')[0]}); the grader runs your code in it")
    return limits, "bubblewrap sandbox, as at grading"


def run_check(path: Path, assignment: str | None = None, *, limits: Limits | None = None,
              mode: str = "", releases: dict[str, Path] | None = None) -> CheckReport:
    """Check one notebook; raises CheckError when it cannot be checked at all."""
    path = Path(path)
    if not path.is_file():
        raise CheckError(f"{path} not found: give the path of your notebook, e.g. "
                         "exercises/a3/a3.ipynb")
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:  # nbformat raises several unrelated types
        raise CheckError(f"{path} is not a readable notebook: "
                         f"{str(exc).strip().splitlines()[0] if str(exc).strip() else exc!r}"
                         ) from None
    target = find_assignment(path, nb, assignment, releases)
    too_big = path.stat().st_size > MAX_NOTEBOOK_BYTES   # warned about, and still run
    problem = None if too_big else check_notebook(path, target)
    if problem:
        raise CheckError(f"{problem}. The grader would give it 0.")
    if limits is None:
        limits, mode = check_limits()
    from autograder.execute import build_graded_notebook

    graded = build_graded_notebook(target, nb)
    report = CheckReport(path, target.name, mode=mode)
    report.warnings += notebook_warnings(path, nb, target, graded)
    hide = [path.resolve().parent]
    execution = execute_submission(target, nb, limits, hide=hide)
    release_tests = _ids(target.read_source(), ("test",))
    for part in target.graded_parts():
        result = execution.parts.get(part.grade_id, PartResult(False, "the test did not run"))
        has_tests = any(line.strip() and not line.strip().startswith("#")
                        for line in release_tests.get(part.grade_id, "").splitlines())
        report.parts.append(PartCheck(part.grade_id, part.points, result, has_tests))
    report.seconds = execution.seconds
    report.limits_hit = list(execution.limits_hit)
    return report


def _fmt(points: float) -> str:
    return f"{points:g}"


def format_report(report: CheckReport) -> str:
    """The table and the warnings, as `check` prints them."""
    width = max([len(p.grade_id) for p in report.parts] + [4])
    lines = [f"{report.assignment}: check of {report.notebook} (visible tests only), "
             f"{report.seconds:.1f} s; student code in: {report.mode}", "",
             f"  {'part':<{width}}  {'points':>6}  visible tests"]
    for part in report.parts:
        if not part.visible_tests:
            verdict = "no visible test: decided by hidden tests"
        elif part.result.passed:
            verdict = "passed"
        else:
            reason = readable_reason(" ".join(part.result.reason.split()))
            verdict = "FAILED: " + (reason[:300] + " ..." if len(reason) > 300 else reason)
        lines.append(f"  {part.grade_id:<{width}}  {_fmt(part.points):>6}  {verdict}")
    rest = report.max_score - report.confirmed - report.failed
    summary = (f"{_fmt(report.confirmed)} / {_fmt(report.max_score)} confirmed by visible "
               "tests")
    if report.failed:
        summary += f"; {_fmt(report.failed)} lost to failing visible tests"
    if rest:
        summary += f"; {_fmt(rest)} more points are decided by hidden tests"
    lines += ["", summary + ".",
              "At grading, hidden tests on other inputs also decide every part that passes "
              "here."]
    if report.limits_hit:
        lines.append(f"limits hit: {', '.join(report.limits_hit)} (the part running at the "
                     "time fails, as at grading)")
    if report.warnings:
        lines += ["", "Before you submit:"] + [f"  - {w}" for w in report.warnings]
    else:
        lines += ["", "No problems found in the file itself."]
    return "\n".join(lines)


# ------------------------------------------------------------------- from inside Jupyter

def _notebook_path() -> Path | None:
    """The notebook this kernel runs, where the front end says so; else one aN.ipynb here."""
    # JPY_SESSION_NAME (Jupyter Server 2) may be relative to the server's root, and the
    # kernel runs in the notebook's folder: try the name there too.
    for candidate in (os.environ.get("JPY_SESSION_NAME"), _vscode_path()):
        if candidate and candidate.endswith(".ipynb"):
            for path in (Path(candidate), Path.cwd() / Path(candidate).name):
                if path.is_file():
                    return path
    here = [p for p in Path.cwd().iterdir() if _ASSIGNMENT_FILE.match(p.name)]
    return here[0] if len(here) == 1 else None


def _vscode_path() -> str | None:
    try:
        from IPython import get_ipython

        shell = get_ipython()
        return shell.user_ns.get("__vsc_ipynb_file__") if shell else None
    except Exception:
        return None


def check(notebook: str | os.PathLike | None = None) -> CheckReport | None:
    """Check this notebook as the grader will run it (visible tests only); print the result.

    Reads the notebook as last SAVED: save it first. Does nothing while the notebook is being
    graded or checked.
    """
    if being_graded():
        print("check(): skipped while the notebook is being graded or checked")
        return None
    path = Path(notebook) if notebook is not None else _notebook_path()
    if path is None:
        print("check(): cannot tell which notebook this is; call check('a3.ipynb') with its "
              "path", file=sys.stderr)
        return None
    saved = time.strftime("%H:%M:%S", time.localtime(path.stat().st_mtime)) if path.exists() \
        else "?"
    print(f"Checking {path} as saved at {saved} (save first: unsaved edits are not seen) ...",
          flush=True)
    try:
        report = run_check(path)
    except (CheckError, CourseError) as exc:
        print(f"check(): {exc}", file=sys.stderr)
        return None
    print(format_report(report))
    return report

