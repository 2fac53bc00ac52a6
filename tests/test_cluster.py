"""The grading command on Dask: an existing cluster, a worker killed mid-grading, --resume.

One small mixed class of a1 (the reference, the untouched release, two wrong submissions, one
notebook cut half-way and one missing) is graded once by the default command (its own
LocalCluster); each test compares another way of grading it with that run and with the scores
tests/submissions/a1.py says each case deserves.
"""

from __future__ import annotations

import importlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from autograder.cli import main as cli_main
from autograder.course import REPO_ROOT, get_assignment
from tests.harness import check_class, make_submission, read_grades, run_grader, write_class

_LIBRARY = importlib.import_module("tests.submissions.a1")
PICKED = ("mul_not_swapped", "add_assigns_grad", "truncated_json", "missing_notebook")
CASES = [c for c in [*_LIBRARY.CASES, *_LIBRARY.UNGRADABLE] if c.name in PICKED]


@pytest.fixture(scope="module")
def default_run(tmp_path_factory) -> tuple[Path, Path, dict]:
    """The class, graded by the default command: (submissions, out, grades.csv rows)."""
    root = tmp_path_factory.mktemp("cluster-class")
    submissions, out = root / "submissions", root / "out"
    write_class("a1", CASES, submissions)
    proc = run_grader("a1", submissions, out)
    # A run that went well prints no traceback, not even Dask's at shutdown (distributed#7105)
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    rows = read_grades(out / "grades.csv")
    assert not check_class("a1", CASES, rows, out)
    return submissions, out, rows


def test_case_selection_is_whole():
    assert sorted(c.name for c in CASES) == sorted(PICKED)


def test_only_the_heartbeat_at_shutdown_is_kept_quiet():
    from distributed.comm import CommClosedError

    from autograder.grading import _QuietHeartbeatAtClose

    def record(message, exc):
        return logging.LogRecord("distributed.worker", logging.ERROR, __file__, 1, message, (),
                                 (type(exc), exc, None))

    quiet = _QuietHeartbeatAtClose()
    heartbeat = "Failed to communicate with scheduler during heartbeat."
    assert not quiet.filter(record(heartbeat, CommClosedError("in <TCP (closed)>: Stream is closed")))
    assert quiet.filter(record(heartbeat, OSError("Timed out trying to connect")))
    assert quiet.filter(record("Unexpected exception during heartbeat. Closing worker.",
                               CommClosedError("closed")))


def test_an_existing_two_worker_cluster_grades_as_the_default_path(default_run, tmp_path):
    from distributed import Client, LocalCluster

    submissions, _, default_rows = default_run
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      scheduler_port=0, dashboard_address=":0", memory_limit=0,
                      silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        client.wait_for_workers(2)
        proc = run_grader("a1", submissions, tmp_path / "out", "--scheduler",
                          cluster.scheduler_address)
        # each of the cluster's workers set up its nbgrader course there: they did the grading
        made = client.run(lambda dask_worker: (Path(dask_worker.local_directory)
                                               / "nbgrader-a1" / "gradebook.db").is_file())
    assert list(made.values()) == [True, True], made
    assert f"on the Dask cluster at {cluster.scheduler_address} (2 workers" in proc.stdout
    rows = read_grades(tmp_path / "out" / "grades.csv")
    assert rows == default_rows
    assert not check_class("a1", CASES, rows, tmp_path / "out")


def _sandboxed_worker_of(grader: psutil.Process) -> psutil.Process | None:
    """A Dask worker process (a child of the grading command) grading a submission right now:
    one with a sandboxed student process (python -m autograder.worker) below it."""
    try:
        for child in grader.children():
            if "multiprocessing" not in " ".join(child.cmdline()):
                continue   # not a Dask worker (a sandbox probe of the command itself)
            for below in child.children(recursive=True):
                if "autograder.worker" in below.cmdline():   # `-m autograder.worker`
                    return child
    except psutil.Error:
        pass
    return None


def test_a_worker_killed_while_grading_costs_nothing(default_run, tmp_path):
    submissions, _, default_rows = default_run
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "autograder", "grade", "a1", str(submissions),
                             "--out", str(out), "--no-progress", "--workers", "2"],
                            cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    killed = None
    deadline = time.monotonic() + 120
    while killed is None and proc.poll() is None and time.monotonic() < deadline:
        worker = _sandboxed_worker_of(psutil.Process(proc.pid))
        if worker is not None:
            os.kill(worker.pid, signal.SIGKILL)
            killed = worker.pid
        time.sleep(0.02)
    stdout, stderr = proc.communicate(timeout=300)
    assert killed, f"no worker was caught grading:\n{stdout}\n{stderr}"
    assert proc.returncode == 0, f"{stdout}\n{stderr}"
    rows = read_grades(out / "grades.csv")
    assert rows == default_rows, f"after killing worker {killed}: {rows}"


def test_resume_grades_only_the_changed_notebooks(default_run, tmp_path):
    submissions, default_out, default_rows = default_run
    a1 = get_assignment("a1")
    shutil.copytree(submissions, tmp_path / "submissions")
    shutil.copytree(default_out, tmp_path / "out")
    submissions, out = tmp_path / "submissions", tmp_path / "out"
    # mul_not_swapped fixes the mistake; everyone else re-submits the same bytes
    (submissions / "mul_not_swapped" / a1.notebook_name).write_text(
        nbformat.writes(make_submission("a1")), encoding="utf-8")
    before = (out / "feedback" / "solution.html").stat().st_mtime_ns

    proc = run_grader("a1", submissions, out, "--resume")

    # graded on the workers: the one changed notebook; re-used: the four graded before
    # (missing_notebook has no notebook to grade, so nothing to re-use either)
    assert "1 graded on a local Dask cluster" in proc.stdout, proc.stdout
    assert "4 re-used from" in proc.stdout, proc.stdout
    assert (out / "feedback" / "solution.html").stat().st_mtime_ns == before
    rows = read_grades(out / "grades.csv")
    assert float(rows["mul_not_swapped"]["score"]) == a1.max_score, rows["mul_not_swapped"]
    assert {k: v for k, v in rows.items() if k != "mul_not_swapped"} == \
        {k: v for k, v in default_rows.items() if k != "mul_not_swapped"}
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{out / 'nbgrader' / 'gradebook.db'}") as gb:
        recorded = {s.student.id: s.score for s in gb.find_assignment("a1").submissions}
    assert recorded["mul_not_swapped"] == a1.max_score
    assert recorded["solution"] == a1.max_score and recorded["release"] == 0
    assert set(recorded) == {name for name, row in rows.items() if row["status"] == "graded"}


def _fails(argv: list[str], capsys) -> str:
    assert cli_main(argv) == 2
    return capsys.readouterr().err


def test_clear_messages_for_bad_output_resume_state_and_scheduler(default_run, tmp_path, capsys):
    submissions, default_out, _ = default_run
    grade = ["grade", "a1", str(submissions), "--no-progress", "--out"]
    afile = tmp_path / "afile"
    afile.write_text("")
    assert "is a file" in _fails([*grade, str(afile)], capsys)
    err = _fails([*grade, str(tmp_path / "nothing-here"), "--resume"], capsys)
    assert "does not exist: nothing to resume" in err
    err = _fails([*grade, str(default_out), "--resume", "--force"], capsys)
    assert "pass one of the two" in err
    err = _fails([*grade, str(default_out)], capsys)
    assert "not empty" in err and "--resume" in err

    empty = tmp_path / "empty-out"
    empty.mkdir()
    assert "holds no results.jsonl" in _fails([*grade, str(empty), "--resume"], capsys)

    corrupt = tmp_path / "corrupt-out"
    shutil.copytree(default_out, corrupt)
    lines = (corrupt / "results.jsonl").read_text().splitlines()
    lines[0] = lines[0][: len(lines[0]) // 2]    # a line cut short, and others after it
    (corrupt / "results.jsonl").write_text("\n".join(lines) + "\n")
    err = _fails([*grade, str(corrupt), "--resume"], capsys)
    assert "results.jsonl is corrupt at line 1" in err, err

    err = _fails([*grade, str(tmp_path / "o"), "--scheduler", "tcp://127.0.0.1:9",
                  "--connect-timeout", "0.5"], capsys)
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in err, err
    assert "dask scheduler" in err
