"""autograder.testing, in-process: forbid() patches and restores, forbidden_now(), the helpers."""

import numpy as np
import pytest

from autograder import testing
from autograder.testing import (
    assert_close,
    assert_exact,
    forbid,
    forbidden_now,
    relative_error,
    scaled_error,
)


def _notebook(source: str) -> dict:
    """A fresh namespace in which `source` ran, as a notebook's cells share one."""
    namespace: dict = {"__name__": "__main__"}
    exec(compile(source, "<cell>", "exec"), namespace)
    return namespace


STUDENT = '''
def sigmoid_forward(x):
    return 1 / (1 + 2.718281828459045 ** -x), x

def sigmoid_backward(dout, cache):        # honest: uses the cache only
    s = 1 / (1 + 2.718281828459045 ** -cache)
    return dout * s * (1 - s)

def finite_difference_backward(dout, cache):   # re-runs the forward pass
    h = 1e-5
    return dout * (sigmoid_forward(cache + h)[0] - sigmoid_forward(cache - h)[0]) / (2 * h)
'''


@pytest.fixture(autouse=True)
def _no_block_left_open():
    assert forbidden_now() == []
    yield
    assert forbidden_now() == [], "a forbid block left its names active"
    assert testing._active == []


def test_forbidden_call_fails_with_the_property_in_the_message():
    ns = _notebook(STUDENT)
    ns["forbid"] = forbid
    real = ns["sigmoid_forward"]
    with pytest.raises(AssertionError) as info:
        exec("with forbid('sigmoid_forward'):\n"
             "    finite_difference_backward(1.0, 0.5)\n", ns)
    assert str(info.value) == ("sigmoid_backward called sigmoid_forward: a backward pass must "
                               "use its cache, not re-run the forward pass")
    assert ns["sigmoid_forward"] is real


def test_patch_in_the_callers_globals():
    ns = _notebook(STUDENT)
    ns["forbid"] = forbid
    real = ns["sigmoid_forward"]
    exec("with forbid('sigmoid_forward'):\n"
         "    inside = sigmoid_forward\n"
         "    dx = sigmoid_backward(2.0, 0.3)\n", ns)
    assert ns["inside"] is not real and ns["inside"].__name__ == "sigmoid_forward"
    with pytest.raises(AssertionError, match="sigmoid_backward called sigmoid_forward"):
        ns["inside"](1.0)
    assert ns["sigmoid_forward"] is real
    s = 1 / (1 + np.exp(-0.3))
    assert abs(ns["dx"] - 2.0 * s * (1 - s)) < 1e-12   # the honest backward pass still works


def test_restored_when_the_block_raises():
    ns = _notebook(STUDENT)
    ns["forbid"] = forbid
    real = ns["sigmoid_forward"]
    with pytest.raises(ZeroDivisionError):
        exec("with forbid('sigmoid_forward'):\n    1 / 0\n", ns)
    assert ns["sigmoid_forward"] is real
    with pytest.raises(AssertionError):
        exec("with forbid('sigmoid_forward'):\n    finite_difference_backward(1.0, 0.2)\n", ns)
    assert ns["sigmoid_forward"] is real


def test_a_name_that_did_not_exist_is_removed_again():
    ns = {}
    with forbid("rnn_step_forward", namespace=ns):
        assert callable(ns["rnn_step_forward"])
    assert "rnn_step_forward" not in ns


def test_nested_blocks_restore_in_order():
    ns = _notebook(STUDENT)
    real = ns["sigmoid_forward"]
    with forbid("sigmoid_forward", namespace=ns):
        outer = ns["sigmoid_forward"]
        assert forbidden_now() == [("sigmoid_forward", _message("sigmoid_forward"))]
        with forbid("sigmoid_forward", "helper", message="inner", namespace=ns):
            assert ns["sigmoid_forward"] is not outer
            assert forbidden_now() == [("sigmoid_forward", "inner"), ("helper", "inner")]
        assert ns["sigmoid_forward"] is outer and "helper" not in ns
        assert forbidden_now() == [("sigmoid_forward", _message("sigmoid_forward"))]
    assert ns["sigmoid_forward"] is real


def _message(name: str) -> str:
    return testing._default_message(name, None)


def test_forbidden_now_lists_every_name_with_its_message():
    assert forbidden_now() == []
    with forbid("rnn_forward", "rnn_step_forward", caller="rnn_backward", namespace={}):
        assert forbidden_now() == [
            ("rnn_forward", "rnn_backward called rnn_forward: a backward pass must use its "
                            "cache, not re-run the forward pass"),
            ("rnn_step_forward", "rnn_backward called rnn_step_forward: a backward pass must "
                                 "use its cache, not re-run the forward pass")]
    assert forbidden_now() == []


def test_forbidden_now_is_emptied_on_exceptions_and_returns_a_copy():
    with pytest.raises(KeyError):
        with forbid("conv_forward", namespace={}):
            listed = forbidden_now()
            listed.clear()
            assert forbidden_now() != []
            raise KeyError("x")
    assert forbidden_now() == []


def test_messages():
    assert _message("conv_forward") == ("conv_backward called conv_forward: a backward pass "
                                        "must use its cache, not re-run the forward pass")
    assert _message("helper") == "helper was called, but this test forbids calling it"
    ns: dict = {}
    with forbid("dropout_forward", message="use the cache", namespace=ns):
        with pytest.raises(AssertionError, match="^use the cache$"):
            ns["dropout_forward"](1, mode="train")
        with pytest.raises(AssertionError):
            ns["dropout_forward"]()   # called without arguments, it raises all the same


def test_the_stand_in_raises_when_called_without_arguments():
    """The grader of today calls a rebound name without arguments to learn its complaint."""
    ns: dict = {}
    with forbid("affine_forward", namespace=ns):
        with pytest.raises(AssertionError) as info:
            ns["affine_forward"]()
    assert str(info.value).startswith("affine_backward called affine_forward")


def test_forbid_rejects_non_names():
    with pytest.raises(TypeError):
        forbid()
    with pytest.raises(TypeError):
        forbid(print)
    block = forbid("f", namespace={})
    with block:
        with pytest.raises(RuntimeError):
            block.__enter__()


def test_works_inside_a_function_of_the_notebook():
    """forbid in a generator defined in a cell (as a5's hidden tests do) patches the notebook."""
    ns = _notebook(STUDENT)
    ns["forbid"] = forbid
    exec("def cases():\n"
         "    for c in (0.1, 0.2):\n"
         "        with forbid('sigmoid_forward'):\n"
         "            yield finite_difference_backward(1.0, c)\n", ns)
    real = ns["sigmoid_forward"]
    with pytest.raises(AssertionError, match="called sigmoid_forward"):
        list(ns["cases"]())
    assert ns["sigmoid_forward"] is real


# --------------------------------------------------------------------------- helpers

def test_scaled_error():
    assert scaled_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert scaled_error([1.0, 0.0], [1.0, 1e-9]) == pytest.approx(1e-9 / 1.0)
    assert scaled_error(np.zeros(3), np.zeros(3)) == 0.0
    with pytest.raises(AssertionError, match=r"shape \(2,\), expected \(3,\)"):
        scaled_error([1.0, 2.0], [1.0, 2.0, 3.0])


def test_assert_close_passes_fails_and_reveals_only_when_asked():
    assert assert_close([1.0, 2.0], [1.0, 2.0]) is None   # never a value nbgrader would score
    with pytest.raises(AssertionError) as info:
        assert_close([1.0, 2.5], [1.0, 2.0], tol=1e-9, what="adam m", hint="check beta1.")
    message = str(info.value)
    assert message.startswith("adam m is wrong: its relative error is") and "check beta1." in message
    assert "2.5" not in message and "index" not in message   # no values of (hidden) inputs
    with pytest.raises(AssertionError, match=r"at index \(1,\) expected 2, got 2.5"):
        assert_close([1.0, 2.5], [1.0, 2.0], what="adam m", reveal=True)
    with pytest.raises(AssertionError, match=r"adam m: expected shape \(2,\), got \(3,\)"):
        assert_close([1.0, 2.0, 3.0], [1.0, 2.0], what="adam m")


def test_assert_close_verbose_prints_the_error(capsys):
    assert_close([1.0], [1.0], tol=1e-12, what="sgd next_w", verbose=True)
    assert "sgd next_w: relative error 0.00e+00" in capsys.readouterr().out
    assert relative_error(np.array([1.0]), np.array([1.0])) == 0.0


def test_assert_exact():
    ref = np.array([[1.0, -2.0], [3.0, 4.0]])
    assert assert_exact(ref + 1e-15, ref, "dx") is None
    with pytest.raises(AssertionError, match="^x 2x2: dx is None$"):
        assert_exact(None, ref, "dx", where="x 2x2")
    with pytest.raises(AssertionError, match=r"dw has shape \(4,\), expected \(2, 2\)"):
        assert_exact(ref.ravel(), ref, "dw")
    with pytest.raises(AssertionError) as info:
        assert_exact(ref * (1 + 1e-6), ref, "db", where="stride 2")
    message = str(info.value)
    assert message.startswith("stride 2: db is off by a relative 1.0e-06") and "1e-12" in message
    assert "4.0" not in message and "-2" not in message


# --------------------------------------------------------------------------- in a notebook

def _run_in_one_namespace(assignment: str, edits=()) -> dict[str, str]:
    """Run a graded notebook's code cells in one namespace, as a kernel (and stock nbgrader)
    does; returns the failed test cells and their messages."""
    import contextlib
    import io

    from autograder.course import get_assignment
    from autograder.execute import build_graded_notebook, cell_kind
    from autograder.samples import make_submission

    nb = build_graded_notebook(get_assignment(assignment), make_submission(assignment, edits))
    namespace: dict = {"__name__": "__main__"}
    failed = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(cell.source, "<cell>", "exec"), namespace)
        except Exception as exc:
            if cell_kind(cell) != "test":
                raise
            failed[cell.metadata.nbgrader.grade_id] = f"{type(exc).__name__}: {exc}"
    return failed


def test_a1_in_one_namespace_forbid_catches_a_backward_that_calls_forward():
    from autograder.samples import Edit

    assert _run_in_one_namespace("a1") == {}
    calls_forward = Edit("sigmoid_gate", "    out = cache\n",
                         "    out = sigmoid_forward(np.log(cache / (1 - cache)))[0]\n")
    failed = _run_in_one_namespace("a1", (calls_forward,))
    assert failed == {"test_sigmoid_gate": "AssertionError: sigmoid_backward called "
                      "sigmoid_forward: a backward pass must use its cache, not re-run the "
                      "forward pass"}
