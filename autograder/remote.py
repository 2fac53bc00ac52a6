"""Calling a student's code in another process, so that its verdicts are not the student's.

The grader never runs a test in the student's process. A *worker* process (sandboxed, see
sandbox.py) executes the student's cells; the trusted grading process executes the test cells,
in which every name the student defined is a :class:`Proxy`. Calling a proxy, reading an
attribute of one or using it in arithmetic sends a request to the worker; what comes back is
plain data (numbers, strings, NumPy arrays, tuples, lists, dicts), decoded by an unpickler that
can build nothing else, or a new proxy for any other object. The assertions, NumPy and the
gradient checker that decide a test's outcome therefore all live in the trusted process, where
student code cannot reach them.

Frames are length-prefixed pickles. Trusted -> worker: the worker unpickles normally (the data
come from the grader). Worker -> trusted: :class:`SafeUnpickler` allows only plain data.
"""

from __future__ import annotations

import builtins
import io
import os
import pickle
import select
import struct
import sys
import time
import traceback
import types
import warnings

import numpy as np

MAX_FRAME = 256 * 2**20           # the largest reply the grader accepts from a worker
_HEADER = struct.Struct("!Q")


_CALLBACK_TAG = b"\x00callback\x00"
_BY_REFERENCE = (types.FunctionType, types.MethodType,
                 np.random.Generator, np.random.RandomState)


class _LendThis:
    """Marks a grader object to be sent by reference (as a stand-in that calls back)."""

    def __init__(self, target):
        self.target = target


def _lendable(obj) -> bool:
    """A test's own function (defined in a cell), or a random generator; not library code."""
    if isinstance(obj, (np.random.Generator, np.random.RandomState)):
        return True
    func = getattr(obj, "__func__", obj)
    return getattr(func, "__module__", None) == "__main__"


class WorkerGone(RuntimeError):
    """The worker died or stopped answering; `reason` says why (time limit, memory, crash)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class StudentError(Exception):
    """An exception raised by student code whose type is not a built-in one."""


# --------------------------------------------------------------------------- framing

def _write_frame(fd: int, payload: bytes) -> None:
    data = _HEADER.pack(len(payload)) + payload
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _read_exact(fd: int, n: int, deadline: float | None) -> bytes:
    chunks, remaining = [], n
    while remaining:
        if deadline is not None:
            timeout = deadline - time.monotonic()
            if timeout <= 0 or not select.select([fd], [], [], timeout)[0]:
                raise TimeoutError
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _read_frame(fd: int, deadline: float | None = None, limit: int = MAX_FRAME) -> bytes:
    (size,) = _HEADER.unpack(_read_exact(fd, _HEADER.size, deadline))
    if size > limit:
        raise OverflowError(f"a reply of {size} bytes (the limit is {limit})")
    return _read_exact(fd, size, deadline)


# --------------------------------------------------------------------------- plain data

_PLAIN_SCALARS = (type(None), bool, int, float, complex, str, bytes)
_SAFE_GLOBALS = {
    ("builtins", "complex"), ("builtins", "set"), ("builtins", "frozenset"),
    ("builtins", "slice"), ("builtins", "range"),
    ("numpy", "dtype"), ("numpy", "ndarray"),
    ("numpy._core.multiarray", "_reconstruct"), ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "scalar"), ("numpy.core.multiarray", "scalar"),
    ("numpy._core.numeric", "_frombuffer"), ("numpy.core.numeric", "_frombuffer"),
}
_SAFE_NUMPY_TYPES = {name for name, obj in vars(np).items()
                     if isinstance(obj, type) and issubclass(obj, (np.generic, np.dtype))}


def _is_plain(obj) -> bool:
    """Data that crosses to the grader by value; anything else crosses as a proxy.

    Exact types only: a subclass of int or of ndarray may override comparisons, so it is
    not data but an object (and objects are never compared on the student's terms).
    """
    kind = type(obj)
    if kind in _PLAIN_SCALARS:
        return True
    if kind is np.ndarray or isinstance(obj, np.generic):
        return obj.dtype.kind in "biufcSUmM"
    return isinstance(obj, np.dtype) and type(obj).__module__.startswith("numpy")


def _global_name(obj) -> tuple[str, str]:
    return (getattr(obj, "__module__", None) or "", getattr(obj, "__qualname__", None) or "")


def _safe_global(module: str, name: str) -> bool:
    if (module, name) in _SAFE_GLOBALS or (module == "numpy" and name in _SAFE_NUMPY_TYPES):
        return True
    return module.startswith("numpy.dtypes") and name.endswith("DType")


def _is_safe_global(obj) -> bool:
    """The functions and classes pickle itself names when it saves arrays and numbers."""
    if not callable(obj):
        return False
    return _safe_global(*_global_name(obj))


class _WorkerPickler(pickle.Pickler):
    """Worker side: plain data by value, modules by name, every other object as a handle."""

    def __init__(self, file, table: dict):
        super().__init__(file, protocol=4)
        self.table = table

    def persistent_id(self, obj):
        if type(obj) in (tuple, list, dict, set, frozenset):
            return None                      # containers are walked by pickle itself
        if _is_plain(obj) or _is_safe_global(obj):
            return None
        if isinstance(obj, types.ModuleType):
            return ("module", obj.__name__)
        handle = id(obj)
        self.table[handle] = obj
        return ("handle", handle, type(obj).__name__, callable(obj))


class SafeUnpickler(pickle.Unpickler):
    """Grader side: builds plain data and proxies, and nothing else."""

    def __init__(self, file, client: WorkerClient):
        super().__init__(file)
        self.client = client

    def find_class(self, module, name):
        if _safe_global(module, name):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"student code returned an object of type {module}.{name}, "
                                     "which the grader does not accept")

    def persistent_load(self, pid):
        if isinstance(pid, tuple) and len(pid) == 2 and pid[0] == "module":
            return StudentModule(str(pid[1]))
        if not (isinstance(pid, tuple) and len(pid) == 4 and pid[0] == "handle"
                and isinstance(pid[1], int)):
            raise pickle.UnpicklingError("malformed reference from the worker")
        _, handle, type_name, is_callable = pid
        return Proxy(self.client, handle, str(type_name)[:100], bool(is_callable))


class StudentModule:
    """A module the student's code imported: the grader imports it itself, never proxies it."""

    def __init__(self, name: str):
        self.name = name


class _GraderPickler(pickle.Pickler):
    """Grader side: proxies go back as their handles, objects of given cells by name."""

    def __init__(self, file, given: dict[int, str], lent: dict[int, object]):
        super().__init__(file, protocol=4)
        self.given = given
        self.lent = lent

    def persistent_id(self, obj):
        if type(obj) is Proxy:
            return ("ref", object.__getattribute__(obj, "_handle"))
        if not _is_plain(obj) and id(obj) in self.given:
            # A function or object that a given cell defined: the worker ran the same cell
            # and has its own, under the same name (e.g. a loss function a test passes in).
            return ("given", self.given[id(obj)])
        if type(obj) is _LendThis:
            self.lent[id(obj.target)] = obj.target
            return ("lent", id(obj.target))
        if isinstance(obj, _BY_REFERENCE) and _lendable(obj):
            # A test's own function or random generator stays here; the student's code gets a
            # stand-in that calls back (so a generator advances here, as in one process).
            self.lent[id(obj)] = obj
            return ("lent", id(obj))
        return None


class _WorkerUnpickler(pickle.Unpickler):
    def __init__(self, file, table: dict, namespace: dict, channel=None):
        super().__init__(file)
        self.table = table
        self.namespace = namespace
        self.channel = channel

    def persistent_load(self, pid):
        kind, key = pid
        if kind == "given":
            return self.namespace[key]
        if kind == "lent":
            return _Lent(key, self.channel)
        return self.table[key]


class _Lent:
    """Worker side: one of the grader's objects; calls and attribute reads go back to it."""

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


class _Channel:
    """Worker side: the two pipes, and the objects handed to the grader so far."""

    def __init__(self, fd_in: int, fd_out: int, table: dict, namespace: dict):
        self.fd_in, self.fd_out, self.table, self.namespace = fd_in, fd_out, table, namespace

    def call_back(self, key, op, name, args, kwargs):
        buf = io.BytesIO()
        _WorkerPickler(buf, self.table).dump((key, op, name, args, kwargs))
        _write_frame(self.fd_out, _CALLBACK_TAG + buf.getvalue())
        frame = _read_frame(self.fd_in, None, limit=1 << 40)
        status, value, after = _WorkerUnpickler(io.BytesIO(frame), self.table, self.namespace,
                                                self).load()
        if after is not None:
            _sync((args, kwargs), after)
        if status == "ok":
            return value
        ename, message = value
        cls = getattr(builtins, ename, None)
        if not (isinstance(cls, type) and issubclass(cls, Exception)):
            cls = RuntimeError
        raise cls(message)


# --------------------------------------------------------------------------- grader side

_BINARY = ["add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or",
           "xor", "lshift", "rshift"]
# Arithmetic and container access are forwarded: their results are the student's answers,
# checked by the test like any other value. Comparisons are NOT forwarded: an object whose
# __eq__ always says True would otherwise pass every `assert result == expected`.
_FORWARD_DUNDERS = ([f"__{n}__" for n in _BINARY] + [f"__r{n}__" for n in _BINARY]
                    + ["__neg__", "__pos__", "__abs__", "__invert__", "__len__",
                       "__getitem__", "__setitem__", "__delitem__", "__contains__",
                       "__float__", "__int__", "__index__", "__next__"])


class Proxy:
    """Stands, in the grader, for an object that lives in the student's worker process."""

    __slots__ = ("_client", "_handle", "_type_name", "_callable", "__weakref__")

    def __init__(self, client: WorkerClient, handle: int, type_name: str, is_callable: bool):
        object.__setattr__(self, "_client", client)
        object.__setattr__(self, "_handle", handle)
        object.__setattr__(self, "_type_name", type_name)
        object.__setattr__(self, "_callable", is_callable)

    def __getattr__(self, name):
        return object.__getattribute__(self, "_client").request(
            "getattr", object.__getattribute__(self, "_handle"), name)

    def __setattr__(self, name, value):
        object.__getattribute__(self, "_client").request(
            "setattr", object.__getattribute__(self, "_handle"), name, value)

    def __call__(self, *args, **kwargs):
        return object.__getattribute__(self, "_client").request(
            "call", object.__getattribute__(self, "_handle"), args, kwargs)

    def __iter__(self):
        return object.__getattribute__(self, "_client").request(
            "method", object.__getattribute__(self, "_handle"), "__iter__", (), {})

    def __repr__(self):
        try:
            text = object.__getattribute__(self, "_client").request(
                "repr", object.__getattribute__(self, "_handle"))
        except Exception:
            text = f"<{object.__getattribute__(self, '_type_name')} (student object)>"
        return text if isinstance(text, str) else "<student object>"

    __str__ = __repr__

    def __hash__(self):
        return hash(("proxy", object.__getattribute__(self, "_handle")))

    def __eq__(self, other):
        return self is other

    def __ne__(self, other):
        return self is not other

    def __bool__(self):
        value = object.__getattribute__(self, "_client").request(
            "method", object.__getattribute__(self, "_handle"), "__bool__", (), {})
        if type(value) is not bool:
            raise TypeError("a student object's truth value must be a bool")
        return value

    def _compare(self, other):
        raise TypeError(f"cannot compare a student {object.__getattribute__(self, '_type_name')}"
                        " object directly: compare its numbers (e.g. .data) instead")

    __lt__ = __le__ = __gt__ = __ge__ = _compare


def _make_dunder(name):
    def method(self, *args):
        return object.__getattribute__(self, "_client").request(
            "method", object.__getattribute__(self, "_handle"), name, args, {})
    method.__name__ = name
    return method


for _name in _FORWARD_DUNDERS:
    setattr(Proxy, _name, _make_dunder(_name))


def _sync(original, after) -> None:
    """Make the grader's copy of mutable arguments look like the worker's after a call."""
    kind = type(original)
    if kind is np.ndarray:
        if (type(after) is np.ndarray and after.shape == original.shape
                and original.flags.writeable
                and not np.array_equal(original, after, equal_nan=True)):
            np.copyto(original, after, casting="unsafe")
    elif kind is dict and type(after) is dict:
        for key in [k for k in original if k not in after]:
            del original[key]
        for key, value in after.items():
            if key in original and type(original[key]) in (np.ndarray, dict, list, tuple):
                _sync(original[key], value)
                if type(original[key]) is np.ndarray and (
                        type(value) is not np.ndarray or value.shape != original[key].shape):
                    original[key] = value
            else:
                original[key] = value
    elif kind is list and type(after) is list:
        if len(after) != len(original):
            original[:] = after
        else:
            for i, value in enumerate(after):
                if type(original[i]) in (np.ndarray, dict, list, tuple):
                    _sync(original[i], value)
                else:
                    original[i] = value
    elif kind is tuple and type(after) is tuple and len(after) == len(original):
        for item, value in zip(original, after, strict=True):
            _sync(item, value)


def _exception_from(ename: str, message: str, student_tb: str,
                    err: int | None = None) -> BaseException:
    cls = getattr(builtins, ename, None)
    if not (isinstance(cls, type) and issubclass(cls, Exception)):
        exc = StudentError(f"{ename}: {message}")
    elif issubclass(cls, OSError) and err is not None:
        exc = cls(err, message)
    else:
        try:
            exc = cls(message)
        except Exception:
            exc = StudentError(f"{ename}: {message}")
    if student_tb:
        exc.add_note("In your code:\n" + student_tb)
    return exc


class WorkerClient:
    """The grader's end of the pipes to one worker process."""

    def __init__(self, process, to_worker: int, from_worker: int, timeout: float):
        self.process = process
        self.to_worker = to_worker
        self.from_worker = from_worker
        self.timeout = timeout            # seconds for the current cell (reset by the caller)
        self.deadline: float | None = None
        self.output = io.StringIO()       # what the student's code printed during this cell
        self.gone: WorkerGone | None = None
        self.given: dict[int, str] = {}   # id of an object defined by a given cell -> its name
        self.lent: dict[int, object] = {}  # the grader's objects the worker may call back

    def start_cell(self, timeout: float) -> None:
        self.deadline = time.monotonic() + timeout
        self.output = io.StringIO()

    def request(self, op: str, *args):
        if self.gone is not None:
            raise self.gone
        sent = None
        if op in ("call", "method"):
            # Arguments cross by value: keep them, so that a function that modifies its input
            # in place (an array, a dict of parameters) is seen doing so, as in one process.
            sent = (args[-2], args[-1])
            args = (*args, self.forbidden())
        buf = io.BytesIO()
        try:
            _GraderPickler(buf, self.given, self.lent).dump((op, args))
        except (TypeError, AttributeError, pickle.PicklingError) as exc:
            raise TypeError(f"a test cannot pass this value to student code: {exc}") from None
        try:
            _write_frame(self.to_worker, buf.getvalue())
            while True:
                reply = _read_frame(self.from_worker, self.deadline)
                if not reply.startswith(_CALLBACK_TAG):
                    break
                self._answer_callback(reply[len(_CALLBACK_TAG):])
        except TimeoutError:
            self._fail("time limit: the code ran longer than the per-cell limit")
        except (EOFError, BrokenPipeError, OSError):
            self._fail(self._death_reason())
        except OverflowError as exc:
            self._fail(f"output limit: the student's code returned {exc}")
        try:
            status, value, printed, extras = SafeUnpickler(io.BytesIO(reply), self).load()
        except Exception as exc:
            raise StudentError(f"the student's code returned something the grader cannot "
                               f"read: {exc}") from None
        if printed:
            self.output.write(str(printed))
        if sent is not None and isinstance(extras, dict) and "args_after" in extras:
            _sync(sent, extras["args_after"])
        for category, message in (extras.get("warnings", []) if isinstance(extras, dict) else []):
            cls = getattr(builtins, str(category), None)
            if not (isinstance(cls, type) and issubclass(cls, Warning)):
                cls = UserWarning
            warnings.warn(str(message), cls, stacklevel=2)
        if status == "ok":
            return value
        ename, message, student_tb, *rest = value
        err = rest[0] if rest and type(rest[0]) is int else None
        raise _exception_from(str(ename), str(message), str(student_tb), err)

    def _answer_callback(self, frame: bytes) -> None:
        """The student's code called one of the grader's lent objects: do it here, reply."""
        try:
            key, op, name, args, kwargs = SafeUnpickler(io.BytesIO(frame), self).load()
            target = self.lent[key]
            if op == "getattr":
                if not isinstance(name, str) or name.startswith("_"):
                    raise AttributeError(f"the grader's object has no public attribute {name!r}")
                result = getattr(target, name)
                if isinstance(result, types.ModuleType):
                    raise TypeError("a module cannot be lent to student code")
                if callable(result) and not isinstance(result, type):
                    result = _LendThis(result)   # e.g. rng.permutation: called back here too
            else:
                result = target(*args, **kwargs)
            # The test's function may change its arguments in place: send them back too.
            reply = ("ok", result, (args, kwargs))
        except Exception as exc:  # goes back to the student's code as an exception
            reply = ("error", (type(exc).__name__, str(exc)[:2000]), None)
        buf = io.BytesIO()
        try:
            _GraderPickler(buf, self.given, self.lent).dump(reply)
        except Exception as exc:
            buf = io.BytesIO()
            _GraderPickler(buf, self.given, self.lent).dump(
                ("error", ("TypeError", f"cannot send the result: {exc}"), None))
        _write_frame(self.to_worker, buf.getvalue())

    def forbidden(self) -> list[str]:
        """Names a test has rebound to forbid their use (set by the runner)."""
        return []

    def _death_reason(self) -> str:
        """Why the worker went away, as '<what>: <detail>' (the part before ':' is the label)."""
        try:
            code = self.process.wait(timeout=2)
        except Exception:
            code = None
        import signal
        if code is not None and code < 0:
            sig = -code
            if sig == signal.SIGXCPU:
                return "CPU-time limit: the student's process used up its CPU time"
            if sig == signal.SIGXFSZ:
                return "disk limit: the code wrote a file larger than allowed"
            if sig == signal.SIGKILL:
                return ("process killed: the student's process received SIGKILL (it killed "
                        "itself, or the machine ran out of memory)")
            return f"process died: the student's process died of signal {sig}"
        if code is not None:
            return f"process exited: the student's code ended the process (exit code {code})"
        return "process lost: the student's process stopped answering"

    def _fail(self, reason: str):
        self.gone = WorkerGone(reason)
        try:
            self.process.kill()
        except Exception:
            pass
        raise self.gone


# --------------------------------------------------------------------------- worker side

class _CappedOutput(io.TextIOBase):
    """The worker's sys.stdout/sys.stderr: keeps the first `limit` characters of a cell."""

    def __init__(self, limit: int):
        self.limit = limit
        self.parts: list[str] = []
        self.size = 0
        self.dropped = 0

    def writable(self):
        return True

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
              if f.filename.startswith("<cell")]
    return "".join(traceback.format_list(frames[-5:]))


def serve(fd_in: int, fd_out: int, output_limit: int) -> None:
    """The worker's loop: execute cells and answer the grader's requests until EOF."""
    namespace: dict = {"__name__": "__main__", "__builtins__": builtins}
    table: dict = {}
    captured = _CappedOutput(output_limit)
    sys.stdout = sys.stderr = captured
    channel = _Channel(fd_in, fd_out, table, namespace)
    while True:
        try:
            frame = _read_frame(fd_in, None, limit=1 << 40)
        except EOFError:
            return
        op, args = _WorkerUnpickler(io.BytesIO(frame), table, namespace, channel).load()
        extras: dict = {}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                value = _dispatch(op, args, namespace, table, extras)
                reply = ("ok", value)
            except BaseException as exc:  # noqa: BLE001 - everything goes back to the grader
                if isinstance(exc, KeyboardInterrupt):
                    raise
                reply = ("error", (type(exc).__name__, str(exc)[:2000], _student_traceback(exc),
                               getattr(exc, "errno", None)))
        if op in ("call", "method"):
            extras["warnings"] = [(w.category.__name__, str(w.message)[:500]) for w in caught[:20]]
        elif caught:
            for w in caught[:20]:
                captured.write(f"{w.category.__name__}: {w.message}\n")
        buf = io.BytesIO()
        printed = captured.take()
        try:
            _WorkerPickler(buf, table).dump((reply[0], reply[1], printed, extras))
        except Exception as exc:  # an unpicklable plain-looking value
            buf = io.BytesIO()
            _WorkerPickler(buf, table).dump(
                ("error", (type(exc).__name__, f"cannot send the result: {exc}", ""), printed, {}))
        _write_frame(fd_out, buf.getvalue())


def _forbid(ename: str, message: str):
    cls = getattr(builtins, ename, None)
    if not (isinstance(cls, type) and issubclass(cls, Exception)):
        cls = AssertionError

    def forbidden(*args, **kwargs):
        raise cls(message)
    return forbidden


def _call_student(namespace: dict, forbidden: list, fn, args, kwargs, extras: dict):
    """Call student code with some globals forbidden, and report array arguments afterwards."""
    saved = {name: namespace[name] for name, _, _ in forbidden if name in namespace}
    for name, ename, message in forbidden:
        if name in saved:
            namespace[name] = _forbid(ename, message)
    try:
        return fn(*args, **kwargs)
    finally:
        namespace.update(saved)
        extras["args_after"] = (args, kwargs)


def _dispatch(op: str, args: tuple, namespace: dict, table: dict, extras: dict):
    if op == "exec":
        source, cell_name = args
        before = {k: id(v) for k, v in namespace.items()}
        code = compile(source, f"<cell {cell_name}>", "exec")
        exec(code, namespace)
        changed = {k: v for k, v in namespace.items()
                   if not k.startswith("__") and before.get(k) != id(v)}
        return changed
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
    if op == "method":
        handle, name, call_args, call_kwargs, forbidden = args
        obj = table[handle]
        method = getattr(type(obj), name, None)
        if method is None:  # as Python itself reports a missing special method
            raise TypeError(f"'{type(obj).__name__}' object does not support {name}")
        method = getattr(obj, name)
        return _call_student(namespace, forbidden, method, call_args, call_kwargs, extras)
    if op == "repr":
        return repr(table[args[0]])[:2000]
    raise ValueError(f"unknown request {op!r}")


if __name__ == "__main__":
    from autograder.sandbox import apply_rlimits
    apply_rlimits()
    serve(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
