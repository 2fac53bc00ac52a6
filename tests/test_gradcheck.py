"""The gradient checker accepts right gradients, rejects wrong ones, and says why."""

import re

import numpy as np
import pytest

from autograder import (
    GradientCheckError,
    check_gradient,
    check_gradient_directional,
    numeric_gradient,
    relative_error,
)


def affine(x, w, b):
    return x @ w + b


@pytest.fixture
def layer():
    """A dense layer at a random point, with its exact gradients."""
    rng = np.random.default_rng(7)
    x, w, b = rng.standard_normal((5, 4)), rng.standard_normal((4, 3)), rng.standard_normal(3)
    dout = rng.standard_normal((5, 3))
    grads = {"x": dout @ w.T, "w": x.T @ dout, "b": dout.sum(axis=0)}
    return {"x": x, "w": w, "b": b}, grads, dout


def test_numeric_gradient_of_a_scalar_function():
    x = np.array([1.0, -2.0, 0.5])
    grad = numeric_gradient(lambda x: np.sum(x ** 3), x)
    assert relative_error(grad, 3 * x ** 2) < 1e-9


def test_numeric_gradient_through_dout():
    rng = np.random.default_rng(0)
    x, dout = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    grad = numeric_gradient(np.tanh, x, dout)
    assert relative_error(grad, (1 - np.tanh(x) ** 2) * dout) < 1e-9


def test_relative_error_is_the_maximum_over_elements():
    assert relative_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert relative_error([1.0, 3.0], [1.0, 1.0]) == pytest.approx(0.5)
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    with pytest.raises(ValueError, match="shapes"):
        relative_error(np.zeros(2), np.zeros(3))


def test_correct_gradients_pass(layer):
    inputs, grads, dout = layer
    report = check_gradient(affine, inputs, grads, dout=dout)
    assert set(report.errors) == {"x", "w", "b"}
    assert report.max_error < 1e-8
    assert "passed" in str(report)


def test_scalar_function_without_dout():
    x = np.array([[0.3, -1.2], [2.0, 0.7]])
    report = check_gradient(lambda x: np.sum(np.sin(x)), {"x": x}, {"x": np.cos(x)})
    assert report.max_error < 1e-8


def test_array_function_without_dout_is_explained():
    with pytest.raises(ValueError, match="pass `dout`"):
        check_gradient(lambda x: 2 * x, {"x": np.ones(3)}, {"x": 2 * np.ones(3)})


def test_transposed_gradient_fails_with_a_hint(layer):
    inputs, grads, dout = layer
    with pytest.raises(GradientCheckError) as info:
        check_gradient(affine, inputs, {**grads, "w": grads["w"].T}, dout=dout)
    message = str(info.value)
    assert "'w'" in message
    assert "expected (4, 3)" in message and "got (3, 4)" in message
    assert "transpose" in message


def test_square_transposed_gradient_is_recognised():
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
    dout = rng.standard_normal((3, 3))
    with pytest.raises(GradientCheckError, match="transpose"):
        check_gradient(lambda x, w: x @ w, {"x": x, "w": w}, {"w": (x.T @ dout).T}, dout=dout)


def test_scaled_gradient_fails_with_the_factor(layer):
    inputs, grads, dout = layer
    with pytest.raises(GradientCheckError) as info:
        check_gradient(affine, inputs, {**grads, "x": grads["x"] / 5}, dout=dout)
    message = str(info.value)
    assert "constant factor" in message and "5 times" in message


def test_sign_flipped_gradient_is_named(layer):
    inputs, grads, dout = layer
    with pytest.raises(GradientCheckError, match="wrong sign"):
        check_gradient(affine, inputs, {"w": -grads["w"]}, dout=dout)


def test_bias_not_summed_over_the_batch(layer):
    inputs, grads, dout = layer
    with pytest.raises(GradientCheckError) as info:
        check_gradient(affine, inputs, {"b": dout}, dout=dout)
    message = str(info.value)
    assert "'b'" in message and "expected (3,)" in message and "got (5, 3)" in message
    assert "SUM" in message


def test_one_wrong_element_is_located(layer):
    inputs, grads, dout = layer
    wrong = grads["w"].copy()
    wrong[2, 1] += 0.5
    with pytest.raises(GradientCheckError) as info:
        check_gradient(affine, inputs, {"w": wrong}, dout=dout)
    message = str(info.value)
    assert "index (2, 1)" in message
    numeric, analytic = re.search(r"numeric (\S+), analytic (\S+)", message).groups()
    assert float(numeric) == pytest.approx(grads["w"][2, 1], rel=1e-7)
    assert float(analytic) == pytest.approx(wrong[2, 1], rel=1e-9)
    assert "relative error" in message
    assert "only 1 of 12 elements" in message


def test_zero_gradient_is_named(layer):
    inputs, grads, dout = layer
    with pytest.raises(GradientCheckError, match="all zeros"):
        check_gradient(affine, inputs, {"x": np.zeros_like(grads["x"])}, dout=dout)


def test_missing_gradient_is_named(layer):
    inputs, _, dout = layer
    with pytest.raises(GradientCheckError, match="None"):
        check_gradient(affine, inputs, {"x": None}, dout=dout)


def test_unknown_parameter_name_is_refused(layer):
    inputs, grads, dout = layer
    with pytest.raises(KeyError, match="not inputs"):
        check_gradient(affine, inputs, {"W": grads["w"]}, dout=dout)


def test_inputs_are_left_unchanged(layer):
    inputs, grads, dout = layer
    before = {k: v.copy() for k, v in inputs.items()}
    dout_before = dout.copy()
    check_gradient(affine, inputs, grads, dout=dout)
    check_gradient_directional(affine, inputs, grads, dout=dout)
    numeric_gradient(lambda x: affine(x, inputs["w"], inputs["b"]), inputs["x"], dout)
    for name, value in inputs.items():
        assert np.array_equal(value, before[name]), f"{name} was modified"
    assert np.array_equal(dout, dout_before)


def test_float32_inputs_are_checked_in_float64():
    x = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
    report = check_gradient(lambda x: np.sum(x ** 2), {"x": x}, {"x": 2 * x.astype(np.float64)})
    assert report.max_error < 1e-8
    assert x.dtype == np.float32


def test_zero_inputs_and_zero_gradients_pass():
    x = np.zeros((2, 2))
    assert check_gradient(lambda x: np.sum(x ** 2), {"x": x}, {"x": np.zeros((2, 2))}).max_error == 0


def test_directional_check_passes_right_and_fails_wrong():
    rng = np.random.default_rng(11)
    x, w = rng.standard_normal((16, 50)), rng.standard_normal((50, 40))
    dout = rng.standard_normal((16, 40))
    dw = x.T @ dout
    report = check_gradient_directional(lambda x, w: x @ w, {"x": x, "w": w}, {"w": dw},
                                        dout=dout, num_directions=4)
    assert report.max_error < 1e-7
    wrong = dw.copy()
    wrong[10, 5] += 1.0   # one wrong element among 2,000
    with pytest.raises(GradientCheckError, match="random direction"):
        check_gradient_directional(lambda x, w: x @ w, {"x": x, "w": w}, {"w": wrong}, dout=dout)
    with pytest.raises(GradientCheckError, match="expected \\(50, 40\\)"):
        check_gradient_directional(lambda x, w: x @ w, {"x": x, "w": w}, {"w": dw.T}, dout=dout)


def test_dout_with_the_wrong_shape_is_explained(layer):
    inputs, grads, dout = layer
    with pytest.raises(ValueError, match="dout must have exactly the shape"):
        check_gradient(affine, inputs, grads, dout=dout.T)
