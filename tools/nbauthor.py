"""Build nbgrader notebooks from Python, with the cell metadata nbgrader expects.

An author may write a throw-away script that calls these helpers and saves
``solutions/aN/aN.ipynb``; the notebook is then the source of truth and is edited directly.

    nb = new_assignment()
    nb.cells += [
        instructions("intro", "# Assignment 1 ..."),
        given_code("setup", "import numpy as np"),
        answer("add_gate", "def add_forward(x, y):\\n    ### BEGIN SOLUTION\\n ..."),
        tests("test_add_gate", points=2, code="..."),
    ]
    save(nb, "solutions/a1/a1.ipynb")
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

_SCHEMA = 3


def _meta(grade_id: str, *, grade: bool, solution: bool, locked: bool, task: bool = False,
          points: float | None = None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": _SCHEMA,
            "solution": solution, "task": task}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def new_assignment() -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python",
                                 "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def instructions(grade_id: str, text: str):
    """A read-only markdown cell."""
    return new_markdown_cell(text, metadata=_meta(grade_id, grade=False, solution=False,
                                                  locked=True))


def given_code(grade_id: str, code: str):
    """A read-only code cell students run but do not edit (imports, helpers)."""
    return new_code_cell(code, metadata=_meta(grade_id, grade=False, solution=False, locked=True))


def answer(grade_id: str, code: str):
    """An autograded-answer cell: reference code between ### BEGIN/END SOLUTION."""
    if "### BEGIN SOLUTION" not in code:
        raise ValueError(f"answer cell {grade_id!r} has no ### BEGIN SOLUTION region")
    return new_code_cell(code, metadata=_meta(grade_id, grade=False, solution=True, locked=False))


def tests(grade_id: str, points: float, code: str):
    """An autograded-test cell worth `points`: visible asserts, then hidden ones."""
    return new_code_cell(code, metadata=_meta(grade_id, grade=True, solution=False, locked=True,
                                              points=points))


def scratch(code: str = ""):
    """An ordinary cell with no nbgrader metadata (for the student's own experiments)."""
    return new_code_cell(code)


def save(nb: nbformat.NotebookNode, path: str | Path) -> None:
    nbformat.validate(nb)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
