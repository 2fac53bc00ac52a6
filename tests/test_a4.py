"""Assignment a4 through the real grading command: solution, release and every mistake."""

from tests.harness import grade_cases, summary_table
from tests.submissions.a4 import CASES


def test_a4_class(tmp_path):
    """Full marks, zero, and the exact score of every realistic mistake, in one grading run."""
    rows = grade_cases("a4", CASES, tmp_path)
    print(summary_table("a4", CASES, rows))
    feedback = (tmp_path / "out" / "feedback" / "adam_no_bias_correction.html").read_text()
    assert "test_adam" in feedback and "0 / 3" in feedback
    # the backward pass that re-runs the forward one is caught by the hidden check, with a reason
    assert "dropout_backward called dropout_forward" in rows["dropout_backward_calls_forward"]["reason"]

