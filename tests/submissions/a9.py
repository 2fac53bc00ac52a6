"""Realistic a9 (capstone) submissions, each with the exact score it must get (max 25).

Each case is the reference solution with one mistake a student makes; `lost` names the graded
cells that must fail because of it. Points: conv forward 2, conv backward 3, max-pool forward 1,
max-pool backward 2, affine 2, ReLU 1, softmax loss 2, cnn_loss 5, adam_step 3, train 4.

The layers are graded one by one, and `cnn_loss` and `train` call the student's own layers, so a
wrong layer also costs the parts that use it, when (and only when) the mistake reaches them: a
conv backward whose dx is wrong costs nothing downstream (the network never needs the gradient
of the images), and a mistake that only scales a gradient (Adam is scale-invariant) or that only
bends it still trains to 95 %. Each expected score below was checked that way, not assumed.
"""

from tests.harness import Case, Edit

FD_CNN_LOSS = '''    # "Backward" by centred differences through the forward pass: not the chain rule.
    from autograder import numeric_gradient

    def forward_loss(p):
        conv, _ = conv_forward(X, p["W1"], p["b1"], capstone_conv_param(p["W1"]))
        pooled, _ = max_pool_forward(relu_forward(conv)[0], POOL_PARAM)
        return softmax_loss(affine_forward(pooled, p["W2"], p["b2"])[0], y)[0]

    loss = forward_loss(params)
    grads = {}
    for name in params:
        grads[name] = numeric_gradient(
            lambda v, name=name: forward_loss({**params, name: v}), params[name])
    return loss, grads


def _unused(X, y, params):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]'''

CASES = [
    Case("softmax_not_divided_by_n", "softmax gradient not divided by N (the loss is a mean, "
         "its gradient a sum): softmax and the network's gradients are N times too large, but "
         "Adam is invariant to the scale of the gradient, so the network still trains",
         edits=(Edit("softmax_loss", "    dscores[rows, y] -= 1.0\n    dscores /= N",
                     "    dscores[rows, y] -= 1.0"),),
         expected=18, lost=("test_softmax_loss", "test_cnn_loss")),
    Case("softmax_not_shifted", "softmax without subtracting each row's maximum: right on "
         "ordinary scores, inf/nan on large ones (the hidden test), harmless in training",
         edits=(Edit("softmax_loss", "shifted = scores - np.max(scores, axis=1, keepdims=True)",
                     "shifted = scores"),),
         expected=23, lost=("test_softmax_loss",)),
    Case("conv_dx_kernel_flipped", "conv dx scatters the flipped kernel (a true convolution "
         "where the forward pass correlates): only dx is wrong, and the network never uses "
         "the gradient of the images",
         edits=(Edit("conv_backward", "dcols[:, :, :, :, k, l]",
                     "dcols[:, :, :, :, HH - 1 - k, WW - 1 - l]"),),
         expected=22, lost=("test_conv_backward",)),
    Case("conv_dw_flipped", "conv dw returned with the kernel flipped: the layer and the "
         "network's dW1 are wrong, yet the network still reaches 98 % (the affine layer "
         "does most of the work): the accuracy test alone would not catch it",
         edits=(Edit("conv_backward",
                     "dw = np.tensordot(dout, cols, axes=([0, 2, 3], [0, 2, 3]))  # (F, C, HH, WW)",
                     "dw = np.tensordot(dout, cols, axes=([0, 2, 3], [0, 2, 3]))[:, :, ::-1, ::-1]"),),
         expected=17, lost=("test_conv_backward", "test_cnn_loss")),
    Case("conv_backward_reruns_forward", "conv backward re-runs conv_forward on the cached "
         "inputs to get them back (caught by the hidden test's forbid)",
         edits=(Edit("conv_backward", "    x, w, b, conv_param = cache",
                     "    _, (x, w, b, conv_param) = conv_forward(*cache)"),),
         expected=22, lost=("test_conv_backward",)),
    Case("pool_gradient_to_every_element", "max-pool gradient routed to every element of the "
         "window instead of its maximum: dW1 is wrong, training still reaches 98 %",
         edits=(Edit("max_pool_backward", "+= dout * (first == k * pw + l)", "+= dout"),),
         expected=18, lost=("test_max_pool_backward", "test_cnn_loss")),
    Case("affine_dx_not_reshaped", "affine dx left flat (N, D) instead of the shape of x: the "
         "pooling backward of the network cannot take it",
         edits=(Edit("affine", "dx = (dout @ w.T).reshape(x.shape)", "dx = dout @ w.T"),),
         expected=14, lost=("test_affine", "test_cnn_loss", "test_train")),
    Case("cnn_relu_backward_skipped", "cnn_loss skips ReLU's backward pass: the pooling's "
         "gradient goes straight into the convolution (dW1, db1 wrong; still trains)",
         edits=(Edit("cnn_loss", "dconv = relu_backward(dhidden, relu_cache)",
                     "dconv = dhidden"),),
         expected=20, lost=("test_cnn_loss",)),
    Case("cnn_relu_mask_after_pooling", "cnn_loss applies ReLU's mask to the pooled gradient, "
         "with the pooled maps as its cache, before un-pooling: not a mistake, the two orders "
         "give the same gradient exactly (full marks)",
         edits=(Edit("cnn_loss",
                     "    dhidden = max_pool_backward(dpooled, pool_cache)\n"
                     "    dconv = relu_backward(dhidden, relu_cache)",
                     "    dpooled = relu_backward(dpooled, pooled)\n"
                     "    dconv = max_pool_backward(dpooled, pool_cache)"),),
         expected=25, lost=()),
    Case("cnn_loss_finite_differences", "cnn_loss computes its gradients by centred "
         "differences: passes the visible check, not the exact hidden one, and training "
         "with it overruns the 60-second limit",
         edits=(Edit("cnn_loss",
                     '    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]',
                     FD_CNN_LOSS),),
         expected=16, lost=("test_cnn_loss", "test_train")),
    Case("adam_no_bias_correction", "Adam without bias correction (m and v used as they "
         "are): the rule is wrong, the network still trains",
         edits=(Edit("adam_step", "    m_hat = m / (1 - b1**t)\n    v_hat = v / (1 - b2**t)",
                     "    m_hat = m\n    v_hat = v"),),
         expected=22, lost=("test_adam_step",)),
    Case("adam_t_incremented_after_use", "Adam's step count incremented after the update: the "
         "first step divides by 1 - beta**0 = 0, and training diverges to nan",
         edits=(Edit("adam_step", '    t = config["t"] + 1\n', '    t = config["t"]\n'),
                Edit("adam_step", 'config["m"], config["v"], config["t"] = m, v, t',
                     'config["m"], config["v"], config["t"] = m, v, t + 1')),
         expected=18, lost=("test_adam_step", "test_train")),
    Case("train_never_shuffles", "training loop takes the batches in the same order every "
         "epoch: fine on the shuffled split, fails on the hidden split sorted by label",
         edits=(Edit("train", "order = rng.permutation(N)", "order = np.arange(N)"),),
         expected=21, lost=("test_train",)),
    Case("train_shared_adam_state", "one Adam config shared by all parameters: the state of "
         "W1 is added to the gradient of b1",
         edits=(Edit("train",
                     'configs = {name: {"learning_rate": learning_rate} for name in params}',
                     'shared = {"learning_rate": learning_rate}\n'
                     '    configs = {name: shared for name in params}'),),
         expected=21, lost=("test_train",)),
    Case("train_zero_init", "weights initialised to zero: ReLU of zero times zero weights "
         "gives W1, b1 and W2 a zero gradient, only b2 learns (one class for every image)",
         edits=(Edit("train",
                     "rng.standard_normal((num_filters, C, 3, 3)) * np.sqrt(2.0 / (C * 9))",
                     "np.zeros((num_filters, C, 3, 3))"),
                Edit("train", "rng.standard_normal((D, K)) * np.sqrt(1.0 / D)",
                     "np.zeros((D, K))")),
         expected=21, lost=("test_train",)),
    Case("train_one_epoch", "training stopped after one epoch to save time: underfits",
         edits=(Edit("train", "num_filters=16, num_epochs=8,", "num_filters=16, num_epochs=1,"),),
         expected=21, lost=("test_train",)),
]
