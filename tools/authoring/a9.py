"""One-off generator of solutions/a9/a9.ipynb (kept for reference; the notebook is the source).

    .venv/bin/python -m tools.authoring.a9 && .venv/bin/python -m autograder release a9
"""

from tools.nbauthor import answer, given_code, instructions, new_assignment, save, scratch, tests

INTRO = """\
# Assignment a9: capstone, a convolutional network from your own layers

This assignment closes the course. You build a small **convolutional neural network** (합성곱
신경망) from layers you wrote in earlier assignments, write its loss-and-gradients function by
hand, write the optimiser that updates it, and train it on scikit-learn's 8×8 handwritten digits
to at least 95 % accuracy on images it has never seen:

```text
input (N, 1, 8, 8) → conv 3×3, pad 1 → ReLU → max pool 2×2 → affine → softmax cross-entropy
                     (N, F, 8, 8)              (N, F, 4, 4)   (N, 10)
```

It goes with chapters 3 to 9: the affine layer of [chapter 3](../../book/03-backprop-mlp.ipynb)
(assignment a2), ReLU and the softmax cross-entropy loss of chapters 4 and 5 (a3), Adam and the
mini-batch loop of chapters 6 and 7 (a4), convolution and max pooling of
[chapter 8](../../book/08-convolutional-networks.ipynb) (a5). Nothing here is given: you write
every layer again or **paste your own** from those assignments (check that the names and the
return values match the docstrings below). The one new piece of mathematics is the chain that
joins them (part 5): the gradient of the loss with respect to every weight of the network, one
backward call per layer in the reverse order of the forward calls.

| part | you implement | graded cell | points |
|---|---|---|---|
| 1 | `conv_forward` (a5) | `test_conv_forward` | 2 |
| 1 | `conv_backward` (a5) | `test_conv_backward` | 3 |
| 2 | `max_pool_forward` (a5) | `test_max_pool_forward` | 1 |
| 2 | `max_pool_backward` (a5) | `test_max_pool_backward` | 2 |
| 3 | `affine_forward` / `affine_backward` (a2) | `test_affine` | 2 |
| 3 | `relu_forward` / `relu_backward` (a3) | `test_relu` | 1 |
| 4 | `softmax_loss` (a3) | `test_softmax_loss` | 2 |
| 5 | `cnn_loss`: the whole network, forward and backward | `test_cnn_loss` | 5 |
| 6 | `adam_step` (a4) | `test_adam_step` | 3 |
| 7 | `train`: initialise and train the network | `test_train` | 4 |
| | **total** | | **25** |

**How it is graded.** Each layer is graded on its own, so a mistake in one layer costs that
layer's points (and the points of the parts that use it) and no more. Every test cell runs its
visible checks first; the autograder then runs hidden tests on other shapes and seeds:

- gradients (every backward pass and `cnn_loss`) are compared with exact ones to a relative
  error of 1e-12. A finite-difference estimate is about 1e-10 off and loses the points: write
  the chain rule. A backward function must use its cache: the hidden tests fail it if it calls
  its forward function.
- `adam_step` is compared with the formula over a whole trajectory of steps.
- `train` is run twice: on the training split below (your accuracy is printed), and on another
  split the grader keeps to itself, **sorted by label**, so a loop that does not shuffle its
  mini-batches fails. Both trained networks must classify at least 95 % of their held-out
  images correctly, and the grader stops any cell after 60 seconds on a 2-core machine: the
  reference trains in about 2 seconds. Keep every layer vectorised (loops over kernel offsets
  or window positions are fine; loops over images or pixels are not).

Replace every `# YOUR CODE HERE` / `raise NotImplementedError()` with your code and run the test
cell below it. Do not edit or delete the test cells: the autograder restores them.
"""

SETUP = """\
import time

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.datasets import load_digits

from autograder import check_gradient, check_gradient_directional, relative_error
from autograder.testing import assert_close

np.set_printoptions(precision=6, suppress=True)"""

PART1 = """\
## Part 1: the convolution layer (2 + 3 points)

The layer of assignment a5, with the same API and conventions: images `x` of shape
`(N, C, H, W)`, filters `w` of shape `(F, C, HH, WW)`, `conv_param = {"stride": s, "pad": p}`,
zero padding on the four sides, and a **cross-correlation** (상호상관) in the forward pass (the
kernel is not flipped):

$$
\\mathrm{out}[n, f, i, j] = b[f] + \\sum_{c}\\sum_{k=0}^{HH-1}\\sum_{l=0}^{WW-1}
    xp[n, c, s i + k, s j + l]\\; w[f, c, k, l],
\\qquad H' = 1 + (H + 2p - HH) /\\!/ s .
$$

This time speed matters, because `train` calls the layer thousands of times. A fast way is
**im2col**: gather every window the kernel visits into one array, then do one matrix product.
NumPy's `sliding_window_view(xp, (HH, WW), axis=(2, 3))` is such an array without copying: its
shape is `(N, C, Hp - HH + 1, Wp - WW + 1, HH, WW)`; keep every `s`-th window along the two
position axes and contract `(C, HH, WW)` with the filters (`np.tensordot` or `np.einsum`).
Your loop over kernel offsets from a5 is fast enough as well."""

CONV_FORWARD = """\
def conv_forward(x, w, b, conv_param):
    \"\"\"Forward pass of a convolution layer (a cross-correlation, as in every library).

    Inputs:
    - x: input images, shape (N, C, H, W)
    - w: filters, shape (F, C, HH, WW)
    - b: biases, shape (F,)
    - conv_param: dict with 'stride' (int >= 1) and 'pad' (int >= 0, zeros on each side)

    Returns a tuple of:
    - out: output, shape (N, F, H', W') with
        H' = 1 + (H + 2 * pad - HH) // stride,  W' = 1 + (W + 2 * pad - WW) // stride
    - cache: whatever conv_backward needs, e.g. (x, w, b, conv_param)
    \"\"\"
    out, cache = None, None
    ### BEGIN SOLUTION
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    s, p = conv_param["stride"], conv_param["pad"]
    H_out = 1 + (H + 2 * p - HH) // s
    W_out = 1 + (W + 2 * p - WW) // s
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    # im2col without a copy: every window, (N, C, H_out, W_out, HH, WW)
    cols = sliding_window_view(xp, (HH, WW), axis=(2, 3))[:, :, ::s, ::s][:, :, :H_out, :W_out]
    out = np.tensordot(cols, w, axes=([1, 4, 5], [1, 2, 3]))  # (N, H_out, W_out, F)
    out = out.transpose(0, 3, 1, 2) + b[None, :, None, None]
    cache = (x, w, b, conv_param)
    ### END SOLUTION
    return out, cache"""

TEST_CONV_FORWARD = """\
# Visible test: the known answer of assignment a5 (2 images, 3 channels, 5 x 5; 2 filters of
# 3 x 3; stride 2, pad 1).
x = np.linspace(-0.1, 0.5, num=2 * 3 * 5 * 5).reshape(2, 3, 5, 5)
w = np.linspace(-0.2, 0.3, num=2 * 3 * 3 * 3).reshape(2, 3, 3, 3)
b = np.array([-0.1, 0.2])
out, _ = conv_forward(x, w, b, {"stride": 2, "pad": 1})
correct_out = np.array(
    [[[[-0.0387463594, -0.0157895403, -0.0500367228],
       [-0.0465835127, -0.0375345068, -0.0717247056],
       [-0.1059870837, -0.1248562745, -0.1282183108]],
      [[0.3002304673, 0.3703697607, 0.3258655186],
       [0.4503520324, 0.5994099025, 0.4805989616],
       [0.4176168165, 0.5382436368, 0.4323110042]]],
     [[[-0.2507255920, -0.3594010384, -0.2962061542],
       [-0.4414803090, -0.6683436748, -0.5179068001],
       [-0.4205369128, -0.6223236672, -0.4769583386]],
      [[1.0113866025, 1.4114613144, 1.0028314550],
       [1.4401582880, 2.0456553121, 1.4191199190],
       [1.0262023553, 1.4254792959, 1.0067063442]]]])
assert out is not None, "conv_forward returned None: did you return `out, cache`?"
assert out.shape == correct_out.shape, (
    f"output shape {out.shape}, expected {correct_out.shape}: "
    "H' = 1 + (H + 2 * pad - HH) // stride")
err = relative_error(out, correct_out)
print(f"conv_forward relative error: {err:.2e} (should be below 1e-7; about 1e-9 is typical)")
assert err < 1e-7, "wrong values: check the padding, the stride, the bias, and that the kernel is not flipped"

# The capstone's layer: 8 x 8 digits, 3 x 3 kernels, stride 1, pad 1 keeps the size.
out, _ = conv_forward(np.zeros((5, 1, 8, 8)), np.zeros((16, 1, 3, 3)), np.arange(16.0),
                      {"stride": 1, "pad": 1})
assert out.shape == (5, 16, 8, 8), f"output shape {out.shape}, expected (5, 16, 8, 8)"
assert np.array_equal(out[3, :, 4, 4], np.arange(16.0)), "the bias of filter f is added to channel f"
### BEGIN HIDDEN TESTS
from autograder.testing import assert_exact
def _reference_conv(x, w, b, s, p):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    H_out, W_out = 1 + (H + 2 * p - HH) // s, 1 + (W + 2 * p - WW) // s
    ref = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    ref[n, f, i, j] = np.sum(xp[n, :, i * s:i * s + HH, j * s:j * s + WW] * w[f]) + b[f]
    return ref

_rng = np.random.default_rng(2091)
for _xs, _ws, _s, _p in [((2, 3, 7, 7), (4, 3, 3, 3), 2, 1),
                         ((3, 2, 6, 9), (5, 2, 3, 2), 1, 0),
                         ((2, 4, 8, 5), (3, 4, 2, 3), 3, 2),
                         ((2, 3, 8, 8), (2, 3, 3, 3), 2, 0),
                         ((4, 1, 8, 8), (6, 1, 3, 3), 1, 1)]:
    _x, _w, _b = _rng.standard_normal(_xs), _rng.standard_normal(_ws), _rng.standard_normal(_ws[0])
    _out, _ = conv_forward(_x, _w, _b, {"stride": _s, "pad": _p})
    assert_exact(_out, _reference_conv(_x, _w, _b, _s, _p), "conv_forward's output",
                 where=f"x {_xs}, w {_ws}, stride {_s}, pad {_p}")
print("hidden conv_forward tests passed")
### END HIDDEN TESTS"""

PART1B = """\
The three gradients of chapter 8, with `dout` of shape `(N, F, H', W')`:

- `db[f]`: the sum of `dout[:, f]` over the batch and every output position;
- `dw[f, c, k, l] = sum over n, i, j of dout[n, f, i, j] * xp[n, c, s*i + k, s*j + l]`: the
  same windows as the forward pass, contracted with `dout` instead of `w`;
- `dx`: every input pixel collects `w[f, c, k, l] * dout[n, f, i, j]` from each window that
  covered it (col2im: add each window's gradient back where it came from, or the full
  convolution with the flipped kernel of a5). Compute the gradient of the padded input, then
  crop the padding away.

All three are graded in one cell (3 points), visible gradient checks first, then exact hidden
comparisons."""

CONV_BACKWARD = """\
def conv_backward(dout, cache):
    \"\"\"Backward pass of a convolution layer.

    Inputs:
    - dout: upstream gradient dL/dout, shape (N, F, H', W')
    - cache: what conv_forward returned as its cache

    Returns a tuple of:
    - dx: gradient with respect to x, shape (N, C, H, W)
    - dw: gradient with respect to w, shape (F, C, HH, WW)
    - db: gradient with respect to b, shape (F,)
    \"\"\"
    dx, dw, db = None, None, None
    ### BEGIN SOLUTION
    x, w, b, conv_param = cache
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    s, p = conv_param["stride"], conv_param["pad"]
    _, _, H_out, W_out = dout.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    cols = sliding_window_view(xp, (HH, WW), axis=(2, 3))[:, :, ::s, ::s][:, :, :H_out, :W_out]
    db = dout.sum(axis=(0, 2, 3))
    dw = np.tensordot(dout, cols, axes=([0, 2, 3], [0, 2, 3]))  # (F, C, HH, WW)
    # col2im: the gradient of every window, added back where the window came from
    dcols = np.tensordot(dout, w, axes=([1], [0]))  # (N, H_out, W_out, C, HH, WW)
    dxp = np.zeros(xp.shape)
    for k in range(HH):
        for l in range(WW):
            dxp[:, :, k:k + s * H_out:s, l:l + s * W_out:s] += (
                dcols[:, :, :, :, k, l].transpose(0, 3, 1, 2))
    dx = dxp[:, :, p:p + H, p:p + W]
    ### END SOLUTION
    return dx, dw, db"""

TEST_CONV_BACKWARD = """\
rng = np.random.default_rng(7)
x = rng.standard_normal((2, 2, 5, 5))
w = rng.standard_normal((3, 2, 3, 3))
b = rng.standard_normal(3)
conv_param = {"stride": 2, "pad": 1}
dout = rng.standard_normal((2, 3, 3, 3))
out, cache = conv_forward(x, w, b, conv_param)
dx, dw, db = conv_backward(dout, cache)
f = lambda x, w, b: conv_forward(x, w, b, conv_param)[0]
report = check_gradient(f, {"x": x, "w": w, "b": b}, {"x": dx, "w": dw, "b": db}, dout=dout)
print(report, "- good: below 1e-7")

# The capstone's layer: 8 x 8 images, 3 x 3 kernels, stride 1, pad 1 (along random directions).
x = rng.standard_normal((6, 1, 8, 8))
w = rng.standard_normal((4, 1, 3, 3))
b = rng.standard_normal(4)
conv_param = {"stride": 1, "pad": 1}
dout = rng.standard_normal((6, 4, 8, 8))
out, cache = conv_forward(x, w, b, conv_param)
dx, dw, db = conv_backward(dout, cache)
report = check_gradient_directional(f, {"x": x, "w": w, "b": b},
                                    {"x": dx, "w": dw, "b": db}, dout=dout)
print(report, "- good: below 1e-7")
### BEGIN HIDDEN TESTS
from autograder.testing import assert_exact, forbid
def _reference_conv_grads(x, w, b, s, p, dout):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    dxp, dw_ref, db_ref = np.zeros_like(xp), np.zeros_like(w), np.zeros_like(b)
    for n in range(N):
        for f in range(F):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    window = (n, slice(None), slice(i * s, i * s + HH), slice(j * s, j * s + WW))
                    dxp[window] += w[f] * dout[n, f, i, j]
                    dw_ref[f] += xp[window] * dout[n, f, i, j]
                    db_ref[f] += dout[n, f, i, j]
    return dxp[:, :, p:p + H, p:p + W], dw_ref, db_ref

_rng = np.random.default_rng(2092)
for _xs, _ws, _s, _p in [((2, 3, 7, 7), (4, 3, 3, 3), 2, 1),
                         ((3, 2, 6, 9), (5, 2, 3, 2), 1, 0),
                         ((2, 4, 8, 5), (3, 4, 2, 3), 3, 2),
                         ((2, 2, 9, 6), (3, 2, 4, 3), 2, 2),
                         ((3, 1, 8, 8), (5, 1, 3, 3), 1, 1)]:
    _x, _w, _b = _rng.standard_normal(_xs), _rng.standard_normal(_ws), _rng.standard_normal(_ws[0])
    _out, _cache = conv_forward(_x, _w, _b, {"stride": _s, "pad": _p})
    _g = _rng.standard_normal(_out.shape)
    with forbid("conv_forward"):
        _grads = conv_backward(_g, _cache)
    _where = f"x {_xs}, w {_ws}, stride {_s}, pad {_p}"
    for _name, _got, _exact in zip(("dx", "dw", "db"), _grads,
                                   _reference_conv_grads(_x, _w, _b, _s, _p, _g)):
        assert_exact(_got, _exact, _name, where=_where)
print("hidden conv_backward tests passed")
### END HIDDEN TESTS"""

PART2 = """\
## Part 2: max pooling (1 + 2 points)

As in a5: `pool_param = {"pool_height": ph, "pool_width": pw, "stride": s}`, no padding,
`H' = 1 + (H - ph) // s`. In the backward pass the whole upstream gradient of a window goes to
its maximum; when several entries tie, to the **first** in row-major order (what `np.argmax`
returns on the flattened window); where windows overlap, the gradients add up. The network uses
2×2 windows with stride 2; the hidden tests try other windows as well. The same
`sliding_window_view` trick gives every window at once."""

POOL_FORWARD = """\
def max_pool_forward(x, pool_param):
    \"\"\"Forward pass of a max-pooling layer.

    Inputs:
    - x: input, shape (N, C, H, W)
    - pool_param: dict with 'pool_height', 'pool_width' and 'stride'

    Returns a tuple of:
    - out: output, shape (N, C, H', W') with
        H' = 1 + (H - pool_height) // stride,  W' = 1 + (W - pool_width) // stride
    - cache: whatever max_pool_backward needs, e.g. (x, pool_param)
    \"\"\"
    out, cache = None, None
    ### BEGIN SOLUTION
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = x.shape
    H_out, W_out = 1 + (H - ph) // s, 1 + (W - pw) // s
    windows = sliding_window_view(x, (ph, pw), axis=(2, 3))[:, :, ::s, ::s][:, :, :H_out, :W_out]
    out = windows.max(axis=(4, 5))
    cache = (x, pool_param)
    ### END SOLUTION
    return out, cache"""

TEST_POOL_FORWARD = """\
x = np.array([[1.0, 3.0, 2.0, 0.0],
              [4.0, 2.0, 1.0, 5.0],
              [0.0, 1.0, 3.0, 3.0],
              [2.0, 6.0, 1.0, 0.0]]).reshape(1, 1, 4, 4)
out, _ = max_pool_forward(x, {"pool_height": 2, "pool_width": 2, "stride": 2})
print(out[0, 0])
assert out is not None, "max_pool_forward returned None: did you return `out, cache`?"
assert out.shape == (1, 1, 2, 2), f"output shape {out.shape}, expected (1, 1, 2, 2)"
assert np.array_equal(out[0, 0], [[4.0, 5.0], [6.0, 3.0]]), "wrong maxima"
### BEGIN HIDDEN TESTS
def _reference_max_pool(x, ph, pw, s):
    N, C, H, W = x.shape
    ref = np.zeros((N, C, 1 + (H - ph) // s, 1 + (W - pw) // s))
    for n in range(N):
        for c in range(C):
            for i in range(ref.shape[2]):
                for j in range(ref.shape[3]):
                    ref[n, c, i, j] = np.max(x[n, c, i * s:i * s + ph, j * s:j * s + pw])
    return ref

_rng = np.random.default_rng(2093)
for _xs, _ph, _pw, _s in [((2, 3, 7, 9), 3, 2, 2), ((2, 2, 5, 5), 2, 2, 1),
                          ((3, 4, 8, 8), 2, 2, 2), ((2, 3, 7, 7), 2, 2, 2)]:
    _x = _rng.standard_normal(_xs)
    _out, _ = max_pool_forward(_x, {"pool_height": _ph, "pool_width": _pw, "stride": _s})
    _ref = _reference_max_pool(_x, _ph, _pw, _s)
    _where = f"x {_xs}, pool {_ph} x {_pw}, stride {_s}"
    assert _out.shape == _ref.shape, f"{_where}: output shape {_out.shape}, expected {_ref.shape}"
    assert np.array_equal(_out, _ref), f"{_where}: wrong maxima"
print("hidden max_pool_forward tests passed")
### END HIDDEN TESTS"""

POOL_BACKWARD = """\
def max_pool_backward(dout, cache):
    \"\"\"Backward pass of a max-pooling layer.

    Inputs:
    - dout: upstream gradient, shape (N, C, H', W')
    - cache: what max_pool_forward returned as its cache

    Returns:
    - dx: gradient with respect to x, shape (N, C, H, W)
    \"\"\"
    dx = None
    ### BEGIN SOLUTION
    x, pool_param = cache
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = x.shape
    _, _, H_out, W_out = dout.shape
    windows = sliding_window_view(x, (ph, pw), axis=(2, 3))[:, :, ::s, ::s][:, :, :H_out, :W_out]
    first = windows.reshape(N, C, H_out, W_out, ph * pw).argmax(axis=4)  # first maximum
    dx = np.zeros(x.shape)
    for k in range(ph):
        for l in range(pw):
            dx[:, :, k:k + s * H_out:s, l:l + s * W_out:s] += dout * (first == k * pw + l)
    ### END SOLUTION
    return dx"""

TEST_POOL_BACKWARD = """\
rng = np.random.default_rng(5)
x = rng.standard_normal((2, 2, 4, 6))
pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}
dout = rng.standard_normal((2, 2, 2, 3))
out, cache = max_pool_forward(x, pool_param)
dx = max_pool_backward(dout, cache)
report = check_gradient(lambda x: max_pool_forward(x, pool_param)[0], {"x": x}, {"x": dx},
                        dout=dout)
print(report, "- good: below 1e-7")

# A tie: the window [[3, 3], [1, 0]] has two maxima; the first gets everything.
x = np.array([[3.0, 3.0], [1.0, 0.0]]).reshape(1, 1, 2, 2)
out, cache = max_pool_forward(x, {"pool_height": 2, "pool_width": 2, "stride": 2})
dx = max_pool_backward(np.array([[[[1.0]]]]), cache)
print(dx[0, 0])
assert np.array_equal(dx[0, 0], [[1.0, 0.0], [0.0, 0.0]]), (
    "with a tie, the whole gradient must go to the first maximum (np.argmax of the flattened "
    "window), not be shared or duplicated")
### BEGIN HIDDEN TESTS
from autograder.testing import assert_exact, forbid
def _reference_max_pool_backward(x, ph, pw, s, dout):
    dx_ref = np.zeros_like(x)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    window = x[n, c, i * s:i * s + ph, j * s:j * s + pw]
                    k, l = np.unravel_index(np.argmax(window), window.shape)
                    dx_ref[n, c, i * s + k, j * s + l] += dout[n, c, i, j]
    return dx_ref

_rng = np.random.default_rng(2094)
for _xs, _ph, _pw, _s, _ties in [((2, 3, 7, 9), 3, 2, 2, False),
                                 ((2, 2, 5, 5), 2, 2, 1, False),   # overlapping windows
                                 ((3, 4, 8, 8), 2, 2, 2, False),
                                 ((2, 3, 6, 6), 2, 2, 2, True),    # many ties
                                 ((2, 2, 7, 7), 3, 3, 2, True)]:   # ties and overlaps
    _x = _rng.integers(0, 3, size=_xs).astype(float) if _ties else _rng.standard_normal(_xs)
    _param = {"pool_height": _ph, "pool_width": _pw, "stride": _s}
    _out, _cache = max_pool_forward(_x, _param)
    _dout = _rng.standard_normal(_out.shape)
    with forbid("max_pool_forward"):
        _dx = max_pool_backward(_dout, _cache)
    _where = f"x {_xs}, pool {_ph} x {_pw}, stride {_s}" + (", with ties" if _ties else "")
    assert_exact(_dx, _reference_max_pool_backward(_x, _ph, _pw, _s, _dout), "dx", where=_where)
print("hidden max_pool_backward tests passed")
### END HIDDEN TESTS"""

PART3 = """\
## Part 3: the affine layer and ReLU (2 + 1 points)

The dense layer of a2 flattens each example: `x` of shape `(N, d_1, ..., d_k)` becomes
`(N, D)`, `out = x_flat @ w + b`; its backward pass returns `dx` in the shape of `x` (here the
pooled maps, `(N, F, 4, 4)`), `dw` (the flattened input, transposed, times `dout`) and `db`, the
sum of `dout` over the batch.
ReLU of a3: `out = max(0, x)`, and its gradient is `dout` where `x > 0` and 0 elsewhere
(0 at `x == 0` as well)."""

AFFINE = """\
def affine_forward(x, w, b):
    \"\"\"Forward pass of a fully connected (affine) layer.

    Inputs:
    - x: input, shape (N, d_1, ..., d_k); example n is x[n], flattened to D numbers
    - w: weights, shape (D, M)
    - b: biases, shape (M,)

    Returns a tuple of:
    - out: output, shape (N, M)
    - cache: whatever affine_backward needs
    \"\"\"
    ### BEGIN SOLUTION
    out = x.reshape(x.shape[0], -1) @ w + b
    cache = (x, w, b)
    ### END SOLUTION
    return out, cache


def affine_backward(dout, cache):
    \"\"\"Backward pass of an affine layer.

    Inputs:
    - dout: upstream gradient, shape (N, M)
    - cache: what affine_forward returned as its cache

    Returns a tuple of:
    - dx: gradient with respect to x, shape (N, d_1, ..., d_k)
    - dw: gradient with respect to w, shape (D, M)
    - db: gradient with respect to b, shape (M,)
    \"\"\"
    ### BEGIN SOLUTION
    x, w, b = cache
    dx = (dout @ w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T @ dout
    db = np.sum(dout, axis=0)
    ### END SOLUTION
    return dx, dw, db"""

TEST_AFFINE = """\
x = np.linspace(-0.4, 0.6, num=2 * 3 * 2).reshape(2, 3, 2)
w = np.linspace(-0.3, 0.5, num=6 * 3).reshape(6, 3)
b = np.array([0.5, -0.25, 1.0])
out, _ = affine_forward(x, w, b)
assert_close(out, [[0.6697326203208556, -0.1290374331550802, 1.072192513368984],
                   [0.8429946524064171, 0.19823529411764712, 1.553475935828877]],
             what="affine_forward's out", reveal=True)

rng = np.random.default_rng(1)
x = rng.standard_normal((4, 2, 2, 2))
w = rng.standard_normal((8, 5))
b = rng.standard_normal(5)
dout = rng.standard_normal((4, 5))
_, cache = affine_forward(x, w, b)
dx, dw, db = affine_backward(dout, cache)
report = check_gradient(lambda x, w, b: affine_forward(x, w, b)[0],
                        {"x": x, "w": w, "b": b}, {"x": dx, "w": dw, "b": db}, dout=dout)
print(report, "- good: below 1e-8")
### BEGIN HIDDEN TESTS
from autograder.testing import assert_exact, forbid
_rng = np.random.default_rng(2095)
for _shape, _m in [((6, 3, 2, 2), 5), ((2, 7), 3), ((5, 8, 4, 4), 10)]:
    _x = _rng.standard_normal(_shape)
    _w = _rng.standard_normal((int(np.prod(_shape[1:])), _m))
    _b = _rng.standard_normal(_m)
    _dout = _rng.standard_normal((_shape[0], _m))
    _out, _cache = affine_forward(_x, _w, _b)
    _xf = _x.reshape(_shape[0], -1)
    _where = f"x {_shape}, M = {_m}"
    assert_exact(_out, _xf @ _w + _b, "affine_forward's out", where=_where)
    with forbid("affine_forward"):
        _dx, _dw, _db = affine_backward(_dout, _cache)
    for _name, _got, _exact in [("dx", _dx, (_dout @ _w.T).reshape(_shape)),
                                ("dw", _dw, _xf.T @ _dout), ("db", _db, _dout.sum(axis=0))]:
        assert_exact(_got, _exact, _name, where=_where)
print("hidden affine tests passed")
### END HIDDEN TESTS"""

RELU = """\
def relu_forward(x):
    \"\"\"ReLU: out = max(0, x), elementwise.

    Inputs:
    - x: array of any shape

    Returns a tuple of:
    - out: array of the shape of x
    - cache: whatever relu_backward needs
    \"\"\"
    ### BEGIN SOLUTION
    out = np.maximum(x, 0.0)
    cache = x
    ### END SOLUTION
    return out, cache


def relu_backward(dout, cache):
    \"\"\"Backward pass of ReLU (the derivative at x == 0 is taken to be 0).

    Inputs:
    - dout: upstream gradient, shape of x
    - cache: from relu_forward

    Returns:
    - dx: gradient with respect to x, shape of x
    \"\"\"
    ### BEGIN SOLUTION
    x = cache
    dx = dout * (x > 0)
    ### END SOLUTION
    return dx"""

TEST_RELU = """\
x = np.array([[-2.0, -0.5, 0.0, 0.5, 2.0]])
out, cache = relu_forward(x)
dx = relu_backward(np.array([[1.0, 2.0, 3.0, 4.0, 5.0]]), cache)
print(out, dx)
assert np.array_equal(out, [[0.0, 0.0, 0.0, 0.5, 2.0]]), "relu_forward: max(0, x)"
assert np.array_equal(dx, [[0.0, 0.0, 0.0, 4.0, 5.0]]), (
    "relu_backward: dout where x > 0, and 0 where x <= 0 (also at x == 0)")
### BEGIN HIDDEN TESTS
from autograder.testing import assert_exact, forbid
_rng = np.random.default_rng(2096)
for _shape in [(3, 4, 5, 5), (7, 2)]:
    _x = _rng.standard_normal(_shape)
    _x[0] = 0.0
    _out, _cache = relu_forward(_x)
    assert np.array_equal(_out, np.maximum(_x, 0)), f"relu_forward is wrong on shape {_shape}"
    _dout = _rng.standard_normal(_shape)
    with forbid("relu_forward"):
        _dx = relu_backward(_dout, _cache)
    assert_exact(_dx, _dout * (_x > 0), "relu_backward's dx", where=f"shape {_shape}")
print("hidden relu tests passed")
### END HIDDEN TESTS"""

PART4 = """\
## Part 4: the softmax cross-entropy loss (2 points)

As in a3 (chapter 5): for scores `s` of shape `(N, C)` and integer labels `y`,

$$
L = -\\frac{1}{N}\\sum_{n} \\log \\frac{e^{s_{n, y_n}}}{\\sum_c e^{s_{n, c}}}, \\qquad
\\frac{\\partial L}{\\partial s_{n, c}} = \\frac{1}{N}\\left(p_{n, c} - [c = y_n]\\right),
$$

with `p` the softmax of each row. Subtract each row's maximum before exponentiating, so that
large scores do not overflow. The loss is a mean over the batch, so its gradient carries the
factor 1/N."""

SOFTMAX = """\
def softmax_loss(scores, y):
    \"\"\"Softmax cross-entropy loss, averaged over the batch.

    Inputs:
    - scores: class scores, shape (N, C)
    - y: integer labels, shape (N,), with 0 <= y[n] < C

    Returns a tuple of:
    - loss: float, -mean over n of log softmax(scores[n])[y[n]]
    - dscores: gradient of the loss with respect to scores, shape (N, C)
    \"\"\"
    ### BEGIN SOLUTION
    N = scores.shape[0]
    rows = np.arange(N)
    shifted = scores - np.max(scores, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[rows, y].sum() / N
    dscores = np.exp(log_probs)
    dscores[rows, y] -= 1.0
    dscores /= N
    ### END SOLUTION
    return float(loss), dscores"""

TEST_SOFTMAX = """\
# Equal scores: every class has probability 1/C, so the loss is log(C).
loss, dscores = softmax_loss(np.zeros((4, 10)), np.array([0, 3, 3, 9]))
print(f"loss with equal scores: {loss:.6f} (log 10 = {np.log(10):.6f})")
assert abs(loss - np.log(10)) < 1e-12, "with equal scores the loss is log(C)"
rng = np.random.default_rng(3)
scores = rng.standard_normal((5, 4))
y = np.array([0, 3, 1, 1, 2])
loss, dscores = softmax_loss(scores, y)
report = check_gradient(lambda s: softmax_loss(s, y)[0], {"s": scores}, {"s": dscores})
print(report, "- good: below 1e-7")
### BEGIN HIDDEN TESTS
from autograder.testing import assert_exact
_rng = np.random.default_rng(2097)
for _n, _c, _scale in [(7, 3, 1.0), (1, 5, 1.0), (50, 10, 3.0), (4, 6, 1000.0)]:
    _s = _scale * _rng.standard_normal((_n, _c))
    _y = _rng.integers(0, _c, size=_n)
    _loss, _ds = softmax_loss(_s, _y)
    _z = _s - _s.max(axis=1, keepdims=True)
    _logp = _z - np.log(np.exp(_z).sum(axis=1, keepdims=True))
    _onehot = np.eye(_c)[_y]
    _where = f"N = {_n}, C = {_c}" + (", large scores" if _scale > 100 else "")
    assert np.isfinite(_loss) and np.all(np.isfinite(_ds)), (
        f"{_where}: the loss or its gradient is not finite (subtract each row's maximum)")
    assert_exact(_loss, -np.mean(_logp[np.arange(_n), _y]), "the loss", where=_where)
    assert_exact(_ds, (np.exp(_logp) - _onehot) / _n, "dscores", where=_where)
print("hidden softmax_loss tests passed")
### END HIDDEN TESTS"""

PART5 = """\
## Part 5: the whole network, forward and backward (5 points)

The network has four parameters, kept in a dict:

| name | shape | what |
|---|---|---|
| `W1` | `(F, C, 3, 3)` | the convolution's filters (any odd size `HH` works) |
| `b1` | `(F,)` | the convolution's biases |
| `W2` | `(F * H//2 * W//2, K)` | the affine layer's weights, on the flattened pooled maps |
| `b2` | `(K,)` | the affine layer's biases, one per class |

The convolution uses stride 1 and "same" padding, `capstone_conv_param(W1)`; the pooling uses
`POOL_PARAM`, 2×2 windows with stride 2 (both given below). `cnn_loss` runs the forward pass
layer by layer, keeping every cache, then the backward pass in the reverse order: the softmax
loss gives `dscores`, the affine backward gives `dW2`, `db2` and the gradient of the pooled
maps, and so on down to `dW1` and `db1`. The gradient with respect to the images is not needed.

The order of the backward calls is the forward order reversed, and each backward call gets the
cache of *its own* forward call: ReLU's mask comes from the convolution's output, not from the
pooled maps.

The hidden tests use other shapes (several input channels, 5×5 kernels, 7×7 images whose last
row and column the pooling never reads, other numbers of classes) and compare every gradient
with an exact one to 1e-12."""

GIVEN_NETWORK = """\
POOL_PARAM = {"pool_height": 2, "pool_width": 2, "stride": 2}


def capstone_conv_param(W1):
    \"\"\"Stride 1 and 'same' padding for an odd kernel size: the maps keep the image size.\"\"\"
    return {"stride": 1, "pad": (W1.shape[2] - 1) // 2}


def predict(X, params):
    \"\"\"Predicted classes, shape (N,), of the network with parameters params (your layers).\"\"\"
    conv, _ = conv_forward(X, params["W1"], params["b1"], capstone_conv_param(params["W1"]))
    hidden, _ = relu_forward(conv)
    pooled, _ = max_pool_forward(hidden, POOL_PARAM)
    scores, _ = affine_forward(pooled, params["W2"], params["b2"])
    return np.argmax(scores, axis=1)"""

CNN_LOSS = """\
def cnn_loss(X, y, params):
    \"\"\"Loss and gradients of conv - ReLU - 2x2 max pool - affine - softmax cross-entropy.

    Inputs:
    - X: images, shape (N, C, H, W)
    - y: integer labels, shape (N,), with 0 <= y[n] < K
    - params: dict with
      - 'W1': filters, shape (F, C, HH, HH), HH odd; stride 1, pad (HH - 1) // 2
      - 'b1': shape (F,)
      - 'W2': shape (F * (H // 2) * (W // 2), K)
      - 'b2': shape (K,)

    Returns a tuple of:
    - loss: float, the mean softmax cross-entropy over the batch
    - grads: dict with the keys of params, grads[name] of the shape of params[name]
    \"\"\"
    loss, grads = None, None
    ### BEGIN SOLUTION
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    conv, conv_cache = conv_forward(X, W1, b1, capstone_conv_param(W1))
    hidden, relu_cache = relu_forward(conv)
    pooled, pool_cache = max_pool_forward(hidden, POOL_PARAM)
    scores, affine_cache = affine_forward(pooled, W2, b2)
    loss, dscores = softmax_loss(scores, y)

    dpooled, dW2, db2 = affine_backward(dscores, affine_cache)
    dhidden = max_pool_backward(dpooled, pool_cache)
    dconv = relu_backward(dhidden, relu_cache)
    _, dW1, db1 = conv_backward(dconv, conv_cache)
    grads = {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
    ### END SOLUTION
    return loss, grads"""

TEST_CNN_LOSS = """\
# A small network: 3 images of 1 x 6 x 6, 2 filters of 3 x 3, 4 classes.
rng = np.random.default_rng(11)
X = rng.standard_normal((3, 1, 6, 6))
y = np.array([0, 3, 1])
params = {"W1": 0.5 * rng.standard_normal((2, 1, 3, 3)), "b1": 0.1 * rng.standard_normal(2),
          "W2": 0.5 * rng.standard_normal((2 * 3 * 3, 4)), "b2": 0.1 * rng.standard_normal(4)}
loss, grads = cnn_loss(X, y, params)
print(f"loss: {loss:.6f}")
assert set(grads) == set(params), "grads must have one entry per parameter"
for name in params:
    assert grads[name].shape == params[name].shape, (
        f"grads[{name!r}] has shape {grads[name].shape}, expected {params[name].shape}")
report = check_gradient(lambda **p: cnn_loss(X, y, p)[0], params, grads)
print(report, "- good: below 1e-7")

# With all weights zero, every class is equally likely: the loss is log(K).
zero = {name: np.zeros_like(value) for name, value in params.items()}
assert abs(cnn_loss(X, y, zero)[0] - np.log(4)) < 1e-12, "with zero weights the loss is log(K)"
### BEGIN HIDDEN TESTS
from autograder.testing import assert_exact, forbid
def _reference_cnn(X, y, p):
    # the network written out with loops, independently of the layers above
    W1, b1, W2, b2 = p["W1"], p["b1"], p["W2"], p["b2"]
    N, C, H, W = X.shape
    F, _, k, _ = W1.shape
    q = (k - 1) // 2
    Xp = np.pad(X, ((0, 0), (0, 0), (q, q), (q, q)))
    conv = np.zeros((N, F, H, W))
    for i in range(H):
        for j in range(W):
            conv[:, :, i, j] = np.einsum("ncab,fcab->nf", Xp[:, :, i:i + k, j:j + k], W1) + b1
    hid = np.maximum(conv, 0)
    Ho, Wo = H // 2, W // 2
    pooled, arg = np.zeros((N, F, Ho, Wo)), {}
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    win = hid[n, f, 2 * i:2 * i + 2, 2 * j:2 * j + 2]
                    a, b = np.unravel_index(np.argmax(win), (2, 2))
                    pooled[n, f, i, j] = win[a, b]
                    arg[n, f, i, j] = (2 * i + a, 2 * j + b)
    flat = pooled.reshape(N, -1)
    s = flat @ W2 + b2
    s = s - s.max(axis=1, keepdims=True)
    prob = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(prob[np.arange(N), y]))
    ds = (prob - np.eye(W2.shape[1])[y]) / N
    dflat = ds @ W2.T
    dpool = dflat.reshape(pooled.shape)
    dconv = np.zeros_like(conv)
    for (n, f, i, j), (a, b) in arg.items():
        dconv[n, f, a, b] += dpool[n, f, i, j]
    dconv *= conv > 0
    dW1 = np.zeros_like(W1)
    for i in range(H):
        for j in range(W):
            dW1 += np.einsum("nf,ncab->fcab", dconv[:, :, i, j], Xp[:, :, i:i + k, j:j + k])
    return loss, {"W1": dW1, "b1": dconv.sum(axis=(0, 2, 3)), "W2": flat.T @ ds,
                  "b2": ds.sum(axis=0)}

_rng = np.random.default_rng(2098)
for _N, _C, _H, _W, _F, _k, _K in [(4, 1, 8, 8, 3, 3, 10), (3, 2, 6, 10, 4, 5, 3),
                                   (5, 3, 7, 7, 2, 3, 4), (1, 1, 4, 6, 5, 1, 2)]:
    _X = _rng.standard_normal((_N, _C, _H, _W))
    _y = _rng.integers(0, _K, size=_N)
    _p = {"W1": _rng.standard_normal((_F, _C, _k, _k)), "b1": _rng.standard_normal(_F),
          "W2": 0.3 * _rng.standard_normal((_F * (_H // 2) * (_W // 2), _K)),
          "b2": _rng.standard_normal(_K)}
    _before = {_n: _v.copy() for _n, _v in _p.items()}
    _where = f"X {(_N, _C, _H, _W)}, {_F} filters of {_k} x {_k}, {_K} classes"
    _loss, _grads = cnn_loss(_X, _y, _p)
    _ref_loss, _ref_grads = _reference_cnn(_X, _y, _p)
    assert_exact(_loss, _ref_loss, "the loss", where=_where)
    assert set(_grads) == set(_p), f"{_where}: grads must have the keys of params"
    for _n in ("W2", "b2", "W1", "b1"):
        assert_exact(_grads[_n], _ref_grads[_n], f"grads[{_n!r}]", where=_where)
    assert all(np.array_equal(_p[_n], _before[_n]) for _n in _p), (
        f"{_where}: cnn_loss must not modify params")
print("hidden cnn_loss tests passed")
### END HIDDEN TESTS"""

PART6 = """\
## Part 6: the optimiser (3 points)

Your Adam of a4 (chapter 6), one parameter array at a time: `config` carries the
hyper-parameters and the state (`m`, `v` and the step count `t`) from one call to the next, so
every parameter needs **its own** `config`. `t` is incremented **before** it is used: the first
update uses `t = 1`, and the bias correction divides by `1 - beta**t`."""

ADAM = """\
def adam_step(w, dw, config=None):
    \"\"\"One Adam update with bias correction, elementwise:
        t      <- t + 1
        m      <- beta1 * m + (1 - beta1) * dw
        v      <- beta2 * v + (1 - beta2) * dw**2
        m_hat  =  m / (1 - beta1**t)
        v_hat  =  v / (1 - beta2**t)
        next_w <- w - learning_rate * m_hat / (sqrt(v_hat) + epsilon)

    Inputs:
    - w, dw: parameters and their gradient, arrays of the same shape
    - config: dict, or None for the defaults:
      - learning_rate (default 1e-3), beta1 (0.9), beta2 (0.999), epsilon (1e-8)
      - m, v: state, running averages of dw and dw**2, shape of w (zeros at first)
      - t: state, the number of updates made so far (0 at first)

    Returns a tuple of:
    - next_w: the updated parameters, a new array of the shape of w
    - config: the same dict, with m, v and t updated
    \"\"\"
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)
    next_w = None
    ### BEGIN SOLUTION
    b1, b2 = config["beta1"], config["beta2"]
    t = config["t"] + 1
    m = b1 * config["m"] + (1 - b1) * dw
    v = b2 * config["v"] + (1 - b2) * dw**2
    m_hat = m / (1 - b1**t)
    v_hat = v / (1 - b2**t)
    next_w = w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])
    config["m"], config["v"], config["t"] = m, v, t
    ### END SOLUTION
    return next_w, config"""

TEST_ADAM = """\
# The known answer of a4: one step from a given state (t = 5 before the call).
w = np.linspace(-0.4, 0.6, num=20).reshape(4, 5)
dw = np.linspace(-0.6, 0.4, num=20).reshape(4, 5)
config = {"learning_rate": 1e-2, "m": np.linspace(0.6, 0.9, num=20).reshape(4, 5),
          "v": np.linspace(0.7, 0.5, num=20).reshape(4, 5), "t": 5}
next_w, config = adam_step(w, dw, config)
assert_close(next_w, np.array([
    [-0.40094747166840083, -0.3483618689667189, -0.2957770321333014, -0.24319298836973444, -0.19060976631902593],
    [-0.13802739616704435, -0.08544590975289204, -0.032865340689163525, 0.019714275506843335, 0.07229290126975907],
    [0.12487049682925762, 0.17744702003811577, 0.2300224261834716, 0.2825966677792994, 0.33516969433784094],
    [0.3877414521174136, 0.4403118838436444, 0.49288092840074144, 0.5454485204889067, 0.5980145902433942]]),
             hint="increment t first, then divide m and v by (1 - beta**t).",
             what="adam_step next_w", reveal=True)
assert config["t"] == 6, f"t must count the updates: expected 6, got {config['t']}"
# The first step from zero state moves every weight by about learning_rate.
next_w, config = adam_step(np.zeros(3), np.array([0.5, -2.0, 1e-3]), {"learning_rate": 0.1})
print("first step:", next_w)
assert_close(next_w, [-0.1, 0.1, -0.1], tol=1e-4, what="adam_step's first step")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(2099)
_w = _rng.standard_normal((3, 5))
_curv = _rng.uniform(0.2, 2.0, size=_w.shape)
_mine, _config = _w.copy(), {"learning_rate": 0.03, "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-7}
_expected, _m1, _m2 = _w.copy(), np.zeros_like(_w), np.zeros_like(_w)
for _step in range(1, 61):
    _mine, _config = adam_step(_mine, _curv * _mine, _config)
    _g = _curv * _expected
    _m1 = 0.8 * _m1 + 0.2 * _g
    _m2 = 0.99 * _m2 + 0.01 * _g * _g
    _expected = _expected - 0.03 * (_m1 / (1 - 0.8**_step)) / (np.sqrt(_m2 / (1 - 0.99**_step)) + 1e-7)
assert _config["t"] == 60, "adam_step: t must count the updates"
assert_close(_mine, _expected, tol=1e-9, what="adam_step: a 60-step trajectory", verbose=False)
_w1, _g1 = _rng.standard_normal(7), _rng.standard_normal(7)
_out, _cfg = adam_step(_w1, _g1)
assert _cfg["t"] == 1 and _cfg["beta2"] == 0.999, "adam_step: the default config"
assert_close(_out, _w1 - 1e-3 * _g1 / (np.abs(_g1) + 1e-8), tol=1e-9,
             what="adam_step: the first step with the default config", verbose=False)
### END HIDDEN TESTS"""

PART7 = """\
## Part 7: training on the digits (4 points)

The data: scikit-learn's 8×8 handwritten digits as images of one channel, `(N, 1, 8, 8)`,
pixel values scaled to [0, 1], split once (seed 0) into 1347 training and 450 **test** images.
`train` sees only the training images; the test images measure the network's
**generalisation** (일반화): how well it classifies digits it has never seen."""

DATA = """\
digits = load_digits()
X_all = digits.images[:, None, :, :] / 16.0
y_all = digits.target
order = np.random.default_rng(0).permutation(len(y_all))
X_train, y_train = X_all[order[450:]], y_all[order[450:]]
X_test, y_test = X_all[order[:450]], y_all[order[:450]]
print("train", X_train.shape, "test", X_test.shape)"""

PART7B = """\
Write `train`: initialise the parameters, then run mini-batch Adam on `cnn_loss` for a fixed
number of epochs. What the tests require:

- shuffle the training images at every epoch (a new order each epoch, drawn from
  `np.random.default_rng(seed)`): the grader trains your function on a split **sorted by label**,
  where unshuffled batches hold one digit each;
- give every parameter its own `config` for `adam_step`;
- initialise the weights randomly, scaled to the layer (He initialisation of chapter 4,
  `standard_normal * sqrt(2 / fan_in)`, works), and the biases at zero;
- reach at least 95 % accuracy on held-out images, in well under the grader's 60 seconds.

What worked for the reference (about 2 seconds): 16 filters, batches of 32, 8 epochs, learning
rate 1e-2 multiplied by 0.8 after every epoch. Use only the arguments: the grader calls
`train(X_train, y_train, seed=...)` with the defaults you choose."""

TRAIN = """\
def train(X_train, y_train, num_filters=16, num_epochs=8, batch_size=32, learning_rate=1e-2,
          lr_decay=0.8, seed=0):
    \"\"\"Initialise the network and train it with mini-batch Adam.

    Inputs:
    - X_train: images, shape (N, C, H, W)
    - y_train: integer labels, shape (N,), with 0 <= y < K, K = y_train.max() + 1
    - num_filters: F, the number of 3 x 3 filters
    - num_epochs, batch_size: as their names say
    - learning_rate: Adam's learning rate in the first epoch
    - lr_decay: factor applied to the learning rate after every epoch
    - seed: seed of the only random generator (initialisation and shuffling)

    Returns:
    - params: dict with 'W1' (F, C, 3, 3), 'b1' (F,), 'W2' (F * (H // 2) * (W // 2), K) and
      'b2' (K,), the trained parameters
    \"\"\"
    params = None
    ### BEGIN SOLUTION
    rng = np.random.default_rng(seed)
    N, C, H, W = X_train.shape
    K = int(y_train.max()) + 1
    D = num_filters * (H // 2) * (W // 2)
    params = {"W1": rng.standard_normal((num_filters, C, 3, 3)) * np.sqrt(2.0 / (C * 9)),
              "b1": np.zeros(num_filters),
              "W2": rng.standard_normal((D, K)) * np.sqrt(1.0 / D),
              "b2": np.zeros(K)}
    configs = {name: {"learning_rate": learning_rate} for name in params}
    for epoch in range(num_epochs):
        order = rng.permutation(N)
        for start in range(0, N, batch_size):
            batch = order[start:start + batch_size]
            _, grads = cnn_loss(X_train[batch], y_train[batch], params)
            for name in params:
                params[name], configs[name] = adam_step(params[name], grads[name], configs[name])
        for config in configs.values():
            config["learning_rate"] *= lr_decay
    ### END SOLUTION
    return params"""

TEST_TRAIN = """\
start = time.perf_counter()
params = train(X_train, y_train, seed=0)
seconds = time.perf_counter() - start
train_acc = np.mean(predict(X_train, params) == y_train)
test_acc = np.mean(predict(X_test, params) == y_test)
print(f"trained in {seconds:.1f} s; accuracy: training {train_acc:.3f}, test {test_acc:.3f}")
assert test_acc >= 0.95, f"test accuracy {test_acc:.3f} is below 0.95"
### BEGIN HIDDEN TESTS
# Another split, the training part sorted by label: only a loop that shuffles learns from it.
_order = np.random.default_rng(2100).permutation(len(y_all))
_held, _rest = _order[:450], _order[450:]
_rest = _rest[np.argsort(y_all[_rest], kind="stable")]
_params = train(X_all[_rest], y_all[_rest], seed=1)
_acc = np.mean(predict(X_all[_held], _params) == y_all[_held])
assert _acc >= 0.95, (
    f"trained on another split whose training images are sorted by label, the network "
    f"classifies {_acc:.3f} of the held-out images correctly, less than 0.95: "
    "does train shuffle the images at every epoch?")
print("hidden training test passed")
### END HIDDEN TESTS"""

END = """\
## Before you submit

Restart the kernel and run every cell from the top (Kernel → Restart & Run All): every visible
test should pass, and the whole notebook should take well under a minute. Then look at what the
network learned: the first layer's filters (`params["W1"][:, 0]`, sixteen 3×3 images) and the
test digits it gets wrong, in the cell below."""


def build():
    nb = new_assignment()
    nb.cells += [
        instructions("intro", INTRO),
        given_code("setup", SETUP),
        instructions("part1_text", PART1),
        answer("conv_forward", CONV_FORWARD),
        tests("test_conv_forward", 2, TEST_CONV_FORWARD),
        instructions("part1b_text", PART1B),
        answer("conv_backward", CONV_BACKWARD),
        tests("test_conv_backward", 3, TEST_CONV_BACKWARD),
        instructions("part2_text", PART2),
        answer("max_pool_forward", POOL_FORWARD),
        tests("test_max_pool_forward", 1, TEST_POOL_FORWARD),
        answer("max_pool_backward", POOL_BACKWARD),
        tests("test_max_pool_backward", 2, TEST_POOL_BACKWARD),
        instructions("part3_text", PART3),
        answer("affine", AFFINE),
        tests("test_affine", 2, TEST_AFFINE),
        answer("relu", RELU),
        tests("test_relu", 1, TEST_RELU),
        instructions("part4_text", PART4),
        answer("softmax_loss", SOFTMAX),
        tests("test_softmax_loss", 2, TEST_SOFTMAX),
        instructions("part5_text", PART5),
        given_code("network_given", GIVEN_NETWORK),
        answer("cnn_loss", CNN_LOSS),
        tests("test_cnn_loss", 5, TEST_CNN_LOSS),
        instructions("part6_text", PART6),
        answer("adam_step", ADAM),
        tests("test_adam_step", 3, TEST_ADAM),
        instructions("part7_text", PART7),
        given_code("data", DATA),
        instructions("part7b_text", PART7B),
        answer("train", TRAIN),
        tests("test_train", 4, TEST_TRAIN),
        instructions("end", END),
        scratch("# Your own experiments (not graded), e.g.\n"
                "# wrong = np.flatnonzero(predict(X_test, params) != y_test)"),
    ]
    save(nb, "solutions/a9/a9.ipynb")


if __name__ == "__main__":
    build()
