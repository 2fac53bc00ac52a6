"""Every assignment's class, graded by our command and by stock nbgrader: the same scores.

One class per assignment: the reference solution, the untouched release, the honest variants
(tests/submissions/honest.py: the reference written with real students' habits; all nine on
a1-a6, three in rotation on a7-a9, see ROTATED) and every wrong submission
(tests/submissions/aN.py). Our grading command grades it ONCE; its results must be
exactly what each case says (tests.harness.check_class: scores, lost parts, reasons, feedback
pages) plus the assignment's own checks below. Stock nbgrader grades the same notebooks in-kernel
with the same source notebook and hidden tests (tests/stock_nbgrader.py), and every submission
must get the same score from both, part by part. The score table prints with -s and on failure.

The Korean edition: the reference and one wrong submission of each class are also graded in
Korean (`<name>-ko`: instructions and docstrings translated by the catalogs in locale/ko, as
`exercises/ko/` is made), by our command in the same run, and must get exactly the English
notebook's score, part by part. Which wrong submission turns with the run's date
(BBH_KOREAN_ROTATION=<n> picks another); BBH_KOREAN_ALL=1 grades every one in Korean (all of
them agree: 120 of 120 when this was written).

Each assignment is a class of its own: `make test` spreads tests by module and class
(--dist loadscope), so the six classes share the two cores (a parametrized function would keep
them all on one).
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from autograder.course import get_assignment
from autograder.precheck import check_limits, run_check
from autograder.sandbox import Limits
from tests.harness import Case, check_class, read_grades, run_grader, save_report, write_class
from tests.stock_nbgrader import run_stock
from tests.submissions.honest import honest_cases
from tools import i18n

# Submissions stock nbgrader is not asked to grade, and why. They exist to test our intake:
# our grader gives each 0 with a reason; stock autograde fails on them (checked by hand with
# nbgrader 0.9.6: success False, no grade recorded), so there are no parts to compare.
NOT_FOR_STOCK = {
    "missing_notebook": "no notebook: stock autograde fails, 'No notebooks were matched'",
    "renamed_notebook": "'a1 (1).ipynb': stock skips it as an unknown notebook, then fails",
    "truncated_json": "not JSON: stock autograde fails reading it",
    "binary_file": "not UTF-8: stock autograde fails reading it",
    "empty_file": "0 bytes: stock autograde fails reading it",
    "other_assignment": "a2's cells: stock autograde fails, 'Notebook failed to validate'",
}

# Honest variants our grader cannot yet grade as Jupyter does (names: honest_<habit>).

# The honest variants run in full on the six assignments the grader's contract names (a1-a6).
# The later assignments (a7-a9) add no new habits, only new code, so to keep `make test` within
# its time each takes every third habit in turn: all nine habits still run on them once.
ROTATED = ("a7", "a8", "a9")


def _honest(assignment: str) -> list[Case]:
    cases = honest_cases(assignment)
    if assignment in ROTATED:
        cases = cases[ROTATED.index(assignment)::len(ROTATED)]
    return cases


def _cases(assignment: str) -> list[Case]:
    library = importlib.import_module(f"tests.submissions.{assignment}")
    return (list(library.CASES) + list(getattr(library, "UNGRADABLE", []))
            + _honest(assignment))


# `check` (autograder.precheck) runs a student's notebook as `grade` does, with the visible
# tests only; on its way through each test cell the grader records the verdict of the visible
# part alone (results.json, "visible"). Running `check` on every notebook of every class would
# double the cost of this file, so each class checks CHECKED_PER_CLASS of its gradable
# notebooks, at a position that differs from class to class (the same in every run, so a
# failure reproduces; BBH_CHECK_ROTATION=<n> shifts the choice, BBH_CHECK_ALL=1 checks them
# all), and compares verdict and reason, part by part.
CHECKED_PER_CLASS = 1


def _checked(assignment: str, names: list[str]) -> list[str]:
    if os.environ.get("BBH_CHECK_ALL"):
        return names
    shift = int(assignment[1:]) * 7 + int(os.environ.get("BBH_CHECK_ROTATION") or 0)
    start = (shift * CHECKED_PER_CLASS) % len(names)
    return [names[(start + i) % len(names)] for i in range(min(CHECKED_PER_CLASS, len(names)))]


def check_agrees(assignment: str, submissions: Path, out: Path, names: list[str]) -> list[str]:
    """Where `check` on a notebook and the grader's visible verdicts on it differ ([] if nowhere)."""
    a = get_assignment(assignment)
    graded = {s["student"]: s for s in json.loads((out / "results.json").read_text())["students"]}
    limits, mode = check_limits()
    problems = []
    for name in names:
        report = run_check(submissions / name / a.notebook_name, assignment, limits=limits,
                           mode=mode)
        visible = graded[name]["visible"]
        for gid, (passed, reason) in report.verdicts.items():
            if gid not in visible:
                problems.append(f"{name}: the grader recorded no visible verdict for {gid}")
            elif (passed, reason) != (visible[gid] == "", visible[gid]):
                problems.append(f"{name}: {gid}: check says {'passed' if passed else reason!r},"
                                f" the grader's visible tests "
                                f"{'passed' if visible[gid] == '' else repr(visible[gid])}")
    return problems


KOREAN = "-ko"
# Grading a notebook in Korean costs what grading it in English does, and `make test` has no
# time for a second library per class: one wrong submission each, a different one every day
# (the same all day, so a failure reproduces), so that in turn every mistake is graded in Korean.


def _korean_cases(assignment: str) -> list[str]:
    names = [c.name for c in importlib.import_module(f"tests.submissions.{assignment}").CASES]
    if os.environ.get("BBH_KOREAN_ALL"):
        return names
    turn = int(os.environ.get("BBH_KOREAN_ROTATION") or time.time() // 86400)
    return [names[(turn + int(assignment[1:])) % len(names)]]


def write_korean(assignment: str, names: list[str], submissions: Path) -> list[str]:
    """A Korean copy of each named submission (`<name>-ko`); returns the copies' names."""
    a = get_assignment(assignment)
    lookup = i18n.Translations(f"exercises/{assignment}")
    made = []
    for name in names:
        try:
            nb = json.loads((submissions / name / a.notebook_name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue            # not a notebook: nothing to translate
        target = submissions / f"{name}{KOREAN}" / a.notebook_name
        target.parent.mkdir(parents=True)
        target.write_text(json.dumps(i18n.translate_notebook(nb, lookup, docstrings=True),
                                     ensure_ascii=False), encoding="utf-8")
        made.append(f"{name}{KOREAN}")
    return made


def korean_agrees(assignment: str, rows: dict, korean: list[str]) -> list[str]:
    """Where a Korean notebook's grade differs from its English one's ([] if nowhere)."""
    parts = [p.grade_id for p in get_assignment(assignment).graded_parts()]
    problems = []
    for name in korean:
        en, ko = rows[name.removesuffix(KOREAN)], rows[name]
        differ = [f"{p} {en[p]}/{ko[p]}" for p in ["score", *parts] if en[p] != ko[p]]
        if differ or en["status"] != ko["status"]:
            problems.append(f"{name}: the Korean notebook is graded differently (English/Korean):"
                            f" {', '.join(differ) or en['status'] + '/' + ko['status']}")
    return problems


def _fmt(value) -> str:
    return "-" if value is None else f"{value:g}"


def grade_both(assignment: str, workdir: Path) -> tuple[dict, dict, list[str]]:
    """Grade the class with both graders; returns (our rows, stock results, problems)."""
    a = get_assignment(assignment)
    parts = [p.grade_id for p in a.graded_parts()]
    cases = _cases(assignment)
    submissions, out = workdir / "submissions", workdir / "out"
    names = write_class(assignment, cases, submissions)
    korean = write_korean(assignment, ["solution", *_korean_cases(assignment)], submissions)

    compared = [n for n in names if n not in NOT_FOR_STOCK]
    stock_in = workdir / "stock-submissions"
    for name in compared:
        shutil.copytree(submissions / name, stock_in / name)

    def timed(fn, *args):
        start = time.perf_counter()
        result = fn(*args)
        return result, time.perf_counter() - start

    # The two graders run at the same time (each is a process of its own, and much of their
    # time is spent starting kernels and workers, so together they keep both cores busy).
    with ThreadPoolExecutor(max_workers=2) as pool:
        ours = pool.submit(timed, run_grader, assignment, submissions, out)
        theirs = pool.submit(timed, run_stock, assignment, stock_in, workdir / "stock",
                             Limits().cell_timeout)
        (_, ours_seconds), (stock, stock_seconds) = ours.result(), theirs.result()
    rows = read_grades(out / "grades.csv")

    problems = check_class(assignment, cases, rows, out)
    korean_differ = korean_agrees(assignment, rows, korean)   # one line per differing notebook
    problems += korean_differ
    start = time.perf_counter()
    checked = _checked(assignment, [n for n in compared if rows[n]["status"] == "graded"])
    problems += check_agrees(assignment, submissions, out, checked)
    check_seconds = time.perf_counter() - start
    table = [f"{assignment} (max {a.max_score:g}): ours {ours_seconds:.0f} s, "
             f"stock nbgrader {stock_seconds:.0f} s for {len(names)} (+{len(korean)} in Korean)"
             f" / {len(compared)} submissions; check agrees on {', '.join(checked)} ({check_seconds:.0f} s)",
             f"  {'submission':<36} {'ours':>5} {'stock':>5}"]
    for name in names:
        ours_total = float(rows[name]["score"])
        if name not in compared:
            table.append(f"  {name:<36} {ours_total:>5g} {'':>5}  not for stock: "
                         f"{NOT_FOR_STOCK[name]}")
            continue
        result = stock.get(name, {"scores": {}, "error": "not graded by stock nbgrader"})
        scores = result["scores"]
        total = (None if any(scores.get(p) is None for p in parts)
                 else sum(scores[p] for p in parts))
        differ = [f"{p} {rows[name][p]}/{_fmt(scores.get(p))}" for p in parts
                  if scores.get(p) is None or float(rows[name][p]) != scores[p]]
        note = ""
        if differ:
            problems.append(f"{name}: ours and stock nbgrader differ: " + ", ".join(differ)
                            + (f" (stock: {result['error']})" if result["error"] else ""))
            note = "  differ: " + ", ".join(differ)
        table.append(f"  {name:<36} {ours_total:>5g} {_fmt(total):>5}{note}")
    table.append(f"  Korean notebooks graded as their English ones: "
                 f"{len(korean) - len(korean_differ)} of {len(korean)}")
    text = "\n".join(table)
    print(text)
    save_report(f"differential-{assignment}", text)
    if problems:
        problems.append(text)
    return rows, stock, problems


class _Differential:
    assignment = ""

    def test_graded_alike(self, tmp_path):
        """Our exact expected scores, the same scores as stock nbgrader, and the specific checks."""
        rows, _, problems = grade_both(self.assignment, tmp_path)
        assert not problems, "\n".join(problems)
        self.specific(rows, tmp_path / "out")

    def specific(self, rows: dict, out: Path) -> None:
        raise NotImplementedError


def _feedback(out: Path, student: str) -> str:
    return (out / "feedback" / f"{student}.html").read_text()


class TestA1(_Differential):
    assignment = "a1"
    REASONS = {
        "missing_notebook": "a1.ipynb not found",
        "renamed_notebook": "found a1 (1).ipynb instead",
        "truncated_json": "not valid JSON",
        "binary_file": "not UTF-8",
        "empty_file": "is empty",
        "other_assignment": "is not a1",
    }

    def specific(self, rows, out):
        for name, fragment in self.REASONS.items():
            row = rows[name]
            assert row["status"] == "not graded", f"{name} should not have been graded: {row}"
            assert fragment in row["reason"], f"{name}: reason {row['reason']!r} lacks {fragment!r}"
        feedback = _feedback(out, "mul_not_swapped")
        assert "test_mul_gate" in feedback and "0 / 2" in feedback


class TestA2(_Differential):
    assignment = "a2"

    def specific(self, rows, out):
        feedback = _feedback(out, "hidden_delta_from_updated_w2")
        assert "test_sgd_step" in feedback and "0 / 2" in feedback
        # the finite-difference backward pass is caught by the hidden check, with a reason
        assert "called sigmoid_forward" in rows["finite_difference_sigmoid_backward"]["reason"]


class TestA3(_Differential):
    assignment = "a3"

    def specific(self, rows, out):
        feedback = _feedback(out, "softmax_naive_overflow")
        assert "test_softmax_large_scores" in feedback and "0 / 2" in feedback


class TestA4(_Differential):
    assignment = "a4"

    def specific(self, rows, out):
        feedback = _feedback(out, "adam_no_bias_correction")
        assert "test_adam" in feedback and "0 / 3" in feedback
        # the backward pass that re-runs the forward one is caught by the hidden check
        assert "dropout_backward called dropout_forward" in rows["dropout_backward_calls_forward"]["reason"]


class TestA5(_Differential):
    assignment = "a5"

    def specific(self, rows, out):
        feedback = _feedback(out, "dx_kernel_not_flipped")
        assert "test_conv_backward_dx" in feedback and "0 / 3" in feedback
        # the finite-difference backward re-runs the forward pass: the hidden check says so
        reason = rows["conv_backward_finite_differences"]["reason"]
        assert "conv_backward called conv_forward" in reason, reason


class TestA6(_Differential):
    assignment = "a6"

    def specific(self, rows, out):
        feedback = _feedback(out, "bptt_drops_next_step")
        assert "test_rnn_backward" in feedback and "0 / 4" in feedback
        # a backward pass that re-runs the forward one is caught by the hidden check
        assert "rnn_backward called rnn_step_forward" in rows["backward_reruns_forward"]["reason"]


class TestA7(_Differential):
    assignment = "a7"

    def specific(self, rows, out):
        feedback = _feedback(out, "alt_forgets_mean_path")
        assert "test_batchnorm_backward_alt" in feedback and "0 / 3" in feedback
        # the compact version that calls the long one, and a backward pass that re-runs the
        # forward one, are caught by the hidden checks, with a reason
        assert ("batchnorm_backward_alt called batchnorm_backward"
                in rows["alt_calls_long"]["reason"])
        assert ("batchnorm_backward called batchnorm_forward"
                in rows["backward_reruns_forward"]["reason"])
        # a finite-difference backward is right to about 1e-10 only: the exact check catches it
        assert "off by a relative" in rows["finite_difference_backward"]["reason"]


class TestA8(_Differential):
    assignment = "a8"

    def specific(self, rows, out):
        feedback = _feedback(out, "cell_grad_not_carried")
        assert "test_lstm_backward" in feedback and "0 / 5" in feedback
        # a backward pass that re-runs the forward one is caught by the hidden check
        assert ("lstm_backward called lstm_step_forward"
                in rows["backward_reruns_forward"]["reason"])


class TestA9(_Differential):
    assignment = "a9"

    def specific(self, rows, out):
        feedback = _feedback(out, "train_never_shuffles")
        assert "test_train" in feedback and "0 / 4" in feedback
        # a backward pass that re-runs the forward one is caught by the hidden check
        assert ("conv_backward called conv_forward"
                in rows["conv_backward_reruns_forward"]["reason"])
        # the hidden test on a split sorted by label names what is missing
        assert "shuffle" in rows["train_never_shuffles"]["reason"]
        # a finite-difference cnn_loss misses the exact gradient and overruns the time limit
        assert "1e-12" in rows["cnn_loss_finite_differences"]["reason"]
        assert "time limit" in rows["cnn_loss_finite_differences"]["limits"]
