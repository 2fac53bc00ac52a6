"""Backprop by Hand's autograder: the gradient checker students call, and the grading command.

Students use :mod:`autograder.gradcheck`; instructors run ``python -m autograder grade``.
"""

import sys as _sys

# jsonschema (which nbformat and nbgrader use) imports rfc3987_syntax when it is installed (Jupyter
# pulls it in), and that module compiles some 35 Earley parsers at import: about one second of
# CPU in every process that reads a notebook, i.e. the grading command and each of its Dask
# workers (python-jsonschema/jsonschema#1428). None of the schemas validated here uses its "iri"
# formats, and without it jsonschema simply does not register a checker for them.
if "jsonschema" not in _sys.modules:
    _sys.modules.setdefault("rfc3987_syntax", None)


from autograder.gradcheck import (
    GradientCheckError,
    GradientReport,
    check_gradient,
    check_gradient_directional,
    numeric_gradient,
    relative_error,
)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("backprop-by-hand-autograder")   # pyproject.toml's
    except PackageNotFoundError:
        return "unknown (not installed)"


__version__ = _version()


def being_graded() -> bool:
    """True inside our grader's worker (BBH_RLIMITS) and under nbgrader's autograde or validate
    (NBGRADER_EXECUTION), where a notebook's own check() cell must do nothing."""
    import os

    return bool(os.environ.get("BBH_RLIMITS") or os.environ.get("NBGRADER_EXECUTION"))


def check(notebook=None):
    """Check this notebook as the grader will run it, visible tests only (see autograder.precheck).

    Call it from the notebook's last cell, after saving: ``from autograder import check; check()``.
    """
    if being_graded():   # before the import: the cell runs in every graded notebook
        print("check(): skipped while the notebook is being graded or checked")
        return None
    from autograder.precheck import check as _check

    return _check(notebook)


__all__ = [
    "check",
    "GradientCheckError",
    "GradientReport",
    "check_gradient",
    "check_gradient_directional",
    "numeric_gradient",
    "relative_error",
]
