"""Time the chapter's im2col convolution layer, forward + backward, against its first version.

    .venv/bin/python benchmarks/conv_benchmark.py [--repeats 7] [--loops]

Two layers, each on a mini-batch of 64 images:

- LeNet-5's first layer: 1 x 28 x 28 images, 6 filters of 5 x 5, stride 1, no padding;
- a VGG-style layer: 16 x 32 x 32 inputs, 32 filters of 3 x 3, stride 1, padding 1.

"new" is the code of chapter 8 (book/08-convolutional-networks.ipynb): the script takes the
functions `im2col`, `col2im`, `conv_forward_im2col` and `conv_backward_im2col` from the
notebook itself, so it always times what the book shows. "old" is the chapter's first version,
kept below as the baseline: it copied the windows out of a strided view in the (N, H', W',
C kh kw) layout and computed dx as a second im2col convolution of the zero-padded upstream
gradient with the flipped kernels; a padded layer runs it on np.pad(x) and crops dx.

Both compute out, dx, dw and db; the script checks that they agree to 1e-12 (relative to each
array's largest entry), then times them alternately, `--repeats` times each, and prints the best
time of each and their ratio. The ratio within one run is what counts: on a shared machine the
absolute times vary from run to run. `--loops` also times plain Python loops on the first layer
(slow: a second or more). `--threads N` limits the BLAS library to N threads for both versions
(with threadpoolctl, which scikit-learn brings): on a loaded machine, a multi-threaded BLAS that
waits for a busy core makes the matrix products, and so the ratio, erratic. `--cpu-time`
measures the process's CPU time instead of the wall clock: with `--threads 1` it no longer counts
the time the process waited for a core, which makes the ratio steadier on a shared machine. Not
part of the test suite.
"""

from __future__ import annotations

import argparse
import ast
import json
import time
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

CHAPTER = Path(__file__).resolve().parent.parent / "book" / "08-convolutional-networks.ipynb"
CHAPTER_FUNCTIONS = ("im2col", "col2im", "conv_forward_im2col", "conv_backward_im2col")
SHAPES = [  # (name, N, C, H = W, F, K, pad)
    ("LeNet-5 conv1: x (64, 1, 28, 28), w (6, 1, 5, 5), pad 0", 64, 1, 28, 6, 5, 0),
    ("VGG-style:     x (64, 16, 32, 32), w (32, 16, 3, 3), pad 1", 64, 16, 32, 32, 3, 1),
]


def chapter_functions(path: Path = CHAPTER) -> dict:
    """The convolution functions as defined in the chapter's code cells (only the defs run)."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    namespace = {"np": np}
    found = set()
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        defs = [node for node in tree.body
                if isinstance(node, ast.FunctionDef) and node.name in CHAPTER_FUNCTIONS]
        if defs:
            exec(compile(ast.Module(body=defs, type_ignores=[]), str(path), "exec"), namespace)
            found.update(node.name for node in defs)
    missing = set(CHAPTER_FUNCTIONS) - found
    if missing:
        raise SystemExit(f"{path} does not define {', '.join(sorted(missing))}")
    return {name: namespace[name] for name in CHAPTER_FUNCTIONS}


# --- The baseline: the chapter's first im2col convolution, unchanged. ----------------------

def old_im2col(x: np.ndarray, kh: int, kw: int) -> np.ndarray:
    """Every kh x kw window of every channel, flattened: (N, C, H, W) -> (N, H', W', C*kh*kw)."""
    n, c = x.shape[:2]
    windows = sliding_window_view(x, (kh, kw), axis=(2, 3))  # (N, C, H', W', kh, kw), a view
    h_out, w_out = windows.shape[2:4]
    return windows.transpose(0, 2, 3, 1, 4, 5).reshape(n, h_out, w_out, c * kh * kw)


def old_conv_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray):
    f, c, kh, kw = w.shape
    cols = old_im2col(x, kh, kw)                    # (N, H', W', C kh kw)
    out = cols @ w.reshape(f, -1).T + b             # (N, H', W', F)
    return out.transpose(0, 3, 1, 2), (x, w, cols)  # (N, F, H', W')


def old_conv_backward(dout: np.ndarray, cache):
    x, w, cols = cache
    f, c, kh, kw = w.shape
    g = dout.transpose(0, 2, 3, 1).reshape(-1, f)
    dw = (g.T @ cols.reshape(len(g), -1)).reshape(w.shape)
    db = g.sum(axis=0)
    g_full = np.pad(dout, ((0, 0), (0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1)))
    flipped = w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)
    dx, _ = old_conv_forward(g_full, flipped, np.zeros(c))
    return dx, dw, db


def conv_old(x, w, b, dout, pad):
    if pad:
        x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out, cache = old_conv_forward(x, w, b)
    dx, dw, db = old_conv_backward(dout, cache)
    if pad:
        dx = dx[:, :, pad:-pad, pad:-pad]
    return out, dx, dw, db


def make_conv_new(functions: dict):
    forward, backward = functions["conv_forward_im2col"], functions["conv_backward_im2col"]

    def conv_new(x, w, b, dout, pad):
        out, cache = forward(x, w, b, pad)
        return (out, *backward(dout, cache))

    return conv_new


def conv_loops(x, w, b, dout, pad):
    """The same layer with one Python iteration per image, filter and output position."""
    assert pad == 0
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


def agree(reference, results, name: str) -> None:
    for label, ref, value in zip(("out", "dx", "dw", "db"), reference, results, strict=True):
        error = np.max(np.abs(ref - value)) / max(np.max(np.abs(ref)), 1e-300)
        if ref.shape != value.shape or error > 1e-12:
            raise SystemExit(f"{name} and old disagree on {label}: relative error {error:.1e}")


def best_times(fns: dict, args, repeats: int, clock=time.perf_counter) -> dict:
    """Run the functions alternately, `repeats` times each; the best time of each."""
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = clock()
            fn(*args)
            times[name].append(clock() - start)
    return {name: min(values) for name, values in times.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7,
                        help="runs of each version, alternated (the best is reported)")
    parser.add_argument("--threads", type=int, default=None,
                        help="limit the BLAS library to this many threads (default: its own)")
    parser.add_argument("--cpu-time", action="store_true",
                        help="measure CPU time of the process instead of wall-clock time")
    parser.add_argument("--loops", action="store_true",
                        help="also time plain Python loops (once) on the first layer")
    args = parser.parse_args(argv)
    if args.threads is not None:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=args.threads, user_api="blas"):
            return run(args)
    return run(args)


def run(args: argparse.Namespace) -> int:
    threads = "library default" if args.threads is None else str(args.threads)
    clock = time.process_time if args.cpu_time else time.perf_counter
    conv_new = make_conv_new(chapter_functions())
    rng = np.random.default_rng(0)
    print(f"conv layer forward + backward, stride 1, best of {args.repeats} alternated runs,",
          f"BLAS threads: {threads}, {'CPU' if args.cpu_time else 'wall-clock'} time")
    for name, n, c, size, f, k, pad in SHAPES:
        x = rng.standard_normal((n, c, size, size))
        w = rng.standard_normal((f, c, k, k))
        b = rng.standard_normal(f)
        out_size = size + 2 * pad - k + 1
        dout = rng.standard_normal((n, f, out_size, out_size))
        reference = conv_old(x, w, b, dout, pad)
        agree(reference, conv_new(x, w, b, dout, pad), "new")
        best = best_times({"old": conv_old, "new": conv_new}, (x, w, b, dout, pad),
                          args.repeats, clock)
        print(name)
        print(f"  old im2col (first version): {1000 * best['old']:9.1f} ms")
        print(f"  new im2col (chapter 8)    : {1000 * best['new']:9.1f} ms")
        print(f"  ratio old / new           : {best['old'] / best['new']:9.2f} x")
        if args.loops and pad == 0:
            start = clock()
            agree(reference, conv_loops(x, w, b, dout, pad), "loops")
            slow = clock() - start
            print(f"  naive loops (one run)     : {1000 * slow:9.1f} ms"
                  f"  ({slow / best['new']:.0f} x the new im2col)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
