"""One-off generator of solutions/a8/a8.ipynb (kept for reference; the notebook is the source).

    PYTHONPATH=$PWD .venv/bin/python -m tools.authoring.a8
    PYTHONPATH=$PWD .venv/bin/python -m autograder release a8

The known answers of the visible tests are computed here from the reference code and written
into the test cells as literals.
"""

import numpy as np

from tools.nbauthor import answer, given_code, instructions, new_assignment, save, scratch, tests

INTRO = """\
# Assignment a8: a long short-term memory (LSTM) layer

This assignment goes with [chapter 11](../../book/11-gated-recurrent-units.ipynb). You will write,
in NumPy, the layers of a **long short-term memory** network (장단기 메모리, LSTM) in the API of
CS231n's `rnn_layers.py`, with its gate order **i, f, o, g**:

1. `lstm_step_forward` / `lstm_step_backward`: one time step, with its **input gate** (입력
   게이트) $i$, **forget gate** (망각 게이트) $f$, **output gate** (출력 게이트) $o$, the
   candidate $g$, and the **cell state** (셀 상태) $c_t$;
2. `lstm_forward` / `lstm_backward`: whole sequences, the backward pass being backpropagation
   through time with *two* gradients carried from step to step, $\\partial L/\\partial h_t$ and
   $\\partial L/\\partial c_t$;

and then train a small LSTM with your own functions on the delayed-recall task of chapter 11:
remember a number for fifteen steps while other numbers stream past.

**Conventions** (the same as in the book and in assignment a6). A mini-batch of $N$ sequences of
length $T$ with $D$ features per step is an array `x` of shape `(N, T, D)`; hidden and cell states
have $H$ units. The four gates share one matrix product: `Wx` has shape `(D, 4H)`, `Wh` has shape
`(H, 4H)` and `b` has shape `(4H,)`, and the pre-activation `a = x_t @ Wx + prev_h @ Wh + b`
(shape `(N, 4H)`) is split into four blocks of `H` columns, **in the order i, f, o, g**. The
initial cell state is zero. Every forward function returns its outputs and a `cache`; every
backward function returns the gradient with respect to each input, with exactly that input's
shape.

**How you are graded.** Each test cell below is worth the points in its title, all or nothing.
The visible tests check known answers and compare your gradients with numeric ones. The grader
also runs hidden tests on other values of N, T, D and H, compares your gradients with exact ones
to 1e-12 (a finite-difference estimate is about 1e-10 off, so it does not pass), and checks that
each backward function uses its cache rather than calling a forward function again.

| part | graded cell | points |
|---|---|---|
| 1 one step, forward | `test_lstm_step_forward` | 3 |
| 2 one step, backward | `test_lstm_step_backward` | 5 |
| 3 sequences, forward | `test_lstm_forward` | 3 |
| 4 sequences, backward (BPTT) | `test_lstm_backward` | 5 |
| 5 training on delayed recall | `test_train_recall` | 4 |
| **total** | | **20** |

The whole notebook runs in a few seconds.
"""

SETUP = """\
import time

import numpy as np

from autograder import check_gradient, relative_error

np.set_printoptions(precision=6, suppress=True)


def sigmoid(x):
    \"\"\"The logistic sigmoid 1 / (1 + exp(-x)), elementwise, without overflow for large |x|.\"\"\"
    return 0.5 * (1.0 + np.tanh(0.5 * x))
"""

PART1 = """\
## Part 1: one time step, forward pass (3 points)

$$
a = x_t W_x + h_{t-1} W_h + b \\;\\in \\mathbb{R}^{N \\times 4H}, \\qquad
a = \\bigl[\\,a_i \\;\\big|\\; a_f \\;\\big|\\; a_o \\;\\big|\\; a_g\\,\\bigr],
$$

$$
i = \\sigma(a_i), \\quad f = \\sigma(a_f), \\quad o = \\sigma(a_o), \\quad g = \\tanh(a_g), \\qquad
c_t = f \\odot c_{t-1} + i \\odot g, \\qquad h_t = o \\odot \\tanh(c_t).
$$

The three gates are sigmoids (numbers between 0 and 1 that scale a signal); the candidate $g$ is
a tanh (a value between -1 and 1 to be written into the cell). Use the `sigmoid` given above.
Keep in the cache what the backward pass will need; it is cheaper to store the gates and
$\\tanh(c_t)$ than to recompute them.
"""

STEP_FORWARD = '''\
def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    """
    One time step of an LSTM, gate order i, f, o, g.

    Inputs:
    - x: input data of this time step, shape (N, D)
    - prev_h: previous hidden state, shape (N, H)
    - prev_c: previous cell state, shape (N, H)
    - Wx: input-to-hidden weights of the four gates, shape (D, 4H)
    - Wh: hidden-to-hidden weights of the four gates, shape (H, 4H)
    - b: biases of the four gates, shape (4H,)

    Returns a tuple of:
    - next_h: next hidden state, shape (N, H)
    - next_c: next cell state, shape (N, H)
    - cache: whatever lstm_step_backward needs
    """
    ### BEGIN SOLUTION
    H = prev_h.shape[1]
    a = x @ Wx + prev_h @ Wh + b              # (N, 4H)
    i = sigmoid(a[:, 0 * H:1 * H])            # input gate
    f = sigmoid(a[:, 1 * H:2 * H])            # forget gate
    o = sigmoid(a[:, 2 * H:3 * H])            # output gate
    g = np.tanh(a[:, 3 * H:4 * H])            # candidate values
    next_c = f * prev_c + i * g
    tanh_c = np.tanh(next_c)
    next_h = o * tanh_c
    cache = (x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c, tanh_c)
    ### END SOLUTION
    return next_h, next_c, cache
'''

PART2 = """\
## Part 2: one time step, backward pass (5 points)

The step receives two upstream gradients, `dnext_h` $= \\partial L/\\partial h_t$ and
`dnext_c` $= \\partial L/\\partial c_t$ (the gradient that reaches $c_t$ from step $t+1$). The
cell state is used twice, directly by the next step and through $h_t = o \\odot \\tanh(c_t)$, so
its total gradient is

$$
\\delta c = \\texttt{dnext\\_c} + \\texttt{dnext\\_h} \\odot o \\odot \\bigl(1 - \\tanh^2(c_t)\\bigr).
$$

From $c_t = f \\odot c_{t-1} + i \\odot g$ and $h_t = o \\odot \\tanh(c_t)$:

$$
\\frac{\\partial L}{\\partial o} = \\texttt{dnext\\_h} \\odot \\tanh(c_t), \\quad
\\frac{\\partial L}{\\partial i} = \\delta c \\odot g, \\quad
\\frac{\\partial L}{\\partial f} = \\delta c \\odot c_{t-1}, \\quad
\\frac{\\partial L}{\\partial g} = \\delta c \\odot i, \\quad
\\frac{\\partial L}{\\partial c_{t-1}} = \\delta c \\odot f .
$$

Then go back through the nonlinearities ($\\sigma' = \\sigma(1 - \\sigma)$, $\\tanh' = 1 -
\\tanh^2$, both computed from the stored outputs), put the four blocks side by side in the
order i, f, o, g to get $\\partial L/\\partial a$ of shape $(N, 4H)$, and finish as in the
vanilla RNN: $\\partial L/\\partial x_t = \\delta a\\, W_x^\\top$,
$\\partial L/\\partial h_{t-1} = \\delta a\\, W_h^\\top$, $\\partial L/\\partial W_x = x_t^\\top
\\delta a$, $\\partial L/\\partial W_h = h_{t-1}^\\top \\delta a$, and $\\partial L/\\partial b$
the column sums of $\\delta a$.
"""

STEP_BACKWARD = '''\
def lstm_step_backward(dnext_h, dnext_c, cache):
    """
    Backward pass of one LSTM time step.

    Inputs:
    - dnext_h: gradient of the loss with respect to next_h, shape (N, H)
    - dnext_c: gradient of the loss with respect to next_c, shape (N, H)
    - cache: what lstm_step_forward returned as its cache

    Returns a tuple of:
    - dx: gradient with respect to x, shape (N, D)
    - dprev_h: gradient with respect to prev_h, shape (N, H)
    - dprev_c: gradient with respect to prev_c, shape (N, H)
    - dWx: gradient with respect to Wx, shape (D, 4H)
    - dWh: gradient with respect to Wh, shape (H, 4H)
    - db: gradient with respect to b, shape (4H,)
    """
    ### BEGIN SOLUTION
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c, tanh_c = cache
    # next_c reaches the loss directly and through next_h = o * tanh(next_c)
    dc = dnext_c + dnext_h * o * (1.0 - tanh_c ** 2)
    do = dnext_h * tanh_c
    di = dc * g
    df = dc * prev_c
    dg = dc * i
    dprev_c = dc * f
    da = np.hstack([di * i * (1.0 - i), df * f * (1.0 - f),
                    do * o * (1.0 - o), dg * (1.0 - g ** 2)])   # (N, 4H), order i, f, o, g
    dx = da @ Wx.T
    dprev_h = da @ Wh.T
    dWx = x.T @ da
    dWh = prev_h.T @ da
    db = da.sum(axis=0)
    ### END SOLUTION
    return dx, dprev_h, dprev_c, dWx, dWh, db
'''

PART3 = """\
## Part 3: whole sequences, forward pass (3 points)

Run `lstm_step_forward` once per time step, $t = 0, \\dots, T-1$, starting from `h0` and a
**zero cell state**, and collect every hidden state in `h` of shape $(N, T, H)$, so that
`h[:, t]` is the state after reading `x[:, t]`. The cell states are internal to the layer and
are not returned. The same `Wx`, `Wh` and `b` are used at every step.
"""

FORWARD = '''\
def lstm_forward(x, h0, Wx, Wh, b):
    """
    Forward pass of an LSTM over whole sequences; the initial cell state is zero.

    Inputs:
    - x: input sequences, shape (N, T, D)
    - h0: initial hidden state, shape (N, H)
    - Wx: input-to-hidden weights, shape (D, 4H)
    - Wh: hidden-to-hidden weights, shape (H, 4H)
    - b: biases, shape (4H,)

    Returns a tuple of:
    - h: hidden states of every time step, shape (N, T, H); h[:, t] is the state after x[:, t]
    - cache: whatever lstm_backward needs
    """
    ### BEGIN SOLUTION
    N, T, D = x.shape
    H = h0.shape[1]
    h = np.zeros((N, T, H))
    prev_h, prev_c = h0, np.zeros((N, H))     # the cell state starts at zero
    step_caches = []
    for t in range(T):
        prev_h, prev_c, step_cache = lstm_step_forward(x[:, t, :], prev_h, prev_c, Wx, Wh, b)
        h[:, t, :] = prev_h
        step_caches.append(step_cache)
    cache = (step_caches, D)
    ### END SOLUTION
    return h, cache
'''

PART4 = """\
## Part 4: backpropagation through time (5 points)

As in assignment a6, `dh[:, t]` is the gradient that reaches $h_t$ *directly* from the loss, and
the total gradient of $h_t$ adds the `dprev_h` returned by step $t+1$. The LSTM carries a second
gradient backwards: the `dprev_c` returned by step $t+1$ is the `dnext_c` of step $t$ (no loss
reads the cell state directly, so after the last step it is zero). Therefore:

- go through the steps **backwards**, from $t = T-1$ down to $0$, calling `lstm_step_backward`
  with the total gradient of $h_t$ and the gradient of $c_t$ carried from step $t+1$;
- `dWx`, `dWh` and `db` are the **sums** of the per-step gradients (the weights are shared);
- `dx[:, t]` is the input gradient of step $t$, and `dh0` is the `dprev_h` of the first step
  (the initial cell state is a constant zero, so its gradient is not returned).

Chapter 11 derives these rules and draws the path the gradient takes through the cell states.
"""

BACKWARD = '''\
def lstm_backward(dh, cache):
    """
    Backpropagation through time for an LSTM.

    Inputs:
    - dh: upstream gradient of every hidden state, shape (N, T, H): dh[:, t] is the gradient
      that reaches h[:, t] directly from the loss (not through later time steps)
    - cache: what lstm_forward returned as its cache

    Returns a tuple of:
    - dx: gradient with respect to x, shape (N, T, D)
    - dh0: gradient with respect to h0, shape (N, H)
    - dWx: gradient with respect to Wx, shape (D, 4H)
    - dWh: gradient with respect to Wh, shape (H, 4H)
    - db: gradient with respect to b, shape (4H,)
    """
    ### BEGIN SOLUTION
    step_caches, D = cache
    N, T, H = dh.shape
    dx = np.zeros((N, T, D))
    dWx, dWh, db = np.zeros((D, 4 * H)), np.zeros((H, 4 * H)), np.zeros(4 * H)
    dprev_h = np.zeros((N, H))      # gradients arriving from step t + 1
    dprev_c = np.zeros((N, H))
    for t in reversed(range(T)):
        dx_t, dprev_h, dprev_c, dWx_t, dWh_t, db_t = lstm_step_backward(
            dh[:, t, :] + dprev_h, dprev_c, step_caches[t])
        dx[:, t, :] = dx_t
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    dh0 = dprev_h
    ### END SOLUTION
    return dx, dh0, dWx, dWh, db
'''

# ---------------------------------------------------------------- tests

# An exact reference for the hidden tests (written independently of the answer cells).
HIDDEN_REFERENCE = """\
def _sig(z):
    return 1.0 / (1.0 + np.exp(-z))
def _ref_forward(x, h0, wx, wh, b):
    n, t_len, _ = x.shape
    hh = h0.shape[1]
    hs, cs, gs = [h0], [np.zeros_like(h0)], []
    for s in range(t_len):
        a = x[:, s] @ wx + hs[-1] @ wh + b
        i, f, o = _sig(a[:, :hh]), _sig(a[:, hh:2 * hh]), _sig(a[:, 2 * hh:3 * hh])
        g = np.tanh(a[:, 3 * hh:])
        cs.append(f * cs[-1] + i * g)
        hs.append(o * np.tanh(cs[-1]))
        gs.append((i, f, o, g))
    return hs, cs, gs
def _ref_backward(x, h0, wx, wh, b, dh):
    hs, cs, gs = _ref_forward(x, h0, wx, wh, b)
    n, t_len, _ = x.shape
    hh = h0.shape[1]
    dx = np.zeros_like(x)
    dwx, dwh, db = np.zeros_like(wx), np.zeros_like(wh), np.zeros_like(b)
    carry_h, carry_c = np.zeros_like(h0), np.zeros_like(h0)
    for s in reversed(range(t_len)):
        i, f, o, g = gs[s]
        gh = dh[:, s] + carry_h
        tc = np.tanh(cs[s + 1])
        gc = carry_c + gh * o * (1 - tc ** 2)
        da = np.concatenate([gc * g * i * (1 - i), gc * cs[s] * f * (1 - f),
                             gh * tc * o * (1 - o), gc * i * (1 - g ** 2)], axis=1)
        dx[:, s] = da @ wx.T
        dwx += x[:, s].T @ da
        dwh += hs[s].T @ da
        db += da.sum(axis=0)
        carry_h, carry_c = da @ wh.T, gc * f
    return dx, carry_h, dwx, dwh, db
"""


def _linspace_step():
    N, D, H = 3, 4, 5
    x = np.linspace(-0.4, 1.2, num=N * D).reshape(N, D)
    prev_h = np.linspace(-0.3, 0.7, num=N * H).reshape(N, H)
    prev_c = np.linspace(-0.4, 0.9, num=N * H).reshape(N, H)
    Wx = np.linspace(-2.1, 1.3, num=4 * D * H).reshape(D, 4 * H)
    Wh = np.linspace(-0.7, 2.2, num=4 * H * H).reshape(H, 4 * H)
    b = np.linspace(0.3, 0.7, num=4 * H)
    return x, prev_h, prev_c, Wx, Wh, b


def _literal(a):
    return repr(np.asarray(a).tolist())


def _reference():
    ns = {"np": np}
    exec(SETUP.split("np.set_printoptions")[1].split("\n", 1)[1], ns)   # sigmoid
    for src in (STEP_FORWARD, STEP_BACKWARD, FORWARD, BACKWARD):
        exec(src, ns)
    return ns


REF = _reference()
_next_h, _next_c, _ = REF["lstm_step_forward"](*_linspace_step())

TEST_STEP_FORWARD = f"""\
# A known answer on fixed inputs (as in CS231n's LSTM notebook): N = 3, D = 4, H = 5.
N, D, H = 3, 4, 5
x = np.linspace(-0.4, 1.2, num=N * D).reshape(N, D)
prev_h = np.linspace(-0.3, 0.7, num=N * H).reshape(N, H)
prev_c = np.linspace(-0.4, 0.9, num=N * H).reshape(N, H)
Wx = np.linspace(-2.1, 1.3, num=4 * D * H).reshape(D, 4 * H)
Wh = np.linspace(-0.7, 2.2, num=4 * H * H).reshape(H, 4 * H)
b = np.linspace(0.3, 0.7, num=4 * H)
next_h, next_c, _ = lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b)
expected_h = np.array({_literal(_next_h)})
expected_c = np.array({_literal(_next_c)})
assert next_h.shape == (N, H) and next_c.shape == (N, H), "next_h and next_c have shape (N, H)"
err_c = relative_error(next_c, expected_c)
err_h = relative_error(next_h, expected_h)
print(f"next_c: relative error {{err_c:.2e}}; next_h: relative error {{err_h:.2e}} "
      "(a correct step gives about 1e-15)")
assert err_c < 1e-9, ("wrong next_c (forget gate times prev_c, plus input gate times g): check "
                      "the gate order i, f, o, g (blocks of H columns of a) and that g is a tanh")
assert err_h < 1e-9, "wrong next_h (output gate times the tanh of next_c)"
### BEGIN HIDDEN TESTS
from autograder.testing import assert_exact
{HIDDEN_REFERENCE}_rng = np.random.default_rng(2026)
for _n, _d, _h in [(5, 2, 7), (1, 6, 3), (4, 1, 1)]:
    _x = _rng.standard_normal((_n, _d))
    _ph = _rng.standard_normal((_n, _h))
    _pc = _rng.standard_normal((_n, _h))
    _wx = _rng.standard_normal((_d, 4 * _h))
    _wh = _rng.standard_normal((_h, 4 * _h))
    _b = _rng.standard_normal(4 * _h)
    _before = [_v.copy() for _v in (_x, _ph, _pc, _wx, _wh, _b)]
    _nh, _nc, _ = lstm_step_forward(_x, _ph, _pc, _wx, _wh, _b)
    _a = _x @ _wx + _ph @ _wh + _b
    _c = _sig(_a[:, _h:2 * _h]) * _pc + _sig(_a[:, :_h]) * np.tanh(_a[:, 3 * _h:])
    _where = f"N, D, H = {{_n, _d, _h}}"
    assert_exact(_nc, _c, "next_c", where=_where)
    assert_exact(_nh, _sig(_a[:, 2 * _h:3 * _h]) * np.tanh(_c), "next_h", where=_where)
    for _v, _w in zip((_x, _ph, _pc, _wx, _wh, _b), _before):
        assert np.array_equal(_v, _w), "lstm_step_forward must not modify its inputs"
### END HIDDEN TESTS
"""

TEST_STEP_BACKWARD = f"""\
# Numeric gradient check on random inputs: N = 4, D = 5, H = 6.
rng = np.random.default_rng(1)
x = rng.standard_normal((4, 5))
prev_h = rng.standard_normal((4, 6))
prev_c = rng.standard_normal((4, 6))
Wx = rng.standard_normal((5, 24)) / np.sqrt(5)
Wh = rng.standard_normal((6, 24)) / np.sqrt(6)
b = rng.standard_normal(24)
dnext_h = rng.standard_normal((4, 6))
dnext_c = rng.standard_normal((4, 6))
_, _, cache = lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b)
dx, dprev_h, dprev_c, dWx, dWh, db = lstm_step_backward(dnext_h, dnext_c, cache)


def both_outputs(x, prev_h, prev_c, Wx, Wh, b):
    # next_h and next_c side by side, so one check covers both upstream gradients
    next_h, next_c, _ = lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b)
    return np.concatenate([next_h, next_c], axis=1)


report = check_gradient(both_outputs,
                        {{"x": x, "prev_h": prev_h, "prev_c": prev_c, "Wx": Wx, "Wh": Wh, "b": b}},
                        {{"x": dx, "prev_h": dprev_h, "prev_c": dprev_c, "Wx": dWx, "Wh": dWh,
                         "b": db}},
                        dout=np.concatenate([dnext_h, dnext_c], axis=1))
print(report)
print("For one LSTM step every relative error should be below about 1e-7.")
### BEGIN HIDDEN TESTS
from autograder.testing import assert_exact, forbid
{HIDDEN_REFERENCE}_rng = np.random.default_rng(7)
for _n, _d, _h in [(6, 3, 4), (1, 7, 2), (3, 1, 5)]:
    _x = _rng.standard_normal((_n, 1, _d))
    _ph = _rng.standard_normal((_n, _h))
    _pc = _rng.standard_normal((_n, _h))
    _wx = _rng.standard_normal((_d, 4 * _h))
    _wh = _rng.standard_normal((_h, 4 * _h))
    _b = _rng.standard_normal(4 * _h)
    _dnh = _rng.standard_normal((_n, _h))
    _dnc = _rng.standard_normal((_n, _h))
    _, _, _cache = lstm_step_forward(_x[:, 0], _ph, _pc, _wx, _wh, _b)
    with forbid("lstm_step_forward"):   # the backward pass must use its cache
        _grads = lstm_step_backward(_dnh, _dnc, _cache)
    # the exact step gradients: one step of the reference, started from (prev_h, prev_c)
    _hs, _cs, _gs = _ref_forward(_x, _ph, _wx, _wh, _b)
    _i, _f, _o, _g = _gs[0]
    _cs[0] = _pc
    _cs[1] = _f * _pc + _i * _g
    _tc = np.tanh(_cs[1])
    _gc = _dnc + _dnh * _o * (1 - _tc ** 2)
    _da = np.concatenate([_gc * _g * _i * (1 - _i), _gc * _pc * _f * (1 - _f),
                          _dnh * _tc * _o * (1 - _o), _gc * _i * (1 - _g ** 2)], axis=1)
    _exact = (_da @ _wx.T, _da @ _wh.T, _gc * _f, _x[:, 0].T @ _da, _ph.T @ _da,
              _da.sum(axis=0))
    for _name, _got, _ex in zip(("dx", "dprev_h", "dprev_c", "dWx", "dWh", "db"), _grads, _exact):
        assert_exact(_got, _ex, _name, where=f"N, D, H = {{_n, _d, _h}}")
### END HIDDEN TESTS
"""

_seq = dict(N=2, T=3, D=5, H=4)


def _linspace_seq():
    N, T, D, H = 2, 3, 5, 4
    x = np.linspace(-0.4, 0.6, num=N * T * D).reshape(N, T, D)
    h0 = np.linspace(-0.4, 0.8, num=N * H).reshape(N, H)
    Wx = np.linspace(-0.2, 0.9, num=4 * D * H).reshape(D, 4 * H)
    Wh = np.linspace(-0.3, 0.6, num=4 * H * H).reshape(H, 4 * H)
    b = np.linspace(0.2, 0.7, num=4 * H)
    return x, h0, Wx, Wh, b


_h_seq, _ = REF["lstm_forward"](*_linspace_seq())

TEST_FORWARD = f"""\
# A known answer on fixed inputs (as in CS231n's LSTM notebook): N = 2, T = 3, D = 5, H = 4.
N, T, D, H = 2, 3, 5, 4
x = np.linspace(-0.4, 0.6, num=N * T * D).reshape(N, T, D)
h0 = np.linspace(-0.4, 0.8, num=N * H).reshape(N, H)
Wx = np.linspace(-0.2, 0.9, num=4 * D * H).reshape(D, 4 * H)
Wh = np.linspace(-0.3, 0.6, num=4 * H * H).reshape(H, 4 * H)
b = np.linspace(0.2, 0.7, num=4 * H)
h, _ = lstm_forward(x, h0, Wx, Wh, b)
expected = np.array({_literal(_h_seq)})
assert h.shape == (N, T, H), f"h should have shape (N, T, H) = {{(N, T, H)}}, not {{h.shape}}"
err = relative_error(h, expected)
print(f"lstm_forward: relative error {{err:.2e}} (a correct forward pass gives about 1e-15)")
assert err < 1e-9, ("wrong values: run lstm_step_forward for t = 0, ..., T-1 from h0 and a zero "
                    "cell state, passing each step's next_h and next_c to the next step")
### BEGIN HIDDEN TESTS
from autograder.testing import assert_exact
{HIDDEN_REFERENCE}_rng = np.random.default_rng(31)
for _n, _t, _d, _h in [(4, 7, 3, 6), (1, 1, 2, 3), (3, 12, 1, 2)]:
    _x = _rng.standard_normal((_n, _t, _d))
    _h0 = _rng.standard_normal((_n, _h))
    _wx = _rng.standard_normal((_d, 4 * _h)) / np.sqrt(_d)
    _wh = _rng.standard_normal((_h, 4 * _h)) / np.sqrt(_h)
    _b = _rng.standard_normal(4 * _h)
    _x_before = _x.copy()
    _out, _ = lstm_forward(_x, _h0, _wx, _wh, _b)
    _hs = _ref_forward(_x, _h0, _wx, _wh, _b)[0]
    assert_exact(_out, np.stack(_hs[1:], axis=1), "h", where=f"N, T, D, H = {{_n, _t, _d, _h}}")
    assert np.array_equal(_x, _x_before), "lstm_forward must not modify its input"
### END HIDDEN TESTS
"""

TEST_BACKWARD = f"""\
# Numeric gradient check on random inputs: N = 2, T = 4, D = 3, H = 5.
rng = np.random.default_rng(2)
x = rng.standard_normal((2, 4, 3))
h0 = rng.standard_normal((2, 5))
Wx = rng.standard_normal((3, 20)) / np.sqrt(3)
Wh = rng.standard_normal((5, 20)) / np.sqrt(5)
b = rng.standard_normal(20)
dh = rng.standard_normal((2, 4, 5))
_, cache = lstm_forward(x, h0, Wx, Wh, b)
dx, dh0, dWx, dWh, db = lstm_backward(dh, cache)
report = check_gradient(lambda x, h0, Wx, Wh, b: lstm_forward(x, h0, Wx, Wh, b)[0],
                        {{"x": x, "h0": h0, "Wx": Wx, "Wh": Wh, "b": b}},
                        {{"x": dx, "h0": dh0, "Wx": dWx, "Wh": dWh, "b": db}}, dout=dh)
print(report)
print("For a short sequence every relative error should be below about 1e-7.")
### BEGIN HIDDEN TESTS
from autograder.testing import assert_exact, forbid
{HIDDEN_REFERENCE}_rng = np.random.default_rng(8)
for _n, _t, _d, _h in [(3, 6, 2, 4), (1, 9, 4, 3), (5, 2, 1, 6), (2, 1, 3, 2)]:
    _x = _rng.standard_normal((_n, _t, _d))
    _h0 = _rng.standard_normal((_n, _h))
    _wx = _rng.standard_normal((_d, 4 * _h)) / np.sqrt(_d)
    _wh = _rng.standard_normal((_h, 4 * _h)) / np.sqrt(_h)
    _b = _rng.standard_normal(4 * _h)
    _b[_h:2 * _h] += 2.0      # forget gates mostly open: the cell carries gradient far back
    _dh = _rng.standard_normal((_n, _t, _h))
    _, _cache = lstm_forward(_x, _h0, _wx, _wh, _b)
    # the backward pass must use its cache, not run a forward pass again
    with forbid("lstm_forward", "lstm_step_forward", caller="lstm_backward"):
        _grads = lstm_backward(_dh, _cache)
    _exact = _ref_backward(_x, _h0, _wx, _wh, _b, _dh)
    for _name, _got, _ex in zip(("dx", "dh0", "dWx", "dWh", "db"), _grads, _exact):
        assert_exact(_got, _ex, _name, where=f"N, T, D, H = {{_n, _t, _d, _h}}")
### END HIDDEN TESTS
"""

PART5 = """\
## Part 5: train an LSTM on delayed recall (4 points)

Nothing to write here: the code below trains an LSTM built from your functions. Each input
sequence has $T = 16$ steps with two features: the first is a number drawn uniformly from
$[-1, 1]$ at every step, the second is a marker that is 1 at the first step and 0 afterwards.
The target, read from the last hidden state by a linear layer $\\hat y = h_T W_y + b_y$, is the
*first* number, the one the marker pointed at, fifteen steps and fifteen distracting numbers
earlier
(**many-to-one**, 다중 입력 단일 출력). The loss is $E = \\frac{1}{2N}\\sum_n(\\hat y_n - y_n)^2$;
predicting 0 gives $E = \\frac16 \\approx 0.167$. Training uses Adam (chapter 6) on fresh
mini-batches of 32 sequences, with the gradients clipped by their global norm (chapter 9) and the
forget-gate biases initialised to 2, so that at the start the cells keep most of their content.

Chapter 11 compares the LSTM with a vanilla RNN of about the same number of parameters on this
task: with the same budget the vanilla RNN still learns it at a delay of 20 steps, but fails
completely at 30, where the LSTM succeeds. With correct functions the LSTM's loss ends below 0.003 (the visible test
uses one seed, the hidden test another), in a few seconds. If it does not, fix the earlier parts
first: a loss that falls but stalls between 0.003 and 0.2 is the signature of a backward pass
that loses the gradient carried through the cell state.
"""

TRAIN_SETUP = '''\
def recall_batch(rng, n, delay=15):
    """n sequences of delay + 1 steps, shape (n, delay + 1, 2), and targets (n, 1)."""
    x = np.zeros((n, delay + 1, 2))
    x[:, :, 0] = rng.uniform(-1.0, 1.0, size=(n, delay + 1))
    x[:, 0, 1] = 1.0                  # the marker: remember this number
    return x, x[:, 0, :1].copy()


def recall_loss(params, x, y):
    """Loss E and the gradient of every parameter, using your lstm_forward and lstm_backward."""
    N = x.shape[0]
    h0 = np.zeros((N, params["Wh"].shape[0]))
    h, cache = lstm_forward(x, h0, params["Wx"], params["Wh"], params["b"])
    err = h[:, -1] @ params["Wy"] + params["by"] - y          # (N, 1)
    loss = 0.5 * np.sum(err ** 2) / N
    dy = err / N
    dh = np.zeros_like(h)
    dh[:, -1] = dy @ params["Wy"].T           # only the last step feeds the loss
    grads = {"Wy": h[:, -1].T @ dy, "by": dy.sum(axis=0)}
    _, _, grads["Wx"], grads["Wh"], grads["b"] = lstm_backward(dh, cache)
    return loss, grads


def train_recall_lstm(steps=300, hidden=8, batch=32, lr=0.02, max_norm=1.0, seed=0):
    """Adam on fresh mini-batches, gradients clipped by global norm; returns the loss per step."""
    rng = np.random.default_rng(seed)
    H = hidden
    params = {"Wx": rng.standard_normal((2, 4 * H)),
              "Wh": rng.standard_normal((H, 4 * H)) / np.sqrt(H),
              "b": np.zeros(4 * H),
              "Wy": rng.standard_normal((H, 1)) / np.sqrt(H), "by": np.zeros(1)}
    params["b"][H:2 * H] = 2.0                # forget gates start mostly open
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v = {k: np.zeros_like(v) for k, v in params.items()}
    losses = []
    for step in range(1, steps + 1):
        loss, grads = recall_loss(params, *recall_batch(rng, batch))
        norm = np.sqrt(sum(np.sum(g ** 2) for g in grads.values()))
        scale = min(1.0, max_norm / norm) if norm > 0 else 1.0
        for k in params:
            g = scale * grads[k]
            m[k] = 0.9 * m[k] + 0.1 * g
            v[k] = 0.999 * v[k] + 0.001 * g ** 2
            params[k] -= lr * (m[k] / (1 - 0.9 ** step)) / (np.sqrt(v[k] / (1 - 0.999 ** step)) + 1e-8)
        losses.append(loss)
    return params, np.array(losses)
'''

TEST_TRAIN = """\
start = time.perf_counter()
params, losses = train_recall_lstm(seed=0)
seconds = time.perf_counter() - start
final = losses[-20:].mean()
print(f"loss at step 1: {losses[0]:.4f}; mean of the last 20 of {len(losses)} steps: {final:.5f} "
      f"({seconds:.2f} s)")
print("predicting 0 gives 0.167; a correct LSTM ends below 0.003")
assert np.isfinite(final) and final < 0.003, (
    f"the final loss {final:.4f} is not below 0.003: the earlier parts' tests say where the "
    "gradients go wrong")
### BEGIN HIDDEN TESTS
_params, _losses = train_recall_lstm(seed=1)
assert np.isfinite(_losses[-20:].mean()) and _losses[-20:].mean() < 0.003, (
    f"with another seed the final loss is {_losses[-20:].mean():.4f}, not below 0.003")
### END HIDDEN TESTS
"""

SCRATCH_INTRO = """\
## Your experiments (not graded)

Try the recall task with a longer delay (change `delay=15` in `recall_batch` to 30), with the
forget-gate bias initialised to 0 instead of 2, or with the vanilla RNN of assignment a6 in place
of the LSTM, and compare the final losses.
"""


def build():
    nb = new_assignment()
    nb.cells = [
        instructions("a8_intro", INTRO),
        given_code("a8_setup", SETUP),
        instructions("step_forward_md", PART1),
        answer("lstm_step_forward", STEP_FORWARD),
        tests("test_lstm_step_forward", 3, TEST_STEP_FORWARD),
        instructions("step_backward_md", PART2),
        answer("lstm_step_backward", STEP_BACKWARD),
        tests("test_lstm_step_backward", 5, TEST_STEP_BACKWARD),
        instructions("forward_md", PART3),
        answer("lstm_forward", FORWARD),
        tests("test_lstm_forward", 3, TEST_FORWARD),
        instructions("backward_md", PART4),
        answer("lstm_backward", BACKWARD),
        tests("test_lstm_backward", 5, TEST_BACKWARD),
        instructions("train_md", PART5),
        given_code("train_setup", TRAIN_SETUP),
        tests("test_train_recall", 4, TEST_TRAIN),
        instructions("scratch_intro", SCRATCH_INTRO),
        scratch("# Your experiments here (not graded)."),
    ]
    return nb


if __name__ == "__main__":
    save(build(), "solutions/a8/a8.ipynb")
    print("wrote solutions/a8/a8.ipynb")
