"""Generate the student version of an assignment: solutions/<aN>/ -> exercises/<aN>/.

nbgrader's generate_assignment strips every solution region (replacing it with the
``YOUR CODE HERE`` stub) and every hidden test, clears outputs, and copies the other files.
It runs in a throw-away course directory, so no gradebook is left in the repository.
"""

from __future__ import annotations

import filecmp
import shutil
import tempfile
from pathlib import Path

from autograder.course import Assignment
from autograder.nbgrader_course import Course

FORBIDDEN_MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


def build_release(assignment: Assignment, dest: Path) -> Path:
    """Generate the release of `assignment` into `dest` (replaced if it exists)."""
    with tempfile.TemporaryDirectory(prefix=f"release-{assignment.name}-") as tmp:
        released = Course(Path(tmp), assignment).generate_release()
        leaked = [str(p.relative_to(released)) for p in released.rglob("*")
                  if p.is_file() and any(m in p.read_text(errors="replace")
                                         for m in FORBIDDEN_MARKERS)]
        if leaked:
            raise RuntimeError(f"nbgrader left solution or hidden-test markers in {leaked}: "
                               "check the ### BEGIN/END markers in the source notebook")
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(released, dest)
    return dest


def release_differences(assignment: Assignment) -> list[str]:
    """Files that differ between exercises/<aN>/ and a fresh release (empty when in sync)."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = build_release(assignment, Path(tmp) / assignment.name)
        current = assignment.release_dir
        if not current.is_dir():
            return [f"{current} is missing"]
        diffs: list[str] = []

        def walk(cmp: filecmp.dircmp, prefix: str = "") -> None:
            diffs.extend(f"only in exercises/: {prefix}{n}" for n in cmp.left_only)
            diffs.extend(f"missing from exercises/: {prefix}{n}" for n in cmp.right_only)
            _, mismatch, errors = filecmp.cmpfiles(cmp.left, cmp.right, cmp.common_files,
                                                    shallow=False)
            diffs.extend(f"differs: {prefix}{n}" for n in mismatch + errors)
            for name, sub in cmp.subdirs.items():
                walk(sub, f"{prefix}{name}/")

        walk(filecmp.dircmp(current, fresh, ignore=["__pycache__", ".ipynb_checkpoints"]))
        return diffs
