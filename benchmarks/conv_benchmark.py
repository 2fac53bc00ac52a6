"""Time a vectorised convolution layer (im2col) against plain loops, forward + backward.

    .venv/bin/python benchmarks/conv_benchmark.py [--repeats 5]

The layer is LeNet-5's first one on a mini-batch: 64 images of 1 x 28 x 28, 6 filters of 5 x 5,
stride 1, no padding (output 6 x 24 x 24). Both versions compute out, dx, dw and db; the script
checks that they agree, then prints the time of each and their ratio. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def im2col(x: np.ndarray, kh: int, kw: int) -> np.ndarray:
    """Every kh x kw window of every channel, flattened: (N, C, H, W) -> (N, H', W', C*kh*kw)."""
    n, c = x.shape[:2]
    windows = sliding_window_view(x, (kh, kw), axis=(2, 3))  # (N, C, H', W', kh, kw), a view
    return windows.transpose(0, 2, 3, 1, 4, 5).reshape(n, *windows.shape[2:4], c * kh * kw)


def conv_im2col(x: np.ndarray, w: np.ndarray, b: np.ndarray, dout: np.ndarray):
    """Forward and backward of a stride-1, unpadded convolution layer, as matrix products."""
    f, c, kh, kw = w.shape
    cols = im2col(x, kh, kw)
    out = (cols @ w.reshape(f, -1).T + b).transpose(0, 3, 1, 2)
    g = dout.transpose(0, 2, 3, 1).reshape(-1, f)
    dw = (g.T @ cols.reshape(len(g), -1)).reshape(w.shape)
    db = g.sum(axis=0)
    # dx: full convolution of dout with the flipped kernel, channels swapped.
    g_full = np.pad(dout, ((0, 0), (0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1)))
    flipped = w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3).reshape(c, -1)
    dx = (im2col(g_full, kh, kw) @ flipped.T).transpose(0, 3, 1, 2)
    return out, dx, dw, db


def conv_loops(x: np.ndarray, w: np.ndarray, b: np.ndarray, dout: np.ndarray):
    """The same layer with one Python iteration per image, filter and output position."""
    n_img, _, height, width = x.shape
    f_out, _, kh, kw = w.shape
    out = np.zeros((n_img, f_out, height - kh + 1, width - kw + 1))
    dx, dw, db = np.zeros_like(x), np.zeros_like(w), np.zeros_like(b)
    for n in range(n_img):
        for f in range(f_out):
            for i in range(out.shape[2]):
                for j in range(out.shape[3]):
                    window = x[n, :, i:i + kh, j:j + kw]
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
                    dx[n, :, i:i + kh, j:j + kw] += w[f] * dout[n, f, i, j]
                    dw[f] += window * dout[n, f, i, j]
                    db[f] += dout[n, f, i, j]
    return out, dx, dw, db


def best_time(fn, args, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5,
                        help="runs of the im2col version (the best is reported); loops run once")
    args = parser.parse_args(argv)

    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 1, 28, 28))
    w = rng.standard_normal((6, 1, 5, 5))
    b = rng.standard_normal(6)
    dout = rng.standard_normal((64, 6, 24, 24))

    fast_results = conv_im2col(x, w, b, dout)
    start = time.perf_counter()
    slow_results = conv_loops(x, w, b, dout)
    slow = time.perf_counter() - start
    for name, fast_value, slow_value in zip(("out", "dx", "dw", "db"), fast_results, slow_results,
                                            strict=True):
        if not np.allclose(fast_value, slow_value, rtol=1e-10, atol=1e-10):
            raise SystemExit(f"im2col and loops disagree on {name}")
    fast = best_time(conv_im2col, (x, w, b, dout), args.repeats)

    print("conv layer forward + backward: x (64, 1, 28, 28), w (6, 1, 5, 5), stride 1, pad 0")
    print(f"  im2col (vectorised): {1000 * fast:9.1f} ms  (best of {args.repeats})")
    print(f"  naive loops        : {1000 * slow:9.1f} ms")
    print(f"  ratio loops / im2col: {slow / fast:.0f} x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
