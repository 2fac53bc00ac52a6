"""Realistic wrong submissions of assignment a2, each with the score it must get (max 20).

Points per graded cell: test_affine_forward 2, test_affine_backward 4, test_sigmoid_forward 2,
test_sigmoid_backward 2, test_two_layer_loss 5, test_sgd_step 2, test_digits 3. The later parts
use the earlier ones, so a broken layer also costs the network and the training that use it.
"""

from tests.harness import Case, Edit, cell_after

ASSIGNMENT = "a2"

_VISIBLE_AFFINE_OUT = ("[[0.6697326203208556, -0.1290374331550802, 1.072192513368984], "
                       "[0.8429946524064171, 0.19823529411764712, 1.553475935828877]]")

CASES = [
    Case("transposed_dw", "dw computed as dout.T @ x: shape (M, D) instead of (D, M)",
         edits=(Edit("affine_backward", "dw = x_flat.T @ dout", "dw = dout.T @ x_flat"),),
         expected=6,
         lost=("test_affine_backward", "test_two_layer_loss", "test_sgd_step", "test_digits")),
    Case("db_not_summed", "db = dout: the bias gradient keeps the batch axis",
         edits=(Edit("affine_backward", "db = dout.sum(axis=0)", "db = dout"),),
         expected=6,
         lost=("test_affine_backward", "test_two_layer_loss", "test_sgd_step", "test_digits")),
    Case("sigmoid_without_one_minus", "sigmoid derivative sigma instead of sigma * (1 - sigma)",
         edits=(Edit("sigmoid_backward", "dx = dout * out * (1.0 - out)", "dx = dout * out"),),
         expected=8,
         lost=("test_sigmoid_backward", "test_two_layer_loss", "test_sgd_step", "test_digits")),
    Case("hidden_delta_from_updated_w2",
         "seed 004's mistake: W2 updated first, hidden deltas computed with the new W2",
         edits=(Edit("sgd_step", """\
    loss, gradients = two_layer_loss(X, T, params)
    for name in params:
        params[name] -= lr * gradients[name]""", """\
    n = X.shape[0]
    u, cache_1 = affine_forward(X, params["W1"], params["b1"])
    h, cache_h = sigmoid_forward(u)
    a, cache_2 = affine_forward(h, params["W2"], params["b2"])
    y, cache_y = sigmoid_forward(a)
    loss = 0.5 * np.sum((y - T) ** 2) / n
    delta_out = sigmoid_backward((y - T) / n, cache_y)
    _, dW2, db2 = affine_backward(delta_out, cache_2)
    params["W2"] -= lr * dW2          # output layer first, as in the seed ...
    params["b2"] -= lr * db2
    dh = delta_out @ params["W2"].T   # ... so the hidden deltas see the updated W2
    delta_hidden = sigmoid_backward(dh, cache_h)
    _, dW1, db1 = affine_backward(delta_hidden, cache_1)
    params["W1"] -= lr * dW1
    params["b1"] -= lr * db1"""),),
         expected=18, lost=("test_sgd_step",)),
    Case("finite_difference_sigmoid_backward",
         "sigmoid backward estimated by centred differences of sigmoid_forward",
         edits=(Edit("sigmoid_forward", "cache = out", "cache = x"),
                Edit("sigmoid_backward", """\
    out = cache
    dx = dout * out * (1.0 - out)""", """\
    x = cache
    h = 1e-5
    dx = dout * (sigmoid_forward(x + h)[0] - sigmoid_forward(x - h)[0]) / (2 * h)""")),
         expected=13, lost=("test_sigmoid_backward", "test_two_layer_loss")),
    Case("hardcoded_affine_forward",
         "affine_forward returns the visible test's expected output, zeros otherwise",
         edits=(Edit("affine_forward", "out = x.reshape(x.shape[0], -1) @ w + b", f"""\
if x.shape == (2, 3, 2) and w.shape == (6, 3):
        out = np.array({_VISIBLE_AFFINE_OUT})
    else:
        out = np.zeros((x.shape[0], w.shape[1]))"""),),
         expected=4,
         lost=("test_affine_forward", "test_affine_backward", "test_two_layer_loss",
               "test_sgd_step", "test_digits")),
    Case("loss_not_averaged", "two_layer_loss sums over the batch: the 1/N is missing",
         edits=(Edit("two_layer_loss", "n = X.shape[0]", "n = 1"),),
         expected=10, lost=("test_two_layer_loss", "test_sgd_step", "test_digits")),
    Case("dx_not_reshaped", "affine_backward returns dx flattened to (N, D), not x's shape",
         edits=(Edit("affine_backward", "dx = (dout @ w.T).reshape(x.shape)", "dx = dout @ w.T"),),
         expected=16, lost=("test_affine_backward",)),
    # The training loop runs in the student's process (next to sgd_step, as in Jupyter), so a
    # student can redefine it; the accuracy that counts is computed by the grader's own predict.
    Case("fake_training_loop", "train_two_layer redefined in a cell of the student's own: "
         "random parameters and a made-up falling loss, no training",
         raw=cell_after("a2", "digits_setup", """\
def train_two_layer(X, T, hidden=64, lr=1.0, epochs=20, batch_size=16, seed=0):
    rng = np.random.default_rng(seed)
    params = {"W1": rng.normal(0.0, 0.1, (X.shape[1], hidden)), "b1": np.zeros(hidden),
              "W2": rng.normal(0.0, 0.1, (hidden, T.shape[1])), "b2": np.zeros(T.shape[1])}
    return params, [0.5 / (epoch + 1) for epoch in range(epochs)]
"""),
         expected=17, lost=("test_digits",)),
]
