"""Realistic a1 submissions, each with the exact score it must get (max 20).

Each case is the reference solution with one mistake a student makes; `lost` names the graded
cells that must fail because of it.
"""

import nbformat

from tests.harness import Case, Edit, Stub

GATES = ("test_add_gate", "test_mul_gate", "test_max_gate", "test_sigmoid_gate")
VALUE = ("test_value_arithmetic", "test_value_unary", "test_value_backward")

FD_MUL_BACKWARD = '''def mul_backward(dout, cache):
    x, y = cache
    h = 1e-5
    # "Backward" by centred differences through the forward pass: not the chain rule.
    dx = (mul_forward(x + h, y)[0] - mul_forward(x - h, y)[0]) / (2 * h) * dout
    dy = (mul_forward(x, y + h)[0] - mul_forward(x, y - h)[0]) / (2 * h) * dout
    return dx, dy'''

HARDCODED_MUL = '''def mul_forward(x, y):
    return x * y, (x, y)


def mul_backward(dout, cache):
    # Copied from the visible test instead of derived.
    return np.array([-1.0, 2.0, -12.0]), np.array([2.0, -1.5, -1.0])'''

PREORDER_BACKWARD = '''        self.grad = 1.0

        def visit(node):  # depth-first, parents before their consumers are finished
            node._backward()
            for parent in node._prev:
                visit(parent)
        visit(self)'''

CASES = [
    Case("partial_gates_only", "part 1 done, part 2 (Value) left as released",
         edits=(Stub("value_class"),), expected=9, lost=VALUE),
    Case("mul_not_swapped", "multiply gate: dx = x * dout instead of y * dout",
         edits=(Edit("mul_gate", "dx = y * dout", "dx = x * dout"),
                Edit("mul_gate", "dy = x * dout", "dy = y * dout")),
         expected=18, lost=("test_mul_gate",)),
    Case("max_routes_to_both", "max gate sends the gradient to both inputs",
         edits=(Edit("max_gate", "dy = np.where(x_won, 0.0, dout)", "dy = dout.copy()"),),
         expected=18, lost=("test_max_gate",)),
    Case("sigmoid_missing_one_minus", "sigmoid derivative without the (1 - sigma) factor",
         edits=(Edit("sigmoid_gate", "dx = dout * out * (1.0 - out)", "dx = dout * out"),),
         expected=17, lost=("test_sigmoid_gate",)),
    Case("mul_finite_differences", "multiply backward computed by finite differences",
         edits=(Edit("mul_gate", FD_MUL_BACKWARD.split("\n", 1)[0], FD_MUL_BACKWARD.split("\n", 1)[0]
                     + "\n    return _fd(dout, cache)\n\n\ndef _unused(dout, cache):"),
                Edit("mul_gate", "def mul_forward(x, y):", FD_MUL_BACKWARD.replace(
                    "def mul_backward(dout, cache):", "def _fd(dout, cache):") + "\n\n\ndef mul_forward(x, y):")),
         expected=18, lost=("test_mul_gate",)),
    Case("mul_hardcoded", "multiply gate returns the visible test's expected answers",
         edits=(Edit("mul_gate", "def mul_backward(dout, cache):", "def _reference_mul_backward(dout, cache):"),
                Edit("mul_gate", "def mul_forward(x, y):", HARDCODED_MUL + "\n\n\ndef _reference_mul_forward(x, y):")),
         expected=18, lost=("test_mul_gate",)),
    Case("add_assigns_grad", "Value.__add__ assigns grad (=) instead of accumulating (+=)",
         edits=(Edit("value_class", "            self.grad += out.grad\n            other.grad += out.grad",
                     "            self.grad = out.grad\n            other.grad = out.grad"),),
         expected=12, lost=("test_value_arithmetic", "test_value_backward")),
    Case("backward_preorder", "Value.backward() without a topological order (depth-first)",
         edits=(Edit("value_class", "        order, visited = [], set()", "        pass"),
                Edit("value_class", """        self.grad = 1.0
        for node in reversed(order):
            node._backward()""", PREORDER_BACKWARD),
                Edit("value_class", """        def visit(node):
            if id(node) not in visited:
                visited.add(id(node))
                for parent in node._prev:
                    visit(parent)
                order.append(node)
        visit(self)
""", "")),
         expected=15, lost=("test_value_backward",)),
    Case("tanh_derivative_of_input", "tanh derivative 1 - x^2 on the input instead of the output",
         edits=(Edit("value_class", "self.grad += (1.0 - out.data ** 2) * out.grad",
                     "self.grad += (1.0 - self.data ** 2) * out.grad"),),
         expected=12, lost=("test_value_unary", "test_value_backward")),
]


def _write(text: bytes, name: str = "a1.ipynb"):
    def write(folder):
        (folder / name).write_bytes(text)
    return write


def _renamed(folder):
    from tests.harness import make_submission
    nbformat.write(make_submission("a1"), folder / "a1 (1).ipynb")


def _other_assignment(folder):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1", metadata={"nbgrader": {
        "grade": True, "grade_id": "test_affine_forward", "locked": True, "points": 2,
        "schema_version": 3, "solution": False, "task": False}})]
    nbformat.write(nb, folder / "a1.ipynb")


# Submissions that cannot be graded at all: 0 points, with the reason in grades.csv.
UNGRADABLE = [
    Case("missing_notebook", "no notebook at all", raw=_write(b"my answers are in my head", "notes.txt")),
    Case("renamed_notebook", "the notebook saved as 'a1 (1).ipynb'", raw=_renamed),
    Case("truncated_json", "an upload cut half-way", raw=_write(b'{"cells": [{"cell_type": "code", ')),
    Case("binary_file", "a binary file named a1.ipynb", raw=_write(bytes(range(256)) * 4)),
    Case("empty_file", "an empty a1.ipynb", raw=_write(b"")),
    Case("other_assignment", "another assignment's notebook named a1.ipynb", raw=_other_assignment),
]
