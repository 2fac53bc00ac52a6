"""Assignment a7 through the real grading command: solution, release and every mistake."""

from tests.harness import grade_cases, summary_table
from tests.submissions.a7 import CASES


def test_a7_class(tmp_path):
    """Full marks, zero, and the exact score of every realistic mistake, in one grading run."""
    rows = grade_cases("a7", CASES, tmp_path)
    print(summary_table("a7", CASES, rows))
    feedback = (tmp_path / "out" / "feedback" / "alt_forgets_mean_path.html").read_text()
    assert "test_batchnorm_backward_alt" in feedback and "0 / 3" in feedback
    # the compact version that calls the long one, and a backward pass that re-runs the
    # forward one, are caught by the hidden checks, with a reason
    assert ("batchnorm_backward_alt called batchnorm_backward"
            in rows["alt_calls_long"]["reason"])
    assert ("batchnorm_backward called batchnorm_forward"
            in rows["backward_reruns_forward"]["reason"])
    # a finite-difference backward is right to about 1e-10 only: the exact comparison catches it
    assert "off by a relative" in rows["finite_difference_backward"]["reason"]
