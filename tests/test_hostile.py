"""A class with hostile submissions is graded safely and everyone else exactly as without them.

One class (two honest students and every hostile case of tests/submissions/hostile.py) goes
through the real grading command; the honest students are graded again alone, and their rows,
feedback scores and outputs must be identical.
"""

from __future__ import annotations

import socket
import threading

import nbformat
import pytest

from autograder.sandbox import can_isolate
from tests.harness import make_submission, read_grades, run_grader
from tests.submissions.hostile import GATES_ONLY, HONEST_PART, hostile_cases

pytestmark = pytest.mark.skipif(not can_isolate(),
                                reason="the sandbox needs root on Linux (as on CI)")


class _Listener:
    """A TCP server on loopback that records every connection made to it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.5)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while self.running:
            try:
                conn, _ = self.sock.accept()
                self.connections += 1
                conn.close()
            except OSError:
                continue

    def close(self):
        self.running = False
        self.thread.join(timeout=5)
        self.sock.close()


def _write_honest(submissions):
    for name, nb in [("honest_full", make_submission("a1")),
                     ("honest_partial", make_submission("a1", GATES_ONLY))]:
        (submissions / name).mkdir(parents=True)
        nbformat.write(nb, submissions / name / "a1.ipynb")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    listener = _Listener()
    submissions, out = base / "class", base / "out"
    _write_honest(submissions)
    cases = hostile_cases(submissions, out, listener.port)
    for case in cases:
        folder = submissions / case.name
        folder.mkdir()
        case.write(folder)
    try:
        proc = run_grader("a1", submissions, out, "--cell-timeout", "10",
                          "--notebook-timeout", "120", "--memory-mb", "1024", "--disk-mb", "32")
    finally:
        listener.close()
    alone_submissions, alone_out = base / "alone", base / "alone-out"
    _write_honest(alone_submissions)
    run_grader("a1", alone_submissions, alone_out)
    return {"cases": cases, "rows": read_grades(out / "grades.csv"), "out": out,
            "alone": read_grades(alone_out / "grades.csv"), "alone_out": alone_out,
            "listener": listener, "stdout": proc.stdout}


def test_every_hostile_case_scores_at_most_its_honest_part(graded):
    rows, problems = graded["rows"], []
    table = []
    for case in graded["cases"]:
        row = rows[case.name]
        got = float(row["score"])
        table.append(f"{case.name:<24} {got:>4g}  {row['limits'] or '-':<14} {row['reason'][:90]}")
        if got > HONEST_PART:
            problems.append(f"{case.name}: scored {got:g}, above the honest part {HONEST_PART:g}")
        if got != case.expected:
            problems.append(f"{case.name}: scored {got:g}, expected {case.expected:g}: "
                            f"{row['reason']}")
        if case.limit and case.limit not in row["limits"]:
            problems.append(f"{case.name}: limit {case.limit!r} not named (limits: "
                            f"{row['limits']!r}, reason: {row['reason']!r})")
        if case.reason and case.reason not in row["reason"]:
            problems.append(f"{case.name}: reason {row['reason']!r} lacks {case.reason!r}")
    print("\n".join(table))
    print(graded["stdout"])
    assert not problems, "\n".join(problems)


def test_honest_students_are_graded_as_without_the_hostile_ones(graded):
    for name in ("honest_full", "honest_partial"):
        with_hostile, alone = dict(graded["rows"][name]), dict(graded["alone"][name])
        assert with_hostile == alone, f"{name}: {with_hostile} != {alone}"
    assert graded["rows"]["honest_full"]["score"] == "20"
    assert graded["rows"]["honest_partial"]["score"] == "9"


def test_nothing_leaked_and_no_connection_was_made(graded):
    assert graded["listener"].connections == 0, "a submission reached the loopback server"
    autograded = graded["out"] / "nbgrader" / "autograded"
    for case in ("reads_secrets", "writes_elsewhere", "network", "kill_grader"):
        nb = nbformat.read(autograded / case / "a1" / "a1.ipynb", as_version=4)
        text = "".join(out.get("text", "") for cell in nb.cells
                       for out in cell.get("outputs", []) if out.get("output_type") == "stream")
        assert "blocked:" in text, f"{case}: the probe did not run:\n{text[:500]}"
        assert "LEAK:" not in text, f"{case}: {text}"


def test_no_special_protocol_ran_in_the_grader(graded):
    """The proto_* cases would create out/PWNED-* if the grader pickled or copied their object."""
    assert not list(graded["out"].glob("PWNED*"))


def test_the_grader_files_are_intact(graded):
    out = graded["out"]
    honest = (out / "submissions" / "honest_full" / "a1.ipynb").read_text()
    assert "owned" not in honest
    feedback = (out / "feedback" / "honest_full.html").read_text()
    assert "Score: 20 / 20" in feedback
    summary = (out / "summary.html").read_text()
    for case in ("infinite_loop", "memory_bomb", "disk_bomb", "renamed"):
        assert case in summary, f"the class summary does not list {case}"
