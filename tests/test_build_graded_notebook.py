"""build_graded_notebook, in-process: what of a submission is graded, and what comes from the source.

The graded notebook is the assignment's source (instructions, given cells, visible and hidden
tests) with only the student's answers and added code cells put in. These tests edit a1
submissions the ways students (and their editors) do and check the notebook that is graded.
"""

import copy

import nbformat
import pytest

from autograder.course import get_assignment
from autograder.execute import build_graded_notebook, cell_kind
from autograder.samples import make_submission, release_notebook

A1 = get_assignment("a1")


def gid(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def by_id(nb) -> dict:
    return {gid(c): c for c in nb.cells if gid(c)}


def layout(nb) -> list:
    """(kind, grade_id or the first line of an extra cell) for every cell."""
    return [(cell_kind(c), gid(c) or c.source.splitlines()[0]) for c in nb.cells]


@pytest.fixture(scope="module")
def source():
    return A1.read_source()


@pytest.fixture()
def submission():
    return make_submission("a1")


def test_reference_submission_keeps_the_source_structure_and_its_answers(source, submission):
    graded = build_graded_notebook(A1, submission)
    # the release's scratch cell is the student's now, in the same place as in the source
    assert layout(graded) == layout(source)
    answers = by_id(submission)
    for cell in graded.cells:
        if cell_kind(cell) == "answer":
            assert cell.source == answers[gid(cell)].source
        elif cell_kind(cell) in ("given", "test"):
            assert cell.source == by_id(source)[gid(cell)].source
            assert cell.outputs == [] and cell.execution_count is None
    assert "### BEGIN HIDDEN TESTS" in by_id(graded)["test_add_gate"].source
    nbformat.validate(graded)
    assert len({c.id for c in graded.cells}) == len(graded.cells)


def test_answers_are_taken_by_grade_id(submission):
    by_id(submission)["mul_gate"].source += "\n# the student's own mul_gate\n"
    graded = build_graded_notebook(A1, submission)
    assert by_id(graded)["mul_gate"].source.endswith("# the student's own mul_gate\n")


def test_edited_and_deleted_test_and_given_cells_are_restored(source, submission):
    cells = by_id(submission)
    cells["test_add_gate"].source = "pass  # the student made the test pass"
    cells["setup"].source = "import numpy as np\nrelative_error = lambda a, b: 0.0"
    submission.cells = [c for c in submission.cells if gid(c) != "test_mul_gate"]
    graded = by_id(build_graded_notebook(A1, submission))
    for name in ("test_add_gate", "setup", "test_mul_gate"):
        assert graded[name].source == by_id(source)[name].source


def test_renamed_and_reordered_cells_change_nothing(source, submission):
    reference = build_graded_notebook(A1, submission)
    shuffled = copy.deepcopy(submission)
    for cell in shuffled.cells:      # another editor: new cell ids
        cell.id = f"renamed-{cell.id}"
    answers = [c for c in shuffled.cells if cell_kind(c) == "answer"]
    others = [c for c in shuffled.cells if cell_kind(c) != "answer"]
    shuffled.cells = list(reversed(answers)) + others   # answers first, in reverse order
    graded = build_graded_notebook(A1, shuffled)
    assert [(c.cell_type, c.source) for c in graded.cells] == \
        [(c.cell_type, c.source) for c in reference.cells]


def test_extra_cells_stay_after_their_anchor(submission):
    cells = submission.cells
    at = next(i for i, c in enumerate(cells) if gid(c) == "add_gate")
    cells.insert(at + 1, nbformat.v4.new_code_cell("# scratch 1\nprint(add_forward(1, 2))"))
    cells.insert(at + 2, nbformat.v4.new_code_cell("# scratch 2"))
    cells.insert(at + 3, nbformat.v4.new_markdown_cell("my notes"))        # not code: dropped
    cells.insert(at + 4, nbformat.v4.new_code_cell("   \n"))                # empty: dropped
    cells.insert(0, nbformat.v4.new_code_cell("# before everything"))
    graded = layout(build_graded_notebook(A1, submission))
    assert graded[0] == ("extra", "# before everything")
    at = graded.index(("answer", "add_gate"))
    assert graded[at + 1:at + 4] == [("extra", "# scratch 1"), ("extra", "# scratch 2"),
                                     ("test", "test_add_gate")]
    # with the release's scratch cell and its last cell, "Check before you submit"
    assert [k for k, _ in graded].count("extra") == 5
    assert "my notes" not in [s for _, s in graded]


def test_extra_cell_after_a_test_cell_follows_that_test(submission):
    cells = submission.cells
    at = next(i for i, c in enumerate(cells) if gid(c) == "test_max_gate")
    cells.insert(at + 1, nbformat.v4.new_code_cell("# after the max test"))
    graded = layout(build_graded_notebook(A1, submission))
    at = graded.index(("test", "test_max_gate"))
    assert graded[at + 1] == ("extra", "# after the max test")


def test_a_cell_with_an_unknown_grade_id_is_an_extra_cell(submission):
    cells = submission.cells
    at = next(i for i, c in enumerate(cells) if gid(c) == "max_gate")
    stray = nbformat.v4.new_code_cell("# pasted from another notebook")
    stray.metadata["nbgrader"] = {"grade_id": "cell-from-elsewhere", "solution": True,
                                  "grade": True, "points": 100, "locked": False}
    cells.insert(at + 1, stray)
    graded = build_graded_notebook(A1, submission)
    kinds = layout(graded)
    at = kinds.index(("answer", "max_gate"))
    assert kinds[at + 1] == ("extra", "# pasted from another notebook")
    extra = graded.cells[at + 1]
    assert "nbgrader" not in extra.metadata, "an extra cell carries no grading metadata"


def test_missing_answer_falls_back_to_the_release_stub(submission):
    submission.cells = [c for c in submission.cells if gid(c) != "mul_gate"]
    graded = by_id(build_graded_notebook(A1, submission))
    stub = by_id(release_notebook("a1"))["mul_gate"].source
    assert graded["mul_gate"].source == stub and "raise NotImplementedError()" in stub


def test_the_first_of_two_answer_cells_with_one_grade_id_counts(submission):
    first = by_id(submission)["add_gate"]
    second = copy.deepcopy(first)
    second.id = "duplicate"
    second.source = "# a second copy"
    submission.cells.insert(submission.cells.index(first) + 1, second)
    graded = build_graded_notebook(A1, submission)
    assert by_id(graded)["add_gate"].source == first.source
    assert all("# a second copy" not in c.source for c in graded.cells)


def test_the_sources_own_scratch_cells_are_not_graded(source, submission):
    """The source's scratch cell is replaced by the student's: deleted, it is gone."""
    assert any(cell_kind(c) == "extra" for c in source.cells)
    submission.cells = [c for c in submission.cells if cell_kind(c) != "extra"]
    graded = build_graded_notebook(A1, submission)
    assert not [c for c in graded.cells if cell_kind(c) == "extra"]
