"""Assignment a6 through the real grading command: solution, release and every mistake."""

from tests.harness import grade_cases, summary_table
from tests.submissions.a6 import CASES


def test_a6_class(tmp_path):
    """Full marks, zero, and the exact score of every realistic mistake, in one grading run."""
    rows = grade_cases("a6", CASES, tmp_path)
    print(summary_table("a6", CASES, rows))
    feedback = (tmp_path / "out" / "feedback" / "bptt_drops_next_step.html").read_text()
    assert "test_rnn_backward" in feedback and "0 / 4" in feedback
    # a backward pass that re-runs the forward one is caught by the hidden check, with a reason
    assert "rnn_backward called rnn_step_forward" in rows["backward_reruns_forward"]["reason"]

