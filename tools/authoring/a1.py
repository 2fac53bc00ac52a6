"""One-off generator of solutions/a1/a1.ipynb (kept for reference; the notebook is the source).

    .venv/bin/python -m tools.authoring.a1 && .venv/bin/python -m autograder release a1
"""

from tools.nbauthor import answer, given_code, instructions, new_assignment, save, scratch, tests

INTRO = """\
# Assignment a1: gates and a scalar autodiff engine

Chapters 1 and 2 showed that **backpropagation** (역전파) is the **chain rule** (연쇄 법칙)
applied gate by gate: each gate multiplies the gradient arriving from above (the **upstream
gradient**, 상류 기울기) by its own **local gradient** (국소 기울기), and a **computational
graph** (계산 그래프) of gates is differentiated by visiting its nodes in reverse **topological
order** (위상 순서). In this assignment you write both halves yourself:

1. **Gates** (part 1): the forward and backward passes of the add, multiply, max and sigmoid
   gates, for NumPy arrays of any shape, with the API every layer of this course uses:
   `forward(...) -> (out, cache)` and `backward(dout, cache) -> gradients`.
2. **A scalar reverse-mode autodiff engine** (part 2): a `Value` class that records the
   graph as you compute, and a `backward()` that fills in every node's gradient.

**How to work.** Replace every `# YOUR CODE HERE` / `raise NotImplementedError()` with your
code, then run the test cell below it. Do not edit or delete the test cells: the autograder
restores them, and runs hidden tests on other inputs as well. A backward pass must use the chain
rule and the cache; one that re-runs the forward pass to estimate gradients numerically (finite
differences) loses the points of that part.

| part | graded cell | points |
|---|---|---|
| 1a add gate | `test_add_gate` | 2 |
| 1b multiply gate | `test_mul_gate` | 2 |
| 1c max gate | `test_max_gate` | 2 |
| 1d sigmoid gate | `test_sigmoid_gate` | 3 |
| 2a `Value`: `+`, `*`, `**` | `test_value_arithmetic` | 3 |
| 2b `Value`: `exp`, `tanh`, `relu` | `test_value_unary` | 3 |
| 2c `Value.backward()` | `test_value_backward` | 5 |
| **total** | | **20** |
"""

SETUP = """\
import numpy as np

from autograder import check_gradient, relative_error

np.set_printoptions(precision=6, suppress=True)
rng = np.random.default_rng(231)"""

PART1 = """\
## Part 1: gates

Every gate works elementwise on arrays of any shape (scalars included). The forward pass returns
its output and a `cache` holding whatever the backward pass will need; the backward pass takes
the upstream gradient `dout` (same shape as `out`) and returns the gradient of the loss with
respect to each input, each with its input's shape.

The visible tests check a known answer, then compare your gradients with a numeric estimate
using `check_gradient` from the course's `autograder` package. A correct gradient has a relative
error around 1e-10 or smaller; a wrong one fails with a message saying which input, where, both
values, and a hint."""

ADD = """\
def add_forward(x, y):
    \"\"\"Add gate: out = x + y.

    Inputs:
    - x: array of any shape
    - y: array of the same shape as x

    Returns a tuple of:
    - out: x + y, same shape as x
    - cache: whatever add_backward needs
    \"\"\"
    ### BEGIN SOLUTION
    out = x + y
    cache = None
    ### END SOLUTION
    return out, cache


def add_backward(dout, cache):
    \"\"\"Backward pass of the add gate.

    Inputs:
    - dout: upstream gradient dL/dout, same shape as out
    - cache: from add_forward

    Returns a tuple of:
    - dx: dL/dx, same shape as x
    - dy: dL/dy, same shape as y
    \"\"\"
    ### BEGIN SOLUTION
    # The add gate distributes: its local gradient is 1 for both inputs.
    dx = dout.copy()
    dy = dout.copy()
    ### END SOLUTION
    return dx, dy"""

TEST_ADD = """\
# Known answer: the add gate distributes the upstream gradient unchanged to both inputs.
x = np.array([[1.0, -2.0], [0.5, 3.0]])
y = np.array([[4.0, 1.0], [-1.5, 2.0]])
out, cache = add_forward(x, y)
assert np.allclose(out, [[5.0, -1.0], [-1.0, 5.0]]), f"add_forward returned\\n{out}"
dout = np.array([[0.1, -0.2], [0.3, 0.4]])
dx, dy = add_backward(dout, cache)
assert np.shape(dx) == x.shape and np.shape(dy) == y.shape, "dx and dy must have the inputs' shapes"
assert np.allclose(dx, dout) and np.allclose(dy, dout), "add: dx and dy should both equal dout"

# Numeric gradient check on random inputs.
x, y, dout = rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
dx, dy = add_backward(dout, add_forward(x, y)[1])
report = check_gradient(lambda x, y: add_forward(x, y)[0], {"x": x, "y": y},
                        {"x": dx, "y": dy}, dout=dout)
print(report)  # a correct gradient: relative errors around 1e-10 or smaller
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(1001)
for _shape in [(), (5,), (2, 3, 4)]:
    _x, _y = _rng.standard_normal(_shape), _rng.standard_normal(_shape)
    _dout = _rng.standard_normal(_shape)
    _out, _cache = add_forward(_x, _y)
    assert np.allclose(_out, _x + _y)
    _dx, _dy = add_backward(_dout, _cache)
    assert np.shape(_dx) == _shape and np.shape(_dy) == _shape
    assert relative_error(_dx, _dout) < 1e-12 and relative_error(_dy, _dout) < 1e-12
# The backward pass must not re-run the forward pass (no finite differences).
_real_add_forward = add_forward
_x, _y, _dout = _rng.standard_normal((4, 3)), _rng.standard_normal((4, 3)), _rng.standard_normal((4, 3))
_cache = add_forward(_x, _y)[1]
def add_forward(*args, **kwargs):
    raise AssertionError("add_backward called add_forward: use the chain rule, not finite differences")
try:
    add_backward(_dout, _cache)
finally:
    add_forward = _real_add_forward
### END HIDDEN TESTS"""

MUL = """\
def mul_forward(x, y):
    \"\"\"Multiply gate: out = x * y (elementwise).

    Inputs:
    - x: array of any shape
    - y: array of the same shape as x

    Returns a tuple of:
    - out: x * y, same shape as x
    - cache: whatever mul_backward needs
    \"\"\"
    ### BEGIN SOLUTION
    out = x * y
    cache = (x, y)
    ### END SOLUTION
    return out, cache


def mul_backward(dout, cache):
    \"\"\"Backward pass of the multiply gate.

    Inputs:
    - dout: upstream gradient, same shape as out
    - cache: from mul_forward

    Returns a tuple of:
    - dx: dL/dx, same shape as x
    - dy: dL/dy, same shape as y
    \"\"\"
    ### BEGIN SOLUTION
    x, y = cache
    # The multiply gate swaps: each input's local gradient is the other input.
    dx = y * dout
    dy = x * dout
    ### END SOLUTION
    return dx, dy"""

TEST_MUL = """\
# Known answer: the multiply gate swaps its inputs: dx = y * dout, dy = x * dout.
x = np.array([2.0, -3.0, 0.5])
y = np.array([-1.0, 4.0, 6.0])
out, cache = mul_forward(x, y)
assert np.allclose(out, [-2.0, -12.0, 3.0]), f"mul_forward returned {out}"
dx, dy = mul_backward(np.array([1.0, 0.5, -2.0]), cache)
assert np.allclose(dx, [-1.0, 2.0, -12.0]), f"mul_backward: dx = {dx}, expected [-1, 2, -12] (= y * dout)"
assert np.allclose(dy, [2.0, -1.5, -1.0]), f"mul_backward: dy = {dy}, expected [2, -1.5, -1] (= x * dout)"

x, y, dout = rng.standard_normal((4, 5)), rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
dx, dy = mul_backward(dout, mul_forward(x, y)[1])
print(check_gradient(lambda x, y: mul_forward(x, y)[0], {"x": x, "y": y},
                     {"x": dx, "y": dy}, dout=dout))
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(1002)
for _shape in [(), (7,), (3, 2, 2)]:
    _x, _y = 3 * _rng.standard_normal(_shape), 3 * _rng.standard_normal(_shape)
    _dout = _rng.standard_normal(_shape)
    _out, _cache = mul_forward(_x, _y)
    assert relative_error(_out, _x * _y) < 1e-12
    _dx, _dy = mul_backward(_dout, _cache)
    assert np.shape(_dx) == _shape and np.shape(_dy) == _shape
    assert relative_error(_dx, _y * _dout) < 1e-12, "mul_backward: dx is not exactly y * dout"
    assert relative_error(_dy, _x * _dout) < 1e-12, "mul_backward: dy is not exactly x * dout"
_real_mul_forward = mul_forward
_x, _y, _dout = _rng.standard_normal(6), _rng.standard_normal(6), _rng.standard_normal(6)
_cache = mul_forward(_x, _y)[1]
def mul_forward(*args, **kwargs):
    raise AssertionError("mul_backward called mul_forward: use the chain rule, not finite differences")
try:
    mul_backward(_dout, _cache)
finally:
    mul_forward = _real_mul_forward
### END HIDDEN TESTS"""

MAX = """\
def max_forward(x, y):
    \"\"\"Max gate: out = max(x, y), elementwise.

    Inputs:
    - x: array of any shape
    - y: array of the same shape as x

    Returns a tuple of:
    - out: elementwise maximum of x and y
    - cache: whatever max_backward needs
    \"\"\"
    ### BEGIN SOLUTION
    out = np.maximum(x, y)
    cache = x >= y
    ### END SOLUTION
    return out, cache


def max_backward(dout, cache):
    \"\"\"Backward pass of the max gate.

    The max gate routes: the whole upstream gradient goes to the input that was larger, and
    nothing to the other. Where x == y (a tie), the gradient goes to x.

    Inputs:
    - dout: upstream gradient, same shape as out
    - cache: from max_forward

    Returns a tuple of:
    - dx: dL/dx, same shape as x
    - dy: dL/dy, same shape as y
    \"\"\"
    ### BEGIN SOLUTION
    x_won = cache
    dx = np.where(x_won, dout, 0.0)
    dy = np.where(x_won, 0.0, dout)
    ### END SOLUTION
    return dx, dy"""

TEST_MAX = """\
# Known answer: the max gate routes the upstream gradient to the larger input.
x = np.array([3.0, -1.0, 2.0, 0.0])
y = np.array([1.0, 5.0, 2.5, -4.0])
out, cache = max_forward(x, y)
assert np.allclose(out, [3.0, 5.0, 2.5, 0.0]), f"max_forward returned {out}"
dx, dy = max_backward(np.array([10.0, 20.0, 30.0, 40.0]), cache)
assert np.allclose(dx, [10.0, 0.0, 0.0, 40.0]), f"max_backward: dx = {dx}, expected [10, 0, 0, 40]"
assert np.allclose(dy, [0.0, 20.0, 30.0, 0.0]), f"max_backward: dy = {dy}, expected [0, 20, 30, 0]"

# Random inputs have no ties, so the max is differentiable where we check it.
x, y, dout = rng.standard_normal((3, 3)), rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
dx, dy = max_backward(dout, max_forward(x, y)[1])
print(check_gradient(lambda x, y: max_forward(x, y)[0], {"x": x, "y": y},
                     {"x": dx, "y": dy}, dout=dout))
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(1003)
for _shape in [(), (9,), (2, 5, 3)]:
    _x, _y = _rng.standard_normal(_shape), _rng.standard_normal(_shape)
    _dout = _rng.standard_normal(_shape)
    _out, _cache = max_forward(_x, _y)
    assert np.array_equal(_out, np.maximum(_x, _y))
    _dx, _dy = max_backward(_dout, _cache)
    assert np.shape(_dx) == _shape and np.shape(_dy) == _shape
    assert np.array_equal(_dx, np.where(_x >= _y, _dout, 0.0)), "max_backward: wrong dx"
    assert np.array_equal(_dy, np.where(_x >= _y, 0.0, _dout)), "max_backward: wrong dy"
# Ties: the whole gradient goes to x, none to y (so the total is not counted twice).
_x = np.array([1.0, 2.0, -3.0]); _y = np.array([1.0, 0.0, -3.0]); _dout = np.array([5.0, 6.0, 7.0])
_dx, _dy = max_backward(_dout, max_forward(_x, _y)[1])
assert np.array_equal(_dx, [5.0, 6.0, 7.0]) and np.array_equal(_dy, [0.0, 0.0, 0.0]), \\
    f"max_backward on ties: dx = {_dx}, dy = {_dy}; expected the gradient to go to x only"
_real_max_forward = max_forward
_cache = max_forward(_x, _y)[1]
def max_forward(*args, **kwargs):
    raise AssertionError("max_backward called max_forward: use the cache, not finite differences")
try:
    max_backward(_dout, _cache)
finally:
    max_forward = _real_max_forward
### END HIDDEN TESTS"""

SIGMOID = """\
def sigmoid_forward(x):
    \"\"\"Sigmoid gate: out = 1 / (1 + exp(-x)), elementwise.

    Inputs:
    - x: array of any shape (values in [-30, 30] are enough for this assignment)

    Returns a tuple of:
    - out: sigmoid(x), same shape as x
    - cache: whatever sigmoid_backward needs
    \"\"\"
    ### BEGIN SOLUTION
    out = 1.0 / (1.0 + np.exp(-x))
    cache = out
    ### END SOLUTION
    return out, cache


def sigmoid_backward(dout, cache):
    \"\"\"Backward pass of the sigmoid gate.

    Hint: the local gradient can be written with the forward output alone.

    Inputs:
    - dout: upstream gradient, same shape as out
    - cache: from sigmoid_forward

    Returns:
    - dx: dL/dx, same shape as x
    \"\"\"
    ### BEGIN SOLUTION
    out = cache
    dx = dout * out * (1.0 - out)
    ### END SOLUTION
    return dx"""

TEST_SIGMOID = """\
# Known answer: sigmoid(0) = 0.5 and its slope there is 0.25.
out, cache = sigmoid_forward(np.array([0.0, 2.0]))
assert np.allclose(out, [0.5, 0.8807970779778823]), f"sigmoid_forward returned {out}"
dx = sigmoid_backward(np.array([1.0, 1.0]), cache)
assert np.allclose(dx, [0.25, 0.10499358540350662]), \\
    f"sigmoid_backward returned {dx}; expected sigma(x) * (1 - sigma(x)) * dout"

x, dout = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
dx = sigmoid_backward(dout, sigmoid_forward(x)[1])
print(check_gradient(lambda x: sigmoid_forward(x)[0], {"x": x}, {"x": dx}, dout=dout))
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(1004)
for _shape in [(), (11,), (2, 3, 4)]:
    _x, _dout = 4 * _rng.standard_normal(_shape), _rng.standard_normal(_shape)
    _s = 1.0 / (1.0 + np.exp(-_x))
    _out, _cache = sigmoid_forward(_x)
    assert relative_error(_out, _s) < 1e-12
    _dx = sigmoid_backward(_dout, _cache)
    assert np.shape(_dx) == _shape
    assert relative_error(_dx, _dout * _s * (1 - _s)) < 1e-12, \\
        "sigmoid_backward is not exactly dout * s * (1 - s)"
_real_sigmoid_forward = sigmoid_forward
_x = _rng.standard_normal(5); _cache = sigmoid_forward(_x)[1]
def sigmoid_forward(*args, **kwargs):
    raise AssertionError("sigmoid_backward called sigmoid_forward: use the cache, not finite differences")
try:
    sigmoid_backward(np.ones(5), _cache)
finally:
    sigmoid_forward = _real_sigmoid_forward
### END HIDDEN TESTS"""

PART2 = """\
## Part 2: a scalar reverse-mode autodiff engine

A `Value` wraps one number. Every operation on `Value`s returns a new `Value` that remembers
its inputs (`_prev`) and a function `_backward` that, given the new value's `grad`, **adds** the
local-times-upstream gradient to each input's `grad`. (Adds, not assigns: a value used twice
receives gradient from both uses.) `backward()` then sets the output's `grad` to 1 and calls
every node's `_backward` in reverse topological order, so that a node's `grad` is complete
before it is passed on.

Some methods are given: they are built from the ones you write. Fill in `__add__`, `__mul__`,
`__pow__`, `exp`, `tanh`, `relu` and `backward`. Use only `math` and the chain rule."""

VALUE = """\
import math


class Value:
    \"\"\"A scalar in a computational graph, with its gradient.

    Attributes:
    - data: float, the value computed by the forward pass
    - grad: float, dL/d(this value), filled in by backward() (0.0 until then)
    - _prev: tuple of the Values this one was computed from
    - _backward: function that adds this node's contribution to its inputs' grads
    - _op: a label of the operation that made it, for printing
    \"\"\"

    def __init__(self, data, _prev=(), _op=""):
        self.data = float(data)
        self.grad = 0.0
        self._prev = tuple(_prev)
        self._backward = lambda: None
        self._op = _op

    def __repr__(self):
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g})"

    @staticmethod
    def _wrap(other):
        return other if isinstance(other, Value) else Value(other)

    def __add__(self, other):
        \"\"\"self + other, where other is a Value or a number.\"\"\"
        other = self._wrap(other)
        out = Value(self.data + other.data, (self, other), "+")
        ### BEGIN SOLUTION
        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        ### END SOLUTION
        return out

    def __mul__(self, other):
        \"\"\"self * other, where other is a Value or a number.\"\"\"
        other = self._wrap(other)
        ### BEGIN SOLUTION
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        ### END SOLUTION
        return out

    def __pow__(self, exponent):
        \"\"\"self ** exponent, for a constant exponent (an int or a float, not a Value).\"\"\"
        assert isinstance(exponent, (int, float)), "only constant exponents are supported"
        ### BEGIN SOLUTION
        out = Value(self.data ** exponent, (self,), f"**{exponent}")

        def _backward():
            self.grad += exponent * self.data ** (exponent - 1) * out.grad
        out._backward = _backward
        ### END SOLUTION
        return out

    def exp(self):
        \"\"\"e ** self.\"\"\"
        ### BEGIN SOLUTION
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward():
            self.grad += out.data * out.grad
        out._backward = _backward
        ### END SOLUTION
        return out

    def tanh(self):
        \"\"\"tanh(self).\"\"\"
        ### BEGIN SOLUTION
        out = Value(math.tanh(self.data), (self,), "tanh")

        def _backward():
            self.grad += (1.0 - out.data ** 2) * out.grad
        out._backward = _backward
        ### END SOLUTION
        return out

    def relu(self):
        \"\"\"max(0, self); its derivative at exactly 0 is taken to be 0.\"\"\"
        ### BEGIN SOLUTION
        out = Value(self.data if self.data > 0 else 0.0, (self,), "relu")

        def _backward():
            self.grad += (1.0 if self.data > 0 else 0.0) * out.grad
        out._backward = _backward
        ### END SOLUTION
        return out

    def backward(self):
        \"\"\"Fill in .grad of every Value this one depends on (d self / d node).

        Order the graph topologically (every node after all the nodes it was computed
        from), set self.grad = 1.0, then call each node's _backward in reverse order.
        \"\"\"
        ### BEGIN SOLUTION
        order, visited = [], set()

        def visit(node):
            if id(node) not in visited:
                visited.add(id(node))
                for parent in node._prev:
                    visit(parent)
                order.append(node)
        visit(self)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()
        ### END SOLUTION

    # Given: operations built from the ones above.
    def __neg__(self):
        return self * -1

    def __radd__(self, other):
        return self + other

    def __sub__(self, other):
        return self + (-self._wrap(other))

    def __rsub__(self, other):
        return self._wrap(other) + (-self)

    def __rmul__(self, other):
        return self * other

    def __truediv__(self, other):
        return self * self._wrap(other) ** -1

    def __rtruediv__(self, other):
        return self._wrap(other) * self ** -1"""

TEST_ARITH = """\
# Each operation's forward value and its local _backward, tested one at a time:
# set the output's grad by hand and call only its _backward.
a, b = Value(2.0), Value(-3.0)
c = a + b
assert c.data == -1.0, f"(2 + -3).data = {c.data}"
c.grad = 1.0
c._backward()
assert (a.grad, b.grad) == (1.0, 1.0), f"after c = a + b: a.grad, b.grad = {a.grad}, {b.grad}; expected 1, 1"

a, b = Value(2.0), Value(-3.0)
c = a * b
assert c.data == -6.0, f"(2 * -3).data = {c.data}"
c.grad = 2.0
c._backward()
assert (a.grad, b.grad) == (-6.0, 4.0), \\
    f"after c = a * b with c.grad = 2: a.grad, b.grad = {a.grad}, {b.grad}; expected -6 (= b * 2), 4 (= a * 2)"

a = Value(3.0)
c = a ** 2
assert c.data == 9.0
c.grad = 1.0
c._backward()
assert a.grad == 6.0, f"after c = a ** 2 at a = 3: a.grad = {a.grad}; expected 6"

# Gradients accumulate: a value used twice receives gradient from both uses.
a = Value(5.0)
c = a + a
c.grad = 1.0
c._backward()
assert a.grad == 2.0, f"after c = a + a: a.grad = {a.grad}; expected 2 (use += in _backward)"
print("forward values and local gradients of +, *, ** are right")
### BEGIN HIDDEN TESTS
_a, _b = Value(-1.25), Value(0.75)
_c = _a * _b
_c.grad = -3.0
_c._backward()
assert abs(_a.grad - (0.75 * -3.0)) < 1e-15 and abs(_b.grad - (-1.25 * -3.0)) < 1e-15
_a = Value(4.0)
_c = _a * 2.5           # a number on the right
assert _c.data == 10.0
_c.grad = 1.0
_c._backward()
assert _a.grad == 2.5
_a = Value(1.7)
_c = 3.0 + _a           # a number on the left (uses __radd__, which calls your __add__)
assert abs(_c.data - 4.7) < 1e-15
_a = Value(2.0)
_c = _a ** -1.5
assert abs(_c.data - 2.0 ** -1.5) < 1e-15
_c.grad = 1.0
_c._backward()
assert abs(_a.grad - (-1.5 * 2.0 ** -2.5)) < 1e-15
_a = Value(-2.0)
_c = _a * _a
_c.grad = 1.0
_c._backward()
assert _a.grad == -4.0, "a * a must give a.grad = 2a"
### END HIDDEN TESTS"""

TEST_UNARY = """\
a = Value(0.5)
c = a.exp()
assert abs(c.data - math.exp(0.5)) < 1e-12
c.grad = 1.0
c._backward()
assert abs(a.grad - math.exp(0.5)) < 1e-12, f"exp: a.grad = {a.grad}; expected e^0.5"

a = Value(0.5)
c = a.tanh()
assert abs(c.data - math.tanh(0.5)) < 1e-12
c.grad = 1.0
c._backward()
assert abs(a.grad - (1 - math.tanh(0.5) ** 2)) < 1e-12, f"tanh: a.grad = {a.grad}; expected 1 - tanh(0.5)^2"

for x, expected_data, expected_grad in [(2.0, 2.0, 1.0), (-2.0, 0.0, 0.0)]:
    a = Value(x)
    c = a.relu()
    assert c.data == expected_data, f"relu({x}).data = {c.data}"
    c.grad = 1.0
    c._backward()
    assert a.grad == expected_grad, f"relu at {x}: a.grad = {a.grad}; expected {expected_grad}"
print("exp, tanh and relu are right")
### BEGIN HIDDEN TESTS
for _x in [-3.1, -0.2, 0.0, 1.3, 4.0]:
    _a = Value(_x); _c = _a.exp(); _c.grad = 0.5; _c._backward()
    assert abs(_c.data - math.exp(_x)) <= 1e-15 * math.exp(_x)
    assert abs(_a.grad - 0.5 * math.exp(_x)) <= 1e-15 * math.exp(_x)
    _a = Value(_x); _c = _a.tanh(); _c.grad = -2.0; _c._backward()
    assert abs(_c.data - math.tanh(_x)) < 1e-15
    assert abs(_a.grad - (-2.0 * (1 - math.tanh(_x) ** 2))) < 1e-14
    _a = Value(_x); _c = _a.relu(); _c.grad = 3.0; _c._backward()
    assert _c.data == max(0.0, _x)
    assert _a.grad == (3.0 if _x > 0 else 0.0), f"relu at {_x}"
### END HIDDEN TESTS"""

TEST_BACKWARD = """\
# The example of chapter 2: f = (x + y) * z at x = -2, y = 5, z = -4.
x, y, z = Value(-2.0), Value(5.0), Value(-4.0)
q = x + y
f = q * z
f.backward()
print(f"f = {f.data}, df/dx = {x.grad}, df/dy = {y.grad}, df/dz = {z.grad}")
assert f.data == -12.0
assert (x.grad, y.grad, z.grad) == (-4.0, -4.0, 3.0), "expected df/dx = df/dy = -4 and df/dz = 3"

# A neuron o = tanh(w1*x1 + w2*x2 + b), checked against numeric gradients.
def neuron(x1, x2, w1, w2, b):
    return (x1 * w1 + x2 * w2 + b).tanh()

point = {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432}
nodes = {name: Value(v) for name, v in point.items()}
neuron(**nodes).backward()
report = check_gradient(lambda **kw: neuron(**{k: Value(float(v)) for k, v in kw.items()}).data,
                        {k: np.array(v) for k, v in point.items()},
                        {k: np.array(node.grad) for k, node in nodes.items()})
print(report)
### BEGIN HIDDEN TESTS
# A node used by several others (a diamond): its gradient is complete only when every
# consumer has passed its share back, which the reverse topological order guarantees.
def _graph(a, b):
    c = a * b
    d = c + a
    e = c.tanh() * d
    g = (e + c) ** 2
    return g / (d.exp() + 1.0)

def _numeric(fn, values, h=1e-6):
    grads = []
    for i in range(len(values)):
        up = list(values); up[i] += h
        dn = list(values); dn[i] -= h
        grads.append((fn(*[Value(v) for v in up]).data - fn(*[Value(v) for v in dn]).data) / (2 * h))
    return grads

for _vals in [(0.3, -0.8), (-1.1, 0.4), (0.9, 0.7)]:
    _nodes = [Value(v) for v in _vals]
    _out = _graph(*_nodes)
    _out.backward()
    assert _out.grad == 1.0
    for _node, _num in zip(_nodes, _numeric(_graph, _vals)):
        assert abs(_node.grad - _num) <= 1e-6 * max(1.0, abs(_num)), \\
            f"backward(): grad {_node.grad} vs numeric {_num} at {_vals}"

# Deep chain (300 steps): the gradient of x -> x*1.001 repeated is 1.001**300.
_x = Value(1.0)
_y = _x
for _ in range(300):
    _y = _y * 1.001
_y.backward()
assert abs(_x.grad - 1.001 ** 300) < 1e-12, f"deep chain: x.grad = {_x.grad}"

# Same structure, other numbers than the visible test.
_x, _y, _z = Value(3.0), Value(-1.5), Value(2.0)
_f = (_x + _y) * _z
_f.backward()
assert (_x.grad, _y.grad, _z.grad) == (2.0, 2.0, 1.5)
### END HIDDEN TESTS"""

SCRATCH_INTRO = """\
## Your own experiments

The cell below is yours: nothing in it is graded. Try building a small expression with `Value`,
call `backward()`, and compare with a derivative you work out by hand."""


def build():
    nb = new_assignment()
    nb.cells = [
        instructions("intro", INTRO),
        given_code("setup", SETUP),
        instructions("part1", PART1),
        answer("add_gate", ADD),
        tests("test_add_gate", 2, TEST_ADD),
        answer("mul_gate", MUL),
        tests("test_mul_gate", 2, TEST_MUL),
        answer("max_gate", MAX),
        tests("test_max_gate", 2, TEST_MAX),
        answer("sigmoid_gate", SIGMOID),
        tests("test_sigmoid_gate", 3, TEST_SIGMOID),
        instructions("part2", PART2),
        answer("value_class", VALUE),
        tests("test_value_arithmetic", 3, TEST_ARITH),
        tests("test_value_unary", 3, TEST_UNARY),
        tests("test_value_backward", 5, TEST_BACKWARD),
        instructions("scratch_intro", SCRATCH_INTRO),
        scratch("# Your experiments here (not graded)."),
    ]
    return nb


if __name__ == "__main__":
    save(build(), "solutions/a1/a1.ipynb")
    print("wrote solutions/a1/a1.ipynb")
