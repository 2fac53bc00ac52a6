"""The data-only wire format between the grader and a student's worker, in both directions.

A message is one msgpack document, sent as a length-prefixed frame. What it can carry:

- None, bool, int (any size), float, complex, str, bytes, and exact lists, tuples, dicts, sets,
  frozensets, slices and Ellipsis of those;
- NumPy arrays and scalars of the numeric kinds (bool, int, uint, float, complex) and of fixed
  width strings, as (dtype string, shape, raw bytes), and their dtypes;
- tagged references: a worker object ("handle": id, type name, callable flag), a module by name
  ("module"), a grader object lent to the worker ("lent"), a name a given cell defined ("given"),
  and a worker object the grader holds a proxy for ("ref").

Exact types only: a subclass of int, list or ndarray may override what a test relies on, so it
is not data but an object, and crosses as a reference (a proxy on the grader's side).

Decoding validates everything (sizes, nesting, dtype strings, shapes against byte counts) and
builds only the types above: it never imports, looks up or calls anything the sender named, and
references are turned into objects only by the receiver's own resolvers. No pickle anywhere.
"""

from __future__ import annotations

import os
import re
import select
import struct
import time
from collections.abc import Callable

import msgpack
import numpy as np

MAX_FRAME = 256 * 2**20           # the largest message the grader accepts from a worker
MAX_DEPTH = 64                    # nesting of containers
MAX_NAME = 200                    # characters of a type or module name
MAX_BIGINT_BYTES = 1 << 16        # an int outside 64 bits, in bytes
_HEADER = struct.Struct("!Q")

# ext type codes
_BIGINT, _TUPLE, _SET, _FROZENSET, _COMPLEX, _ARRAY, _SCALAR, _DTYPE, _SLICE, _ELLIPSIS = range(
    1, 11)
REF_KINDS = {"handle": 20, "module": 21, "lent": 22, "given": 23, "ref": 24}
_REF_CODES = {code: kind for kind, code in REF_KINDS.items()}
# what each reference carries: its payload's types
_REF_PAYLOAD = {"handle": (int, str, bool), "module": (str,), "lent": (int,), "given": (str,),
                "ref": (int,)}

ARRAY_KINDS = "biufcUS"
_DTYPE_RE = re.compile(r"^[<>|=]?[biufcUS]\d{1,5}$")
_SCALAR_TYPES = frozenset(np.dtype(c).type for c in "?bhilqpBHILQPefdgFDG") | {np.str_, np.bytes_}


class WireError(ValueError):
    """A message that is not well-formed wire data (or data that cannot be sent)."""


# --------------------------------------------------------------------------- framing

def write_frame(fd: int, payload: bytes) -> None:
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


def read_frame(fd: int, deadline: float | None = None, limit: int = MAX_FRAME) -> bytes:
    (size,) = _HEADER.unpack(_read_exact(fd, _HEADER.size, deadline))
    if size > limit:
        raise OverflowError(f"a reply of {size} bytes (the limit is {limit})")
    return _read_exact(fd, size, deadline)


# --------------------------------------------------------------------------- encoding

def is_data(obj) -> bool:
    """A value (not a container) that crosses by value."""
    kind = type(obj)
    if kind in (type(None), bool, int, float, complex, str, bytes, slice) or obj is Ellipsis:
        return True
    if kind is np.ndarray or kind in _SCALAR_TYPES:
        return obj.dtype.kind in ARRAY_KINDS and obj.dtype.itemsize > 0
    return kind in _DTYPE_TYPES and obj.kind in ARRAY_KINDS


_DTYPE_TYPES = frozenset(type(np.dtype(c)) for c in "?bhilqpBHILQPefdgFDGUS")
_CONTAINERS = (list, tuple, dict, set, frozenset)


def _pack(obj) -> bytes:
    return msgpack.packb(obj, use_bin_type=True, strict_types=True)


def encode(obj, reference: Callable[[object], tuple | None] | None = None) -> bytes:
    """One message. `reference(obj)` turns an object that is not data into a reference
    ``(kind, *payload)``, or returns None to send a container by value; it is asked first for
    every container and every non-data object. Raises WireError for what cannot be sent."""
    try:
        return _pack(_Encoder(reference).walk(obj, 0))
    except WireError:
        raise
    except (TypeError, ValueError, OverflowError) as exc:
        raise WireError(f"cannot send this value: {exc}") from None


class _Encoder:
    def __init__(self, reference):
        self.reference = reference

    def _ref(self, obj):
        if self.reference is None:
            return None
        ref = self.reference(obj)
        if ref is None:
            return None
        kind, *payload = ref
        types_ = _REF_PAYLOAD[kind]
        if len(payload) != len(types_) or any(type(p) is not t for p, t in zip(payload, types_,
                                                                                 strict=True)):
            raise WireError(f"malformed {kind} reference")
        return msgpack.ExtType(REF_KINDS[kind], _pack(payload))

    def walk(self, obj, depth: int):
        if depth > MAX_DEPTH:
            raise WireError(f"containers nested deeper than {MAX_DEPTH}")
        kind = type(obj)
        if kind in (type(None), bool, float, str, bytes):
            return obj
        if kind is int:
            if -(2**63) <= obj < 2**64:
                return obj
            size = (obj.bit_length() + 8) // 8
            if size > MAX_BIGINT_BYTES:
                raise WireError("an integer too large to send")
            return msgpack.ExtType(_BIGINT, obj.to_bytes(size, "big", signed=True))
        if kind is complex:
            return msgpack.ExtType(_COMPLEX, struct.pack("!dd", obj.real, obj.imag))
        if obj is Ellipsis:
            return msgpack.ExtType(_ELLIPSIS, b"")
        if kind is slice:
            return msgpack.ExtType(_SLICE, _pack([self.walk(p, depth + 1)
                                                  for p in (obj.start, obj.stop, obj.step)]))
        if kind in _CONTAINERS:
            ref = self._ref(obj)
            if ref is not None:
                return ref
            if kind is list:
                return [self.walk(x, depth + 1) for x in obj]
            if kind is dict:
                return {self.walk(k, depth + 1): self.walk(v, depth + 1) for k, v in obj.items()}
            code = {tuple: _TUPLE, set: _SET, frozenset: _FROZENSET}[kind]
            return msgpack.ExtType(code, _pack([self.walk(x, depth + 1) for x in obj]))
        if is_data(obj):
            if kind is np.ndarray:
                data = np.ascontiguousarray(obj).tobytes()
                return msgpack.ExtType(_ARRAY, _pack([obj.dtype.str, list(obj.shape), data]))
            if kind in _SCALAR_TYPES:
                return msgpack.ExtType(_SCALAR, _pack([obj.dtype.str, obj.tobytes()]))
            return msgpack.ExtType(_DTYPE, _pack(obj.str))
        ref = self._ref(obj)
        if ref is None:
            raise WireError(f"an object of type {kind.__name__} is not data")
        return ref


# --------------------------------------------------------------------------- decoding

_DTYPES: dict[str, np.dtype] = {}     # dtype strings already accepted (a training loop
                                      # sends the same few thousands of times)


def _dtype(text) -> np.dtype:
    if type(text) is str:
        known = _DTYPES.get(text)
        if known is not None:
            return known
    if type(text) is not str or not _DTYPE_RE.match(text):
        raise WireError(f"dtype {text!r} is not accepted")
    dtype = np.dtype(text)
    if dtype.kind not in ARRAY_KINDS or dtype.itemsize == 0 or dtype.hasobject:
        raise WireError(f"dtype {text!r} is not accepted")
    if len(_DTYPES) < 256:
        _DTYPES[text] = dtype
    return dtype


def decode(frame: bytes, resolve: dict[str, Callable] | None = None):
    """Decode one message. `resolve` maps each reference kind this side accepts to the
    function that turns its (validated) payload into an object; any other kind is refused."""
    decoder = _Decoder(resolve or {})
    try:
        return decoder.unpack(frame)
    except WireError:
        raise
    except RecursionError:
        raise WireError("message nested too deeply") from None
    except Exception as exc:  # msgpack's own errors, unhashable keys, bad UTF-8, ...
        raise WireError(f"malformed message: {type(exc).__name__}: {exc}") from None


class _Decoder:
    def __init__(self, resolve):
        self.resolve = resolve
        self.depth = 0

    def unpack(self, data: bytes):
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise WireError(f"containers nested deeper than {MAX_DEPTH}")
            return msgpack.unpackb(data, ext_hook=self.ext, raw=False, use_list=True,
                                   strict_map_key=False)
        finally:
            self.depth -= 1

    def _items(self, data: bytes) -> list:
        items = self.unpack(data)
        if type(items) is not list:
            raise WireError("malformed container")
        return items

    def ext(self, code: int, data: bytes):
        if code == _BIGINT:
            if not data or len(data) > MAX_BIGINT_BYTES:
                raise WireError("malformed integer")
            return int.from_bytes(data, "big", signed=True)
        if code == _COMPLEX:
            if len(data) != 16:
                raise WireError("malformed complex number")
            return complex(*struct.unpack("!dd", data))
        if code == _ELLIPSIS:
            return Ellipsis
        if code == _TUPLE:
            return tuple(self._items(data))
        if code == _SET:
            return set(self._items(data))
        if code == _FROZENSET:
            return frozenset(self._items(data))
        if code == _SLICE:
            parts = self._items(data)
            if len(parts) != 3:
                raise WireError("malformed slice")
            return slice(*parts)
        if code == _DTYPE:
            return _dtype(self.unpack(data))
        if code == _SCALAR:
            parts = msgpack.unpackb(data, raw=False)
            if type(parts) is not list or len(parts) != 2 or type(parts[1]) is not bytes:
                raise WireError("malformed scalar")
            dtype = _dtype(parts[0])
            if len(parts[1]) != dtype.itemsize:
                raise WireError("a scalar whose size does not match its dtype")
            return np.frombuffer(parts[1], dtype=dtype)[0]
        if code == _ARRAY:
            return self._array(data)
        kind = _REF_CODES.get(code)
        if kind is None or kind not in self.resolve:
            raise WireError(f"unexpected item (code {code}) in this direction")
        payload = msgpack.unpackb(data, raw=False)
        types_ = _REF_PAYLOAD[kind]
        if (type(payload) is not list or len(payload) != len(types_)
                or any(type(p) is not t for p, t in zip(payload, types_, strict=True))):
            raise WireError(f"malformed {kind} reference")
        payload = [p[:MAX_NAME] if type(p) is str else p for p in payload]
        return self.resolve[kind](*payload)

    def _array(self, data: bytes) -> np.ndarray:
        parts = msgpack.unpackb(data, raw=False)
        if type(parts) is not list or len(parts) != 3:
            raise WireError("malformed array")
        text, shape, raw = parts
        dtype = _dtype(text)
        if (type(shape) is not list or len(shape) > 32
                or any(type(n) is not int or n < 0 for n in shape)):
            raise WireError("malformed array shape")
        if type(raw) is not bytes:
            raise WireError("malformed array data")
        count = 1
        for n in shape:
            count *= n
        if count * dtype.itemsize != len(raw):
            raise WireError(f"an array of shape {tuple(shape)} and dtype {text} needs "
                            f"{count * dtype.itemsize} bytes, not {len(raw)}")
        return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
