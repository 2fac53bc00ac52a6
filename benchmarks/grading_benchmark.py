"""Time the sandboxed grading command against stock nbgrader autograde, side by side.

    .venv/bin/python benchmarks/grading_benchmark.py [a1] [--students 6]

Both grade the same class (copies of the complete, partial and untouched sample submissions):
- baseline: nbgrader's own autograde, student code and tests in one Jupyter kernel per notebook;
- ours: `python -m autograder grade`, student code in a sandboxed worker, tests in the grader.
Each is run as a fresh process, so import and start-up costs are included on both sides.
Not part of the test suite: timings belong here, never in tests.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from autograder.samples import write_samples  # noqa: E402

BASELINE = textwrap.dedent('''
    import shutil, sys
    from pathlib import Path
    from traitlets.config import Config
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    root, assignment, submissions = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    shutil.copytree(Path(sys.argv[4]), root / "source" / assignment)
    c = Config()
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.db_url = f"sqlite:///{root / 'gradebook.db'}"
    c.CourseDirectory.source_directory = "source"
    c.Execute.timeout = 60
    api = NbGraderAPI(coursedir=CourseDirectory(config=c), config=c)
    assert api.generate_assignment(assignment, force=True)["success"]
    for folder in sorted(submissions.iterdir()):
        dest = root / "submitted" / folder.name / assignment
        dest.mkdir(parents=True)
        shutil.copy(folder / f"{assignment}.ipynb", dest)
        result = api.autograde(assignment, folder.name, force=True, create=True)
        assert result["success"], result.get("log", "")[-2000:]
''')


def _run(cmd: list[str]) -> float:
    # nbgrader runs `alembic` and kernels from PATH: this environment's bin/ comes first.
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd[:4])} ...\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignment", nargs="?", default="a1")
    parser.add_argument("--students", type=int, default=6, help="class size (default 6)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="grading-bench-") as tmp:
        tmp = Path(tmp)
        samples, klass = tmp / "samples", tmp / "class"
        write_samples(args.assignment, samples)
        kinds = sorted(p.name for p in samples.iterdir())
        for i in range(args.students):
            shutil.copytree(samples / kinds[i % len(kinds)], klass / f"student{i:03d}")
        ours = _run([sys.executable, "-m", "autograder", "grade", args.assignment, str(klass),
                     "--out", str(tmp / "ours"), "--no-progress"])
        baseline = _run([sys.executable, "-c", BASELINE, str(tmp / "baseline"),
                         args.assignment, str(klass),
                         str(REPO / "solutions" / args.assignment)])
    print(f"grading {args.students} submissions of {args.assignment} (fresh process each, "
          "start-up included)")
    print(f"  baseline, stock nbgrader autograde (in-kernel): {baseline:7.1f} s")
    print(f"  ours, sandboxed worker + tests in the grader : {ours:7.1f} s")
    print(f"  ratio ours / baseline: {ours / baseline:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
