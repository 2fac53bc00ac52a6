"""Numeric gradient checking, written for students.

Every backward pass in this course is checked the same way: the analytic gradient a student
computes is compared with a centred finite-difference estimate,

    df/dx_i ~ (f(x + h e_i) - f(x - h e_i)) / 2h,

and the two must agree to a small *relative error*. Array-valued functions (a layer's forward
pass) are checked through an upstream gradient ``dout``: the scalar that is differentiated is
``sum(f(x) * dout)``, whose gradient is exactly what ``layer_backward(dout, cache)`` returns.

All arithmetic is done on float64 copies, so the caller's arrays are never modified, and a
float32 input is still checked at full precision.

Public API
----------
numeric_gradient(f, x, dout=None, h=1e-5)           -> ndarray, same shape as x
relative_error(a, b)                                 -> float (max over elements)
check_gradient(f, inputs, analytic, dout=None, ...)  -> GradientReport; raises GradientCheckError
check_gradient_directional(f, inputs, analytic, ...) -> GradientReport; for large tensors
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "GradientCheckError",
    "GradientReport",
    "check_gradient",
    "check_gradient_directional",
    "numeric_gradient",
    "relative_error",
]

DEFAULT_STEP = 1e-5
DEFAULT_TOLERANCE = 1e-6
_EPS = 1e-8


class GradientCheckError(AssertionError):
    """Raised when an analytic gradient disagrees with the numeric one.

    It is an ``AssertionError`` so that a failing check in a test cell fails that test.
    """


@dataclass
class GradientReport:
    """The outcome of a gradient check: one relative error per checked parameter."""

    errors: dict[str, float] = field(default_factory=dict)
    tolerance: float = DEFAULT_TOLERANCE

    @property
    def max_error(self) -> float:
        return max(self.errors.values(), default=0.0)

    def __str__(self) -> str:
        parts = ", ".join(f"{name}: {err:.2e}" for name, err in self.errors.items())
        return f"gradient check passed (relative errors {parts}; tolerance {self.tolerance:.0e})"


def _as_float64(value) -> np.ndarray:
    return np.array(value, dtype=np.float64, copy=True)


def _scalar_objective(f: Callable, dout) -> Callable:
    """Wrap f so that it returns the scalar sum(f(...) * dout), or f itself when dout is None."""
    if dout is None:
        def objective(**kwargs):
            out = np.asarray(f(**kwargs), dtype=np.float64)
            if out.size != 1:
                raise ValueError(
                    f"f returned an array of shape {out.shape}; pass `dout` (the upstream "
                    "gradient, same shape as f's output) to check an array-valued function."
                )
            return float(out.reshape(()))
        return objective

    dout = _as_float64(dout)

    def objective(**kwargs):
        out = np.asarray(f(**kwargs), dtype=np.float64)
        if out.shape != dout.shape:
            raise ValueError(
                f"f returned shape {out.shape} but dout has shape {dout.shape}: "
                "dout must have exactly the shape of f's output."
            )
        return float(np.sum(out * dout))
    return objective


def numeric_gradient(f: Callable, x, dout=None, h: float = DEFAULT_STEP) -> np.ndarray:
    """Centred-difference gradient of f at x.

    Inputs:
    - f: function of one array. Scalar-valued, or array-valued when ``dout`` is given.
    - x: array of any shape (not modified).
    - dout: upstream gradient, same shape as f(x); the gradient of sum(f(x) * dout) is returned.
    - h: step size.

    Returns:
    - grad: float64 array with the shape of x.
    """
    objective = _scalar_objective(lambda x: f(x), dout)
    return _centred_differences(objective, {"x": _as_float64(x)}, "x", h)


def _centred_differences(objective: Callable, values: dict, name: str, h: float) -> np.ndarray:
    """d objective / d values[name], element by element; values[name] is restored exactly."""
    x = values[name]
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        idx = it.multi_index
        old = x[idx]
        x[idx] = old + h
        f_plus = objective(**values)
        x[idx] = old - h
        f_minus = objective(**values)
        x[idx] = old
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad


def relative_error(a, b) -> float:
    """Largest elementwise relative error |a - b| / max(1e-8, |a| + |b|)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare shapes {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(_EPS, np.abs(a) + np.abs(b))))


def _elementwise_relative_error(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(a - b) / np.maximum(_EPS, np.abs(a) + np.abs(b))


def _close(a: np.ndarray, b: np.ndarray, tol: float) -> bool:
    return a.shape == b.shape and relative_error(a, b) < tol


def _diagnose(name: str, numeric: np.ndarray, analytic: np.ndarray, tol: float) -> str:
    """A hint naming the most likely mistake, from the shapes and values of both gradients."""
    if analytic.shape != numeric.shape:
        if analytic.T.shape == numeric.shape and _close(analytic.T, numeric, tol):
            return "your gradient is the transpose of the right one: check the order of a matrix product."
        if analytic.ndim == numeric.ndim + 1 and _close(analytic.sum(axis=0), numeric, tol):
            return ("it has an extra batch axis: a parameter shared by every example (a bias) "
                    "gets the SUM of the per-example gradients, e.g. db = dout.sum(axis=0).")
        if analytic.size == numeric.size:
            return "it has the right number of elements in the wrong shape: reshape it like the input."
        return "a gradient always has exactly the shape of the variable it belongs to."
    if not np.any(analytic) and np.any(numeric):
        return "your gradient is all zeros: is the backward pass implemented and returned?"
    if numeric.ndim == 2 and numeric.shape[0] == numeric.shape[1] and _close(analytic, numeric.T, tol):
        return "your gradient is the transpose of the right one: check the order of a matrix product."
    denom = float(np.vdot(analytic, analytic))
    if denom > 0:
        scale = float(np.vdot(analytic, numeric)) / denom
        if _close(scale * analytic, numeric, tol) and abs(scale - 1) > 1e-3:
            if abs(scale + 1) < 1e-3:
                return "your gradient has the wrong sign everywhere: check a subtraction or the loss's sign."
            return (f"your gradient is off by a constant factor (the right one is {scale:.4g} times "
                    "yours): a missing 1/N, a factor 2 from a square, or a slope k?")
    bad = _elementwise_relative_error(numeric, analytic) >= tol
    if 0 < bad.sum() <= max(1, bad.size // 10):
        where = [tuple(int(i) for i in idx) for idx in np.argwhere(bad)[:3]]
        return (f"only {int(bad.sum())} of {bad.size} elements are wrong (e.g. at {where}): look for "
                "a special case: a tie, a boundary, a kink at zero, an edge of the array.")
    return ("compare your formula with the chain rule term by term: local gradient times upstream "
            "gradient, and check each activation's derivative.")


def _failure_message(name: str, numeric: np.ndarray, analytic: np.ndarray, tol: float,
                     what: str) -> str:
    lines = [f"Gradient check failed for '{name}' ({what})."]
    if analytic.shape != numeric.shape:
        lines.append(f"  shape: expected {numeric.shape} (the shape of '{name}'), got {analytic.shape}")
    else:
        err = _elementwise_relative_error(numeric, analytic)
        worst = np.unravel_index(int(np.argmax(err)), err.shape) if err.ndim else ()
        worst_idx = tuple(int(i) for i in worst)
        lines.append(f"  shape: {analytic.shape} (correct)")
        lines.append(f"  worst element: index {worst_idx}: numeric {numeric[worst]:.10g}, "
                     f"analytic {analytic[worst]:.10g}")
        lines.append(f"  relative error: {float(err.max()):.3e} (must be below {tol:.0e})")
    lines.append("  hint: " + _diagnose(name, numeric, analytic, tol))
    return "\n".join(lines)


def _prepare(inputs: Mapping, analytic: Mapping):
    if not isinstance(inputs, Mapping) or not inputs:
        raise TypeError("inputs must be a non-empty dict of name -> array, e.g. {'x': x, 'w': w}")
    if not isinstance(analytic, Mapping):
        raise TypeError("analytic must be a dict of name -> gradient array, e.g. {'x': dx}")
    unknown = set(analytic) - set(inputs)
    if unknown:
        raise KeyError(f"analytic gradients given for {sorted(unknown)}, which are not inputs "
                       f"(inputs are {sorted(inputs)})")
    values = {name: _as_float64(v) for name, v in inputs.items()}
    grads = {}
    for name, g in analytic.items():
        if g is None:
            raise GradientCheckError(
                f"Gradient check failed for '{name}': the analytic gradient is None. "
                "Did the backward pass return its result?")
        grads[name] = _as_float64(g)
    return values, grads


def check_gradient(f: Callable, inputs: Mapping, analytic: Mapping, dout=None,
                   tol: float = DEFAULT_TOLERANCE, h: float = DEFAULT_STEP) -> GradientReport:
    """Compare analytic gradients with centred differences, element by element.

    Inputs:
    - f: called as f(**inputs); returns a scalar, or an array when ``dout`` is given.
    - inputs: dict name -> array, the point at which to check (never modified).
    - analytic: dict name -> your gradient for some or all of the inputs.
    - dout: upstream gradient with the shape of f's output, for array-valued f.
    - tol: largest relative error accepted.
    - h: finite-difference step.

    Returns a GradientReport (printing it shows each relative error).
    Raises GradientCheckError naming the parameter, the shapes, the worst element with both
    values, the relative error, and a hint.

    Example:
        check_gradient(lambda x, w, b: affine_forward(x, w, b)[0],
                       {"x": x, "w": w, "b": b}, {"x": dx, "w": dw, "b": db}, dout=dout)
    """
    values, grads = _prepare(inputs, analytic)
    objective = _scalar_objective(f, dout)
    report = GradientReport(tolerance=tol)
    for name, grad in grads.items():
        numeric = _centred_differences(objective, values, name, h)
        if grad.shape != numeric.shape:
            raise GradientCheckError(_failure_message(name, numeric, grad, tol, "wrong shape"))
        err = relative_error(numeric, grad)
        report.errors[name] = err
        if not err < tol:
            raise GradientCheckError(_failure_message(name, numeric, grad, tol, "wrong values"))
    return report


def check_gradient_directional(f: Callable, inputs: Mapping, analytic: Mapping, dout=None,
                               num_directions: int = 3, seed: int = 0,
                               tol: float = DEFAULT_TOLERANCE,
                               h: float = DEFAULT_STEP) -> GradientReport:
    """Check large gradients along a few random directions instead of every element.

    For a random unit direction v, the derivative of f along v is (f(x + hv) - f(x - hv)) / 2h,
    and it must equal the dot product <analytic, v>. Two evaluations of f per direction, whatever
    the size of x, and a wrong element is caught unless v happens to miss it (probability 0 for
    Gaussian directions). Arguments as in check_gradient.
    """
    values, grads = _prepare(inputs, analytic)
    objective = _scalar_objective(f, dout)
    rng = np.random.default_rng(seed)
    report = GradientReport(tolerance=tol)
    for name, grad in grads.items():
        x = values[name]
        if grad.shape != x.shape:
            raise GradientCheckError(
                f"Gradient check failed for '{name}' (wrong shape).\n"
                f"  shape: expected {x.shape} (the shape of '{name}'), got {grad.shape}\n"
                "  hint: a gradient always has exactly the shape of the variable it belongs to.")
        original = x.copy()
        worst = 0.0
        for k in range(num_directions):
            v = rng.standard_normal(x.shape)
            v /= np.linalg.norm(v) or 1.0
            values[name] = original + h * v
            f_plus = objective(**values)
            values[name] = original - h * v
            f_minus = objective(**values)
            values[name] = original
            numeric = (f_plus - f_minus) / (2 * h)
            predicted = float(np.vdot(grad, v))
            err = abs(numeric - predicted) / max(_EPS, abs(numeric) + abs(predicted))
            worst = max(worst, err)
            if not err < tol:
                raise GradientCheckError(
                    f"Gradient check failed for '{name}' (random direction {k + 1} of "
                    f"{num_directions}, seed {seed}).\n"
                    f"  shape: {grad.shape} (correct)\n"
                    f"  derivative along the direction: numeric {numeric:.10g}, "
                    f"analytic {predicted:.10g}\n"
                    f"  relative error: {err:.3e} (must be below {tol:.0e})\n"
                    "  hint: some elements are wrong; run check_gradient on a small input "
                    "to see which.")
        report.errors[name] = worst
    return report
