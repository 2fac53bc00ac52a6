"""The testing API of the assignments' test cells (visible and hidden).

Test cells import what they need from here instead of copying helpers into every cell:

    from autograder.testing import assert_close, assert_exact, forbid, scaled_error

    _, cache = sigmoid_forward(x)
    with forbid("sigmoid_forward"):          # a backward pass must use its cache
        dx = sigmoid_backward(dout, cache)
    assert_exact(dx, dout * s * (1 - s), "sigmoid_backward's dx")

Every failure is an ``AssertionError`` whose message names the property that failed (what is
wrong, and what was expected of it). None of these helpers puts the *values* of a test's inputs
into a message, so a hidden test may use them without giving its inputs away; a visible test
can ask for more detail (``assert_close(..., reveal=True)``).

Forbidding a function
---------------------
:func:`forbid` works in the two places a test cell runs:

* **In a kernel** (Jupyter, stock ``nbgrader autograde``), tests and student code share one
  namespace: for the duration of the ``with`` block the forbidden names in the caller's global
  namespace are bound to stand-ins that raise ``AssertionError``, and the student's own functions
  are put back afterwards, also when the block raises.
* **In the course's grader**, the student's code runs in a sandboxed worker process and the
  test's namespace only holds proxies. The grader's client asks :func:`forbidden_now` which
  names are forbidden at the moment of each call into student code and has the worker forbid
  them there. (Patching the grader's namespace as well is harmless: its names are proxies.)

Public API
----------
forbid(*names, message=None, caller=None)           -> context manager
forbidden_now()                                      -> list of (name, message)
scaled_error(actual, expected)                       -> float
assert_close(actual, expected, tol=1e-9, what=...)   -> None
assert_exact(actual, expected, what, tol=1e-12)      -> None
relative_error(a, b)                                 -> float (re-exported from gradcheck)
"""

from __future__ import annotations

import sys
from collections.abc import Callable, MutableMapping
from types import TracebackType
from typing import Any

import numpy as np

from autograder.gradcheck import relative_error

__all__ = [
    "EXACT_TOLERANCE",
    "assert_close",
    "assert_exact",
    "forbid",
    "forbidden_now",
    "relative_error",
    "scaled_error",
]

EXACT_TOLERANCE = 1e-12
"""An analytic result must match its reference to this (scaled) error: rounding only."""

_MISSING = object()

# The forbid blocks currently open, outermost first: (name, message) for every forbidden name.
_active: list[tuple[str, str]] = []


# --------------------------------------------------------------------------- forbidding

def _default_message(name: str, caller: str | None) -> str:
    if caller is None and "forward" in name:
        caller = name.replace("forward", "backward")
    if caller is None:
        return f"{name} was called, but this test forbids calling it"
    return (f"{caller} called {name}: a backward pass must use its cache, "
            "not re-run the forward pass")


def _stand_in(name: str, message: str) -> Callable[..., Any]:
    """A function that raises ``AssertionError(message)`` however it is called."""

    def forbidden(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(message)

    forbidden.__name__ = forbidden.__qualname__ = name
    forbidden.__doc__ = f"Forbidden by a test: {message}"
    forbidden.__forbidden__ = message  # type: ignore[attr-defined]
    return forbidden


class forbid:  # noqa: N801 - used like a function: `with forbid("f"):`
    """Forbid calling some functions while a block runs.

    ``with forbid("sigmoid_forward"): dx = sigmoid_backward(dout, cache)`` fails the test with
    ``AssertionError("sigmoid_backward called sigmoid_forward: a backward pass must use its
    cache, not re-run the forward pass")`` if the backward pass calls the forward pass.

    Args:
        *names: the global names (functions of the student's notebook) that must not be called.
        message: the failure message, used for every name. By default it names the function
            under test and the forbidden one, as above: the function under test is ``caller``,
            or, when the forbidden name contains "forward", that name with "backward" in its place.
        caller: the function under test, for the default message (e.g. ``"rnn_backward"`` when
            ``"rnn_step_forward"`` is forbidden).
        namespace: the global namespace to patch; by default the globals of the code that
            calls ``forbid`` (the notebook's namespace, in a test cell).

    The forbidden names are bound to raising stand-ins in ``namespace`` for the duration of the
    block and restored on exit, also when the block raises; a name that did not exist is removed
    again. Blocks nest. While the block runs, :func:`forbidden_now` lists the names.
    """

    def __init__(self, *names: str, message: str | None = None, caller: str | None = None,
                 namespace: MutableMapping[str, Any] | None = None) -> None:
        if not names or not all(isinstance(n, str) and n.isidentifier() for n in names):
            raise TypeError("forbid() takes the names of the forbidden functions, as strings")
        self.names: tuple[str, ...] = names
        self.messages: dict[str, str] = {n: message if message is not None
                                         else _default_message(n, caller) for n in names}
        self.namespace = namespace if namespace is not None else sys._getframe(1).f_globals
        self._saved: list[tuple[str, Any]] = []
        self._entries: list[tuple[str, str]] = []

    def __enter__(self) -> forbid:
        if self._entries:
            raise RuntimeError("this forbid(...) block is already active")
        self._entries = [(name, self.messages[name]) for name in self.names]
        _active.extend(self._entries)
        try:
            for name, message in self._entries:
                self._saved.append((name, self.namespace.get(name, _MISSING)))
                self.namespace[name] = _stand_in(name, message)
        except BaseException:
            self._undo()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._undo()

    def _undo(self) -> None:
        for name, value in reversed(self._saved):
            if value is _MISSING:
                self.namespace.pop(name, None)
            else:
                self.namespace[name] = value
        self._saved = []
        for entry in self._entries:      # remove this block's own entries, innermost first
            for i in range(len(_active) - 1, -1, -1):
                if _active[i] is entry:
                    del _active[i]
                    break
        self._entries = []


def forbidden_now() -> list[tuple[str, str]]:
    """The names forbidden at this moment, as ``(name, message)``, each name once.

    When blocks nest and forbid the same name, the innermost block's message is the one given.
    The grader sends this list with every call into student code.
    """
    messages: dict[str, str] = {}
    for name, message in _active:
        messages.pop(name, None)
        messages[name] = message
    return list(messages.items())


# --------------------------------------------------------------------------- comparing

def scaled_error(actual: Any, expected: Any) -> float:
    """The largest absolute difference, relative to the largest magnitude of ``expected``.

    ``max|actual - expected| / max|expected|``: unlike an elementwise relative error it does not
    blow up where an element of ``expected`` is close to zero, so it suits results computed by
    different but equivalent formulas, where the rounding error scales with the largest values.
    Raises ``AssertionError`` when the shapes differ.
    """
    a, b = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    assert a.shape == b.shape, f"shape {a.shape}, expected {b.shape}"
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def _prefix(where: str) -> str:
    return f"{where}: " if where else ""


def assert_close(actual: Any, expected: Any, tol: float = 1e-9, what: str = "the result", *,
                 hint: str = "", verbose: bool = True, reveal: bool = False) -> None:
    """Assert that ``relative_error(actual, expected) < tol``.

    Returns nothing, on purpose: a test cell often ends with this call, and stock nbgrader
    reads a number that a test cell's last line evaluates to as its partial credit.

    Args:
        actual: the student's result (array-like).
        expected: the correct result (array-like, same shape).
        tol: the largest relative error accepted.
        what: the name of the result, for the messages (e.g. ``"sgd next_w"``).
        hint: a sentence added to the failure message (what is usually wrong).
        verbose: print the error and the tolerance, whether or not the check passes (the
            default: the student sees how close the result is).
        reveal: on failure, also give the index, expected and actual value of the worst
            element. Only for visible tests, whose inputs the student sees anyway.
    """
    got = np.asarray(actual, dtype=float)
    ref = np.asarray(expected, dtype=float)
    assert got.shape == ref.shape, f"{what}: expected shape {ref.shape}, got {got.shape}"
    err = relative_error(got, ref)
    if verbose:
        print(f"{what}: relative error {err:.2e} (a correct implementation gives about 1e-16; "
              f"must be below {tol:.0e})")
    if not err < tol:
        detail = f"its relative error is {err:.1e}, more than {tol:.0e}"
        if reveal and got.size:
            worst = np.unravel_index(int(np.argmax(np.abs(got - ref))), got.shape)
            detail = (f"at index {tuple(int(i) for i in worst)} expected "
                      f"{ref[worst]:.12g}, got {got[worst]:.12g}")
        raise AssertionError(f"{what} is wrong: {detail}. {hint}".rstrip())


def assert_exact(actual: Any, expected: Any, what: str, tol: float = EXACT_TOLERANCE, *,
                 where: str = "") -> None:
    """Assert that an analytic result equals its reference up to rounding (returns nothing,
    like :func:`assert_close`, so that no test cell evaluates to a number).

    The result must not be ``None``, must have the reference's shape, and its
    :func:`scaled_error` from the reference must be below ``tol`` (1e-12: an analytic gradient is
    exact, so only rounding separates it from a reference computed another way).

    Args:
        actual: the student's result.
        expected: the exact result (an array).
        what: the name of the result, e.g. ``"dx"``.
        where: the case, put before the message, as the property it tests (e.g. ``"a
            hidden case with stride > 1 and padding"``); in a hidden test never its inputs
            (values, shapes or settings): tests/test_hidden_messages.py checks this.
    """
    at = _prefix(where)
    assert actual is not None, f"{at}{what} is None"
    got = np.asarray(actual)
    ref = np.asarray(expected)
    assert got.shape == ref.shape, f"{at}{what} has shape {got.shape}, expected {ref.shape}"
    err = scaled_error(got, ref)
    assert err < tol, (f"{at}{what} is off by a relative {err:.1e} from the exact value (it must "
                       f"be below {tol:.0e}: an analytic gradient is exact)")
