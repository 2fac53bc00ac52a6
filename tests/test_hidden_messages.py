"""A hidden test's message names the property that failed, never the hidden inputs.

Students read hidden tests' messages in their feedback; a message such as "wrong output for x of
shape (5, 4, 3) and M = 7" gives away the inputs the hidden test uses (and invites code that
fits them). Every message of a hidden region (assert messages, and the `where`/`what` labels of
autograder.testing) is read here, and f-strings may not interpolate the hidden cases' sizes,
strides, pads, slopes or shapes. Measured results (an error, an accuracy, a loss) and parameter
names (`d{_k}`, `grads[{_n!r}]`) may appear.
"""

from __future__ import annotations

import ast
import re

import nbformat
import pytest

from autograder.course import all_assignments

# Names the hidden cases use for their inputs (shapes, sizes, hyper-parameters).
INPUT_NAMES = re.compile(r"^_?(shape|xs|ws|d|h|t|c|m|alpha|s|p|ph|pw|N|C|H|W|F|K|D|T|M|"
                         r"scale|seed|lr|x|w|b|y|dout|ties|out)$")


def _hidden_regions(source: str) -> tuple[int, int] | None:
    lines = source.splitlines()
    begin = [i for i, line in enumerate(lines, 1) if "### BEGIN HIDDEN TESTS" in line]
    end = [i for i, line in enumerate(lines, 1) if "### END HIDDEN TESTS" in line]
    return (begin[0], end[0]) if begin and end else None


def _messages(tree: ast.AST):
    """Expressions that end up in a failure message."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert) and node.msg is not None:
            yield node.msg
        elif isinstance(node, ast.Call):
            yield from (kw.value for kw in node.keywords if kw.arg in ("where", "what",
                                                                          "message"))
        elif isinstance(node, ast.Assign) and any(getattr(t, "id", "") in ("_where", "_case")
                                                  for t in node.targets):
            yield node.value
        elif isinstance(node, ast.Yield) and isinstance(node.value, ast.Tuple):
            yield node.value.elts[0]


@pytest.mark.parametrize("assignment", [a.name for a in all_assignments()])
def test_hidden_messages_name_no_inputs(assignment):
    a = next(x for x in all_assignments() if x.name == assignment)
    problems = []
    for cell in a.read_source().cells:
        region = _hidden_regions(cell.source) if cell.cell_type == "code" else None
        if region is None:
            continue
        tree = ast.parse(cell.source)
        for message in _messages(tree):
            if not region[0] <= message.lineno <= region[1]:
                continue
            for node in ast.walk(message):
                if isinstance(node, ast.FormattedValue):
                    names = {n.id for n in ast.walk(node.value) if isinstance(n, ast.Name)}
                    bad = sorted(n for n in names if INPUT_NAMES.match(n))
                    if bad:
                        problems.append(f"{cell.metadata['nbgrader']['grade_id']}: "
                                        f"{ast.get_source_segment(cell.source, message)[:120]}"
                                        f" interpolates {bad}")
    assert not problems, "hidden tests' messages that give inputs away:\n" + "\n".join(problems)


def test_the_check_catches_an_input_in_a_message():
    source = ("### BEGIN HIDDEN TESTS\nfor _shape in [(2, 3)]:\n"
              "    assert False, f'wrong for x of shape {_shape}'\n### END HIDDEN TESTS\n")
    cell = nbformat.v4.new_code_cell(source)
    tree = ast.parse(cell.source)
    found = [node for message in _messages(tree) for node in ast.walk(message)
             if isinstance(node, ast.FormattedValue)]
    assert found and INPUT_NAMES.match(found[0].value.id)
