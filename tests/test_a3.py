"""Assignment a3 through the real grading command: solution, release and realistic mistakes."""

from tests.harness import grade_cases, summary_table
from tests.submissions.a3 import CASES


def test_a3_class(tmp_path):
    """One class: full marks, zero, and the exact score of every mistake."""
    rows = grade_cases("a3", CASES, tmp_path)
    print(summary_table("a3", CASES, rows))
    feedback = (tmp_path / "out" / "feedback" / "softmax_naive_overflow.html").read_text()
    assert "test_softmax_large_scores" in feedback and "0 / 2" in feedback

