"""Assignment a4 through the real grading command: solution, release and every mistake."""

import nbformat

from tests.harness import grade_cases, make_submission, summary_table
from tests.submissions.a4 import CASES


def test_a4_class(tmp_path):
    """Full marks, zero, and the exact score of every realistic mistake, in one grading run."""
    rows = grade_cases("a4", CASES, tmp_path)
    print(summary_table("a4", CASES, rows))
    feedback = (tmp_path / "out" / "feedback" / "adam_no_bias_correction.html").read_text()
    assert "test_adam" in feedback and "0 / 3" in feedback
    # the backward pass that re-runs the forward one is caught by the hidden check, with a reason
    assert "must not call dropout_forward" in rows["dropout_backward_calls_forward"]["reason"]


def test_solution_code_is_filled_in():
    """The harness really fills the answers in, and every case's edits apply."""
    nb = make_submission("a4")
    answers = [c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert len(answers) == 8, f"a4 should have 8 answer cells, found {len(answers)}"
    for source in answers:
        assert "YOUR CODE HERE" not in source and "### BEGIN SOLUTION" not in source
    assert nbformat.validate(nb) is None
    for case in CASES:
        make_submission("a4", case.edits)   # raises if an edit no longer matches the reference
