"""Where the course's assignments live, and what an assignment's graded parts are.

The repository root is the nbgrader course directory: ``solutions/<aN>/`` holds the source
notebooks (reference solutions, visible and hidden tests) and ``exercises/<aN>/`` the student
versions generated from them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import nbformat

REPO_ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO_ROOT / "solutions"
EXERCISES = REPO_ROOT / "exercises"

_ASSIGNMENT_NAME = re.compile(r"^a\d+$")


class CourseError(Exception):
    """A problem with the course files themselves (not with a student's submission)."""


@dataclass(frozen=True)
class GradedPart:
    """One autograded test cell: its nbgrader grade_id and its points."""

    grade_id: str
    points: float


@dataclass(frozen=True)
class Assignment:
    name: str

    @property
    def source_dir(self) -> Path:
        return SOLUTIONS / self.name

    @property
    def release_dir(self) -> Path:
        return EXERCISES / self.name

    @property
    def notebook_name(self) -> str:
        """The one notebook a submission must contain, e.g. ``a1.ipynb``."""
        return f"{self.name}.ipynb"

    @property
    def source_notebook(self) -> Path:
        return self.source_dir / self.notebook_name

    def read_source(self) -> nbformat.NotebookNode:
        # Imported here: the worker imports this module (through sandbox.py) and must start
        # fast; nbformat's validator takes seconds to import.
        import nbformat

        return nbformat.read(self.source_notebook, as_version=4)

    def graded_parts(self) -> list[GradedPart]:
        """The autograded test cells, in notebook order."""
        parts = []
        for cell in self.read_source().cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade") and not meta.get("solution"):
                parts.append(GradedPart(meta["grade_id"], float(meta.get("points", 0))))
        return parts

    @property
    def max_score(self) -> float:
        return sum(part.points for part in self.graded_parts())


def all_assignments() -> list[Assignment]:
    if not SOLUTIONS.is_dir():
        return []
    names = sorted((p.name for p in SOLUTIONS.iterdir() if _ASSIGNMENT_NAME.match(p.name)),
                   key=lambda n: int(n[1:]))
    return [Assignment(n) for n in names if (SOLUTIONS / n / f"{n}.ipynb").is_file()]


def get_assignment(name: str) -> Assignment:
    known = all_assignments()
    for assignment in known:
        if assignment.name == name:
            return assignment
    listed = ", ".join(a.name for a in known) or "none"
    raise CourseError(f"unknown assignment {name!r}: the course has {listed} "
                      f"(each is a folder solutions/<name>/ holding <name>.ipynb)")
