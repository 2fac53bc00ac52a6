"""A class with hostile submissions is graded safely and everyone else exactly as without them.

One class (two honest students, every hostile case of tests/submissions/hostile.py and the cases
that probe the sandbox itself) goes through the real grading command twice, at the same time:
as root (as CI runs) and as the unprivileged user `nobody`. Both must give every student the same
row. The honest students are graded again alone, and their rows must be identical too.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
import tempfile
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from autograder.course import REPO_ROOT
from autograder.sandbox import stage_map, staged_command, staged_path
from tests.harness import make_submission, read_grades, run_grader, save_report
from tests.submissions.hostile import (
    GATES_ONLY,
    HONEST_PART,
    SANDBOX_PROBES,
    SECRET_ENV,
    WITH_SESSION_KEY,
    hostile_cases,
    outside_targets,
    sandbox_cases,
)

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="grading (and its sandbox, bubblewrap) is Linux-only")

NOBODY = 65534
LIMITS = ("--cell-timeout", "10", "--notebook-timeout", "120", "--memory-mb", "1024",
          "--disk-mb", "32")


class _Listener:
    """A server on the grading machine that records every connection made to it."""

    def __init__(self, family=socket.AF_INET, address=("127.0.0.1", 0)):
        self.sock = socket.socket(family)
        self.sock.bind(address)
        self.sock.listen()
        self.sock.settimeout(0.5)
        self.address = self.sock.getsockname()
        self.connections = 0
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while self.running:
            try:
                conn, _ = self.sock.accept()
                self.connections += 1
                conn.close()
            except OSError:
                continue

    def close(self):
        self.running = False
        self.thread.join(timeout=5)
        self.sock.close()


def _write_honest(submissions):
    for name, nb in [("honest_full", make_submission("a1")),
                     ("honest_partial", make_submission("a1", GATES_ONLY))]:
        (submissions / name).mkdir(parents=True)
        nbformat.write(nb, submissions / name / "a1.ipynb")


def _as_nobody() -> tuple[list[str], str, str]:
    """How root runs the grader as nobody from this checkout, wherever it was cloned.

    The checkout (and its environment, if it lies elsewhere) is staged in a private mount
    namespace where nobody can reach it, even when root cloned it into a folder only root may
    enter. Returns (command prefix, the staged python, the staged repository).
    """
    folders = [REPO_ROOT]
    if REPO_ROOT not in Path(sys.prefix).parents:
        folders.append(Path(sys.prefix))
    mapping = stage_map(folders)
    python = str(staged_path(Path(sys.executable), mapping))
    repo = str(staged_path(REPO_ROOT, mapping))
    prefix = staged_command([python, "-c", WITH_SESSION_KEY], mapping, uid=NOBODY,
                            cwd=Path(repo))
    return prefix, python, repo


@pytest.fixture(scope="module")
def graded():
    users = ["root", "nobody"] if os.geteuid() == 0 else ["user"]
    # Not pytest's tmp_path: its folders are private to root, and nobody must read the class.
    base = Path(tempfile.mkdtemp(prefix="bbh-hostile-"))
    base.chmod(0o755)
    tcp = _Listener()
    unix_name = f"bbh-hostile-{uuid.uuid4().hex}"
    unix = _Listener(socket.AF_UNIX, f"\0{unix_name}")
    secret = uuid.uuid4().hex
    env = dict(os.environ, **{SECRET_ENV: secret})
    runs = {}
    for user in users:
        submissions, out = base / f"class-{user}", base / f"out-{user}"
        _write_honest(submissions)
        cases = (hostile_cases(submissions, out, tcp.address[1])
                 + sandbox_cases(tcp.address[1], unix_name, os.getpid()))
        for case in cases:
            folder = submissions / case.name
            folder.mkdir()
            case.write(folder)
        prefix = [sys.executable, "-c", WITH_SESSION_KEY]
        python = sys.executable
        user_env = env
        if user == "nobody":
            out.mkdir()
            home = base / "home-nobody"
            home.mkdir()
            for path in (out, home):
                os.chown(path, NOBODY, NOBODY)
            prefix, python, repo = _as_nobody()
            user_env = dict(env, HOME=str(home), PYTHONPATH=repo)
        runs[user] = {"cases": cases, "out": out, "prefix": prefix, "env": user_env,
                      "submissions": submissions, "python": python}
    alone_submissions, alone_out = base / "alone", base / "alone-out"
    _write_honest(alone_submissions)
    try:
        with ThreadPoolExecutor(max_workers=len(users) + 1) as pool:
            futures = {user: pool.submit(run_grader, "a1", run["submissions"], run["out"],
                                         *LIMITS, prefix=run["prefix"], env=run["env"],
                                         python=run["python"])
                       for user, run in runs.items()}
            alone = pool.submit(run_grader, "a1", alone_submissions, alone_out)
            for user, future in futures.items():
                proc = future.result()
                runs[user].update(rows=read_grades(runs[user]["out"] / "grades.csv"),
                                  stdout=proc.stdout)
            alone.result()
    finally:
        tcp.close()
        unix.close()
    yield {"runs": runs, "users": users, "alone": read_grades(alone_out / "grades.csv"),
           "listeners": (tcp, unix), "secret": secret}
    shutil.rmtree(base, ignore_errors=True)


def test_every_hostile_case_scores_at_most_its_honest_part(graded):
    problems = []
    for user in graded["users"]:
        run = graded["runs"][user]
        rows, table = run["rows"], [f"as {user}:"]
        for case in run["cases"]:
            row = rows[case.name]
            got = float(row["score"])
            table.append(f"  {case.name:<24} {got:>4g}  {row['limits'] or '-':<14} "
                         f"{row['reason'][:90]}")
            where = f"{case.name} (as {user})"
            if got > HONEST_PART:
                problems.append(f"{where}: scored {got:g}, above the honest part "
                                f"{HONEST_PART:g}")
            if got != case.expected:
                problems.append(f"{where}: scored {got:g}, expected {case.expected:g}: "
                                f"{row['reason']}")
            if case.limit and case.limit not in row["limits"]:
                problems.append(f"{where}: limit {case.limit!r} not named (limits: "
                                f"{row['limits']!r}, reason: {row['reason']!r})")
            if case.reason and case.reason not in row["reason"]:
                problems.append(f"{where}: reason {row['reason']!r} lacks {case.reason!r}")
        print("\n".join(table))
        print(run["stdout"])
        save_report(f"hostile-{user}", "\n".join(table))
    assert not problems, "\n".join(problems)


def test_root_and_nobody_give_the_same_verdicts(graded):
    if graded["users"] != ["root", "nobody"]:
        pytest.skip("comparing root with nobody needs root")
    root, nobody = (graded["runs"][u]["rows"] for u in ("root", "nobody"))
    assert set(root) == set(nobody)
    differences = [f"{name}:\n  root:   {root[name]}\n  nobody: {nobody[name]}"
                   for name in root if root[name] != nobody[name]]
    assert not differences, "\n".join(differences)


def test_honest_students_are_graded_as_without_the_hostile_ones(graded):
    for user in graded["users"]:
        rows = graded["runs"][user]["rows"]
        for name in ("honest_full", "honest_partial"):
            with_hostile, alone = dict(rows[name]), dict(graded["alone"][name])
            assert with_hostile == alone, f"{name} (as {user}): {with_hostile} != {alone}"
        assert rows["honest_full"]["score"] == "20"
        assert rows["honest_partial"]["score"] == "9"


def _printed(out: Path, case: str) -> str:
    nb = nbformat.read(out / "nbgrader" / "autograded" / case / "a1" / "a1.ipynb", as_version=4)
    return "".join(o.get("text", "") for cell in nb.cells for o in cell.get("outputs", [])
                   if o.get("output_type") == "stream")


def test_nothing_leaked_and_no_connection_was_made(graded):
    tcp, unix = graded["listeners"]
    assert tcp.connections == 0, "a submission reached the loopback server"
    assert unix.connections == 0, "a submission reached the abstract unix socket"
    for user in graded["users"]:
        out = graded["runs"][user]["out"]
        for case in ("reads_secrets", "writes_elsewhere", "network", "kill_grader",
                     *SANDBOX_PROBES):
            text = _printed(out, case)
            assert "blocked:" in text, f"{case} (as {user}): the probe did not run:\n{text[:800]}"
            assert "LEAK:" not in text, f"{case} (as {user}): {text}"
            assert graded["secret"] not in text, f"{case} (as {user}): the secret leaked"
    for label, path in outside_targets().items():
        target = Path(path)
        assert not (target.exists() and "owned" in target.read_text(errors="replace")), \
            f"a submission wrote {label}: {path}"


def test_no_special_protocol_ran_in_the_grader(graded):
    """The proto_* cases would create out/PWNED-* if the grader pickled or copied their object."""
    for user in graded["users"]:
        out = graded["runs"][user]["out"]
        assert out.is_dir() and not list(out.glob("PWNED*")), f"as {user}"


def test_the_grader_files_are_intact(graded):
    for user in graded["users"]:
        out = graded["runs"][user]["out"]
        honest = (out / "submissions" / "honest_full" / "a1.ipynb").read_text()
        assert "owned" not in honest
        feedback = (out / "feedback" / "honest_full.html").read_text()
        assert "Score: 20 / 20" in feedback
        summary = (out / "summary.html").read_text()
        for case in ("infinite_loop", "memory_bomb", "disk_bomb", "renamed", "fills_tmp"):
            assert case in summary, f"the class summary ({user}) does not list {case}"
        assert "bubblewrap sandbox" in summary
        assert "bubblewrap sandbox" in graded["runs"][user]["stdout"]
