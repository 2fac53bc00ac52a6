"""The autograder's testing API for hidden tests (minimal version; G1b's work replaces it).

    from autograder.testing import forbid
    with forbid("sigmoid_forward"):
        dx = sigmoid_backward(dout, cache)

Inside the block, the student function named must not be used: in a Jupyter kernel (stock
nbgrader) the caller's global of that name is replaced by one that raises AssertionError; in our
grader, every call into the student's worker carries ``forbidden_now()`` and the worker replaces
the name in the student's namespace for the duration of the call.
"""

from __future__ import annotations

import contextlib
import sys

_FORBIDDEN: list[tuple[str, str]] = []


def forbidden_now() -> list[tuple[str, str]]:
    """(name, message) of every student function forbidden at this moment."""
    return list(_FORBIDDEN)


@contextlib.contextmanager
def forbid(name: str, message: str | None = None):
    """Within the block, calling the student function `name` raises AssertionError(message)."""
    message = message or f"{name} was called, but this test forbids it"
    caller = sys._getframe(2).f_globals   # the cell's globals (contextmanager adds a frame)
    missing = object()
    saved = caller.get(name, missing)

    def forbidden(*args, **kwargs):
        raise AssertionError(message)

    if saved is not missing:
        caller[name] = forbidden
    _FORBIDDEN.append((name, message))
    try:
        yield
    finally:
        _FORBIDDEN.remove((name, message))
        if saved is not missing:
            caller[name] = saved
