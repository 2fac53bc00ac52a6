"""The student's `check`: its warnings, its errors for bad input, and its table.

That its verdicts are the grader's visible verdicts is tested in tests/test_differential.py,
on the wrong-submission and honest libraries.
"""

from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest

from autograder.course import REPO_ROOT, get_assignment
from autograder.precheck import CheckError, check_limits, format_report, run_check
from autograder.samples import make_submission

A = "a1"


def _gid(cell) -> str:
    return cell.metadata.get("nbgrader", {}).get("grade_id", "")


@pytest.fixture(scope="module")
def troubled(tmp_path_factory):
    """The reference a1, saved under another name, with a deleted and an edited test cell, the
    last answer left as the stub and a name that only existed in the student's session."""
    nb = make_submission(A)
    tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")
             and not c.metadata["nbgrader"].get("solution")]
    deleted, edited = _gid(tests[0]), _gid(tests[1])
    nb.cells.remove(tests[0])
    tests[1].source = "pass  # the test was in my way"
    answer = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")][-1]
    answer.source = "# YOUR CODE HERE\nraise NotImplementedError()"
    nb.cells.append(nbformat.v4.new_code_cell("print(helper_from_a_deleted_cell(3))"))
    path = tmp_path_factory.mktemp("check") / "a1 (1).ipynb"
    nbformat.write(nb, path)
    limits, mode = check_limits()
    report = run_check(path, limits=limits, mode=mode)
    return report, deleted, edited, _gid(answer)


def test_warnings_say_what_costs_points_and_how_to_fix_it(troubled):
    report, deleted, edited, stubbed = troubled
    text = "\n".join(report.warnings)
    assert "Rename it to a1.ipynb" in text
    assert f"test cell {deleted} was deleted" in text
    assert f"test cell {edited} was edited" in text
    assert f"answer cell {stubbed} still raises NotImplementedError" in text
    assert "'helper_from_a_deleted_cell' is used but defined in no cell" in text
    assert report.assignment == A       # found from the cells, not the (wrong) file name


def test_restored_tests_run_and_the_table_adds_up(troubled):
    report, deleted, edited, _ = troubled
    a = get_assignment(A)
    assert [p.grade_id for p in report.parts] == [p.grade_id for p in a.graded_parts()]
    verdicts = report.verdicts
    assert verdicts[deleted][0] and verdicts[edited][0]   # restored, and the code is right
    failed = [gid for gid, (ok, _) in verdicts.items() if not ok]
    # the stubbed answer (a1's Value class) is what the three test_value_* parts test
    assert failed == ["test_value_arithmetic", "test_value_unary", "test_value_backward"]
    text = format_report(report)
    assert f"{report.confirmed:g} / {a.max_score:g} confirmed by visible tests" in text
    assert report.confirmed + report.failed == a.max_score


@pytest.mark.parametrize("content, fragment", [
    (None, "not found"),
    (b"{not json", "not a readable notebook"),
    (b"", "not a readable notebook"),
])
def test_bad_input_gets_a_clear_error(tmp_path, content, fragment):
    path = tmp_path / "a1.ipynb"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(CheckError, match=fragment):
        run_check(path)


def test_unknown_assignment_and_foreign_notebook(tmp_path):
    path = tmp_path / "a1.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")]), path)
    with pytest.raises(CheckError, match="none of the graded cells"):
        run_check(path.rename(tmp_path / "mine.ipynb"))
    with pytest.raises(CheckError, match="unknown assignment 'a99'"):
        run_check(tmp_path / "mine.ipynb", "a99")


def test_command_line_exit_status_and_the_notebook_cell_does_nothing_when_graded(tmp_path):
    release = REPO_ROOT / "exercises" / A / f"{A}.ipynb"
    proc = subprocess.run([sys.executable, "-m", "autograder", "check", str(release)],
                          capture_output=True, text=True, cwd=REPO_ROOT, timeout=300)
    assert proc.returncode == 1 and "0 / " in proc.stdout, proc.stdout + proc.stderr
    assert "still raises NotImplementedError" in proc.stdout
    guarded = subprocess.run([sys.executable, "-c", "from autograder import check; check()"],
                             capture_output=True, text=True, cwd=tmp_path, timeout=60,
                             env={"BBH_RLIMITS": "{}", "PATH": "/usr/bin:/bin"})
    assert "skipped while the notebook is being graded" in guarded.stdout, guarded.stderr


def test_a_notebook_without_the_course_folder_is_checked_with_its_own_tests(tmp_path):
    """A downloaded notebook, autograder installed without the course: its own test cells run,
    and nbgrader's checksums tell which of them the student edited."""
    nb = make_submission(A)
    test = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade"))
    test.source += "\n# I changed this"
    path = tmp_path / "a1.ipynb"
    nbformat.write(nb, path)
    limits, mode = check_limits()
    report = run_check(path, limits=limits, mode=mode, releases={})
    text = "\n".join(report.warnings)
    assert "exercises/ was not found" in text
    assert f"test cell {_gid(test)} was edited" in text
    assert all(ok for ok, _ in report.verdicts.values())
    with pytest.raises(CheckError, match="cannot tell which assignment"):
        run_check(path.rename(tmp_path / "homework.ipynb"), releases={})
