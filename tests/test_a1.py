"""Assignment a1 through the real grading command: solution, release, mistakes, broken files."""

from tests.harness import grade_cases, summary_table
from tests.submissions.a1 import CASES, UNGRADABLE

REASONS = {
    "missing_notebook": "a1.ipynb not found",
    "renamed_notebook": "found a1 (1).ipynb instead",
    "truncated_json": "not valid JSON",
    "binary_file": "not UTF-8",
    "empty_file": "is empty",
    "other_assignment": "is not a1",
}


def test_a1_class(tmp_path):
    """One class: full marks, zero, exact partial credit, every mistake, every broken file."""
    rows = grade_cases("a1", CASES + UNGRADABLE, tmp_path)
    print(summary_table("a1", CASES + UNGRADABLE, rows))
    for name, fragment in REASONS.items():
        row = rows[name]
        assert row["status"] == "not graded", f"{name} should not have been graded: {row}"
        assert fragment in row["reason"], f"{name}: reason {row['reason']!r} lacks {fragment!r}"
    feedback = (tmp_path / "out" / "feedback" / "mul_not_swapped.html").read_text()
    assert "test_mul_gate" in feedback and "0 / 2" in feedback

