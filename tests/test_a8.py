"""Assignment a8 through the real grading command: solution, release and every mistake."""

from tests.harness import grade_cases, summary_table
from tests.submissions.a8 import CASES


def test_a8_class(tmp_path):
    """Full marks, zero, and the exact score of every realistic mistake, in one grading run."""
    rows = grade_cases("a8", CASES, tmp_path)
    print(summary_table("a8", CASES, rows))
    feedback = (tmp_path / "out" / "feedback" / "cell_grad_not_carried.html").read_text()
    assert "test_lstm_backward" in feedback and "0 / 5" in feedback
    # a backward pass that re-runs the forward one is caught by the hidden check, with a reason
    assert "lstm_backward called lstm_step_forward" in rows["backward_reruns_forward"]["reason"]
