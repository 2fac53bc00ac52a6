"""The grading command refuses to run student code without a working sandbox (fast: no grading).

The sandbox's isolation itself is tested by the hostile suite (tests/test_hostile.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from autograder.course import REPO_ROOT
from autograder.sandbox import BWRAP_ENV, Limits, bwrap_args

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="grading (and its sandbox, bubblewrap) is Linux-only")


def _grade(tmp_path: Path, *extra: str, env: dict | None = None) -> subprocess.CompletedProcess:
    submissions = tmp_path / "class"
    submissions.mkdir(exist_ok=True)
    return subprocess.run([sys.executable, "-m", "autograder", "grade", "a1", str(submissions),
                           "--out", str(tmp_path / "out"), "--no-progress", *extra],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, **(env or {})))


def test_refuses_without_bwrap(tmp_path):
    missing = tmp_path / "no-such-bwrap"
    proc = _grade(tmp_path, env={BWRAP_ENV: str(missing)})
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "refusing to run student code" in proc.stderr
    assert str(missing) in proc.stderr and "--no-sandbox" in proc.stderr
    assert not (tmp_path / "out").exists(), "nothing is written when the command refuses"


def test_refuses_where_namespaces_are_forbidden(tmp_path):
    # A bwrap that fails as it does on a kernel without unprivileged user namespaces. Not in
    # tmp_path: as root, bwrap runs as an unprivileged user, who must be able to run it.
    with tempfile.TemporaryDirectory(prefix="bbh-fake-bwrap-") as folder:
        os.chmod(folder, 0o755)
        fake = Path(folder) / "bwrap"
        fake.write_text("#!/bin/sh\necho 'bwrap: setting up uid map: Permission denied' >&2\n"
                        "exit 1\n")
        fake.chmod(0o755)
        proc = _grade(tmp_path, env={BWRAP_ENV: str(fake)})
    assert proc.returncode == 2, proc.stdout + proc.stderr
    message = proc.stderr
    assert "could not create its namespaces" in message
    assert "setting up uid map: Permission denied" in message      # bwrap's own words
    assert "kernel.unprivileged_userns_clone=1" in message         # what to do
    assert "--no-sandbox" in message


def test_no_sandbox_is_said_out_loud(tmp_path):
    proc = _grade(tmp_path, "--no-sandbox", env={BWRAP_ENV: str(tmp_path / "no-such-bwrap")})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "--no-sandbox" in proc.stderr
    assert "NO sandbox (--no-sandbox)" in proc.stdout
    assert "NO sandbox (--no-sandbox)" in (tmp_path / "out" / "summary.html").read_text()


def test_the_worker_sees_only_the_allow_list(tmp_path):
    args = bwrap_args(Limits(disk_mb=32), hide=[tmp_path])
    binds = [args[i + 2] for i, a in enumerate(args) if a == "--ro-bind"]
    for hidden in ("solutions", "tests", ".git"):
        assert not any(Path(b) == REPO_ROOT / hidden or Path(b) == REPO_ROOT for b in binds)
    assert str(REPO_ROOT / "autograder") in binds
    assert not any(b.startswith(("/root", "/home")) and not b.startswith(sys.prefix)
                   for b in binds)
    assert args[args.index("--tmpfs") - 1] == str(33 * 2**20)   # disk_mb + 1 MiB
    rlimits = json.loads(args[args.index("BBH_RLIMITS") + 1])
    assert rlimits == {"memory_mb": 2048, "disk_mb": 32, "cpu_seconds": 605,
                       "max_processes": 64}
    for flag in ("--unshare-all", "--unshare-user", "--unshare-cgroup", "--disable-userns",
                 "--die-with-parent", "--new-session", "--clearenv"):
        assert flag in args
    assert "--share-net" not in args
    assert args[args.index("--cap-drop") + 1] == "ALL"
