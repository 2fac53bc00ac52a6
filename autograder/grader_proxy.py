"""The grader's side of a student's worker: proxies for the student's objects, and the client.

The grader never runs a test in the student's process. A *worker* process (sandboxed, see
sandbox.py; its program is worker.py) executes the student's cells; the trusted grading process
executes the test cells, in which every name the student defined is a :class:`Proxy`. Calling a
proxy, reading an attribute of one or using it in arithmetic sends a request to the worker; what
comes back is plain data decoded by wire.py (numbers, strings, NumPy arrays, containers), or a
new proxy for any other object. The assertions, NumPy and the gradient checker that decide a
test's outcome therefore all live in the trusted process, where student code cannot reach them.

A proxy forwards nothing special: the grader never looks up a ``__dunder__`` attribute on a
student object (so NumPy's probing for ``__array_interface__``, ``__array__``, ``__dlpack__``
and the like finds nothing), and a proxy implements no conversion protocol (``__index__``,
``__float__``, ``__fspath__``, buffers). What tests legitimately need is forwarded explicitly:
arithmetic, container access and iteration, each result coming back as data or a new proxy,
with strict types where Python relies on them (``bool`` for truth values, ``int`` for lengths).
"""

from __future__ import annotations

import builtins
import io
import signal
import time
import types
import warnings

import numpy as np

from autograder import wire
from autograder.wire import MAX_FRAME, WireError, read_frame, write_frame

__all__ = ["MAX_FRAME", "Proxy", "StudentError", "StudentModule", "StudentSide", "WorkerClient",
           "WorkerGone"]

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


class StudentModule:
    """A module the student's code imported: inert; the grader never imports it."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self):
        return f"<student module {self.name!r}>"


def _is_dunder(name) -> bool:
    return isinstance(name, str) and name.startswith("__") and name.endswith("__")


# --------------------------------------------------------------------------- proxies

_BINARY = ["add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or",
           "xor", "lshift", "rshift"]
# Arithmetic and container access are forwarded: their results are the student's answers,
# checked by the test like any other value. Comparisons are NOT forwarded: an object whose
# __eq__ always says True would otherwise pass every `assert result == expected`. Conversions
# (__int__, __float__, __index__, ...) are not forwarded either: a test reads numbers (.data).
_FORWARD_DUNDERS = ([f"__{n}__" for n in _BINARY] + [f"__r{n}__" for n in _BINARY]
                    + ["__neg__", "__pos__", "__abs__", "__invert__",
                       "__getitem__", "__setitem__", "__delitem__", "__next__"])


def _request(proxy, op, *args):
    return object.__getattribute__(proxy, "_client").request(
        op, object.__getattribute__(proxy, "_handle"), *args)


class Proxy:
    """Stands, in the grader, for an object that lives in the student's worker process."""

    __slots__ = ("_client", "_handle", "_type_name", "_callable", "__weakref__")

    def __init__(self, client: WorkerClient, handle: int, type_name: str, is_callable: bool):
        object.__setattr__(self, "_client", client)
        object.__setattr__(self, "_handle", handle)
        object.__setattr__(self, "_type_name", type_name)
        object.__setattr__(self, "_callable", is_callable)

    def __getattr__(self, name):
        if not isinstance(name, str) or _is_dunder(name):
            # NumPy, copy, pickle, os.fspath... probe special names on the instance: a student
            # object has none as far as the grader is concerned.
            raise AttributeError(f"a student object's special attribute {name!r} is not used")
        return _request(self, "getattr", name)

    def __setattr__(self, name, value):
        if not isinstance(name, str) or _is_dunder(name):
            raise AttributeError(f"cannot set the special attribute {name!r} of a student object")
        _request(self, "setattr", name, value)

    def __delattr__(self, name):
        raise AttributeError("cannot delete an attribute of a student object")

    def __call__(self, *args, **kwargs):
        return _request(self, "call", args, kwargs)

    def __iter__(self):
        return _request(self, "method", "__iter__", (), {})

    def __len__(self):
        value = _request(self, "method", "__len__", (), {})
        if type(value) is not int or value < 0:
            raise TypeError("a student object's length must be a non-negative int")
        return value

    def __contains__(self, item):
        value = _request(self, "method", "__contains__", (item,), {})
        if type(value) is not bool:
            raise TypeError("a student object's `in` must give a bool")
        return value

    def __bool__(self):
        value = _request(self, "method", "__bool__", (), {})
        if type(value) is not bool:
            raise TypeError("a student object's truth value must be a bool")
        return value

    def __repr__(self):
        try:
            text = _request(self, "repr")
        except Exception:
            text = None
        if type(text) is not str:
            return f"<{object.__getattribute__(self, '_type_name')} (student object)>"
        return text

    __str__ = __repr__

    def __format__(self, spec):
        if spec:
            raise TypeError(f"cannot format a student {object.__getattribute__(self, '_type_name')}"
                            f" object with {spec!r}: format its numbers (e.g. .data) instead")
        return repr(self)

    def __hash__(self):
        return hash(("proxy", object.__getattribute__(self, "_handle")))

    def __eq__(self, other):
        return self is other

    def __ne__(self, other):
        return self is not other

    def _compare(self, other):
        raise TypeError(f"cannot compare a student {object.__getattribute__(self, '_type_name')}"
                        " object directly: compare its numbers (e.g. .data) instead")

    __lt__ = __le__ = __gt__ = __ge__ = _compare

    def __reduce_ex__(self, protocol):
        raise TypeError("a student object cannot be pickled or copied by the grader")

    def __reduce__(self):
        raise TypeError("a student object cannot be pickled or copied by the grader")

    def __copy__(self):
        raise TypeError("a student object cannot be copied by the grader")

    def __deepcopy__(self, memo):
        raise TypeError("a student object cannot be copied by the grader")


def _make_dunder(name):
    def method(self, *args):
        return _request(self, "method", name, args, {})
    method.__name__ = name
    return method


for _name in _FORWARD_DUNDERS:
    setattr(Proxy, _name, _make_dunder(_name))


class StudentSide:
    """A given cell's function that runs in the student's process, where Jupyter runs it.

    An assignment lists such functions in the given cell's metadata
    (``"bbh": {"runs_with_student_code": ["train_two_layer"]}``): loops that do little but call
    the student's functions thousands of times (a training loop calling ``sgd_step``). Run in
    the grader, every one of those calls would cross the process boundary, and grading a
    training test took five to fifteen times as long as the training itself.

    What such a function returns is therefore no more trusted than what the student's own
    functions return (the student's process may even have redefined it, as Jupyter would let
    it): a test judges it by something the grader computes itself, e.g. the accuracy of the
    returned parameters under the given (grader-side) ``predict``. The name is looked up in the
    student's namespace at each call, as a notebook's would be.
    """

    def __init__(self, client_of, name: str, doc: str | None = None):
        self._client = client_of          # () -> the current WorkerClient (it is restarted)
        self._name = self.__name__ = name
        self.__doc__ = doc                # help(train_two_layer) in a test still reads it

    def __call__(self, *args, **kwargs):
        return self._client().request("call_given", self._name, args, kwargs)

    def __repr__(self):
        return f"<function {self._name} (run in the student's process)>"


# --------------------------------------------------------------------------- helpers

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


def _apply_changes(sent, changes: list) -> None:
    """Copy what a call changed in its arguments (worker's (path, value) pairs) into ours."""
    for change in changes[:10_000]:
        if type(change) is not tuple or len(change) != 2 or type(change[0]) is not list:
            continue
        path, value = change
        parent, obj = None, sent
        try:
            for key in path:
                if type(obj) not in (tuple, list, dict):
                    raise KeyError(key)
                parent, obj = obj, obj[key]
        except (KeyError, IndexError, TypeError):
            continue                      # a path that is not in our arguments: ignore it
        replace = type(parent) in (dict, list) and path
        if type(obj) is np.ndarray and type(value) is np.ndarray \
                and value.shape == obj.shape and obj.flags.writeable:
            np.copyto(obj, value, casting="unsafe")
        elif type(obj) in (dict, list) and type(obj) is type(value):
            _sync(obj, value)
        elif replace:
            parent[path[-1]] = value


def exception_from(error) -> BaseException:
    """The grader's exception for a student error sent as [name, message, traceback, errno]."""
    if type(error) not in (list, tuple) or len(error) < 3:
        return StudentError("the student's code failed (malformed error report)")
    ename, message, student_tb = (str(x) for x in error[:3])
    err = error[3] if len(error) > 3 and type(error[3]) is int else None
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


def _forbidden_now() -> list:
    try:
        from autograder.testing import forbidden_now
    except ImportError:
        return []
    return list(forbidden_now())


# --------------------------------------------------------------------------- the client

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

    # -- encoding
    def _reference(self, obj):
        """Grader -> worker: proxies by handle, given-cell objects by name, test code lent."""
        if type(obj) is Proxy:
            return ("ref", object.__getattribute__(obj, "_handle"))
        if type(obj) is StudentSide:
            return ("given", obj._name)
        if id(obj) in self.given and not wire.is_data(obj):
            # A function or object that a given cell defined: the worker ran the same cell
            # and has its own, under the same name (e.g. a loss function a test passes in).
            return ("given", self.given[id(obj)])
        if type(obj) in (list, tuple, dict, set, frozenset):
            return None
        if type(obj) is _LendThis:
            self.lent[id(obj.target)] = obj.target
            return ("lent", id(obj.target))
        if isinstance(obj, _BY_REFERENCE) and _lendable(obj):
            # A test's own function or random generator stays here; the student's code gets a
            # stand-in that calls back (so a generator advances here, as in one process).
            self.lent[id(obj)] = obj
            return ("lent", id(obj))
        return None

    def _decode(self, frame: bytes):
        def lent(key):
            if key not in self.lent:
                raise WireError("a reference to an object the grader did not lend")
            return self.lent[key]
        return wire.decode(frame, {
            "handle": lambda handle, type_name, is_callable: Proxy(self, handle, type_name,
                                                                   is_callable),
            "module": StudentModule,
            "lent": lent,
        })

    def forbidden(self) -> list:
        """(name, exception, message) of the student functions the running test forbids
        (with autograder.testing.forbid); the worker stands in for them during the call."""
        return [(str(name), "AssertionError", str(message))
                for name, message in _forbidden_now()]

    def exec_cell(self, source: str, name: str):
        """Run a cell in the worker: (names it changed, the exception it raised or None)."""
        value = self.request("exec", source, name)
        if type(value) is not dict or type(value.get("changed")) is not dict:
            raise StudentError("the worker sent a malformed reply")
        error = value.get("error")
        return value["changed"], (exception_from(error) if error is not None else None)

    def request(self, op: str, *args):
        if self.gone is not None:
            raise self.gone
        sent = None
        if op in ("call", "method", "call_given"):
            # Arguments cross by value: keep them, so that a function that modifies its input
            # in place (an array, a dict of parameters) is seen doing so, as in one process.
            sent = (args[-2], args[-1])
            args = (*args, self.forbidden())
        try:
            message = wire.encode(("request", op, args), self._reference)
        except WireError as exc:
            raise TypeError(f"a test cannot pass this value to student code: {exc}") from None
        try:
            write_frame(self.to_worker, message)
            while True:
                reply = read_frame(self.from_worker, self.deadline)
                try:
                    decoded = self._decode(reply)
                except WireError as exc:
                    # Only student code writing to the pipe itself sends this: the worker's
                    # answers can no longer be trusted to match the questions; start afresh.
                    self._fail(f"protocol error: the student's process sent a malformed "
                               f"message ({str(exc)[:200]})")
                if type(decoded) is tuple and decoded and decoded[0] == "callback":
                    self._answer_callback(decoded)
                    continue
                break
        except TimeoutError:
            self._fail("time limit: the code ran longer than the per-cell limit")
        except (EOFError, BrokenPipeError, OSError):
            self._fail(self._death_reason())
        except OverflowError as exc:
            self._fail(f"output limit: the student's code returned {exc}")
        if not (type(decoded) is tuple and len(decoded) == 5 and decoded[0] == "reply"):
            raise StudentError("the worker sent a malformed reply")
        _, status, value, printed, extras = decoded
        if type(printed) is str and printed:
            self.output.write(printed)
        extras = extras if type(extras) is dict else {}
        if sent is not None and "args_after" in extras:
            _sync(sent, extras["args_after"])
        elif sent is not None and type(extras.get("args_changed")) is list:
            _apply_changes(sent, extras["args_changed"])
        caught = extras.get("warnings", [])
        for item in caught if type(caught) is list else []:
            if type(item) is not tuple or len(item) != 2:
                continue
            cls = getattr(builtins, str(item[0]), None)
            if not (isinstance(cls, type) and issubclass(cls, Warning)):
                cls = UserWarning
            warnings.warn(str(item[1]), cls, stacklevel=2)
        if status == "ok":
            return value
        raise exception_from(value)

    def _answer_callback(self, decoded) -> None:
        """The student's code called one of the grader's lent objects: do it here, reply."""
        try:
            if len(decoded) != 6:
                raise TypeError("malformed call-back")
            _, key, op, name, args, kwargs = decoded
            if type(key) is not int or key not in self.lent or type(args) is not tuple \
                    or type(kwargs) is not dict or not all(type(k) is str for k in kwargs):
                raise TypeError("malformed call-back")
            target = self.lent[key]
            if op == "getattr":
                if not isinstance(name, str) or name.startswith("_"):
                    raise AttributeError(f"the grader's object has no public attribute {name!r}")
                result = getattr(target, name)
                if isinstance(result, types.ModuleType):
                    raise TypeError("a module cannot be lent to student code")
                if callable(result) and not isinstance(result, type):
                    result = _LendThis(result)   # e.g. rng.permutation: called back here too
            elif op == "call":
                result = target(*args, **kwargs)
            else:
                raise TypeError("malformed call-back")
            # The test's function may change its arguments in place: send them back too.
            reply = ("callback-reply", "ok", result, (args, kwargs))
        except Exception as exc:  # goes back to the student's code as an exception
            reply = ("callback-reply", "error", (type(exc).__name__, str(exc)[:2000]), None)
        try:
            message = wire.encode(reply, self._reference)
        except WireError as exc:
            message = wire.encode(("callback-reply", "error",
                                   ("TypeError", f"cannot send the result: {exc}"), None))
        write_frame(self.to_worker, message)

    def _death_reason(self) -> str:
        """Why the worker went away, as '<what>: <detail>' (the part before ':' is the label)."""
        try:
            code = self.process.wait(timeout=2)
        except Exception:
            code = None
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
