"""Assignment a9 (capstone) through the real grading command: solution, release, every mistake."""

from tests.harness import grade_cases, summary_table
from tests.submissions.a9 import CASES


def test_a9_class(tmp_path):
    """Full marks, zero, and the exact score of every realistic mistake, in one grading run."""
    rows = grade_cases("a9", CASES, tmp_path)
    print(summary_table("a9", CASES, rows))
    feedback = (tmp_path / "out" / "feedback" / "train_never_shuffles.html").read_text()
    assert "test_train" in feedback and "0 / 4" in feedback
    # a backward pass that re-runs the forward one is caught by the hidden check, with a reason
    assert "conv_backward called conv_forward" in rows["conv_backward_reruns_forward"]["reason"]
    # the hidden test on a split sorted by label names what is missing
    assert "shuffle" in rows["train_never_shuffles"]["reason"]
    # a finite-difference cnn_loss misses the exact gradient and overruns the time limit
    assert "1e-12" in rows["cnn_loss_finite_differences"]["reason"]
    assert "time limit" in rows["cnn_loss_finite_differences"]["limits"]
