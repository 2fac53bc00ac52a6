"""Assignment a2 through the real grading command: solution, release and every mistake."""

from tests.harness import grade_cases, summary_table
from tests.submissions.a2 import CASES


def test_a2_class(tmp_path):
    """Full marks, zero, and the exact score of every realistic mistake, in one grading run."""
    rows = grade_cases("a2", CASES, tmp_path)
    print(summary_table("a2", CASES, rows))
    feedback = (tmp_path / "out" / "feedback" / "hidden_delta_from_updated_w2.html").read_text()
    assert "test_sgd_step" in feedback and "0 / 2" in feedback
    # the finite-difference backward pass is caught by the hidden check, with a reason
    assert "called sigmoid_forward" in rows["finite_difference_sigmoid_backward"]["reason"]

