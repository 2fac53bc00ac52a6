"""A crash of the grader's own trusted process costs one student only, and the run completes.

The crash is injected with BBH_CRASH_ON_STUDENT, which only the test suite sets: the grader
process about to grade that student kills itself with SIGSEGV, as a segfault in a test cell or
in NumPy on the grader's side would.
"""

import nbformat

from autograder.course import get_assignment
from autograder.grading import CRASH_FOR_TESTS, GRADED, NOT_GRADED
from tests.harness import make_submission, read_grades, run_grader


def test_a_grader_crash_costs_that_student_only(tmp_path, monkeypatch):
    a1 = get_assignment("a1")
    submissions = tmp_path / "submissions"
    for student in ("alice", "bob"):
        (submissions / student).mkdir(parents=True)
        nbformat.write(make_submission("a1"), submissions / student / a1.notebook_name)
    monkeypatch.setenv(CRASH_FOR_TESTS, "alice")
    # one grader process at a time: after alice's dies, a fresh one must grade bob
    run_grader("a1", submissions, tmp_path / "out", "--jobs", "1")

    rows = read_grades(tmp_path / "out" / "grades.csv")
    assert rows["alice"]["status"] == NOT_GRADED
    assert "the grader crashed while grading this submission (signal 11, SIGSEGV)" in \
        rows["alice"]["reason"], rows["alice"]
    assert rows["bob"]["status"] == GRADED, rows["bob"]
    assert float(rows["bob"]["score"]) == a1.max_score, rows["bob"]
    summary = (tmp_path / "out" / "summary.html").read_text()
    assert "alice" in summary and "grader crashed" in summary
