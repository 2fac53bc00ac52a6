"""Backprop by Hand's autograder: the gradient checker students call, and the grading command.

Students use :mod:`autograder.gradcheck`; instructors run ``python -m autograder grade``.
"""

from autograder.gradcheck import (
    GradientCheckError,
    GradientReport,
    check_gradient,
    check_gradient_directional,
    numeric_gradient,
    relative_error,
)

__all__ = [
    "GradientCheckError",
    "GradientReport",
    "check_gradient",
    "check_gradient_directional",
    "numeric_gradient",
    "relative_error",
]
