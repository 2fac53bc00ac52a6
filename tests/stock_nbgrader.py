"""Grade a class with stock nbgrader, as a course without our grader would: the baseline.

    python -m tests.stock_nbgrader a2 SUBMISSIONS WORKDIR [--timeout 60]   # prints JSON

A temporary nbgrader course in WORKDIR takes ``solutions/<aN>/`` as its source;
``generate_assignment`` records every cell (hidden tests included) in a fresh SQLite gradebook,
each student's notebook is put under ``submitted/<student>/<aN>/``, and ``autograde`` runs for
every student in this one process with nbgrader's own preprocessors: one IPython kernel per
notebook, the student's code and the tests in that kernel. Only the course directory layout and
the per-cell timeout (``Execute.timeout``, set to our grader's per-cell limit) are configured;
everything else is nbgrader's default. Nothing of autograder's execution code is used here.

The result maps each student to ``{"scores": {grade_id: points or None}, "error": str}``;
``None`` is a part nbgrader recorded no grade for, and ``error`` is nbgrader's complaint when
autograde failed for that student.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def _config(root: Path, timeout: float):
    from traitlets.config import Config

    c = Config()
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.db_url = f"sqlite:///{root / 'gradebook.db'}"
    c.CourseDirectory.source_directory = "source"
    c.CourseDirectory.release_directory = "release"
    c.Execute.timeout = int(timeout)     # nbgrader's per-cell limit (ExecutePreprocessor's is ignored)
    return c


def autograde_class(assignment: str, submissions: Path, root: Path,
                    timeout: float) -> dict[str, dict]:
    """Stock generate_assignment + autograde of every student folder; scores per grade_id."""
    import warnings

    from nbgrader.api import Gradebook, MissingEntry
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    warnings.filterwarnings("ignore")
    # nbgrader runs `alembic` and the kernels from PATH: this environment's bin/ comes first.
    os.environ["PATH"] = os.pathsep.join([os.path.dirname(sys.executable),
                                          os.environ.get("PATH", "")])
    # The notebooks import the course's `autograder` helpers (check_gradient, ...).
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in [str(REPO_ROOT), os.environ.get("PYTHONPATH", "")] if p)
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(REPO_ROOT / "solutions" / assignment, root / "source" / assignment,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    config = _config(root, timeout)
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    made = api.generate_assignment(assignment, force=True)
    if not made.get("success"):
        raise RuntimeError(f"generate_assignment failed:\n{made.get('log', '')[-3000:]}"
                           f"{made.get('error', '')[-3000:]}")

    notebook = f"{assignment}.ipynb"
    students = sorted(p.name for p in submissions.iterdir() if (p / notebook).is_file())
    errors = {}
    for student in students:
        dest = root / "submitted" / student / assignment
        dest.mkdir(parents=True)
        shutil.copyfile(submissions / student / notebook, dest / notebook)
        outcome = api.autograde(assignment, student, force=True, create=True)
        if not outcome.get("success"):
            lines = (outcome.get("log", "") + outcome.get("error", "")).strip().splitlines()
            errors[student] = lines[-1] if lines else "autograde failed, no log"

    results = {}
    with Gradebook(config.CourseDirectory.db_url) as gb:
        parts = [c.name for c in gb.find_notebook(assignment, assignment).grade_cells]
        for student in students:
            scores = {}
            for part in parts:
                try:
                    grade = gb.find_grade(part, assignment, assignment, student)
                    scores[part] = None if grade.score is None else float(grade.score)
                except MissingEntry:
                    scores[part] = None
            results[student] = {"scores": scores, "error": errors.get(student, "")}
    return results


def run_stock(assignment: str, submissions: Path, root: Path, timeout: float,
              limit: float = 3600) -> dict[str, dict]:
    """autograde_class in a fresh Python process (one, for the whole class); its result."""
    proc = subprocess.run([sys.executable, "-m", "tests.stock_nbgrader", assignment,
                           str(submissions), str(root), "--timeout", str(timeout)],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=limit,
                          env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)))
    if proc.returncode != 0:
        raise RuntimeError(f"stock nbgrader failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignment")
    parser.add_argument("submissions", type=Path, help="one folder per student")
    parser.add_argument("workdir", type=Path, help="where the nbgrader course is made")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per cell")
    args = parser.parse_args(argv)
    results = autograde_class(args.assignment, args.submissions.resolve(),
                              args.workdir.resolve(), args.timeout)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
