"""Assignment a3 through the real grading command: solution, release and realistic mistakes."""

import nbformat

from tests.harness import grade_cases, make_submission, summary_table
from tests.submissions.a3 import CASES


def test_a3_class(tmp_path):
    """One class: full marks, zero, and the exact score of every mistake."""
    rows = grade_cases("a3", CASES, tmp_path)
    print(summary_table("a3", CASES, rows))
    feedback = (tmp_path / "out" / "feedback" / "softmax_naive_overflow.html").read_text()
    assert "test_softmax_large_scores" in feedback and "0 / 2" in feedback


def test_a3_solution_code_is_filled_in():
    """The harness really fills every answer in from the reference solution."""
    nb = make_submission("a3")
    sources = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "raise NotImplementedError()" not in sources
    assert "### BEGIN SOLUTION" not in sources
    assert nbformat.validate(nb) is None
