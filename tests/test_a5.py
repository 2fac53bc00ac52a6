"""Assignment a5 through the real grading command: solution, release and every mistake."""

import nbformat

from tests.harness import grade_cases, make_submission, summary_table
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


def test_solution_code_is_filled_in():
    """The harness really fills the answers in, and every case's edits apply."""
    nb = make_submission("a5")
    answers = [c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert len(answers) == 4, f"a5 should have 4 answer cells, found {len(answers)}"
    for source in answers:
        assert "YOUR CODE HERE" not in source and "### BEGIN SOLUTION" not in source
    assert nbformat.validate(nb) is None
    for case in CASES:
        make_submission("a5", case.edits)   # raises if an edit no longer matches the reference
