"""Assignment a2 through the real grading command: solution, release and every mistake."""

import nbformat

from tests.harness import grade_cases, make_submission, summary_table
from tests.submissions.a2 import CASES


def test_a2_class(tmp_path):
    """Full marks, zero, and the exact score of every realistic mistake, in one grading run."""
    rows = grade_cases("a2", CASES, tmp_path)
    print(summary_table("a2", CASES, rows))
    feedback = (tmp_path / "out" / "feedback" / "hidden_delta_from_updated_w2.html").read_text()
    assert "test_sgd_step" in feedback and "0 / 2" in feedback
    # the finite-difference backward pass is caught by the hidden check, with a reason
    assert "called sigmoid_forward" in rows["finite_difference_sigmoid_backward"]["reason"]


def test_solution_code_is_filled_in():
    """The harness really fills the answers in, and every case's edits apply."""
    nb = make_submission("a2")
    answers = [c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert len(answers) == 6, f"a2 should have 6 answer cells, found {len(answers)}"
    for source in answers:
        assert "YOUR CODE HERE" not in source and "### BEGIN SOLUTION" not in source
    assert nbformat.validate(nb) is None
    for case in CASES:
        make_submission("a2", case.edits)   # raises if an edit no longer matches the reference
