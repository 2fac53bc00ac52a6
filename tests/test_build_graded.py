"""build_graded_notebook: the source's structure, with only the student's answers and own cells."""

from __future__ import annotations

import nbformat

from autograder.course import get_assignment
from autograder.execute import _meta, build_graded_notebook, cell_kind
from autograder.samples import make_submission

A = get_assignment("a2")


def _ids(nb, kind):
    return [_meta(c).get("grade_id") for c in nb.cells if cell_kind(c) == kind]


def test_tests_and_given_cells_come_from_the_source():
    source = A.read_source()
    nb = make_submission("a2")
    for cell in nb.cells:                       # a student who edits and deletes tests
        if cell_kind(cell) == "test":
            cell.source = "pass"
    nb.cells = [c for c in nb.cells if _meta(c).get("grade_id") != "test_sgd_step"]
    graded = build_graded_notebook(A, nb)
    tests = {_meta(c)["grade_id"]: c.source for c in source.cells if cell_kind(c) == "test"}
    assert {_meta(c)["grade_id"]: c.source for c in graded.cells
            if cell_kind(c) == "test"} == tests
    assert _ids(graded, "given") == _ids(source, "given")
    assert all(c.outputs == [] for c in graded.cells if c.cell_type == "code")


def test_answers_and_extra_cells_are_the_students():
    nb = make_submission("a2")
    index = next(i for i, c in enumerate(nb.cells) if _meta(c).get("grade_id") == "affine_forward")
    nb.cells[index].source = "%%time\n" + nb.cells[index].source
    nb.cells.insert(index + 1, nbformat.v4.new_code_cell("scratch = 1"))
    nb.cells.insert(0, nbformat.v4.new_code_cell("first = 0"))
    graded = build_graded_notebook(A, nb)
    sources = [c.source for c in graded.cells]
    assert sources[0] == "first = 0"
    at = next(i for i, c in enumerate(graded.cells)
              if _meta(c).get("grade_id") == "affine_forward")
    assert graded.cells[at].source.startswith("%%time\n")
    assert graded.cells[at + 1].source == "scratch = 1"
    assert len({c.id for c in graded.cells}) == len(graded.cells)


def test_a_missing_answer_is_the_released_stub():
    nb = make_submission("a2")
    nb.cells = [c for c in nb.cells if _meta(c).get("grade_id") != "sgd_step"]
    graded = build_graded_notebook(A, nb)
    stub = next(c for c in graded.cells if _meta(c).get("grade_id") == "sgd_step")
    assert "NotImplementedError" in stub.source
