"""Realistic wrong submissions of assignment a8 (LSTM), each with the score it must get (max 20).

Points per graded cell: test_lstm_step_forward 3, test_lstm_step_backward 5, test_lstm_forward 3,
test_lstm_backward 5, test_train_recall 4. The training of part 5 uses lstm_forward and
lstm_backward and must end below 0.003 on two seeds (a correct LSTM ends near 4e-4; without the cell-state
gradient, or without tanh'(c), it stalls above 0.008). A mistake
that only relabels the gates (wrong order, sigmoid candidate) still gives a trainable network, so
it keeps the training points; so does the forget gate's gradient taken from next_c, which
differs little from prev_c while a cell holds its value. The other gradient mistakes lose them.
"""

from tests.harness import Case, Edit, Stub, cell_after

ASSIGNMENT = "a8"

STEP = ("test_lstm_step_backward", "test_lstm_backward")
FORWARDS = ("test_lstm_step_forward", "test_lstm_step_backward", "test_lstm_forward",
            "test_lstm_backward")
TRAIN = "test_train_recall"

# lstm_forward keeps only its inputs, and lstm_backward runs the steps forward again to get them
RERUN_FORWARD = """x, h0, Wx, Wh, b = cache
    D = x.shape[2]
    step_caches, prev_h, prev_c = [], h0, np.zeros_like(h0)
    for t in range(x.shape[1]):
        prev_h, prev_c, step_cache = lstm_step_forward(x[:, t, :], prev_h, prev_c, Wx, Wh, b)
        step_caches.append(step_cache)"""

# the derivatives of sigmoid and tanh estimated by centred differences instead of derived
NUMERIC_DERIVATIVES = """    x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c, a = cache
    H = prev_h.shape[1]
    eps = 1e-5

    def slope(fn, z):
        return (fn(z + eps) - fn(z - eps)) / (2 * eps)

    tanh_c = np.tanh(next_c)
    dc = dnext_c + dnext_h * o * slope(np.tanh, next_c)
    do = dnext_h * tanh_c
    di = dc * g
    df = dc * prev_c
    dg = dc * i
    dprev_c = dc * f
    da = np.hstack([di * slope(sigmoid, a[:, :H]), df * slope(sigmoid, a[:, H:2 * H]),
                    do * slope(sigmoid, a[:, 2 * H:3 * H]), dg * slope(np.tanh, a[:, 3 * H:])])"""

CASES = [
    Case("forget_grad_from_new_cell", "the forget gate's gradient taken from the new cell "
         "state: df = dc * next_c instead of dc * prev_c (while the cell holds a value, next_c is "
         "close to prev_c, so the network still trains)",
         edits=(Edit("lstm_step_backward", "df = dc * prev_c", "df = dc * next_c"),),
         expected=10, lost=STEP),
    Case("cell_grad_not_carried", "the cell-state gradient is not carried to the previous "
         "step: every step gets dnext_c = 0, only the path through h remains",
         edits=(Edit("lstm_backward", "dh[:, t, :] + dprev_h, dprev_c, step_caches[t])",
                     "dh[:, t, :] + dprev_h, np.zeros((N, H)), step_caches[t])"),),
         expected=11, lost=("test_lstm_backward", TRAIN)),
    Case("tanh_prime_forgotten", "tanh'(c) forgotten in the cell gradient that comes from "
         "next_h: dc = dnext_c + dnext_h * o",
         edits=(Edit("lstm_step_backward", "dc = dnext_c + dnext_h * o * (1.0 - tanh_c ** 2)",
                     "dc = dnext_c + dnext_h * o"),),
         expected=6, lost=(*STEP, TRAIN)),
    Case("gates_order_ifgo", "gates in the order i, f, g, o instead of CS231n's i, f, o, g "
         "(consistently in both passes): a different but trainable layer",
         edits=(Edit("lstm_step_forward", "o = sigmoid(a[:, 2 * H:3 * H])",
                     "o = sigmoid(a[:, 3 * H:4 * H])"),
                Edit("lstm_step_forward", "g = np.tanh(a[:, 3 * H:4 * H])",
                     "g = np.tanh(a[:, 2 * H:3 * H])"),
                Edit("lstm_step_backward", """    da = np.hstack([di * i * (1.0 - i), df * f * (1.0 - f),
                    do * o * (1.0 - o), dg * (1.0 - g ** 2)])""",
                     """    da = np.hstack([di * i * (1.0 - i), df * f * (1.0 - f),
                    dg * (1.0 - g ** 2), do * o * (1.0 - o)])""")),
         expected=4, lost=FORWARDS),
    Case("dwh_from_x", "dWh computed from the input x instead of prev_h (shape (D, 4H))",
         edits=(Edit("lstm_step_backward", "dWh = prev_h.T @ da", "dWh = x.T @ da"),),
         expected=6, lost=(*STEP, TRAIN)),
    Case("dh0_not_returned", "h0 treated as a constant: dh0 returned as zeros",
         edits=(Edit("lstm_backward", "dh0 = dprev_h", "dh0 = np.zeros((N, H))"),),
         expected=15, lost=("test_lstm_backward",)),
    Case("weights_not_accumulated", "dWx, dWh, db = the last processed step's gradients "
         "(= instead of +=): no sum over the time steps",
         edits=(Edit("lstm_backward", "dWx += dWx_t", "dWx = dWx_t"),
                Edit("lstm_backward", "dWh += dWh_t", "dWh = dWh_t"),
                Edit("lstm_backward", "db += db_t", "db = db_t")),
         expected=11, lost=("test_lstm_backward", TRAIN)),
    Case("numeric_gate_derivatives", "the sigmoid and tanh derivatives estimated by finite "
         "differences instead of s(1 - s) and 1 - t^2: right to 1e-10, caught by the exact "
         "hidden tests",
         edits=(Edit("lstm_step_forward", "cache = (x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c, tanh_c)",
                     "cache = (x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c, a)"),
                Edit("lstm_step_backward", """    x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c, tanh_c = cache
    # next_c reaches the loss directly and through next_h = o * tanh(next_c)
    dc = dnext_c + dnext_h * o * (1.0 - tanh_c ** 2)
    do = dnext_h * tanh_c
    di = dc * g
    df = dc * prev_c
    dg = dc * i
    dprev_c = dc * f
    da = np.hstack([di * i * (1.0 - i), df * f * (1.0 - f),
                    do * o * (1.0 - o), dg * (1.0 - g ** 2)])   # (N, 4H), order i, f, o, g""",
                     NUMERIC_DERIVATIVES),),
         expected=10, lost=STEP),
    Case("sigmoid_candidate", "the candidate g squashed by a sigmoid instead of a tanh "
         "(consistently in both passes): the cell can only grow",
         edits=(Edit("lstm_step_forward", "g = np.tanh(a[:, 3 * H:4 * H])",
                     "g = sigmoid(a[:, 3 * H:4 * H])"),
                Edit("lstm_step_backward", "dg * (1.0 - g ** 2)", "dg * g * (1.0 - g)")),
         expected=4, lost=FORWARDS),
    Case("backward_reruns_forward", "lstm_backward runs the forward steps again instead of "
         "using its cache (right gradients, caught by the hidden test)",
         edits=(Edit("lstm_forward", "cache = (step_caches, D)", "cache = (x, h0, Wx, Wh, b)"),
                Edit("lstm_backward", "step_caches, D = cache", RERUN_FORWARD)),
         expected=15, lost=("test_lstm_backward",)),
    Case("correct_in_other_words", "a correct solution written differently (exp sigmoid, "
         "np.concatenate instead of np.hstack, einsum): full marks",
         edits=(Edit("lstm_step_forward", "i = sigmoid(a[:, 0 * H:1 * H])",
                     "i = 1.0 / (1.0 + np.exp(-a[:, :H]))"),
                Edit("lstm_step_backward", "da = np.hstack([", "da = np.concatenate(["),
                Edit("lstm_step_backward", "dg * (1.0 - g ** 2)])", "dg * (1.0 - g ** 2)], axis=1)"),
                Edit("lstm_step_backward", "dWh = prev_h.T @ da",
                     "dWh = np.einsum('nh,nk->hk', prev_h, da)")),
         expected=20, lost=()),
    Case("single_steps_only", "parts 1-2 done, the sequence functions left as released",
         edits=(Stub("lstm_forward"), Stub("lstm_backward")),
         expected=8, lost=("test_lstm_forward", "test_lstm_backward", TRAIN)),
    # The training loop runs in the student's process (as in Jupyter), so a student can redefine
    # it and report any losses; the test also measures the returned parameters' loss itself.
    Case("fake_training_loop", "train_recall_lstm redefined in a cell of the student's own: untrained "
         "parameters and made-up losses below 0.003",
         raw=cell_after("a8", "train_setup", """\
def train_recall_lstm(steps=300, hidden=8, seed=0, **settings):
    rng = np.random.default_rng(seed)
    params = {"Wx": rng.standard_normal((2, 4 * hidden)), "Wh": np.zeros((hidden, 4 * hidden)),
              "b": np.zeros(4 * hidden), "Wy": np.zeros((hidden, 1)), "by": np.zeros(1)}
    return params, np.full(steps, 1e-4)
"""),
         expected=16, lost=("test_train_recall",)),
]
