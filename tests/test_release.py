"""exercises/ is exactly what nbgrader generates from solutions/ (never edited by hand)."""

import importlib

import nbformat
import pytest

from autograder.course import all_assignments
from autograder.intake import check_notebook
from autograder.release import release_differences
from autograder.samples import make_submission
from tests.submissions.honest import honest_cases


def test_course_has_assignments():
    assert [a.name for a in all_assignments()][:1] == ["a1"]


@pytest.mark.parametrize("assignment", all_assignments(), ids=lambda a: a.name)
def test_exercises_match_a_fresh_release(assignment):
    diffs = release_differences(assignment)
    assert not diffs, (f"exercises/{assignment.name} is out of date; run "
                       f"`python -m autograder release {assignment.name}`:\n" + "\n".join(diffs))


@pytest.mark.parametrize("assignment", all_assignments(), ids=lambda a: a.name)
def test_every_part_has_points_and_every_answer_a_test(assignment):
    parts = assignment.graded_parts()
    assert parts and all(p.points > 0 for p in parts), f"{assignment.name}: a part has no points"
    ids = [p.grade_id for p in parts]
    assert len(ids) == len(set(ids)), f"{assignment.name}: duplicate grade ids"


@pytest.mark.parametrize("assignment", all_assignments(), ids=lambda a: a.name)
def test_reference_fills_every_answer_and_every_case_applies(assignment):
    """The test harness really submits the reference, and every wrong submission still applies."""
    nb = make_submission(assignment.name)
    answers = [c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert answers, f"{assignment.name} has no answer cells"
    for source in answers:
        assert "YOUR CODE HERE" not in source and "### BEGIN SOLUTION" not in source
    nbformat.validate(nb)
    cases = importlib.import_module(f"tests.submissions.{assignment.name}").CASES
    assert len(cases) >= 6, f"{assignment.name} needs at least six wrong submissions"
    for case in cases:
        make_submission(assignment.name, case.edits)  # raises if an edit no longer applies


@pytest.mark.parametrize("assignment", all_assignments(), ids=lambda a: a.name)
def test_every_honest_variant_is_a_gradable_notebook(assignment, tmp_path):
    """The honest variants still build from the reference, and each file is a valid notebook."""
    cases = honest_cases(assignment.name)
    assert len(cases) >= 8, f"{assignment.name} needs at least eight honest variants"
    for case in cases:
        folder = tmp_path / case.name
        folder.mkdir()
        case.raw(folder)
        problem = check_notebook(folder / assignment.notebook_name, assignment)
        assert problem is None, f"{case.name}: {problem}"
