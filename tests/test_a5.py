"""Assignment a5 through the real grading command: solution, release and every mistake."""

from tests.harness import grade_cases, summary_table
from tests.submissions.a5 import CASES


def test_a5_class(tmp_path):
    """Full marks, zero, and the exact score of every realistic mistake, in one grading run."""
    rows = grade_cases("a5", CASES, tmp_path)
    print(summary_table("a5", CASES, rows))
    feedback = (tmp_path / "out" / "feedback" / "dx_kernel_not_flipped.html").read_text()
    assert "test_conv_backward_dx" in feedback and "0 / 3" in feedback
    # the finite-difference backward re-runs the forward pass: the hidden check says so
    reason = rows["conv_backward_finite_differences"]["reason"]
    assert "conv_backward called conv_forward" in reason, reason

