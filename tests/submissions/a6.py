"""Realistic wrong submissions of assignment a6, each with the score it must get (max 16).

Points per graded cell: test_rnn_step_forward 2, test_rnn_step_backward 3, test_rnn_forward 2,
test_rnn_backward 4, test_clip_gradients 2, test_train_delay 3. The training of part 6 uses
rnn_forward, rnn_backward and clip_gradients and must end below 0.003 (a correct RNN ends near
3e-4 and 7e-4 on the two seeds; dropping the gradient from step t+1 or keeping one step's dWh
still learns, but only to 0.0015-0.008), so those mistakes cost its 3 points as well.
"""

from tests.harness import Case, Edit, Stub, cell_after

ASSIGNMENT = "a6"

BACKWARD = ("test_rnn_backward",)

# rnn_forward keeps only its inputs, and rnn_backward runs the steps forward again to get them
RERUN_FORWARD = """x, h0, Wx, Wh, b = cache
    D = x.shape[2]
    step_caches, prev_h = [], h0
    for t in range(x.shape[1]):
        prev_h, step_cache = rnn_step_forward(x[:, t, :], prev_h, Wx, Wh, b)
        step_caches.append(step_cache)"""
BACKWARD_AND_TRAINING = ("test_rnn_backward", "test_train_delay")

CASES = [
    Case("bptt_drops_next_step", "BPTT drops the gradient arriving from step t+1 "
         "(each step sees only its own dh[:, t])",
         edits=(Edit("rnn_backward", "rnn_step_backward(dh[:, t, :] + dprev_h,",
                     "rnn_step_backward(dh[:, t, :],"),),
         expected=9, lost=BACKWARD_AND_TRAINING),
    Case("dwh_not_summed", "dWh = dWh_t instead of +=: one step's gradient instead of the sum "
         "over time",
         edits=(Edit("rnn_backward", "dWh += dWh_t", "dWh = dWh_t"),),
         expected=9, lost=BACKWARD_AND_TRAINING),
    Case("tanh_derivative_of_preactivation", "tanh derivative 1 - a**2 on the pre-activation "
         "instead of 1 - h**2 from the output",
         edits=(Edit("rnn_step_forward", "cache = (x, prev_h, Wx, Wh, next_h)",
                     "cache = (x, prev_h, Wx, Wh, a)"),
                Edit("rnn_step_backward", """    x, prev_h, Wx, Wh, next_h = cache
    da = dnext_h * (1.0 - next_h ** 2)""", """    x, prev_h, Wx, Wh, a = cache
    da = dnext_h * (1.0 - a ** 2)""")),
         expected=6, lost=("test_rnn_step_backward", *BACKWARD_AND_TRAINING)),
    Case("backward_in_forward_time_order", "the backward pass runs t = 0, 1, ..., T-1 "
         "instead of backwards in time",
         edits=(Edit("rnn_backward", "for t in reversed(range(T)):", "for t in range(T):"),),
         expected=9, lost=BACKWARD_AND_TRAINING),
    Case("clip_elementwise", "each element clipped to [-max_norm, max_norm] instead of "
         "scaling by the global norm",
         edits=(Edit("clip_gradients",
                     "clipped = {name: factor * np.asarray(g, dtype=float) for name, g in grads.items()}",
                     "clipped = {name: np.clip(g, -max_norm, max_norm) for name, g in grads.items()}"),),
         expected=14, lost=("test_clip_gradients",)),
    Case("dh0_missing", "h0 treated as a constant: dh0 returned as zeros",
         edits=(Edit("rnn_backward", "dh0 = dprev_h", "dh0 = np.zeros_like(dprev_h)"),),
         expected=12, lost=BACKWARD),
    Case("backward_reruns_forward", "rnn_backward runs the forward steps again instead of "
         "using its cache (right gradients, caught by the hidden test)",
         edits=(Edit("rnn_forward", "cache = (step_caches, D)", "cache = (x, h0, Wx, Wh, b)"),
                Edit("rnn_backward", "step_caches, D = cache", RERUN_FORWARD)),
         expected=12, lost=BACKWARD),
    Case("correct_in_other_words", "a correct solution written differently (other summation "
         "order, einsum, tanh' recomputed as 1 - tanh(a)**2): full marks",
         edits=(Edit("rnn_step_forward", "a = x @ Wx + prev_h @ Wh + b", "a = b + prev_h @ Wh + x @ Wx"),
                Edit("rnn_step_forward", "cache = (x, prev_h, Wx, Wh, next_h)",
                     "cache = (x, prev_h, Wx, Wh, a)"),
                Edit("rnn_step_backward", """    x, prev_h, Wx, Wh, next_h = cache
    da = dnext_h * (1.0 - next_h ** 2)""", """    x, prev_h, Wx, Wh, a = cache
    da = dnext_h * (1.0 - np.tanh(a) ** 2)"""),
                Edit("rnn_step_backward", "dWh = prev_h.T @ da",
                     "dWh = np.einsum('nh,nk->hk', prev_h, da)"),
                Edit("clip_gradients", "factor = 1.0 if total_norm <= max_norm else max_norm / total_norm",
                     "factor = min(1.0, max_norm / max(total_norm, 1e-300))")),
         expected=16, lost=()),
    Case("single_steps_only", "parts 1-2 done, the sequence functions and clipping left "
         "as released",
         edits=(Stub("rnn_forward"), Stub("rnn_backward"), Stub("clip_gradients")),
         expected=5, lost=("test_rnn_forward", "test_rnn_backward", "test_clip_gradients",
                           "test_train_delay")),
    # The training loop runs in the student's process (as in Jupyter), so a student can redefine
    # it and report any losses; the test also measures the returned parameters' loss itself.
    Case("fake_training_loop", "train_delay_rnn redefined in a cell of the student's own: untrained "
         "parameters and made-up losses below 0.003",
         raw=cell_after("a6", "train_setup", """\
def train_delay_rnn(steps=300, hidden=16, seed=0, **settings):
    rng = np.random.default_rng(seed)
    params = {"Wx": rng.standard_normal((1, hidden)), "Wh": np.zeros((hidden, hidden)),
              "b": np.zeros(hidden), "Wy": np.zeros((hidden, 1)), "by": np.zeros(1)}
    return params, np.full(steps, 1e-4)
"""),
         expected=13, lost=("test_train_delay",)),
]
