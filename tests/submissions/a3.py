"""Realistic a3 submissions, each with the exact score it must get (max 20).

Each case is the reference solution with one mistake a student makes; `lost` names the graded
cells that must fail because of it.
"""

from tests.harness import Case, Edit, Stub

ACTIVATIONS = ("test_relu", "test_leaky_relu", "test_tanh", "test_sigmoid")
LOSSES = ("test_mse_loss", "test_bce_loss", "test_bce_large_logits", "test_softmax_loss",
          "test_softmax_large_scores")

FD_SIGMOID_BACKWARD = '''    x, k = cache
    h = 1e-5
    # "Backward" by centred differences through the forward pass: not the chain rule.
    dx = (sigmoid_forward(x + h, k)[0] - sigmoid_forward(x - h, k)[0]) / (2 * h) * dout'''

FD_SOFTMAX_GRADIENT = '''    loss = -np.sum(log_probs[rows, y]) / num_examples
    # The gradient estimated numerically from the loss, one score at a time.
    dscores = np.zeros_like(scores)
    h = 1e-5
    for idx in np.ndindex(*scores.shape):
        bumped = scores.copy()
        bumped[idx] += h
        up = bumped - np.max(bumped, axis=1, keepdims=True)
        loss_up = -np.sum((up - np.log(np.sum(np.exp(up), axis=1, keepdims=True)))[rows, y])
        bumped[idx] -= 2 * h
        dn = bumped - np.max(bumped, axis=1, keepdims=True)
        loss_dn = -np.sum((dn - np.log(np.sum(np.exp(dn), axis=1, keepdims=True)))[rows, y])
        dscores[idx] = (loss_up - loss_dn) / (2 * h) / num_examples'''

HARDCODED_MSE = '''    num_examples = y.shape[0]
    # Copied from the visible test instead of derived.
    loss = 1.5
    dy = np.array([[0.5, 0.0], [-0.5, -1.0]])'''

NAIVE_SOFTMAX = '''    e = np.exp(scores)
    probs = e / np.sum(e, axis=1, keepdims=True)
    loss = -np.sum(np.log(probs[rows, y])) / num_examples
    dscores = probs.copy()'''

BCE_FROM_PROBABILITIES = '''    probs = 1.0 / (1.0 + np.exp(-logits))
    loss = -np.sum(t * np.log(probs) + (1 - t) * np.log(1 - probs)) / num_examples'''

CASES = [
    Case("partial_activations_only", "part 1 done, every loss left as released",
         edits=(Stub("mse_loss"), Stub("bce_loss"), Stub("softmax_loss")),
         expected=9, lost=LOSSES),
    Case("sigmoid_missing_one_minus", "sigmoid derivative k * s instead of k * s * (1 - s)",
         edits=(Edit("sigmoid", "dx = dout * k * out * (1.0 - out)", "dx = dout * k * out"),),
         expected=17, lost=("test_sigmoid",)),
    Case("sigmoid_missing_k", "sigmoid derivative s * (1 - s): the slope k forgotten",
         edits=(Edit("sigmoid", "dx = dout * k * out * (1.0 - out)", "dx = dout * out * (1.0 - out)"),),
         expected=17, lost=("test_sigmoid",)),
    Case("sigmoid_naive_overflow", "sigmoid as 1 / (1 + exp(-k x)): overflows for x = -1000",
         edits=(Edit("sigmoid", "out = np.exp(-np.logaddexp(0.0, -k * x))",
                     "out = 1.0 / (1.0 + np.exp(-k * x))"),),
         expected=17, lost=("test_sigmoid",)),
    Case("sigmoid_finite_differences", "sigmoid backward computed by finite differences",
         edits=(Edit("sigmoid", "cache = (out, k)", "cache = (x, k)"),
                Edit("sigmoid", "    out, k = cache\n    dx = dout * k * out * (1.0 - out)",
                     FD_SIGMOID_BACKWARD)),
         expected=17, lost=("test_sigmoid",)),
    Case("relu_gradient_at_zero", "ReLU backward with x >= 0: gradient 1 at the kink",
         edits=(Edit("relu", "dx = dout * (x > 0)", "dx = dout * (x >= 0)"),),
         expected=18, lost=("test_relu",)),
    Case("leaky_relu_slope_not_times_dout", "leaky ReLU backward gives alpha, not alpha * dout, "
         "for negative inputs",
         edits=(Edit("leaky_relu", "dx = np.where(x > 0, dout, alpha * dout)",
                     "dx = np.where(x > 0, dout, alpha)"),),
         expected=18, lost=("test_leaky_relu",)),
    Case("tanh_derivative_of_input", "tanh derivative 1 - x^2 on the input instead of the output",
         edits=(Edit("tanh", "cache = out", "cache = x"),
                Edit("tanh", "    out = cache\n    dx = dout * (1.0 - out ** 2)",
                     "    x = cache\n    dx = dout * (1.0 - x ** 2)")),
         expected=18, lost=("test_tanh",)),
    Case("tanh_numeric_without_forward", "tanh backward by finite differences of np.tanh "
         "(not calling tanh_forward): caught by the 1e-12 tolerance alone",
         edits=(Edit("tanh", "cache = out", "cache = x"),
                Edit("tanh", "    out = cache\n    dx = dout * (1.0 - out ** 2)",
                     "    x = cache\n    h = 1e-5\n"
                     "    dx = dout * (np.tanh(x + h) - np.tanh(x - h)) / (2 * h)")),
         expected=18, lost=("test_tanh",)),
    Case("mse_factor_two", "MSE gradient 2 (y - t) / N although the loss has the 1/2",
         edits=(Edit("mse_loss", "dy = residual / num_examples", "dy = 2 * residual / num_examples"),),
         expected=18, lost=("test_mse_loss",)),
    Case("mse_hardcoded", "MSE returns the visible test's expected answers",
         edits=(Edit("mse_loss", """    num_examples = y.shape[0]
    residual = y - t
    loss = 0.5 * np.sum(residual * residual) / num_examples
    dy = residual / num_examples""", HARDCODED_MSE),),
         expected=18, lost=("test_mse_loss",)),
    Case("bce_from_probabilities", "BCE as -t log(p) - (1 - t) log(1 - p) from p = sigmoid(s): "
         "inf for large logits",
         edits=(Edit("bce_loss", """    per_output = np.maximum(logits, 0.0) - t * logits + np.log1p(np.exp(-np.abs(logits)))
    loss = np.sum(per_output) / num_examples""", BCE_FROM_PROBABILITIES),),
         expected=19, lost=("test_bce_large_logits",)),
    Case("softmax_missing_1_over_n", "softmax gradient p - t without the 1/N",
         edits=(Edit("softmax_loss", "    dscores /= num_examples\n", ""),),
         expected=15, lost=("test_softmax_loss", "test_softmax_large_scores")),
    Case("softmax_naive_overflow", "softmax as exp(s) / sum(exp(s)) with no shift: "
         "overflows on scores of 1e4",
         edits=(Edit("softmax_loss", """    shifted = scores - np.max(scores, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    loss = -np.sum(log_probs[rows, y]) / num_examples
    dscores = np.exp(log_probs)""", NAIVE_SOFTMAX),),
         expected=18, lost=("test_softmax_large_scores",)),
    Case("softmax_shift_in_place", "softmax shifts the caller's scores in place (scores -= max)",
         edits=(Edit("softmax_loss", "    shifted = scores - np.max(scores, axis=1, keepdims=True)",
                     "    scores -= np.max(scores, axis=1, keepdims=True)\n    shifted = scores"),),
         expected=17, lost=("test_softmax_loss",)),
    Case("softmax_finite_differences", "softmax cross-entropy gradient estimated by finite "
         "differences of the loss",
         edits=(Edit("softmax_loss", """    loss = -np.sum(log_probs[rows, y]) / num_examples
    dscores = np.exp(log_probs)
    dscores[rows, y] -= 1.0
    dscores /= num_examples""", FD_SOFTMAX_GRADIENT),),
         expected=15, lost=("test_softmax_loss", "test_softmax_large_scores")),
]
