"""The worker program: runs a student's cells, inside the sandbox, as Jupyter would.

    python -m autograder.worker FD_IN FD_OUT OUTPUT_LIMIT

Started by sandbox.start_worker. It first sets its own resource limits (sandbox.apply_rlimits),
then executes cells under IPython's InteractiveShell, as a Jupyter kernel does: magics,
``get_ipython()``, ``display``, ``!`` commands (inside the sandbox), ``%matplotlib inline``;
the value of a cell's last expression is printed as Jupyter shows it (its text form); a warning
is printed, not fatal; a cell that raises keeps the names it bound before the error.

It answers the grader's requests (wire.py messages) until its input closes: run a cell, call a
student object, read or set an attribute, apply an operator. Values go back as data or as
handles of objects kept in a table here (the grader holds proxies for them). No test runs here.
"""

from __future__ import annotations

import builtins
import importlib.util
import io
import os
import re
import subprocess
import sys
import tempfile
import traceback
import types
import warnings

from autograder import wire
from autograder.wire import read_frame, write_frame

_IPYTHON_NAMES = re.compile(r"^(_+|_i+|_i?\d+|_ih|_oh|_dh|In|Out|_exit_code)$")


class _CappedOutput(io.TextIOBase):
    """The worker's sys.stdout/sys.stderr: keeps the first `limit` characters of a cell."""

    def __init__(self, limit: int):
        self.limit = limit
        self.parts: list[str] = []
        self.size = 0
        self.dropped = 0

    def writable(self):
        return True

    def isatty(self):
        return False

    def write(self, text):
        text = str(text)
        room = self.limit - self.size
        if room > 0:
            self.parts.append(text[:room])
            self.size += min(len(text), room)
        self.dropped += max(0, len(text) - max(room, 0))
        return len(text)

    def take(self) -> str:
        out = "".join(self.parts)
        if self.dropped:
            out += f"\n[... {self.dropped} more characters of output were dropped: output limit]\n"
        self.parts, self.size, self.dropped = [], 0, 0
        return out


def _student_traceback(exc: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if f.filename.startswith(("<cell", "<ipython-input"))]
    return "".join(traceback.format_list(frames[-5:]))


def _error(exc: BaseException) -> tuple:
    return (type(exc).__name__, str(exc)[:2000], _student_traceback(exc),
            getattr(exc, "errno", None) if type(getattr(exc, "errno", None)) is int else None)


class _Lent:
    """One of the grader's objects: calls and attribute reads go back to it."""

    def __init__(self, key: int, channel):
        object.__setattr__(self, "_key", key)
        object.__setattr__(self, "_channel", channel)

    def _ask(self, op, name=None, args=(), kwargs=None):
        channel = object.__getattribute__(self, "_channel")
        return channel.call_back(object.__getattribute__(self, "_key"), op, name, args,
                                 kwargs or {})

    def __call__(self, *args, **kwargs):
        return self._ask("call", None, args, kwargs)

    def __getattr__(self, name):
        return self._ask("getattr", name)


class _ByHandle:
    """Sends an object that is not well-formed data (e.g. a list that contains itself) as a
    handle: the grader gets a proxy for it instead of an error."""

    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj


class _Channel:
    """The two pipes, the objects handed to the grader so far, and the student's namespace."""

    def __init__(self, fd_in: int, fd_out: int, namespace: dict):
        self.fd_in, self.fd_out, self.namespace = fd_in, fd_out, namespace
        self.table: dict[int, object] = {}

    def reference(self, obj):
        if type(obj) in (list, tuple, dict, set, frozenset):
            return None
        if type(obj) is _ByHandle:
            obj = obj.obj
            if isinstance(obj, types.ModuleType):
                return ("module", str(obj.__name__))
        if isinstance(obj, types.ModuleType):
            return ("module", str(obj.__name__))
        if type(obj) is _Lent:
            return ("lent", object.__getattribute__(obj, "_key"))
        handle = id(obj)
        self.table[handle] = obj
        return ("handle", handle, str(type(obj).__name__)[:100], bool(callable(obj)))

    def encode(self, message) -> bytes:
        return wire.encode(message, self.reference)

    def sendable(self, value):
        """`value`, or a stand-in that sends it as a handle when it is not well-formed data."""
        try:
            self.encode(value)
        except wire.WireError:
            return _ByHandle(value)
        return value

    def decode(self, frame: bytes):
        return wire.decode(frame, {"ref": self.table.__getitem__,
                                   "given": self.namespace.__getitem__,
                                   "lent": lambda key: _Lent(key, self)})

    def call_back(self, key, op, name, args, kwargs):
        write_frame(self.fd_out, self.encode(("callback", key, op, name, args, kwargs)))
        _, status, value, after = self.decode(read_frame(self.fd_in, None, limit=1 << 40))
        if after is not None:
            _sync_back((args, kwargs), after)
        if status == "ok":
            return value
        ename, message = value
        cls = getattr(builtins, str(ename), None)
        if not (isinstance(cls, type) and issubclass(cls, Exception)):
            cls = RuntimeError
        raise cls(message)


def _sync_back(original, after) -> None:
    from autograder.grader_proxy import _sync  # the same rule on both sides
    _sync(original, after)


# --------------------------------------------------------------------------- the shell

def _make_shell(namespace: dict):
    """An InteractiveShell that behaves like a Jupyter kernel's, printing into sys.stdout."""
    # What a Jupyter kernel plots with (found, not imported: matplotlib loads only if used).
    if importlib.util.find_spec("matplotlib_inline") is not None:
        os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    else:
        os.environ.setdefault("MPLBACKEND", "Agg")
    if not os.environ.get("IPYTHONDIR"):
        os.environ["IPYTHONDIR"] = tempfile.mkdtemp(prefix="ipython-")
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    shell = InteractiveShell.instance(user_ns=namespace, config=config)
    shell.colors = "nocolor"
    # The last expression's value: its text, without the terminal's "Out[n]:" prompt.
    shell.displayhook.write_output_prompt = lambda: None
    # Errors go back to the grader, which shows them; the shell itself prints none.
    shell.showtraceback = lambda *args, **kwargs: None
    shell.showsyntaxerror = lambda *args, **kwargs: None
    shell.enable_gui = lambda gui=None: None   # `%matplotlib inline`: no event loop to start

    def system(cmd):
        """`!cmd`: run in the sandbox; its output goes into the cell's output."""
        proc = subprocess.run(cmd, shell=True, capture_output=True, text=True,
                              errors="replace", stdin=subprocess.DEVNULL)
        sys.stdout.write(proc.stdout + proc.stderr)
        shell.user_ns["_exit_code"] = proc.returncode

    def getoutput(cmd, split=True, depth=0):
        from IPython.utils.text import SList
        proc = subprocess.run(shell.var_expand(cmd, depth=depth + 2), shell=True,
                              capture_output=True, text=True, errors="replace",
                              stdin=subprocess.DEVNULL)
        out = proc.stdout + proc.stderr
        return SList(out.splitlines()) if split else out

    shell.system = shell.system_piped = shell.system_raw = system
    shell.getoutput = getoutput
    return shell


def _run_cell(shell, namespace: dict, source: str):
    """Run a cell: (the names it bound or rebound, the error tuple or None)."""
    before = {k: id(v) for k, v in namespace.items()}
    result = shell.run_cell(source, store_history=True)
    hidden = shell.user_ns_hidden
    changed = {k: v for k, v in namespace.items()
               if not k.startswith("__") and k not in hidden and not _IPYTHON_NAMES.match(k)
               and before.get(k) != id(v)}
    exc = result.error_before_exec or result.error_in_exec
    if isinstance(exc, KeyboardInterrupt):
        raise exc
    return changed, (_error(exc) if exc is not None else None)


# --------------------------------------------------------------------------- requests

def _forbid(ename: str, message: str):
    cls = getattr(builtins, str(ename), None)
    if not (isinstance(cls, type) and issubclass(cls, Exception)):
        cls = AssertionError

    def forbidden(*args, **kwargs):
        raise cls(message)
    return forbidden


class _NoSnapshot(Exception):
    """An argument this worker cannot compare before and after a call (not plain data)."""


_IMMUTABLE = (int, float, bool, str, bytes, complex, type(None))


def _snapshot(obj, depth: int = 0):
    """A copy of plain-data arguments to tell, after a call, whether the call changed them."""
    kind = type(obj)
    if kind is wire.np.ndarray:
        return ("array", obj.dtype.str, obj.shape, obj.tobytes())
    if kind in _IMMUTABLE or isinstance(obj, wire.np.generic):
        return obj
    if depth > 20:
        raise _NoSnapshot
    if kind in (list, tuple):
        return (kind.__name__, [_snapshot(x, depth + 1) for x in obj])
    if kind is dict:
        return ("dict", [(k, _snapshot(v, depth + 1)) for k, v in obj.items()])
    raise _NoSnapshot


def _call_student(namespace: dict, forbidden, fn, args, kwargs, extras: dict):
    """Call student code with some globals forbidden, and report the arguments afterwards.

    What the call changed in its arguments goes back to the grader (which copies it into its
    own objects, as if both were one process): only the changed parts ("args_changed", a path
    and a value each), or everything ("args_after") for arguments that are not plain data.
    Sending every argument back after every call doubled the traffic of a training loop.
    """
    items = [tuple(f) for f in forbidden if type(f) in (list, tuple) and len(f) == 3]
    saved = {name: namespace[name] for name, _, _ in items if name in namespace}
    for name, ename, message in items:
        if name in saved:
            namespace[name] = _forbid(ename, str(message))
    try:
        before = _snapshot((args, kwargs))
    except _NoSnapshot:
        before = None
    try:
        return fn(*args, **kwargs)
    finally:
        namespace.update(saved)
        changes: list = []
        try:
            if before is None:
                raise _NoSnapshot
            _changes((args, kwargs), before, [], changes)
            if changes:
                extras["args_changed"] = changes
        except _NoSnapshot:
            extras["args_after"] = (args, kwargs)


def _changes(obj, before, path: list, out: list) -> None:
    """(path, new value) of each part of `obj` that differs from its snapshot `before`."""
    kind = type(obj)
    if kind is dict and type(before) is tuple and before[0] == "dict" \
            and list(obj) == [k for k, _ in before[1]]:
        for key, snap in before[1]:
            _changes(obj[key], snap, [*path, key], out)
    elif kind in (list, tuple) and type(before) is tuple and before[0] == kind.__name__ \
            and len(obj) == len(before[1]):
        for i, (item, snap) in enumerate(zip(obj, before[1], strict=True)):
            _changes(item, snap, [*path, i], out)
    elif _snapshot(obj) != before:
        out.append((path, obj))


def _dispatch(shell, channel: _Channel, op: str, args: tuple, extras: dict):
    namespace, table = channel.namespace, channel.table
    if op == "exec":
        source, _cell_name = args
        changed, error = _run_cell(shell, namespace, source)
        return {"changed": changed, "error": error}
    if op == "getattr":
        handle, name = args
        return getattr(table[handle], name)
    if op == "setattr":
        handle, name, value = args
        setattr(table[handle], name, value)
        return None
    if op == "call":
        handle, call_args, call_kwargs, forbidden = args
        return _call_student(namespace, forbidden, table[handle], call_args, call_kwargs, extras)
    if op == "call_given":
        # A given cell's function that the assignment runs here, next to the student's code
        # (grader_proxy.StudentSide), looked up by name as a notebook would.
        name, call_args, call_kwargs, forbidden = args
        if type(name) is not str or name not in namespace:
            raise NameError(f"name {name!r} is not defined")
        return _call_student(namespace, forbidden, namespace[name], call_args, call_kwargs,
                             extras)
    if op == "method":
        handle, name, call_args, call_kwargs, forbidden = args
        obj = table[handle]
        if name == "__iter__":   # as iter() does: __iter__, or the old __getitem__ protocol
            return _call_student(namespace, forbidden, iter, (obj,), {}, extras)
        if getattr(type(obj), name, None) is None:  # as Python itself reports it
            raise TypeError(f"'{type(obj).__name__}' object does not support {name}")
        method = getattr(obj, name)
        return _call_student(namespace, forbidden, method, call_args, call_kwargs, extras)
    if op == "repr":
        return repr(table[args[0]])[:2000]
    raise ValueError(f"unknown request {op!r}")


def _answer(shell, channel: _Channel, frame: bytes):
    """One request: (op, reply, extras)."""
    extras: dict = {}
    try:
        _, op, args = channel.decode(frame)
    except Exception as exc:  # e.g. a reference to an object that is not here
        return "", ("error", (type(exc).__name__, str(exc)[:2000], "", None)), extras
    if op == "exec":
        # As in Jupyter: a warning is printed (into the cell's output) and is not fatal.
        try:
            return op, ("ok", _dispatch(shell, channel, op, args, extras)), extras
        except Exception as exc:  # noqa: BLE001
            return op, ("error", _error(exc)), extras
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            reply = ("ok", _dispatch(shell, channel, op, args, extras))
        except BaseException as exc:  # noqa: BLE001 - everything goes back to the grader
            if isinstance(exc, KeyboardInterrupt):
                raise
            reply = ("error", _error(exc))
    if op in ("call", "method", "call_given"):
        # In a test cell a warning fails the test, as nbgrader fails a cell that wrote stderr.
        extras["warnings"] = [(w.category.__name__, str(w.message)[:500]) for w in caught[:20]]
    return op, reply, extras


def serve(fd_in: int, fd_out: int, output_limit: int) -> None:
    """The worker's loop: execute cells and answer the grader's requests until EOF."""
    namespace: dict = {}
    captured = _CappedOutput(output_limit)
    sys.stdout = sys.stderr = captured
    shell = _make_shell(namespace)
    channel = _Channel(fd_in, fd_out, shell.user_ns)
    while True:
        try:
            frame = read_frame(fd_in, None, limit=1 << 40)
        except EOFError:
            return
        op, reply, extras = _answer(shell, channel, frame)
        printed = captured.take()
        try:
            try:
                message = channel.encode(("reply", reply[0], reply[1], printed, extras))
            except wire.WireError:
                if reply[0] != "ok":
                    raise
                # Not well-formed data (nested too deep, a list containing itself, ...):
                # send such values as handles, so the grader gets proxies for them.
                value = reply[1]
                if op == "exec":
                    value = dict(value, changed={k: channel.sendable(v)
                                                 for k, v in value["changed"].items()})
                else:
                    value = channel.sendable(value)
                message = channel.encode(("reply", "ok", value, printed, extras))
        except Exception as exc:  # a value that cannot be sent
            message = channel.encode(("reply", "error", (type(exc).__name__,
                                                         f"cannot send the result: {exc}", ""),
                                      printed, {}))
        write_frame(fd_out, message)


def main(argv: list[str] | None = None) -> None:
    from autograder.sandbox import apply_rlimits

    apply_rlimits()
    argv = sys.argv[1:] if argv is None else argv
    serve(int(argv[0]), int(argv[1]), int(argv[2]))


if __name__ == "__main__":
    main()
