"""A crash of a grading process costs one student only, and the run completes.

The crash is injected with BBH_CRASH_ON_STUDENT, which only the test suite sets: the Dask worker
process about to grade that student kills itself with SIGSEGV, as a segfault in a test cell or
in NumPy on the grader's side would. The scheduler re-runs the submission on a fresh worker,
which crashes again: the student is reported "could not be graded: worker lost", and a fresh
worker grades everyone else.
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
    # one worker process: after alice's crashes it (twice), a fresh one must grade bob
    run_grader("a1", submissions, tmp_path / "out", "--workers", "1")

    rows = read_grades(tmp_path / "out" / "grades.csv")
    assert rows["alice"]["status"] == NOT_GRADED
    assert "could not be graded: worker lost" in rows["alice"]["reason"], rows["alice"]
    assert "died 2 times" in rows["alice"]["reason"], rows["alice"]
    assert rows["bob"]["status"] == GRADED, rows["bob"]
    assert float(rows["bob"]["score"]) == a1.max_score, rows["bob"]
    summary = (tmp_path / "out" / "summary.html").read_text()
    assert "alice" in summary and "worker lost" in summary
    assert "worker lost" in (tmp_path / "out" / "feedback" / "alice.html").read_text()
