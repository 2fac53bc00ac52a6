"""Start a student's worker process under limits, in a sandbox.

Limits (per submission; flags of the grading command):
- memory: RLIMIT_AS of the worker (NumPy's threads are limited to one so this is predictable);
- processes: RLIMIT_NPROC for the worker's own user id (a fork bomb fails at the limit);
- disk: the worker's only writable place is a size-limited tmpfs, and RLIMIT_FSIZE caps a file;
- CPU time: RLIMIT_CPU; wall time per cell and per notebook are enforced by the grader, which
  kills the worker when a reply does not come in time;
- output: the worker keeps only the first characters of what a cell prints.

Isolation (when the grader runs as root, as on the course's machines and CI): the worker gets its
own network namespace (no network at all) and mount namespace, in which the grading output folder,
the submissions, the repository's solutions, tests and history, /root's other contents and the
real /tmp are hidden; it runs as an unprivileged user id of its own (so it cannot signal another
student's worker), with no new privileges. Without root, only the resource limits apply, and the
grading command says so.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import resource
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from autograder.course import REPO_ROOT
from autograder.grader_proxy import WorkerClient

CLONE_NEWNS = 0x00020000
CLONE_NEWNET = 0x40000000
MS_NOSUID, MS_NODEV, MS_BIND, MS_REC, MS_PRIVATE = 2, 4, 4096, 16384, 1 << 18
PR_SET_NO_NEW_PRIVS = 38
PR_SET_PDEATHSIG = 1
STAGING = "/dev/shm"      # where kept paths wait while the trees above them are covered
# Worker user ids: BASE_UID + the grader process's pid. No such users exist, and two graders
# alive at the same time (two grading commands, two test runs) never share an id, so neither
# can signal, or kill while cleaning up, the other's worker.
BASE_UID = 1_000_000


@dataclass
class Limits:
    cell_timeout: float = 60.0        # seconds of wall time for one cell
    notebook_timeout: float = 600.0   # seconds of wall time for the whole notebook
    memory_mb: int = 2048             # address space of the worker
    max_processes: int = 64           # processes and threads of the worker's user
    disk_mb: int = 64                 # the worker's writable space
    output_kb: int = 256              # characters kept of what one cell prints (in KiB)

    @property
    def cpu_seconds(self) -> int:
        return int(self.notebook_timeout) + 5


def can_isolate() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0 and sys.platform.startswith("linux")


def _libc():
    return ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(libc, source, target, fstype, flags, data=None) -> None:
    _check(libc.mount(source.encode() if source else None, str(target).encode(),
                      fstype.encode() if fstype else None, flags,
                      data.encode() if data else None), f"mount {target}")


@dataclass
class SandboxPlan:
    """What the child does between fork and exec (computed in the parent, used in the child)."""

    uid: int
    limits: Limits
    hide: list[Path]
    expose: list[Path]
    isolate: bool

    def apply(self) -> None:  # runs in the child: keep it to system calls
        libc = _libc()
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if self.isolate:
            _check(libc.unshare(CLONE_NEWNS | CLONE_NEWNET), "unshare")
            _mount(libc, None, "/", None, MS_REC | MS_PRIVATE)
            # Hide whole trees, then bring back inside them only what the worker needs
            # (Python itself, the virtual environment, the autograder package): bind each kept
            # path to a staging point first, cover its tree with an empty tmpfs, bind it back.
            # /tmp is one of the trees (the repository may live under it); its new tmpfs is the
            # worker's only writable space, one MiB larger than RLIMIT_FSIZE allows a file, so
            # a runaway file is stopped by that limit before the space runs out.
            staging = STAGING
            _mount(libc, "tmpfs", staging, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=1777")
            stages = {}
            for n, keep in enumerate(self.expose):
                stage = f"{staging}/{n}"
                os.mkdir(stage)
                _mount(libc, str(keep), stage, None, MS_BIND | MS_REC)
                stages[keep] = stage
            for path in [Path("/tmp"), *self.hide]:
                if not path.is_dir():
                    if path.exists():
                        _mount(libc, "/dev/null", path, None, MS_BIND)
                    continue
                kept = [k for k in self.expose if path in k.parents]
                if str(path) == "/tmp":
                    options = f"size={self.limits.disk_mb + 1}m,mode=1777"
                else:
                    options = f"size=1m,mode={'755' if kept else '000'}"
                _mount(libc, "tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, options)
                for keep in kept:
                    os.makedirs(keep, mode=0o755, exist_ok=True)
                    _mount(libc, stages[keep], str(keep), None, MS_BIND | MS_REC)
            for stage in stages.values():   # the staging tmpfs stays, hiding /dev/shm
                libc.umount2(stage.encode(), 2)
                os.rmdir(stage)
            work = "/tmp/work"
            os.mkdir(work)
            os.chown(work, self.uid, self.uid)
            os.chdir(work)
        # The resource limits are set by the worker itself (apply_rlimits, from BBH_RLIMITS).
        if self.isolate:
            os.setgroups([])
            os.setgid(self.uid)
            os.setuid(self.uid)
            libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)


def rlimits_env(limits: Limits, isolate: bool) -> str:
    """The BBH_RLIMITS value the worker reads at start-up (JSON)."""
    return json.dumps({"memory_mb": limits.memory_mb, "disk_mb": limits.disk_mb,
                       "cpu_seconds": limits.cpu_seconds,
                       # without its own user id, the worker shares the process count of ours
                       "max_processes": limits.max_processes + (0 if isolate else 512)})


def apply_rlimits() -> None:
    """Run by the worker first thing: set its resource limits from the BBH_RLIMITS variable.

    JSON {"memory_mb", "disk_mb", "cpu_seconds", "max_processes"}: RLIMIT_AS, RLIMIT_FSIZE,
    RLIMIT_CPU, RLIMIT_NPROC; no core files. Nothing is done when the variable is absent.
    """
    text = os.environ.get("BBH_RLIMITS")
    if not text:
        return
    spec = json.loads(text)
    resource.setrlimit(resource.RLIMIT_AS, (int(spec["memory_mb"]) * 2**20,) * 2)
    resource.setrlimit(resource.RLIMIT_FSIZE, (int(spec["disk_mb"]) * 2**20,) * 2)
    cpu = int(spec["cpu_seconds"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_NPROC, (int(spec["max_processes"]),) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _hidden_paths(extra: list[Path]) -> list[Path]:
    """Trees the worker must not see: homes, the course's folders, the grading in- and output."""
    roots = [Path(p) for p in ("/root", "/home", "/work", "/var/tmp", "/srv", "/mnt", "/opt")]
    if not any(r in REPO_ROOT.parents for r in roots):
        roots.append(REPO_ROOT)
    roots += [p.resolve() for p in extra]
    roots = [r for r in roots if r != Path("/tmp") and Path("/tmp") not in r.parents]
    hidden = []
    for path in roots:
        if path.exists() and not any(h == path or h in path.parents for h in hidden):
            hidden = [h for h in hidden if path not in h.parents] + [path]
    return hidden


def start_worker(limits: Limits, hide: list[Path] | None = None,
                 isolate: bool | None = None) -> WorkerClient:
    """Start a worker process; returns the grader's client for it."""
    isolate = can_isolate() if isolate is None else isolate
    uid = BASE_UID + os.getpid()
    expose = sorted({Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(),
                     Path(sys.executable).resolve().parent, REPO_ROOT / "autograder"})
    # The repository itself is hidden apart from the autograder package and the environment.
    hide_list = _hidden_paths(hide or [])
    if REPO_ROOT not in hide_list and not any(h in REPO_ROOT.parents for h in hide_list):
        hide_list.append(REPO_ROOT)
    plan = SandboxPlan(uid=uid, limits=limits, hide=hide_list, expose=expose, isolate=isolate)
    to_worker_r, to_worker_w = os.pipe()
    from_worker_r, from_worker_w = os.pipe()
    env = {"PATH": os.path.dirname(sys.executable) + ":/usr/bin:/bin", "HOME": "/tmp/work",
           "LANG": "C.UTF-8", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1", "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1",
           "PYTHONPATH": str(REPO_ROOT), "BBH_RLIMITS": rlimits_env(limits, isolate)}
    # BBH_WORKER_LOG=path keeps the worker's own errors (for debugging the grader itself).
    debug_log = os.environ.get("BBH_WORKER_LOG")
    stderr = open(debug_log, "ab") if debug_log else subprocess.DEVNULL  # noqa: SIM115
    # The interpreter by a path inside the exposed environment (not through a hidden symlink).
    python = Path(sys.prefix).resolve() / "bin" / Path(sys.executable).name
    python = str(python) if python.exists() else sys.executable
    process = subprocess.Popen(
        [python, "-m", "autograder.worker", str(to_worker_r), str(from_worker_w),
         str(limits.output_kb * 1024)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
        pass_fds=(to_worker_r, from_worker_w), env=env, cwd="/",
        preexec_fn=plan.apply, start_new_session=True)
    os.close(to_worker_r)
    os.close(from_worker_w)
    client = WorkerClient(process, to_worker_w, from_worker_r, limits.cell_timeout)
    client.uid = uid if isolate else None
    return client


def stop_worker(client: WorkerClient) -> None:
    """Kill the worker and everything it started (every process of its user id)."""
    for fd in (client.to_worker, client.from_worker):
        try:
            os.close(fd)
        except OSError:
            pass
    try:
        os.killpg(client.process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if getattr(client, "uid", None) is not None:
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                if os.stat(f"/proc/{pid}").st_uid == client.uid:
                    os.kill(int(pid), signal.SIGKILL)
            except (FileNotFoundError, ProcessLookupError, PermissionError):
                continue
    try:
        client.process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass
