"""Proxies against a real worker started without the sandbox (in-process grader side, fast).

The grader never looks up a special name on a student object, implements no conversion for it,
checks the types Python relies on, and still lets tests use what they need (a1's Value objects:
arithmetic, .data, .grad, .backward(); containers: len, iteration, indexing).
"""

from __future__ import annotations

import copy
import operator
import os
import pickle

import numpy as np
import pytest

from autograder.grader_proxy import Proxy, StudentModule, StudentSide
from autograder.sandbox import Limits, start_worker, stop_worker
from autograder.testing import forbid

STUDENT = '''
import math
import numpy as np

class Value:
    def __init__(self, data, children=()):
        self.data, self.grad, self._prev, self._backward = float(data), 0.0, children, lambda: None
    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other))
        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out
    __radd__ = __add__
    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other))
        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out
    __rmul__ = __mul__
    def backward(self):
        order, seen = [], set()
        def visit(v):
            if v not in seen:
                seen.add(v)
                for c in v._prev:
                    visit(c)
                order.append(v)
        visit(self)
        self.grad = 1.0
        for v in reversed(order):
            v._backward()

class Evil:
    """Every special name a grader might probe, each returning something harmful."""
    @property
    def __array_interface__(self):
        return {"shape": (1024,), "typestr": "<f8", "data": (8, False), "version": 3}
    @property
    def __array_struct__(self):
        raise SystemExit("probed")
    def __array__(self, *args, **kwargs):
        return np.zeros(10**9)
    def __array_function__(self, *args, **kwargs):
        return True
    def __array_ufunc__(self, *args, **kwargs):
        return True
    def __dlpack__(self, *args, **kwargs):
        return None
    def __buffer__(self, flags):
        return memoryview(b"owned")
    def __index__(self):
        return 10**6
    def __int__(self):
        return 1
    def __float__(self):
        return 1.0
    def __complex__(self):
        return 1j
    def __fspath__(self):
        return "/etc/shadow"
    def __reduce__(self):
        return (os.system, ("echo owned",))
    def __len__(self):
        return 3
    def __bool__(self):
        return True
    def __eq__(self, other):
        return True
    def __getitem__(self, i):
        if i < 3:
            return i * 10
        raise IndexError(i)

class BadBool:
    def __bool__(self):
        return 1
    def __len__(self):
        return "3"

def make_evil():
    return Evil()

def give_module():
    import json as autograder_grading
    return autograder_grading

def scale(a, k):
    a *= k
    return a.sum()

def helper(x):
    return x + 1

def uses_helper(x):
    return helper(x) * 2

x_before = 5
'''


@pytest.fixture(scope="module")
def student():
    client = start_worker(Limits(cell_timeout=30, sandbox=False))
    client.start_cell(60)
    changed, error = client.exec_cell(STUDENT, "student")
    assert error is None, error
    yield client, changed
    stop_worker(client)


def test_names_defined_before_an_error_are_kept(student):
    client, _ = student
    client.start_cell(30)
    changed, error = client.exec_cell("def first():\n    return 1\nprint(undefined_name)\n"
                                      "def never():\n    pass\n", "cell")
    assert type(error) is NameError and "undefined_name" in str(error)
    assert set(changed) == {"first"} and changed["first"]() == 1


def test_cells_run_as_in_jupyter(student):
    client, _ = student
    client.start_cell(30)
    changed, error = client.exec_cell("%%time\nmagic = 6 * 7\n", "magic")
    assert error is None and changed == {"magic": 42}
    assert "Wall time" in client.output.getvalue()
    client.start_cell(30)
    _, error = client.exec_cell("display('shown')\nget_ipython()\nmagic + 1", "display")
    assert error is None
    assert client.output.getvalue().splitlines()[0] == "'shown'"
    assert client.output.getvalue().splitlines()[-1] == "43"
    client.start_cell(30)
    _, error = client.exec_cell("import warnings\nwarnings.warn('careful')\n!echo from-shell",
                                "warn")
    assert error is None and "careful" in client.output.getvalue()
    assert "from-shell" in client.output.getvalue()


def test_value_arithmetic_and_backward(student):
    client, names = student
    client.start_cell(30)
    Value = names["Value"]
    a, b = Value(2.0), Value(-3.0)
    out = a * b + 1.0
    assert type(out) is Proxy and out.data == -5.0
    out2 = 2.0 * a + b
    assert out2.data == 1.0
    out.backward()
    assert (a.grad, b.grad, out.grad) == (-3.0, 2.0, 1.0)
    a.grad = 0.0
    assert a.grad == 0.0


def test_special_names_are_never_looked_up(student):
    client, names = student
    client.start_cell(30)
    evil = names["make_evil"]()
    assert type(evil) is Proxy
    for name in ("__array_interface__", "__array_struct__", "__array__", "__array_function__",
                 "__array_ufunc__", "__dlpack__", "__buffer__", "__index__", "__fspath__",
                 "__reduce__", "__reduce_ex__", "__length_hint__", "__array_priority__",
                 "__float__", "__int__", "__complex__", "__getstate__", "__deepcopy__"):
        if name in Proxy.__dict__ or hasattr(object, name):  # the grader's own, local ones
            continue
        with pytest.raises(AttributeError):
            getattr(evil, name)
    assert evil.__class__ is Proxy
    with pytest.raises(AttributeError):
        evil.__class__ = int
    array = np.asarray(evil)                # a sequence of 3 items (len + getitem), no more
    assert array.tolist() == [0, 10, 20]
    for convert in (operator.index, int, float, complex, os.fspath, memoryview,
                    pickle.dumps, copy.copy, copy.deepcopy, lambda e: range(e),
                    lambda e: [1, 2, 3][e], lambda e: f"{e:.3f}"):
        with pytest.raises(TypeError):
            convert(evil)
    assert (evil == 1) is False and evil == evil   # comparisons are the grader's, not Evil's


def test_strict_types_for_truth_and_length(student):
    client, names = student
    client.start_cell(30)
    bad = names["BadBool"]()
    with pytest.raises(TypeError, match="bool"):
        bool(bad)
    with pytest.raises(TypeError, match="int"):
        len(bad)
    evil = names["make_evil"]()
    assert bool(evil) is True and len(evil) == 3 and list(iter(evil)) == [0, 10, 20]


def test_student_modules_are_not_imported(student):
    client, names = student
    client.start_cell(30)
    value = names["give_module"]()
    assert type(value) is StudentModule and value.name == "json"
    assert type(names["np"]) is StudentModule and type(names["math"]) is StudentModule


def test_in_place_changes_come_back(student):
    client, names = student
    client.start_cell(30)
    a = np.arange(4.0)
    total = names["scale"](a, 2.0)
    assert total == 12.0 and a.tolist() == [0.0, 2.0, 4.0, 6.0]


def test_forbid_is_sent_with_every_call(student):
    client, names = student
    client.start_cell(30)
    uses_helper = names["uses_helper"]
    assert uses_helper(1) == 4
    with forbid("helper", message="uses_helper must not call helper"):
        with pytest.raises(AssertionError, match="must not call helper"):
            uses_helper(1)
    assert uses_helper(1) == 4


def test_lent_test_functions_are_called_back(student):
    client, _ = student
    client.start_cell(30)
    changed, error = client.exec_cell("def apply(f, x):\n    return f(x)\n", "apply")
    assert error is None
    seen = []

    def test_function(x):
        seen.append(x)
        return x * 3

    test_function.__module__ = "__main__"   # defined in a test cell
    assert changed["apply"](test_function, 7) == 21 and seen == [7]


def test_values_that_are_not_well_formed_data_come_as_proxies(student):
    client, _ = student
    client.start_cell(30)
    changed, error = client.exec_cell("loop = [1]\nloop.append(loop)\nfine = 3\n"
                                      "def make_loop():\n    return loop\n", "loops")
    assert error is None and changed["fine"] == 3
    assert type(changed["loop"]) is Proxy and changed["loop"][0] == 1
    assert type(changed["make_loop"]()) is Proxy


def test_a_given_loop_runs_next_to_the_student_code(student):
    """A given function listed in `bbh.runs_with_student_code` (a training loop) is one request,
    not one per call of the student's function; in-place changes still come back, and the
    name is looked up at each call in the student's namespace, as in a notebook."""
    client, _ = student
    client.start_cell(30)
    _, error = client.exec_cell("def step(p):\n    p['w'] += 1.0\n    return float(p['w'][0])\n"
                                "def loop(p, n):\n    return [step(p) for _ in range(n)]\n",
                                "given")
    assert error is None
    ops = []
    request = client.request
    client.request = lambda op, *args: (ops.append(op), request(op, *args))[1]
    try:
        params = {"w": np.zeros(2)}
        losses = StudentSide(lambda: client, "loop")(params, 1000)
    finally:
        del client.request
    assert ops == ["call_given"]
    assert losses[-1] == 1000.0 and params["w"].tolist() == [1000.0, 1000.0]
    client.exec_cell("def loop(p, n):\n    return 'redefined by the student'\n", "student")
    assert StudentSide(lambda: client, "loop")({}, 1) == "redefined by the student"
    with pytest.raises(NameError, match="nowhere"):
        StudentSide(lambda: client, "nowhere")()


def _victim():
    return 1


def test_forbid_also_patches_the_callers_globals():
    """In a Jupyter kernel (stock nbgrader), forbid works by replacing the global itself."""
    from autograder.testing import forbidden_now

    with forbid("_victim", message="not this one"):
        assert forbidden_now() == [("_victim", "not this one")]
        with pytest.raises(AssertionError, match="not this one"):
            _victim()
    assert _victim() == 1 and forbidden_now() == []
