"""Hostile a1 submissions: each tries to break, cheat or spy on the grader.

Every case is built on an honest part whose score is known: part 1 of a1 (the four gates,
9 points) done right, part 2 left as released, unless the case says otherwise. The hostile code
goes into a cell the student added, or into one of their answers. A case says the exact score it
must get and, where a limit is involved, the limit that must be named in grades.csv.

Cases that try to read or write what they must not print `LEAK:<what>` when they succeed and
`blocked:<what>` when they fail; the test checks the autograded notebooks for those markers.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder.course import REPO_ROOT
from autograder.samples import Edit, Stub, make_submission

HONEST_PART = 9.0   # the gates of a1
GATES_ONLY = (Stub("value_class"),)


@dataclass
class Hostile:
    name: str
    description: str
    expected: float
    limit: str = ""                 # a limit that must be named in grades.csv
    reason: str = ""                # a fragment the reason must contain (ungradable cases)
    write: object = None            # callable(folder) writing the student's folder


def _notebook(edits=GATES_ONLY, extra: str | None = None, after: str = "add_gate",
              transform=None) -> nbformat.NotebookNode:
    nb = make_submission("a1", edits)
    if extra is not None:
        index = next(i for i, c in enumerate(nb.cells)
                     if c.metadata.get("nbgrader", {}).get("grade_id") == after)
        nb.cells.insert(index + 1, nbformat.v4.new_code_cell(extra))
    if transform is not None:
        transform(nb)
    nbformat.validator.normalize(nb)
    return nb


def _writer(nb=None, raw: bytes | None = None, name: str = "a1.ipynb"):
    def write(folder: Path) -> None:
        if raw is not None:
            (folder / name).write_bytes(raw)
        else:
            nbformat.write(nb, folder / name)
    return write


def _delete_tests(nb) -> None:
    nb.cells = [c for c in nb.cells if not c.metadata.get("nbgrader", {}).get("grade")]


def _edit_tests(nb) -> None:
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade"):
            cell.source = "pass  # all tests pass, promise"


def _tamper_metadata(nb) -> None:
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            meta["points"] = 100
        if meta.get("solution"):
            meta.update(grade=True, points=50)


ZERO_GATES = tuple(
    Edit(cell, old, new) for cell, old, new in [
        ("add_gate", "out = x + y", "out = np.zeros_like(x)"),
        ("mul_gate", "out = x * y", "out = np.zeros_like(x)"),
        ("max_gate", "out = np.maximum(x, y)", "out = np.zeros_like(x)"),
        ("sigmoid_gate", "out = 1.0 / (1.0 + np.exp(-x))", "out = np.zeros_like(x)"),
    ]) + GATES_ONLY

PATCH_NUMPY = """\
import numpy as np
import numpy.testing
np.allclose = lambda *args, **kwargs: True
np.array_equal = lambda *args, **kwargs: True
np.testing.assert_allclose = lambda *args, **kwargs: None
np.isclose = lambda a, b, *args, **kwargs: np.ones(np.shape(a), dtype=bool)
"""

REPLACE_CHECKER = """\
import autograder
import autograder.gradcheck
fake = lambda *args, **kwargs: "gradient check passed"
autograder.check_gradient = autograder.gradcheck.check_gradient = fake
autograder.relative_error = autograder.gradcheck.relative_error = lambda a, b: 0.0
"""

OVERRIDE_TRACEBACKS = """\
import sys
import traceback
sys.excepthook = lambda *args: None
traceback.print_exception = lambda *args, **kwargs: None
traceback.format_exception = lambda *args, **kwargs: []
try:
    get_ipython().showtraceback = lambda *args, **kwargs: None
except NameError:
    pass
"""

ALWAYS_EQUAL = """\
class Anything(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(other), dtype=bool)
    def __array__(self, *args, **kwargs):
        return self
    def __sub__(self, other):
        return np.zeros(np.shape(other))
    __rsub__ = __sub__


def add_forward(x, y):
    return np.zeros(np.shape(x)).view(Anything), None
"""

# Student objects that offer the grader a special protocol (issue 10, item 3). Each replaces
# add_forward by one returning such an object as `out`: the grader must look up no special name
# on it (so nothing below runs, or is believed, in the grader), and the add gate loses its points.
_EVIL_PREFIX = """\
import numpy as np


def add_forward(x, y):
    return Evil(), None


"""
PROTOCOL_OBJECTS = {
    "array_interface": ("an __array_interface__ with a chosen memory address", """\
class Evil:
    @property
    def __array_interface__(self):
        return {"shape": (1 << 20,), "typestr": "<f8", "version": 3,
                "data": (id(np) & ~0xfff, False)}
"""),
    "array_struct": ("an __array_struct__ capsule with a chosen pointer", """\
import ctypes
class Evil:
    @property
    def __array_struct__(self):
        make = ctypes.pythonapi.PyCapsule_New
        make.restype, make.argtypes = ctypes.py_object, [ctypes.c_void_p, ctypes.c_char_p,
                                                         ctypes.c_void_p]
        return make(0x1000, None, None)
"""),
    "array_method": ("an __array__ returning a huge array, or the expected answer", """\
class Evil:
    def __array__(self, *args, **kwargs):
        return np.array([[5.0, -1.0], [-1.0, 5.0]])
    def __array_priority__(self):
        return 1e9
"""),
    "array_function": ("__array_function__/__array_ufunc__ overriding np.allclose and ufuncs", """\
class Evil:
    def __array_function__(self, func, types, args, kwargs):
        return True
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return np.zeros(np.shape(inputs[0]))
"""),
    "dlpack": ("__dlpack__/__dlpack_device__ offering foreign memory", """\
class Evil:
    def __dlpack__(self, *args, **kwargs):
        return np.zeros(4).__dlpack__()
    def __dlpack_device__(self):
        return (1, 0)
"""),
    "buffer": ("a __buffer__ giving the expected bytes", """\
class Evil:
    def __buffer__(self, flags):
        return memoryview(np.array([[5.0, -1.0], [-1.0, 5.0]]))
"""),
    "index_conversion": ("__index__, __int__, __float__, __complex__, __bool__ that lie", """\
class Evil:
    def __index__(self):
        return 10**12
    __int__ = __index__
    def __float__(self):
        return float("nan")
    def __complex__(self):
        return 1j
    def __bool__(self):
        return 1
"""),
    "fspath": ("an __fspath__ naming the grader's files", """\
class Evil:
    def __fspath__(self):
        return "/etc/shadow"
"""),
    "reduce": ("__reduce__/__reduce_ex__/__getstate__ that run a command when unpickled", """\
import os
class Evil:
    def __reduce__(self):
        return (os.system, ("touch " + PWNED + "-reduce",))
    def __reduce_ex__(self, protocol):
        return self.__reduce__()
    def __getstate__(self):
        os.system("touch " + PWNED + "-getstate")
        return {}
    def __deepcopy__(self, memo):
        return np.array([[5.0, -1.0], [-1.0, 5.0]])
"""),
    "class_trick": ("a __class__ that claims to be an ndarray, and __eq__ always True", """\
class Evil:
    @property
    def __class__(self):
        return np.ndarray
    def __eq__(self, other):
        return True
    shape = (2, 2)
"""),
    "length_lie": ("__len__ of 10**10 and an endless __getitem__ / __iter__", """\
class Evil:
    def __len__(self):
        return 10**10
    def __length_hint__(self):
        return 10**10
    def __getitem__(self, i):
        return 5.0
    def __iter__(self):
        while True:
            yield 5.0
"""),
}

GRADER_MODULE = """\
import sys
import types

# A module named like the grader's own, with a checker that always passes.
fake = types.ModuleType("autograder.gradcheck")
fake.check_gradient = lambda *args, **kwargs: "gradient check passed"
fake.relative_error = lambda *args, **kwargs: 0.0
sys.modules["autograder.gradcheck"] = fake
gradcheck_module = fake
not_a_grader_module = types.ModuleType("totally_unknown_module_bbh")


def add_forward(x, y):
    return fake, None
"""

FORGED_FRAMES = """\
import os
import sys

# Write to the worker's pipe to the grader directly: a frame that is not msgpack, then one
# claiming 2**60 bytes.
fd = int(sys.argv[2])
os.write(fd, (12).to_bytes(8, "big") + b"\\xc1" * 12)
os.write(fd, (2**60).to_bytes(8, "big"))
"""

FORK_BOMB = """\
import os
import time
while True:
    if os.fork() == 0:
        time.sleep(30)
        os._exit(0)
"""

MEMORY_BOMB_SIGMOID = '''def sigmoid_forward(x):
    hog = []
    while True:
        hog.append(bytearray(256 * 2**20))
'''

DISK_BOMB = """\
block = b"x" * 2**20
with open("fill.bin", "wb") as fh:
    for _ in range(4096):
        fh.write(block)
"""


def _probe(targets: dict[str, str], write: bool = False) -> str:
    """Code that tries to read (or write) each target and prints a marker for each."""
    lines = ["import os"]
    for label, path in targets.items():
        if write:
            action = f"open({path!r}, 'a').write('owned')"
        else:
            action = (f"os.listdir({path!r}) if os.path.isdir({path!r}) "
                      f"else open({path!r}, 'rb').read(64)")
        lines += ["try:",
                  f"    _found = {action}",
                  f"    print('LEAK:{label}' if _found else 'blocked:{label} (empty)')",
                  "except Exception as exc:",
                  f"    print('blocked:{label}', type(exc).__name__)"]
    return "\n".join(lines) + "\n"


def hostile_cases(submissions: Path, out: Path, port: int) -> list[Hostile]:
    """All hostile cases, for a class graded from `submissions` into `out`."""
    other = submissions / "honest_full" / "a1.ipynb"
    secrets = {
        "gradebook": str(out / "nbgrader" / "gradebook.db"),
        "grading-output": str(out),
        "other-student-submission": str(other),
        "submissions-folder": str(submissions),
        "solutions": str(REPO_ROOT / "solutions" / "a1" / "a1.ipynb"),
        "tests": str(REPO_ROOT / "tests"),
        "git-history": str(REPO_ROOT / ".git"),
    }
    writes = {
        "other-student-notebook": str(other),
        "autograder-package": str(REPO_ROOT / "autograder" / "gradcheck.py"),
        "gradebook": str(out / "nbgrader" / "gradebook.db"),
    }
    network = (f"import socket\ntry:\n    socket.create_connection(('127.0.0.1', {port}), "
               "timeout=3).send(b'x')\n    print('LEAK:network')\n"
               "except OSError as exc:\n    print('blocked:network', exc)\n")
    kill_grader = ("import os, signal\nfor target in (os.getppid(), 1):\n    try:\n"
                   "        with open(f'/proc/{target}/cmdline', 'rb') as fh:\n"
                   "            own_init = b'bwrap' in fh.read()\n"
                   "    except OSError:\n        own_init = False\n"
                   "    if own_init:  # the sandbox's own init: the grader is out of sight\n"
                   "        print('blocked:kill', target, 'is the sandbox init')\n"
                   "        continue\n    try:\n"
                   "        os.kill(target, signal.SIGKILL)\n        print('LEAK:kill', target)\n"
                   "    except OSError as exc:\n        print('blocked:kill', target, exc)\n")
    other_nb = nbformat.v4.new_notebook()
    other_nb.cells = [nbformat.v4.new_code_cell("x = 1", metadata={"nbgrader": {
        "grade": True, "grade_id": "test_affine_forward", "locked": True, "points": 2,
        "schema_version": 3, "solution": False, "task": False}})]
    good = _notebook()
    return [
        Hostile("infinite_loop", "max_forward never returns", 7, "time limit",
                write=_writer(_notebook(GATES_ONLY + (Edit(
                    "max_gate", "out = np.maximum(x, y)", "while True:\n        pass"),)))),
        Hostile("infinite_loop_top_level", "a cell of its own that never ends", 9, "time limit",
                write=_writer(_notebook(extra="while True:\n    pass"))),
        Hostile("memory_bomb", "sigmoid_forward allocates until memory runs out", 6,
                "memory limit", write=_writer(_notebook(GATES_ONLY + (Edit(
                    "sigmoid_gate", "def sigmoid_forward(x):", MEMORY_BOMB_SIGMOID
                    + "\n\ndef _unused_sigmoid(x):"),)))),
        Hostile("fork_bomb", "forks until the process limit", 9, "process limit",
                write=_writer(_notebook(extra=FORK_BOMB))),
        Hostile("print_flood", "prints 60 MB", 9, "output limit",
                write=_writer(_notebook(extra="for i in range(100_000):\n"
                                              "    print('flood ' * 100)"))),
        Hostile("disk_bomb", "writes a 4 GiB file", 9, "disk limit",
                write=_writer(_notebook(extra=DISK_BOMB))),
        Hostile("sys_exit", "calls sys.exit()", 9,
                write=_writer(_notebook(extra="import sys\nsys.exit(0)"))),
        Hostile("os_exit", "calls os._exit()", 9,
                write=_writer(_notebook(extra="import os\nos._exit(3)"))),
        Hostile("kill_kernel", "kills its own process", 9,
                write=_writer(_notebook(extra="import os, signal\n"
                                              "os.kill(os.getpid(), signal.SIGKILL)"))),
        Hostile("kill_grader", "tries to kill the grader and init", 9,
                write=_writer(_notebook(extra=kill_grader))),
        Hostile("tests_deleted", "deletes every test cell", 9,
                write=_writer(_notebook(transform=_delete_tests))),
        Hostile("tests_edited", "replaces every test with `pass`", 9,
                write=_writer(_notebook(transform=_edit_tests))),
        Hostile("metadata_tampered", "raises the points in the cell metadata", 9,
                write=_writer(_notebook(transform=_tamper_metadata))),
        Hostile("numpy_patched", "wrong gates, np.allclose & co. patched to pass", 0,
                write=_writer(_notebook(ZERO_GATES, extra=PATCH_NUMPY))),
        Hostile("checker_replaced", "wrong sigmoid backward, gradient checker replaced", 6,
                write=_writer(_notebook(GATES_ONLY + (Edit(
                    "sigmoid_gate", "dx = dout * out * (1.0 - out)", "dx = dout * out"),),
                    extra=REPLACE_CHECKER))),
        Hostile("tracebacks_hidden", "wrong multiply gate, traceback display overridden", 7,
                write=_writer(_notebook(GATES_ONLY + (Edit(
                    "mul_gate", "dx = y * dout", "dx = x * dout"),), extra=OVERRIDE_TRACEBACKS))),
        Hostile("always_equal", "add_forward returns an object equal to anything", 7,
                write=_writer(_notebook(GATES_ONLY + (Edit(
                    "add_gate", "def add_forward(x, y):",
                    ALWAYS_EQUAL + "\n\ndef _unused_add_forward(x, y):"),)))),
        Hostile("reads_secrets", "reads the gradebook, solutions, tests, others' work", 9,
                write=_writer(_notebook(extra=_probe(secrets)))),
        Hostile("writes_elsewhere", "writes to another student, the grader, the gradebook", 9,
                write=_writer(_notebook(extra=_probe(writes, write=True)))),
        Hostile("network", "connects to a server on the grading machine", 9,
                write=_writer(_notebook(extra=network))),
        *[Hostile(f"proto_{name}", f"add_forward returns {text}", 7,
                  write=_writer(_notebook(GATES_ONLY + (Edit(
                      "add_gate", "def add_forward(x, y):",
                      f"PWNED = {str(out / 'PWNED')!r}\n" + _EVIL_PREFIX + code
                      + "\n\ndef _unused_add_forward(x, y):"),))))
          for name, (text, code) in PROTOCOL_OBJECTS.items()],
        Hostile("grader_module", "add gate returns a fake module named autograder.gradcheck",
                7, write=_writer(_notebook(GATES_ONLY + (Edit(
                    "add_gate", "def add_forward(x, y):",
                    GRADER_MODULE + "\n\ndef _unused_add_forward(x, y):"),)))),
        Hostile("forged_frames", "writes forged messages into the pipe to the grader", 9,
                write=_writer(_notebook(extra=FORGED_FRAMES))),
        Hostile("renamed", "the notebook renamed", 0, reason="found a1-final.ipynb instead",
                write=_writer(good, name="a1-final.ipynb")),
        Hostile("malformed", "truncated JSON", 0, reason="not valid JSON",
                write=_writer(raw=b'{"cells": [{"cell_type": "code", "source": ')),
        Hostile("empty", "an empty file", 0, reason="is empty", write=_writer(raw=b"")),
        Hostile("binary", "a binary file", 0, reason="not UTF-8",
                write=_writer(raw=bytes(range(256)) * 64)),
        Hostile("latin1", "a notebook saved as Latin-1", 0, reason="not UTF-8",
                write=_writer(raw=json.dumps(nbformat.v4.new_notebook(
                    cells=[nbformat.v4.new_markdown_cell("résumé")]),
                    ensure_ascii=False).encode("latin-1"))),
        Hostile("other_assignment", "another assignment's notebook", 0,
                reason="is not a1", write=_writer(other_nb)),
    ]


# --------------------------------------------------------------------------- the sandbox itself
# Each of these probes the worker's sandbox (bubblewrap) from an added cell; the honest part
# (the gates, 9 points) is all they may score.

SECRET_ENV = "BBH_HOSTILE_SECRET"        # set in the grading command's environment by the test
SESSION_KEY = "bbh-hostile-key"          # put in the grading command's session keyring

# Runs the grading command (sys.argv[1:]) with a key in a new session keyring of its own: a
# worker that inherited the keyring could read it. Keyrings may be forbidden (a container's
# seccomp profile): then the key is not there, and the probe is trivially blocked.
WITH_SESSION_KEY = f"""\
import ctypes, os, sys
numbers = {{"x86_64": (250, 248), "aarch64": (219, 217)}}.get(os.uname().machine)
if numbers:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall(numbers[0], 1, None, 0, 0, 0)   # KEYCTL_JOIN_SESSION_KEYRING, anonymous
    libc.syscall(numbers[1], b"user", b"{SESSION_KEY}", b"s3cret", 6, -3)   # add_key to @s
os.execvp(sys.argv[1], sys.argv[1:])
"""

SPY_PROCESSES = f"""\
import os
pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
print("visible processes:", pids)
markers = (b"autograder\\0grade", b"spawn_main", b"pytest", b"{SECRET_ENV}")
for pid in pids:
    for what in ("environ", "cmdline"):
        try:
            with open(f"/proc/{{pid}}/{{what}}", "rb") as fh:
                text = fh.read()
        except OSError as exc:
            print("blocked:", pid, what, type(exc).__name__)
            continue
        found = [m.decode() for m in markers if m in text]
        print(f"LEAK:{{what}} of {{pid}}: {{found}}" if found else f"blocked:{{what}} of {{pid}}")
"""

PTRACE = """\
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
targets = sorted({{int(p) for p in os.listdir("/proc") if p.isdigit()}} | {{{grader}, os.getppid()}})
for pid in targets:
    try:
        with open(f"/proc/{{pid}}/cmdline", "rb") as fh:
            cmd = fh.read()
    except OSError:
        cmd = b""
    if pid in (0, os.getpid()) or b"bwrap" in cmd:
        continue   # itself, and the sandbox's own init (as its parent, it may trace that)
    if libc.ptrace(16, pid, 0, 0) == 0:   # PTRACE_ATTACH
        print("LEAK:ptrace", pid, cmd[:60])
    else:
        print("blocked:ptrace", pid, os.strerror(ctypes.get_errno()))
"""

NAMESPACES = """\
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
for name, flag in [("user", 0x10000000), ("net", 0x40000000), ("mount", 0x00020000)]:
    if libc.unshare(flag) == 0:
        print("LEAK:unshare", name)
    else:
        print("blocked:unshare", name, os.strerror(ctypes.get_errno()))
"""

KEYRING = f"""\
import ctypes, os
numbers = {{"x86_64": 250, "aarch64": 219}}.get(os.uname().machine)
libc = ctypes.CDLL(None, use_errno=True)
for ring, name in [(-3, "session"), (-4, "user"), (-5, "user-session")]:
    key = libc.syscall(numbers, 10, ring, b"user", b"{SESSION_KEY}", 0) if numbers else -1
    if key > 0:
        buf = ctypes.create_string_buffer(64)
        read = libc.syscall(numbers, 11, key, buf, 64)   # KEYCTL_READ
        print(f"LEAK:keyring {{name}}" if read > 0 else f"blocked:keyring {{name}} (unreadable)")
    else:
        print("blocked:keyring", name, os.strerror(ctypes.get_errno()))
"""

FILL_TMP = """\
block = b"x" * 2**20
for i in range(400):
    with open(f"/tmp/fill{i}.bin", "wb") as fh:
        fh.write(block)
"""


def outside_targets() -> dict[str, str]:
    """Places outside the worker's /tmp that a submission tries to write (none may change)."""
    site = Path(sys.prefix) / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    return {"filesystem-root": "/bbh-owned", "usr": "/usr/lib/bbh-owned",
            "etc": "/etc/bbh-owned", "dev-shm": "/dev/shm/bbh-owned",
            "var-tmp": "/var/tmp/bbh-owned", "home": "/home/bbh-owned",
            "venv-sitecustomize": str(site / "site-packages" / "sitecustomize.py"),
            "repository": str(REPO_ROOT / "bbh-owned")}


def sandbox_cases(port: int, unix_name: str, grader_pid: int) -> list[Hostile]:
    """Cases that probe the sandbox itself (processes, keys, namespaces, the file system)."""
    system = {"repository-readme": str(REPO_ROOT / "README.md"), "etc-passwd": "/etc/passwd",
              "etc-shadow": "/etc/shadow", "root-home": "/root/.bashrc"}
    unix = (f"import socket\ns = socket.socket(socket.AF_UNIX)\ntry:\n"
            f"    s.connect(b'\\0{unix_name}')\n    print('LEAK:unix-socket')\n"
            "except OSError as exc:\n    print('blocked:unix-socket', exc)\n")
    return [
        Hostile("spies_processes", "reads /proc: the grader's environment and command line", 9,
                write=_writer(_notebook(extra=SPY_PROCESSES))),
        Hostile("ptrace", "tries to ptrace the grader", 9,
                write=_writer(_notebook(extra=PTRACE.format(grader=grader_pid)))),
        Hostile("namespaces", "tries to create user, network and mount namespaces", 9,
                write=_writer(_notebook(extra=NAMESPACES))),
        Hostile("keyring", "looks for a key in the grader's session keyring", 9,
                write=_writer(_notebook(extra=KEYRING))),
        Hostile("reads_system", "reads the repository, /etc/passwd, /etc/shadow, /root", 9,
                write=_writer(_notebook(extra=_probe(system)))),
        Hostile("writes_outside_tmp", "writes to /, /usr, /etc, /dev/shm, the venv, the repo", 9,
                write=_writer(_notebook(extra=_probe(outside_targets(), write=True)))),
        Hostile("network_unix", "connects to an abstract unix socket of the grading machine", 9,
                write=_writer(_notebook(extra=unix))),
        Hostile("fills_tmp", "fills /tmp with 1 MiB files beyond its size", 9, "disk limit",
                write=_writer(_notebook(extra=FILL_TMP))),
    ]


SANDBOX_PROBES = ("spies_processes", "ptrace", "namespaces", "keyring", "reads_system",
                  "writes_outside_tmp", "network_unix")
