"""Time the grading command on one and two Dask workers against stock nbgrader, side by side.

    .venv/bin/python benchmarks/grading_benchmark.py [a2] [--students 60]

One class of --students submissions (at least 60 by default), taken in turn from three
libraries: the sample submissions (complete, partial, untouched), the honest variants
(tests/submissions/honest.py) and the wrong submissions (tests/submissions/aN.py, the gradable
ones: stock nbgrader fails on the others). Three runs grade the same class, each a fresh
process, so import and start-up costs are included:

- (a) stock nbgrader, as a course without our grader would: ``autograde`` of every student
  (one IPython kernel per notebook; tests/stock_nbgrader.py), then ``generate_feedback``;
- (b) ours, ``python -m autograder grade --workers 1``: one Dask worker process;
- (c) ours, ``--workers 2``: two worker processes (one per core on this machine).

It prints the three wall times, the ratios a/c (goal >= 2.5) and b/c (goal >= 1.8), the
coordinator's own milliseconds per submission (as the grading command reports it), and the load
average before and after. With --repeat N, (b) and (c) grade the class N times each, in turns,
and b/c is the median of the turns' ratios (each turn's two runs are next to each other, so a
drift in the machine's speed cancels). Beside it, as a reference, how much faster a fixed
pure-CPU job runs in two processes than in one, measured in the same run.
Not part of the test suite: timings belong here, never in tests.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

STOCK = textwrap.dedent('''
    import sys, warnings
    from pathlib import Path
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from tests.stock_nbgrader import _config, autograde_class
    assignment, submissions, root = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    results = autograde_class(assignment, submissions, root, 60)
    failed = [s for s, r in results.items() if r["error"]]
    assert not failed, f"stock autograde failed for {failed}"
    warnings.filterwarnings("ignore")
    config = _config(root, 60)
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    made = api.generate_feedback(assignment, force=True)
    assert made["success"], made.get("log", "")[-2000:]
    pages = list((root / "feedback").rglob("*.html"))
    assert len(pages) == len(results), (len(pages), len(results))
''')


def build_class(assignment: str, students: int, dest: Path) -> dict[str, int]:
    """`students` folders under dest, in turn from the three libraries; how many of each."""
    import importlib

    from autograder.samples import write_samples
    from tests.harness import write_class
    from tests.submissions.honest import honest_cases

    pool = dest.parent / "pool"
    write_samples(assignment, pool / "samples")
    honest = honest_cases(assignment)
    wrong = list(importlib.import_module(f"tests.submissions.{assignment}").CASES)
    write_class(assignment, honest, pool / "honest")
    write_class(assignment, wrong, pool / "wrong")
    libraries = {
        "sample": sorted((pool / "samples").iterdir()),
        "honest": [pool / "honest" / c.name for c in honest],
        "wrong": [pool / "wrong" / c.name for c in wrong],
    }
    counts = dict.fromkeys(libraries, 0)
    names = list(libraries)
    for i in range(students):
        library = names[i % len(names)]
        folders = libraries[library]
        source = folders[(i // len(names)) % len(folders)]
        shutil.copytree(source, dest / f"s{i:03d}-{library}-{source.name}")
        counts[library] += 1
    return counts


def _cpu() -> float:
    """CPU seconds the whole machine has been busy: /proc/stat where there is one.

    getrusage(RUSAGE_CHILDREN) would miss the sandboxed student processes, which their bwrap
    never waits for (it is killed, and they with it), and so undercount our grader's work.
    """
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime


CPU: dict[str, float] = {}   # CPU seconds the machine was busy during each run


def _spin(_=None) -> float:
    """Fixed pure-CPU work (Python arithmetic and small NumPy products); its seconds."""
    import numpy as np

    start = time.perf_counter()
    total = 0
    for i in range(4_000_000):
        total += i * i
    a = np.random.default_rng(0).standard_normal((150, 150))
    for _ in range(200):
        a = np.tanh(a @ a.T / 150)
    return time.perf_counter() - start


def two_process_reference(jobs: int = 16) -> float:
    """How much faster this machine does perfectly parallel CPU work in two processes than in
    one (each process single-threaded, as a worker is): the reference for (c) vs (b). On a
    shared virtual machine it is often well below 2."""
    import multiprocessing

    os.environ["OPENBLAS_NUM_THREADS"] = "1"   # inherited by the spawned processes
    seconds = {}
    for processes in (1, 2):
        with multiprocessing.get_context("spawn").Pool(processes) as pool:
            pool.map(_spin, range(processes))   # start-up and imports, not timed
            start = time.perf_counter()
            pool.map(_spin, range(jobs), chunksize=1)
            seconds[processes] = time.perf_counter() - start
    return seconds[1] / seconds[2]


def _run(cmd: list[str], label: str = "") -> tuple[float, str]:
    # nbgrader runs `alembic` and kernels from PATH: this environment's bin/ comes first.
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               PYTHONPATH=str(REPO))
    start, cpu = time.perf_counter(), _cpu()
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    CPU[label] = _cpu() - cpu
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd[:6])} ...\n{proc.stdout[-3000:]}"
                         f"{proc.stderr[-3000:]}")
    return seconds, proc.stdout


def _ours(assignment: str, klass: Path, out: Path, workers: int) -> tuple[float, float, float]:
    seconds, stdout = _run([sys.executable, "-m", "autograder", "grade", assignment, str(klass),
                            "--out", str(out), "--no-progress", "--workers", str(workers)],
                           f"ours-{workers}")
    serial = re.search(r"coordinator's own work: ([\d.]+) ms per submission", stdout)
    ready = re.search(r"grading from ([\d.]+) s", stdout)
    if not serial or not ready:
        raise SystemExit(f"no coordinator cost in the command's output:\n{stdout[-2000:]}")
    return seconds, float(serial.group(1)), float(ready.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignment", nargs="?", default="a2")
    parser.add_argument("--students", type=int, default=60, help="class size (default 60)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="grade the class this many times with (b) and with (c), in turns, "
                             "and report the medians (the machine's speed drifts; default 1)")
    args = parser.parse_args()
    repeat = max(1, args.repeat)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="grading-bench-") as tmp:
        tmp = Path(tmp)
        klass = tmp / "class"
        counts = build_class(args.assignment, args.students, klass)
        stock, _ = _run([sys.executable, "-c", STOCK, args.assignment, str(klass),
                         str(tmp / "stock")], "stock")
        runs: dict[int, list[tuple[float, float, float]]] = {1: [], 2: []}
        for turn in range(repeat):
            for workers in (1, 2):
                out = tmp / f"ours-{workers}-{turn}"
                runs[workers].append(_ours(args.assignment, klass, out, workers))
        same = all((tmp / f"ours-{w}-{t}" / "grades.csv").read_text()
                   == (tmp / "ours-1-0" / "grades.csv").read_text()
                   for w in (1, 2) for t in range(repeat))
        reference = two_process_reference()
    load_after = os.getloadavg()
    # medians of each column (with an even count, the mean of the middle two)
    one, serial_one, ready_one = (statistics.median(column) for column in zip(*runs[1], strict=True))
    two, serial_two, ready_two = (statistics.median(column) for column in zip(*runs[2], strict=True))
    print(f"grading {args.students} submissions of {args.assignment} "
          f"({', '.join(f'{n} {k}' for k, n in counts.items())}), a fresh process each, "
          "start-up included")
    print(f"  (a) stock nbgrader: autograde + generate_feedback : {stock:7.1f} s")
    print(f"  (b) ours, one Dask worker                       : {one:7.1f} s   "
          f"(coordinator {serial_one:.1f} ms per submission, grading from {ready_one:.1f} s)")
    print(f"  (c) ours, two Dask workers                      : {two:7.1f} s   "
          f"(coordinator {serial_two:.1f} ms per submission, grading from {ready_two:.1f} s)")
    print(f"  (c) vs (a): {stock / two:.2f}x faster (goal 2.5x)")
    paired = [b[0] / c[0] for b, c in zip(runs[1], runs[2], strict=True)]
    print(f"  (c) vs (b): {statistics.median(paired):.2f}x faster (goal 1.8x)"
          + (f", the median of {len(paired)} turns; the ratio of the median times is "
             f"{one / two:.2f}x" if len(paired) > 1 else ""))
    if repeat > 1:
        print("  turns, (b) then (c): "
              + "; ".join(f"{b[0]:.1f} s, {c[0]:.1f} s ({b[0] / c[0]:.2f}x)"
                          for b, c in zip(runs[1], runs[2], strict=True)))
    print(f"  reference: a fixed pure-CPU job runs {reference:.2f}x faster in two "
          "single-threaded processes than in one on this machine, measured in this run")
    print(f"  per submission: (b) {one / args.students:.2f} s, (c) {two / args.students:.2f} s")
    print(f"  CPU seconds, all processes of the run: (a) {CPU['stock']:.0f}, "
          f"(b) {CPU['ours-1']:.0f}, (c) {CPU['ours-2']:.0f} (the machine's busy time, "
          "/proc/stat: whatever else ran counts too)")
    print(f"  same grades.csv from (b) and (c): {same}")
    print(f"  load average (1, 5, 15 min) before {load_before[0]:.2f} {load_before[1]:.2f} "
          f"{load_before[2]:.2f}, after {load_after[0]:.2f} {load_after[1]:.2f} "
          f"{load_after[2]:.2f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
