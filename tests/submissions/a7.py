"""Realistic wrong submissions of assignment a7, each with the score it must get (max 20).

Points per graded cell: test_batchnorm_forward 3, test_running_averages 2,
test_batchnorm_test_mode 2, test_batchnorm_backward 5, test_batchnorm_backward_alt 3,
test_layernorm_forward 2, test_layernorm_backward 3. The backward tests build their cache with
the student's own batchnorm_forward / layernorm_forward and compare with the exact gradient of
the correct layer, so a mistake in the training-mode forward pass also costs both batch-norm
backward parts (the gradient is then the gradient of another function).
"""

from tests.harness import Case, Edit, Stub

ASSIGNMENT = "a7"

BN_BACKWARDS = ("test_batchnorm_backward", "test_batchnorm_backward_alt")

# a backward pass by centred differences of its own copy of the forward formula:
# right to about 1e-10, so only the exact hidden comparison catches it
FINITE_DIFFERENCES = """x, eps = cache

    def f(x, gamma, beta):
        xc = x - x.mean(axis=0)
        return gamma * xc / np.sqrt(np.mean(xc ** 2, axis=0) + eps) + beta

    gamma = cache_gamma
    beta = np.zeros_like(gamma)
    h = 1e-5
    dx, dgamma = np.zeros_like(x), np.zeros_like(gamma)
    for idx in np.ndindex(*x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += h
        xm[idx] -= h
        dx[idx] = np.sum((f(xp, gamma, beta) - f(xm, gamma, beta)) * dout) / (2 * h)
    for j in range(gamma.size):
        gp, gm = gamma.copy(), gamma.copy()
        gp[j] += h
        gm[j] -= h
        dgamma[j] = np.sum((f(x, gp, beta) - f(x, gm, beta)) * dout) / (2 * h)
    dbeta = dout.sum(axis=0)"""

# the backward pass keeps the inputs and runs the forward pass again to get xhat and std
RERUN_FORWARD = """    x, gamma, eps = cache
    N = dout.shape[0]
    xhat, _ = batchnorm_forward(x, np.ones_like(gamma), np.zeros_like(gamma),
                                {"mode": "train", "eps": eps})
    std = np.sqrt(x.var(axis=0) + eps)
    xc = xhat * std"""

CASES = [
    Case("alt_forgets_mean_path", "compact formula without the -sum(dxhat) term: the mean "
         "treated as a constant, as if it did not depend on every input",
         edits=(Edit("batchnorm_backward_alt", "dx = (N * dxhat - dxhat.sum(axis=0)",
                     "dx = (N * dxhat"),),
         expected=17, lost=("test_batchnorm_backward_alt",)),
    Case("long_forgets_mean_path", "node-by-node backward stops at xc: dx = dxc, the share "
         "dmu / N that every input gets through the mean is dropped",
         edits=(Edit("batchnorm_backward", "dx = dxc + dmu / N", "dx = dxc"),),
         expected=15, lost=("test_batchnorm_backward",)),
    Case("unbiased_variance", "np.var(ddof=1) (divides by N - 1) for the batch variance, "
         "in the forward pass and the running average",
         edits=(Edit("batchnorm_forward", "var = np.mean(xc ** 2, axis=0)",
                     "var = np.var(x, axis=0, ddof=1)"),),
         expected=7, lost=("test_batchnorm_forward", "test_running_averages", *BN_BACKWARDS)),
    Case("running_averages_not_updated", "training mode never updates the running averages "
         "(they stay at their initial values)",
         edits=(Edit("batchnorm_forward", """        running_mean = momentum * running_mean + (1 - momentum) * mu
        running_var = momentum * running_var + (1 - momentum) * var
""", ""),),
         expected=18, lost=("test_running_averages",)),
    Case("momentum_swapped", "running averages weighted the wrong way round: "
         "momentum * batch statistic + (1 - momentum) * running average",
         edits=(Edit("batchnorm_forward",
                     "running_mean = momentum * running_mean + (1 - momentum) * mu",
                     "running_mean = (1 - momentum) * running_mean + momentum * mu"),
                Edit("batchnorm_forward",
                     "running_var = momentum * running_var + (1 - momentum) * var",
                     "running_var = (1 - momentum) * running_var + momentum * var")),
         expected=18, lost=("test_running_averages",)),
    Case("running_updated_in_test_mode", "test mode also updates the running averages with "
         "the test batch's statistics",
         edits=(Edit("batchnorm_forward",
                     "        xhat = (x - running_mean) / np.sqrt(running_var + eps)\n",
                     "        xhat = (x - running_mean) / np.sqrt(running_var + eps)\n"
                     "        running_mean = momentum * running_mean"
                     " + (1 - momentum) * x.mean(axis=0)\n"
                     "        running_var = momentum * running_var"
                     " + (1 - momentum) * x.var(axis=0)\n"),),
         expected=18, lost=("test_batchnorm_test_mode",)),
    Case("test_mode_batch_statistics", "test mode normalises with the test batch's own mean "
         "and variance instead of the running averages",
         edits=(Edit("batchnorm_forward",
                     "xhat = (x - running_mean) / np.sqrt(running_var + eps)",
                     "xhat = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps)"),),
         expected=18, lost=("test_batchnorm_test_mode",)),
    Case("eps_outside_sqrt", "training mode divides by sqrt(var) + eps instead of "
         "sqrt(var + eps) (a relative change of about 1e-6)",
         edits=(Edit("batchnorm_forward", "std = np.sqrt(var + eps)",
                     "std = np.sqrt(var) + eps"),),
         expected=9, lost=("test_batchnorm_forward", *BN_BACKWARDS)),
    Case("dgamma_not_summed", "dgamma = dout * xhat, one row per sample, not summed over the "
         "batch (in both backward passes)",
         edits=(Edit("batchnorm_backward", "dgamma = np.sum(dout * xhat, axis=0)",
                     "dgamma = dout * xhat"),
                Edit("batchnorm_backward_alt", "dgamma = np.sum(dout * xhat, axis=0)",
                     "dgamma = dout * xhat")),
         expected=12, lost=BN_BACKWARDS),
    Case("layernorm_over_batch_axis", "layer norm normalises each feature over the batch "
         "(axis 0), i.e. batch norm again",
         edits=(Edit("layernorm_forward", "mu = x.mean(axis=1, keepdims=True)",
                     "mu = x.mean(axis=0, keepdims=True)"),
                Edit("layernorm_forward", "var = np.mean(xc ** 2, axis=1, keepdims=True)",
                     "var = np.mean(xc ** 2, axis=0, keepdims=True)")),
         expected=15, lost=("test_layernorm_forward", "test_layernorm_backward")),
    Case("layernorm_backward_batch_sums", "layer norm's backward copies batch norm's: the sums "
         "for dx run over the batch instead of over each row's features",
         edits=(Edit("layernorm_backward", """    D = dout.shape[1]
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * xhat, axis=0)
    dxhat = dout * gamma
    dx = (D * dxhat - dxhat.sum(axis=1, keepdims=True)
          - xhat * np.sum(dxhat * xhat, axis=1, keepdims=True)) / (D * std)""",
                     """    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * xhat, axis=0)
    dxhat = dout * gamma
    dx = (N * dxhat - dxhat.sum(axis=0)
          - xhat * np.sum(dxhat * xhat, axis=0)) / (N * std)"""),),
         expected=17, lost=("test_layernorm_backward",)),
    Case("alt_calls_long", "batchnorm_backward_alt just returns batchnorm_backward(dout, cache) "
         "(right gradients, caught by the hidden test)",
         edits=(Edit("batchnorm_backward_alt", "    xhat, xc, std, gamma = cache\n",
                     "    return batchnorm_backward(dout, cache)\n"
                     "    xhat, xc, std, gamma = cache\n"),),
         expected=17, lost=("test_batchnorm_backward_alt",)),
    Case("finite_difference_backward", "batchnorm_backward estimates the gradients by centred "
         "differences (passes the visible check, about 1e-10 off)",
         edits=(Edit("batchnorm_forward", "cache = (xhat, xc, std, gamma)",
                     "cache = ((x, eps), gamma)"),
                Edit("batchnorm_backward", """    xhat, xc, std, gamma = cache
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
    dx = dxc + dmu / N""", "    cache, cache_gamma = cache\n    " + FINITE_DIFFERENCES),
                # the compact version recomputes what it needs from the same cache
                Edit("batchnorm_backward_alt", "    xhat, xc, std, gamma = cache\n",
                     "    (x, eps), gamma = cache\n"
                     "    xc = x - x.mean(axis=0)\n"
                     "    std = np.sqrt(np.mean(xc ** 2, axis=0) + eps)\n"
                     "    xhat = xc / std\n")),
         expected=15, lost=("test_batchnorm_backward",)),
    Case("backward_reruns_forward", "batchnorm_backward caches the inputs and calls "
         "batchnorm_forward again (right gradients, caught by the hidden test)",
         edits=(Edit("batchnorm_forward", "cache = (xhat, xc, std, gamma)",
                     "cache = (x, gamma, eps)"),
                Edit("batchnorm_backward", """    xhat, xc, std, gamma = cache
    N = dout.shape[0]""", RERUN_FORWARD),
                Edit("batchnorm_backward_alt", "    xhat, xc, std, gamma = cache\n",
                     "    x, gamma, eps = cache\n"
                     "    xc = x - x.mean(axis=0)\n"
                     "    std = np.sqrt(np.mean(xc ** 2, axis=0) + eps)\n"
                     "    xhat = xc / std\n")),
         expected=15, lost=("test_batchnorm_backward",)),
    Case("correct_in_other_words", "a correct solution written differently (np.var, "
         "einsum, the compact formula with gamma outside): full marks",
         edits=(Edit("batchnorm_forward", "var = np.mean(xc ** 2, axis=0)",
                     "var = x.var(axis=0)"),
                Edit("batchnorm_backward_alt", """    dx = (N * dxhat - dxhat.sum(axis=0)
          - xhat * np.sum(dxhat * xhat, axis=0)) / (N * std)""",
                     """    dx = (gamma / (N * std)) * (N * dout - dbeta - xhat * dgamma)"""),
                Edit("layernorm_backward", "dgamma = np.sum(dout * xhat, axis=0)",
                     "dgamma = np.einsum('nd,nd->d', dout, xhat)")),
         expected=20, lost=()),
    Case("batch_norm_only", "parts 1-5 done, layer normalisation left as released",
         edits=(Stub("layernorm_forward"), Stub("layernorm_backward")),
         expected=15, lost=("test_layernorm_forward", "test_layernorm_backward")),
]
