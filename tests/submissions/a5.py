"""Realistic a5 submissions, each with the exact score it must get (max 15).

Each case is the reference solution with one mistake a student makes; `lost` names the graded
cells that must fail because of it. Points: conv forward 3, conv backward dx 3 / dw 3 / db 1,
max-pool forward 2, max-pool backward 3.
"""

from tests.harness import Case, Edit, Stub

CONV_BACKWARD = ("test_conv_backward_dx", "test_conv_backward_dw", "test_conv_backward_db")
ONE_HOT_MASK = ("            mask = np.zeros((N, C, ph * pw))\n"
                "            np.put_along_axis(mask, first[:, :, None], 1.0, axis=2)")

FD_CONV_BACKWARD = '''    x, w, b, conv_param = cache
    # "Backward" by centred differences through the forward pass: not the chain rule.
    from autograder import numeric_gradient
    dx = numeric_gradient(lambda x: conv_forward(x, w, b, conv_param)[0], x, dout)
    dw = numeric_gradient(lambda w: conv_forward(x, w, b, conv_param)[0], w, dout)
    db = numeric_gradient(lambda b: conv_forward(x, w, b, conv_param)[0], b, dout)
    return dx, dw, db'''

CASES = [
    Case("convolution_only", "parts 1-2 done, max pooling left as released",
         edits=(Stub("max_pool_forward"), Stub("max_pool_backward")),
         expected=10, lost=("test_max_pool_forward", "test_max_pool_backward")),
    Case("forward_flips_kernel", "forward computes a true convolution (kernel flipped) instead "
         "of the cross-correlation: the known answer fails, and the reference backward no longer "
         "matches that forward's numeric gradient for x and w",
         edits=(Edit("conv_forward", 'out += np.einsum("nchw,fc->nfhw", patch, w[:, :, k, l])',
                     'out += np.einsum("nchw,fc->nfhw", patch, w[:, :, HH - 1 - k, WW - 1 - l])'),),
         expected=6, lost=("test_conv_forward", "test_conv_backward_dx", "test_conv_backward_dw")),
    Case("dx_kernel_not_flipped", "dx correlates dout with the kernel as it is, not flipped",
         edits=(Edit("conv_backward", "w_flipped = w[:, :, ::-1, ::-1]", "w_flipped = w"),),
         expected=12, lost=("test_conv_backward_dx",)),
    Case("dx_padding_not_cropped", "dx is the gradient of the padded input (shape H + 2p)",
         edits=(Edit("conv_backward", "dx = dxp[:, :, p:p + H, p:p + W]", "dx = dxp"),),
         expected=12, lost=("test_conv_backward_dx",)),
    Case("stride_ignored_in_backward", "backward pass written for stride 1 (dout not dilated, "
         "windows not strided): it raises on every strided layer",
         edits=(Edit("conv_backward",
                     '    s, p = conv_param["stride"], conv_param["pad"]\n'
                     '    _, _, H_out, W_out = dout.shape',
                     '    s, p = 1, conv_param["pad"]\n'
                     '    _, _, H_out, W_out = dout.shape'),),
         expected=8, lost=CONV_BACKWARD),
    Case("db_not_summed_over_batch", "db summed over positions but not over the batch: (N, F)",
         edits=(Edit("conv_backward", "db = dout.sum(axis=(0, 2, 3))",
                     "db = dout.sum(axis=(2, 3))"),),
         expected=14, lost=("test_conv_backward_db",)),
    Case("db_not_summed_over_positions", "db summed over the batch but not over positions",
         edits=(Edit("conv_backward", "db = dout.sum(axis=(0, 2, 3))", "db = dout.sum(axis=0)"),),
         expected=14, lost=("test_conv_backward_db",)),
    Case("output_size_off_by_one", "conv output size rounded up (ceil): one row/column too many "
         "when H + 2p - HH is odd and the stride 2, so the forward pass fails on such layers",
         edits=(Edit("conv_forward",
                     "    H_out = 1 + (H + 2 * p - HH) // s\n    W_out = 1 + (W + 2 * p - WW) // s",
                     "    H_out = 1 + int(np.ceil((H + 2 * p - HH) / s))\n"
                     "    W_out = 1 + int(np.ceil((W + 2 * p - WW) / s))"),),
         expected=5, lost=("test_conv_forward",) + CONV_BACKWARD),
    Case("conv_backward_finite_differences", "conv backward computed by finite differences "
         "through conv_forward",
         edits=(Edit("conv_backward", "    x, w, b, conv_param = cache",
                     FD_CONV_BACKWARD + "\n\n\ndef _unused(dout, cache):\n"
                     "    x, w, b, conv_param = cache"),),
         expected=8, lost=CONV_BACKWARD),
    Case("pool_gradient_spread_over_window", "max-pool gradient spread evenly over the window "
         "(the average-pooling backward)",
         edits=(Edit("max_pool_backward", ONE_HOT_MASK,
                     "            mask = np.full((N, C, ph * pw), 1.0 / (ph * pw))"),),
         expected=12, lost=("test_max_pool_backward",)),
    Case("pool_gradient_to_every_tied_max", "max-pool gradient sent to every entry equal to the "
         "maximum (duplicated at ties)",
         edits=(Edit("max_pool_backward", ONE_HOT_MASK,
                     "            mask = (window == window.max(axis=2, keepdims=True))"
                     ".astype(float)"),),
         expected=12, lost=("test_max_pool_backward",)),
    Case("pool_overlapping_windows_overwrite", "max-pool backward assigns (=) instead of adding "
         "(+=), losing gradient where windows overlap",
         edits=(Edit("max_pool_backward", "dx[:, :, i * s:i * s + ph, j * s:j * s + pw] += grad",
                     "dx[:, :, i * s:i * s + ph, j * s:j * s + pw] = grad"),),
         expected=12, lost=("test_max_pool_backward",)),
]
