"""One-off generator of solutions/a7/a7.ipynb (kept for reference; the notebook is the source).

    .venv/bin/python -m tools.authoring.a7 && .venv/bin/python -m autograder release a7
"""

from tools.nbauthor import answer, given_code, instructions, new_assignment, save, tests

INTRO = """\
# Assignment a7: batch normalisation and layer normalisation

This assignment goes with [chapter 10](../../book/10-normalisation.ipynb). You will write, in
NumPy and in the API of CS231n's `layers.py`, the forward and backward passes of
**batch normalisation** (배치 정규화; Ioffe and Szegedy, 2015) and **layer normalisation**
(층 정규화; Ba, Kiros and Hinton, 2016):

1. `batchnorm_forward(x, gamma, beta, bn_param)` in training mode: normalise every feature with
   the mean and variance of the mini-batch, then scale by `gamma` and shift by `beta`;
2. the **running averages** (이동 평균) of the mean and the variance, updated in training mode;
3. test mode: normalise with the running averages instead of the batch statistics;
4. `batchnorm_backward(dout, cache)`: the backward pass, node by node through the computational
   graph of the forward pass (the mean and the variance are nodes that every input feeds);
5. `batchnorm_backward_alt(dout, cache)`: the same gradients from the compact formula of the
   chapter, in a few lines and without calling `batchnorm_backward`;
6. `layernorm_forward(x, gamma, beta, ln_param)` and 7. `layernorm_backward(dout, cache)`: the
   same computation along the other axis, each sample normalised over its own features.

**Conventions** (the same as in the book). A mini-batch is an array `x` of shape `(N, D)`, one
sample per row; `gamma` and `beta` have shape `(D,)`. Every forward function returns
`(out, cache)`; every backward function takes the upstream gradient `dout` (shape `(N, D)`) and
the `cache`, and returns `(dx, dgamma, dbeta)`, each with the shape of its input. The variance is
the *biased* one, $\\sigma^2 = \\frac1N\\sum_n (x_n - \\mu)^2$ (what `np.var` computes by
default), and $\\epsilon$ goes inside the square root: $\\hat x = (x - \\mu)/\\sqrt{\\sigma^2 +
\\epsilon}$.

**How you are graded.** Each test cell below is worth the points in the table, all or nothing.
The visible tests check known answers and compare your gradients with numeric ones. The grader
also runs hidden tests on other shapes, values of `eps` and `momentum`, compares your results
with exact ones to a relative error of 1e-12 (a finite-difference estimate is about 1e-10 off,
so it does not pass), and checks that each backward function uses its cache rather than calling
its forward function, and that `batchnorm_backward_alt` does not call `batchnorm_backward`.
The whole notebook runs in a few seconds.

| part | graded cell | points |
|---|---|---|
| 1 batch norm, training mode | `test_batchnorm_forward` | 3 |
| 2 running averages | `test_running_averages` | 2 |
| 3 batch norm, test mode | `test_batchnorm_test_mode` | 2 |
| 4 batch norm backward, node by node | `test_batchnorm_backward` | 5 |
| 5 batch norm backward, compact | `test_batchnorm_backward_alt` | 3 |
| 6 layer norm forward | `test_layernorm_forward` | 2 |
| 7 layer norm backward | `test_layernorm_backward` | 3 |
| **total** | | **20** |
"""

SETUP = """\
import numpy as np

from autograder import check_gradient, relative_error

np.set_printoptions(precision=6, suppress=True)"""

FORWARD_MD = """\
## Parts 1-3: the forward pass of batch normalisation

In **training mode** (`bn_param["mode"] == "train"`) every feature (column) $j$ is normalised
with the statistics of the mini-batch,

$$\\mu_j = \\frac1N\\sum_n x_{nj}, \\qquad \\sigma_j^2 = \\frac1N\\sum_n (x_{nj} - \\mu_j)^2,
\\qquad \\hat x_{nj} = \\frac{x_{nj} - \\mu_j}{\\sqrt{\\sigma_j^2 + \\epsilon}}, \\qquad
y_{nj} = \\gamma_j \\hat x_{nj} + \\beta_j ,$$

and the **running averages** are updated with the momentum $m$ (`bn_param["momentum"]`):

$$\\texttt{running\\_mean} \\leftarrow m\\cdot\\texttt{running\\_mean} + (1 - m)\\,\\mu, \\qquad
\\texttt{running\\_var} \\leftarrow m\\cdot\\texttt{running\\_var} + (1 - m)\\,\\sigma^2 .$$

In **test mode** (`"test"`) the batch statistics are not used at all (a test batch may hold a
single sample): the layer computes $y = \\gamma\\,(x - \\texttt{running\\_mean}) /
\\sqrt{\\texttt{running\\_var} + \\epsilon} + \\beta$ and leaves the running averages as they are.

The code that reads `bn_param` and stores the running averages back into it is given; fill in
the two marked regions. Keep in the training-mode `cache` whatever the backward pass will need
(the backward pass gets nothing else). Do not modify `x`, `gamma` or `beta`."""

BN_FORWARD = '''\
def batchnorm_forward(x, gamma, beta, bn_param):
    """
    Forward pass of batch normalisation.

    Inputs:
    - x: data, shape (N, D)
    - gamma: scale parameter, shape (D,)
    - beta: shift parameter, shape (D,)
    - bn_param: dict with the keys
      - mode: "train" or "test" (required)
      - eps: constant for numeric stability (default 1e-5)
      - momentum: constant of the running averages (default 0.9)
      - running_mean: shape (D,), running average of the means (default zeros)
      - running_var: shape (D,), running average of the variances (default zeros)
      The updated running averages are stored back into bn_param (in training mode only).

    Returns a tuple of:
    - out: shape (N, D)
    - cache: whatever batchnorm_backward needs (training mode; None in test mode)
    """
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    N, D = x.shape
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(D, dtype=x.dtype))

    out, cache = None, None
    if mode == "train":
        ### BEGIN SOLUTION
        mu = x.mean(axis=0)
        xc = x - mu
        var = np.mean(xc ** 2, axis=0)
        std = np.sqrt(var + eps)
        xhat = xc / std
        out = gamma * xhat + beta
        running_mean = momentum * running_mean + (1 - momentum) * mu
        running_var = momentum * running_var + (1 - momentum) * var
        cache = (xhat, xc, std, gamma)
        ### END SOLUTION
    elif mode == "test":
        ### BEGIN SOLUTION
        xhat = (x - running_mean) / np.sqrt(running_var + eps)
        out = gamma * xhat + beta
        ### END SOLUTION
    else:
        raise ValueError(f"invalid batch norm mode {mode!r}")

    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var
    return out, cache'''

TEST_FORWARD = """\
# A known answer on fixed inputs: N = 3, D = 2, default eps (1e-5).
x = np.array([[1.0, 2.0], [3.0, 6.0], [5.0, 10.0]])
gamma = np.array([2.0, 0.5])
beta = np.array([1.0, -1.0])
out, _ = batchnorm_forward(x, gamma, beta, {"mode": "train"})
expected = np.array([[-1.449485150003, -1.612372148646], [1.0, -1.0],
                     [3.449485150003, -0.387627851354]])
print("out =\\n", out)
assert out.shape == x.shape, f"out should have shape {x.shape}, not {out.shape}"
err = relative_error(out, expected)
print(f"relative error {err:.1e} (a correct forward pass gives about 1e-13 here, the "
      "digits given; must be below 1e-9)")
assert err < 1e-9, ("wrong values: each column is normalised with its own mean and biased "
                    "variance, (x - mu) / sqrt(var + eps), then scaled by gamma and shifted by beta")

# On a large random batch the normalised features have mean ~0 and std ~1 per column,
# and after scaling and shifting, mean beta and std gamma.
rng = np.random.default_rng(0)
x = 5.0 + 12.0 * rng.standard_normal((200, 3))
gamma, beta = np.array([1.0, 2.0, 3.0]), np.array([11.0, 12.0, 13.0])
out, _ = batchnorm_forward(x, gamma, beta, {"mode": "train"})
print("means of out:", out.mean(axis=0), " (expected beta =", beta, ")")
print("stds of out: ", out.std(axis=0), " (expected gamma =", gamma, ", a hair below)")
assert np.allclose(out.mean(axis=0), beta) and np.allclose(out.std(axis=0), gamma, atol=1e-6)
### BEGIN HIDDEN TESTS
from autograder.testing import assert_exact
_rng = np.random.default_rng(71)
for _n, _d, _eps in [(7, 3, 1e-5), (2, 5, 1e-3), (16, 1, 1e-5), (4, 8, 0.1)]:
    _x = 3.0 + 2.0 * _rng.standard_normal((_n, _d))
    _g = _rng.standard_normal(_d)
    _b = _rng.standard_normal(_d)
    _before = [_v.copy() for _v in (_x, _g, _b)]
    _out, _ = batchnorm_forward(_x, _g, _b, {"mode": "train", "eps": _eps})
    _ref = _g * (_x - _x.mean(axis=0)) / np.sqrt(_x.var(axis=0) + _eps) + _b
    assert_exact(_out, _ref, "out", where=f"hidden test, training mode, x {(_n, _d)}")
    for _v, _w in zip((_x, _g, _b), _before):
        assert np.array_equal(_v, _w), "batchnorm_forward must not modify x, gamma or beta"
### END HIDDEN TESTS"""

TEST_RUNNING = """\
# A first call in training mode without running averages: they start at zero.
x = np.array([[1.0, 2.0], [3.0, 6.0], [5.0, 10.0]])
bn_param = {"mode": "train"}
batchnorm_forward(x, np.ones(2), np.zeros(2), bn_param)
print("running_mean:", bn_param["running_mean"], " expected [0.3 0.6] = 0.1 * [3 6]")
print("running_var: ", bn_param["running_var"], " expected [0.266667 1.066667] = 0.1 * [8/3 32/3]")
assert np.allclose(bn_param["running_mean"], [0.3, 0.6]), (
    "running_mean = momentum * running_mean + (1 - momentum) * batch mean, momentum 0.9 by default")
assert np.allclose(bn_param["running_var"], [0.8 / 3, 3.2 / 3]), (
    "running_var = momentum * running_var + (1 - momentum) * batch variance (biased)")

# After many training batches the running averages approach the data's mean and variance.
rng = np.random.default_rng(1)
bn_param = {"mode": "train", "momentum": 0.9}
for _ in range(100):
    batch = 3.0 + 2.0 * rng.standard_normal((64, 2))
    batchnorm_forward(batch, np.ones(2), np.zeros(2), bn_param)
print("after 100 batches of mean 3 and variance 4:", bn_param["running_mean"],
      bn_param["running_var"])
assert np.all(np.abs(bn_param["running_mean"] - 3.0) < 0.3)
assert np.all(np.abs(bn_param["running_var"] - 4.0) < 1.0)
### BEGIN HIDDEN TESTS
from autograder.testing import assert_exact
_rng = np.random.default_rng(72)
for _n, _d, _m in [(5, 4, 0.7), (9, 1, 0.99), (3, 6, 0.0)]:
    _rm, _rv = _rng.standard_normal(_d), _rng.uniform(0.5, 2.0, _d)
    _p = {"mode": "train", "momentum": _m, "running_mean": _rm.copy(),
          "running_var": _rv.copy()}
    _exp_m, _exp_v = _rm.copy(), _rv.copy()
    for _step in range(2):
        _x = _rng.standard_normal((_n, _d)) * 1.5 - 0.5
        batchnorm_forward(_x, np.ones(_d), np.zeros(_d), _p)
        _exp_m = _m * _exp_m + (1 - _m) * _x.mean(axis=0)
        _exp_v = _m * _exp_v + (1 - _m) * _x.var(axis=0)
        _where = f"hidden test, training step {_step + 1}, momentum {_m}"
        assert_exact(_p["running_mean"], _exp_m, "running_mean", where=_where)
        assert_exact(_p["running_var"], _exp_v, "running_var (biased variance)", where=_where)
### END HIDDEN TESTS"""

TEST_TEST_MODE = """\
# Test mode normalises with the running averages and leaves them unchanged.
x = np.array([[1.0, 2.0], [3.0, 6.0], [5.0, 10.0]])
bn_param = {"mode": "test", "running_mean": np.array([2.0, 4.0]),
            "running_var": np.array([4.0, 16.0]), "eps": 0.0}
out, _ = batchnorm_forward(x, np.array([2.0, 0.5]), np.array([1.0, -1.0]), bn_param)
print("out =\\n", out)
expected = np.array([[0.0, -1.25], [2.0, -0.75], [4.0, -0.25]])
assert np.allclose(out, expected), (
    "test mode: out = gamma * (x - running_mean) / sqrt(running_var + eps) + beta")
assert np.array_equal(bn_param["running_mean"], [2.0, 4.0]) and np.array_equal(
    bn_param["running_var"], [4.0, 16.0]), "test mode must not change the running averages"
print("test mode: correct on the visible example")
### BEGIN HIDDEN TESTS
from autograder.testing import assert_exact
_rng = np.random.default_rng(73)
for _n, _d, _eps in [(6, 3, 1e-5), (1, 4, 1e-3), (10, 2, 0.5)]:
    _rm, _rv = _rng.standard_normal(_d), _rng.uniform(0.2, 3.0, _d)
    _g, _b = _rng.standard_normal(_d), _rng.standard_normal(_d)
    _x = _rng.standard_normal((_n, _d)) * 2.0 + 1.0
    _p = {"mode": "test", "eps": _eps, "running_mean": _rm.copy(), "running_var": _rv.copy()}
    _out, _ = batchnorm_forward(_x, _g, _b, _p)
    _where = f"hidden test, test mode, x {(_n, _d)}"
    assert_exact(_out, _g * (_x - _rm) / np.sqrt(_rv + _eps) + _b,
                 "out (normalised with the running averages, not the batch statistics)",
                 where=_where)
    assert np.array_equal(_p["running_mean"], _rm) and np.array_equal(_p["running_var"], _rv), (
        f"{_where}: test mode changed the running averages")
### END HIDDEN TESTS"""

BACKWARD_MD = """\
## Part 4: the backward pass, node by node (5 points)

Write the forward pass of training mode as a chain of simple nodes, as chapter 10 does:
$\\mu = \\frac1N\\sum_n x_n$, $x_c = x - \\mu$, $\\sigma^2 = \\frac1N\\sum_n x_{c,n}^2$,
$s = \\sqrt{\\sigma^2 + \\epsilon}$, $\\hat x = x_c / s$, $y = \\gamma\\hat x + \\beta$, and go
back through them in reverse order, each node multiplying the upstream gradient by its local
derivative. Two things to watch:

- $x_c$ feeds two nodes ($\\hat x$ and $\\sigma^2$), so its gradient is the **sum** of the two
  gradients arriving;
- $\\mu$ depends on **every** input, so every $x_n$ gets a share $\\frac1N\\,\\partial L/\\partial\\mu$
  as well as its direct gradient through $x_c$.

$\\partial L/\\partial\\gamma = \\sum_n \\texttt{dout}_n \\odot \\hat x_n$ and
$\\partial L/\\partial\\beta = \\sum_n \\texttt{dout}_n$ (sums over the batch: the parameters are
shared by every sample)."""

BN_BACKWARD = '''\
def batchnorm_backward(dout, cache):
    """
    Backward pass of batch normalisation (training mode), node by node.

    Inputs:
    - dout: upstream gradient, shape (N, D)
    - cache: what batchnorm_forward returned as its cache in training mode

    Returns a tuple of:
    - dx: gradient with respect to x, shape (N, D)
    - dgamma: gradient with respect to gamma, shape (D,)
    - dbeta: gradient with respect to beta, shape (D,)
    """
    ### BEGIN SOLUTION
    xhat, xc, std, gamma = cache
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * xhat, axis=0)
    dxhat = dout * gamma
    # xhat = xc / std: xc gets dxhat / std, std gets -sum(dxhat * xc) / std**2
    dxc = dxhat / std
    dstd = -np.sum(dxhat * xc, axis=0) / std ** 2
    # std = sqrt(var + eps)
    dvar = dstd / (2.0 * std)
    # var = mean(xc ** 2): the second gradient arriving at xc
    dxc += 2.0 * xc * dvar / N
    # xc = x - mu, mu = mean(x): every x_n gets dmu / N
    dmu = -np.sum(dxc, axis=0)
    dx = dxc + dmu / N
    ### END SOLUTION
    return dx, dgamma, dbeta'''

TEST_BACKWARD = """\
# Numeric gradient check on random inputs: N = 4, D = 5.
rng = np.random.default_rng(2)
x = 3.0 + 2.0 * rng.standard_normal((4, 5))
gamma, beta = rng.standard_normal(5), rng.standard_normal(5)
dout = rng.standard_normal((4, 5))
_, cache = batchnorm_forward(x, gamma, beta, {"mode": "train"})
dx, dgamma, dbeta = batchnorm_backward(dout, cache)
report = check_gradient(
    lambda x, gamma, beta: batchnorm_forward(x, gamma, beta, {"mode": "train"})[0],
    {"x": x, "gamma": gamma, "beta": beta}, {"x": dx, "gamma": dgamma, "beta": dbeta},
    dout=dout)
print(report)
print("For batch normalisation every relative error should be below about 1e-7.")
print("Every column of dx sums to zero (the output does not change when a column is shifted):",
      np.abs(dx.sum(axis=0)).max() < 1e-12)
### BEGIN HIDDEN TESTS
from autograder.testing import assert_exact, forbid
_rng = np.random.default_rng(74)
for _n, _d, _eps in [(6, 3, 1e-5), (2, 4, 1e-3), (11, 1, 1e-5), (5, 7, 0.2)]:
    _x = _rng.standard_normal((_n, _d)) * 1.7 + 0.4
    _g, _b = _rng.standard_normal(_d), _rng.standard_normal(_d)
    _dy = _rng.standard_normal((_n, _d))
    _, _cache = batchnorm_forward(_x, _g, _b, {"mode": "train", "eps": _eps})
    with forbid("batchnorm_forward"):   # the backward pass must use its cache
        _grads = batchnorm_backward(_dy, _cache)
    _s = np.sqrt(_x.var(axis=0) + _eps)
    _xh = (_x - _x.mean(axis=0)) / _s
    _dxh = _dy * _g
    _exact = ((_n * _dxh - _dxh.sum(axis=0) - _xh * np.sum(_dxh * _xh, axis=0)) / (_n * _s),
              np.sum(_dy * _xh, axis=0), _dy.sum(axis=0))
    for _name, _got, _ex in zip(("dx", "dgamma", "dbeta"), _grads, _exact):
        assert_exact(_got, _ex, _name, where=f"hidden test, x {(_n, _d)}")
### END HIDDEN TESTS"""

ALT_MD = """\
## Part 5: the compact backward pass (3 points)

Collecting the terms of part 4 gives, per column, with $\\hat{x}$ and $s = \\sqrt{\\sigma^2 +
\\epsilon}$ from the cache and $\\texttt{dxhat} = \\texttt{dout}\\odot\\gamma$,

$$\\texttt{dx} = \\frac{1}{N s}\\Big(N\\,\\texttt{dxhat} - \\sum_n \\texttt{dxhat}_n
- \\hat x \\odot \\sum_n \\texttt{dxhat}_n \\odot \\hat x_n\\Big).$$

Chapter 10 derives it. Implement it directly, in a few lines: `batchnorm_backward_alt` must not
call `batchnorm_backward` (nor `batchnorm_forward`). It returns the same three gradients; with
the same cache it agrees with part 4 to rounding error, and it is faster."""

BN_ALT = '''\
def batchnorm_backward_alt(dout, cache):
    """
    Backward pass of batch normalisation (training mode) by the compact formula.

    Inputs and returns: as batchnorm_backward.
    - dout: upstream gradient, shape (N, D)
    - cache: what batchnorm_forward returned as its cache in training mode

    Returns a tuple of:
    - dx: shape (N, D)
    - dgamma: shape (D,)
    - dbeta: shape (D,)
    """
    ### BEGIN SOLUTION
    xhat, xc, std, gamma = cache
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * xhat, axis=0)
    dxhat = dout * gamma
    dx = (N * dxhat - dxhat.sum(axis=0)
          - xhat * np.sum(dxhat * xhat, axis=0)) / (N * std)
    ### END SOLUTION
    return dx, dgamma, dbeta'''

TEST_ALT = """\
# Numeric gradient check of the compact formula: N = 6, D = 3.
rng = np.random.default_rng(3)
x = rng.standard_normal((6, 3)) - 1.0
gamma, beta = rng.standard_normal(3), rng.standard_normal(3)
dout = rng.standard_normal((6, 3))
_, cache = batchnorm_forward(x, gamma, beta, {"mode": "train"})
dx, dgamma, dbeta = batchnorm_backward_alt(dout, cache)
report = check_gradient(
    lambda x, gamma, beta: batchnorm_forward(x, gamma, beta, {"mode": "train"})[0],
    {"x": x, "gamma": gamma, "beta": beta}, {"x": dx, "gamma": dgamma, "beta": dbeta},
    dout=dout)
print(report)
print("For batch normalisation every relative error should be below about 1e-7.")
### BEGIN HIDDEN TESTS
from autograder.testing import assert_exact, forbid
_rng = np.random.default_rng(75)
for _n, _d, _eps in [(9, 2, 1e-5), (3, 5, 1e-2), (32, 6, 1e-5)]:
    _x = _rng.standard_normal((_n, _d)) * 0.8 - 2.0
    _g, _b = _rng.standard_normal(_d), _rng.standard_normal(_d)
    _dy = _rng.standard_normal((_n, _d))
    _, _cache = batchnorm_forward(_x, _g, _b, {"mode": "train", "eps": _eps})
    with forbid("batchnorm_backward", message="batchnorm_backward_alt called "
                "batchnorm_backward: the compact version must compute the gradients itself"):
        with forbid("batchnorm_forward", caller="batchnorm_backward_alt"):
            _grads = batchnorm_backward_alt(_dy, _cache)
    # reference: the staged graph, node by node
    _mu = _x.mean(axis=0)
    _xc = _x - _mu
    _s = np.sqrt(np.mean(_xc ** 2, axis=0) + _eps)
    _xh = _xc / _s
    _dxh = _dy * _g
    _dxc = _dxh / _s
    _dvar = -np.sum(_dxh * _xc, axis=0) / _s ** 2 / (2 * _s)
    _dxc = _dxc + 2 * _xc * _dvar / _n
    _exact = (_dxc - _dxc.sum(axis=0) / _n, np.sum(_dy * _xh, axis=0), _dy.sum(axis=0))
    for _name, _got, _ex in zip(("dx", "dgamma", "dbeta"), _grads, _exact):
        assert_exact(_got, _ex, _name, where=f"hidden test, x {(_n, _d)}")
### END HIDDEN TESTS"""

LN_MD = """\
## Parts 6-7: layer normalisation (2 + 3 points)

Layer normalisation does the same computation along the other axis: each **sample** (row) is
normalised with the mean and variance of its own $D$ features,

$$\\mu_n = \\frac1D\\sum_j x_{nj}, \\quad \\sigma_n^2 = \\frac1D\\sum_j (x_{nj} - \\mu_n)^2, \\quad
\\hat x_{nj} = \\frac{x_{nj} - \\mu_n}{\\sqrt{\\sigma_n^2 + \\epsilon}}, \\quad
y_{nj} = \\gamma_j\\hat x_{nj} + \\beta_j ,$$

with `gamma` and `beta` still one per feature, shape `(D,)`. The statistics do not involve other
samples, so training and test mode are the same and there are no running averages; `ln_param`
only holds `eps` (default 1e-5). In the backward pass, the sums over the batch of part 5 become
sums over the features of each row (and $N$ becomes $D$), while `dgamma` and `dbeta` are still
sums over the batch. (Hint: `keepdims=True`.)"""

LN_FORWARD = '''\
def layernorm_forward(x, gamma, beta, ln_param):
    """
    Forward pass of layer normalisation.

    Inputs:
    - x: data, shape (N, D)
    - gamma: scale parameter, shape (D,)
    - beta: shift parameter, shape (D,)
    - ln_param: dict with the key eps (default 1e-5)

    Returns a tuple of:
    - out: shape (N, D)
    - cache: whatever layernorm_backward needs
    """
    eps = ln_param.get("eps", 1e-5)
    ### BEGIN SOLUTION
    mu = x.mean(axis=1, keepdims=True)
    xc = x - mu
    var = np.mean(xc ** 2, axis=1, keepdims=True)
    std = np.sqrt(var + eps)
    xhat = xc / std
    out = gamma * xhat + beta
    cache = (xhat, std, gamma)
    ### END SOLUTION
    return out, cache'''

TEST_LN_FORWARD = """\
# A known answer: N = 2, D = 3, eps = 0.
x = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 6.0]])
out, _ = layernorm_forward(x, np.array([1.0, 2.0, 1.0]), np.array([0.0, 0.0, 1.0]),
                           {"eps": 0.0})
print("out =\\n", out)
r = np.sqrt(1.5)
expected = np.array([[-r, 0.0, 1.0 + r], [-1 / np.sqrt(2), -np.sqrt(2), 1.0 + np.sqrt(2)]])
assert out.shape == x.shape, f"out should have shape {x.shape}, not {out.shape}"
assert np.allclose(out, expected), (
    "wrong values: each ROW is normalised with its own mean and variance over the D features")
# every row of the normalised data has mean 0 and standard deviation 1
rng = np.random.default_rng(4)
out, _ = layernorm_forward(5.0 + 3.0 * rng.standard_normal((4, 50)), np.ones(50), np.zeros(50),
                           {})
print("row means:", out.mean(axis=1), " row stds:", out.std(axis=1))
assert np.allclose(out.mean(axis=1), 0.0) and np.allclose(out.std(axis=1), 1.0, atol=1e-5)
### BEGIN HIDDEN TESTS
from autograder.testing import assert_exact
_rng = np.random.default_rng(76)
for _n, _d, _eps in [(3, 7, 1e-5), (8, 2, 1e-3), (1, 5, 1e-5)]:
    _x = _rng.standard_normal((_n, _d)) * 2.0 + 1.0
    _g, _b = _rng.standard_normal(_d), _rng.standard_normal(_d)
    _x_before = _x.copy()
    _out, _ = layernorm_forward(_x, _g, _b, {"eps": _eps})
    _mu = _x.mean(axis=1, keepdims=True)
    _ref = _g * (_x - _mu) / np.sqrt(_x.var(axis=1, keepdims=True) + _eps) + _b
    assert_exact(_out, _ref, "out", where=f"hidden test, x {(_n, _d)}")
    assert np.array_equal(_x, _x_before), "layernorm_forward must not modify x"
### END HIDDEN TESTS"""

LN_BACKWARD = '''\
def layernorm_backward(dout, cache):
    """
    Backward pass of layer normalisation.

    Inputs:
    - dout: upstream gradient, shape (N, D)
    - cache: what layernorm_forward returned as its cache

    Returns a tuple of:
    - dx: gradient with respect to x, shape (N, D)
    - dgamma: gradient with respect to gamma, shape (D,)
    - dbeta: gradient with respect to beta, shape (D,)
    """
    ### BEGIN SOLUTION
    xhat, std, gamma = cache
    D = dout.shape[1]
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * xhat, axis=0)
    dxhat = dout * gamma
    dx = (D * dxhat - dxhat.sum(axis=1, keepdims=True)
          - xhat * np.sum(dxhat * xhat, axis=1, keepdims=True)) / (D * std)
    ### END SOLUTION
    return dx, dgamma, dbeta'''

TEST_LN_BACKWARD = """\
# Numeric gradient check: N = 3, D = 6.
rng = np.random.default_rng(5)
x = rng.standard_normal((3, 6)) + 2.0
gamma, beta = rng.standard_normal(6), rng.standard_normal(6)
dout = rng.standard_normal((3, 6))
_, cache = layernorm_forward(x, gamma, beta, {})
dx, dgamma, dbeta = layernorm_backward(dout, cache)
report = check_gradient(lambda x, gamma, beta: layernorm_forward(x, gamma, beta, {})[0],
                        {"x": x, "gamma": gamma, "beta": beta},
                        {"x": dx, "gamma": dgamma, "beta": dbeta}, dout=dout)
print(report)
print("For layer normalisation every relative error should be below about 1e-7.")
### BEGIN HIDDEN TESTS
from autograder.testing import assert_exact, forbid
_rng = np.random.default_rng(77)
for _n, _d, _eps in [(4, 5, 1e-5), (7, 2, 1e-2), (1, 9, 1e-5), (5, 5, 0.3)]:
    _x = _rng.standard_normal((_n, _d)) * 1.3 - 0.6
    _g, _b = _rng.standard_normal(_d), _rng.standard_normal(_d)
    _dy = _rng.standard_normal((_n, _d))
    _, _cache = layernorm_forward(_x, _g, _b, {"eps": _eps})
    with forbid("layernorm_forward"):   # the backward pass must use its cache
        _grads = layernorm_backward(_dy, _cache)
    # reference: batch norm's staged graph on the transposed problem
    _xt, _dyt = _x.T, (_dy * _g).T
    _xc = _xt - _xt.mean(axis=0)
    _s = np.sqrt(np.mean(_xc ** 2, axis=0) + _eps)
    _dxc = _dyt / _s + 2 * _xc * (-np.sum(_dyt * _xc, axis=0) / _s ** 3 / 2) / _d
    _exact = ((_dxc - _dxc.sum(axis=0) / _d).T, np.sum(_dy * (_xc / _s).T, axis=0),
              _dy.sum(axis=0))
    for _name, _got, _ex in zip(("dx", "dgamma", "dbeta"), _grads, _exact):
        assert_exact(_got, _ex, _name, where=f"hidden test, x {(_n, _d)}")
### END HIDDEN TESTS"""

END = """\
## What you built

Batch normalisation in both modes and its backward pass twice, the second time in a few lines;
layer normalisation, the same layer turned by ninety degrees. Chapter 10 uses these functions
to train a ten-layer network on the digits with and without normalisation and compares the loss
curves, the gradient norms per layer and the range of learning rates that work."""


def build():
    nb = new_assignment()
    nb.cells += [
        instructions("a7_intro", INTRO),
        given_code("a7_setup", SETUP),
        instructions("forward_md", FORWARD_MD),
        answer("batchnorm_forward", BN_FORWARD),
        tests("test_batchnorm_forward", 3, TEST_FORWARD),
        instructions("running_md", "### Part 2: running averages (2 points)\n\nTested on the "
                     "`batchnorm_forward` above: in training mode it updates `running_mean` and "
                     "`running_var` in `bn_param` with the momentum."),
        tests("test_running_averages", 2, TEST_RUNNING),
        instructions("test_mode_md", "### Part 3: test mode (2 points)\n\nAlso tested on "
                     "`batchnorm_forward`: in test mode it uses the running averages, whatever "
                     "the batch holds, and changes nothing in `bn_param`."),
        tests("test_batchnorm_test_mode", 2, TEST_TEST_MODE),
        instructions("backward_md", BACKWARD_MD),
        answer("batchnorm_backward", BN_BACKWARD),
        tests("test_batchnorm_backward", 5, TEST_BACKWARD),
        instructions("alt_md", ALT_MD),
        answer("batchnorm_backward_alt", BN_ALT),
        tests("test_batchnorm_backward_alt", 3, TEST_ALT),
        instructions("ln_md", LN_MD),
        answer("layernorm_forward", LN_FORWARD),
        tests("test_layernorm_forward", 2, TEST_LN_FORWARD),
        answer("layernorm_backward", LN_BACKWARD),
        tests("test_layernorm_backward", 3, TEST_LN_BACKWARD),
        instructions("a7_end", END),
    ]
    return nb


if __name__ == "__main__":
    save(build(), "solutions/a7/a7.ipynb")
