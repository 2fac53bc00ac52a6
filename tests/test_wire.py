"""The wire format between grader and worker: data only, validated, no pickle (in-process, fast)."""

from __future__ import annotations

import ast
import os
import pickle
import struct
from pathlib import Path

import msgpack
import numpy as np
import pytest

from autograder import wire
from autograder.wire import WireError, decode, encode

VALUES = [
    None, True, False, 0, -1, 2**63 - 1, -(2**63), 2**64 - 1, 2**64, -(2**63) - 1, 10**400,
    -(10**400), 1.5, float("inf"), -0.0, 2 - 3j, "", "résumé ☃", b"", b"\x00\xff",
    [], [1, [2, [3]]], (), (1,), (1, (2, "x")), {}, {"a": 1, 2: "b", (1, 2): [3], None: b""},
    {1, 2, 3}, frozenset({"a"}), slice(1, None, -2), Ellipsis, [Ellipsis, slice(None)],
    np.dtype("float32"), np.dtype("<U3"),
]
ARRAYS = [
    np.arange(12.0).reshape(3, 4), np.arange(12.0).reshape(3, 4).T, np.zeros((0, 3)),
    np.array(3.5), np.array([True, False]), np.arange(5, dtype=np.uint8),
    np.arange(6, dtype=">i4").reshape(2, 3), np.array([1 + 2j], dtype=np.complex64),
    np.array(["ab", "c"]), np.array([b"xy"]), np.arange(24, dtype=np.float16).reshape(2, 3, 4),
    np.array([1.0], dtype=np.longdouble),
]
SCALARS = [np.float64(1.25), np.float32(-2), np.int8(-3), np.uint64(2**64 - 1), np.bool_(True),
           np.complex128(1j), np.str_("hé"), np.bytes_(b"z"), np.int64(7)]


def _same(a, b) -> bool:
    if type(a) is not type(b):
        return False
    if type(a) is np.ndarray:
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
    if type(a) in (list, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if type(a) is dict:
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if type(a) is float and a != a:
        return b != b
    return a == b


@pytest.mark.parametrize("value", VALUES + SCALARS, ids=repr)
def test_round_trip(value):
    back = decode(encode(value))
    assert _same(back, value), (value, back)


@pytest.mark.parametrize("array", ARRAYS, ids=lambda a: f"{a.dtype.str}{a.shape}")
def test_arrays_round_trip_as_writable_copies(array):
    back = decode(encode(array))
    assert _same(back, array)
    assert back.flags.writeable and back.flags.c_contiguous


def test_nan_and_nested_arrays():
    value = {"w": [np.array([np.nan, 1.0])], "t": (np.int32(4), float("nan"))}
    back = decode(encode(value))
    assert np.isnan(back["w"][0][0]) and back["t"][0] == 4 and type(back["t"][0]) is np.int32


class Sub(int):
    pass


class SubArray(np.ndarray):
    pass


@pytest.mark.parametrize("obj", [Sub(3), np.zeros(2).view(SubArray), object(),
                                 np.array([object()]), np.zeros(2, dtype="M8[ns]"),
                                 np.zeros(1, dtype=[("a", "<i4")]), bytearray(b"x"), range(3),
                                 lambda: 0, os], ids=lambda o: type(o).__name__)
def test_objects_are_not_data(obj):
    """Subclasses, object/datetime/structured arrays, functions, modules: never by value."""
    with pytest.raises(WireError):
        encode(obj)
    frame = encode([obj], lambda o: ("handle", 7, type(o).__name__, callable(o))
                   if type(o) is not list else None)
    assert decode(frame, {"handle": lambda *payload: payload}) == [(7, type(obj).__name__,
                                                                    callable(obj))]


def test_references_need_a_resolver():
    frame = encode(object(), lambda o: ("handle", 1, "object", False))
    with pytest.raises(WireError, match="unexpected"):
        decode(frame)
    with pytest.raises(WireError, match="unexpected"):
        decode(frame, {"ref": lambda h: h})
    assert decode(frame, {"handle": lambda *p: p}) == (1, "object", False)


def test_reference_payloads_are_type_checked():
    bad = msgpack.ExtType(wire.REF_KINDS["handle"], msgpack.packb(["1", "T", False]))
    with pytest.raises(WireError, match="malformed handle"):
        decode(msgpack.packb(bad), {"handle": lambda *p: p})
    long_name = msgpack.ExtType(wire.REF_KINDS["module"], msgpack.packb(["x" * 10_000]))
    assert len(decode(msgpack.packb(long_name), {"module": str})) == wire.MAX_NAME
    with pytest.raises(WireError):
        encode(object(), lambda o: ("handle", "not an int", "T", False))


def _ext(code, payload) -> bytes:
    return msgpack.packb(msgpack.ExtType(code, msgpack.packb(payload)))


@pytest.mark.parametrize("dtype", ["|O8", "O", "V8", "<M8[ns]", "<m8", "<U0", "|S0",
                                   "numpy.float64", "<f8,<i4", "[('a','<i4')]", "<f" + "9" * 40,
                                   "os.system", 8, None, ["<f8"]])
def test_dtypes_outside_the_allow_list_are_refused(dtype):
    with pytest.raises(WireError):
        decode(_ext(6, [dtype, [1], b"\x00" * 8]))
    with pytest.raises(WireError):
        decode(_ext(7, [dtype, b"\x00" * 8]))
    with pytest.raises(WireError):
        decode(_ext(8, dtype))


@pytest.mark.parametrize("shape,data", [([2, 2], b"\x00" * 24), ([-1], b""), ([2**40, 2**40], b""),
                                        ([1.5], b"\x00" * 8), ("3", b"\x00" * 24),
                                        ([1] * 40, b"\x00" * 8), ([1], "not bytes")])
def test_arrays_must_match_their_shape(shape, data):
    with pytest.raises(WireError):
        decode(_ext(6, ["<f8", shape, data]))


@pytest.mark.parametrize("frame", [
    b"", b"\xc1", b"\x92\x01", msgpack.packb({(1, 2): 3}, use_bin_type=True)[:-1],
    msgpack.packb(msgpack.ExtType(1, b"")),               # empty big int
    msgpack.packb(msgpack.ExtType(1, b"\x01" * (wire.MAX_BIGINT_BYTES + 1))),
    msgpack.packb(msgpack.ExtType(5, b"\x00" * 15)),      # short complex
    msgpack.packb(msgpack.ExtType(2, msgpack.packb({"not": "a list"}))),
    msgpack.packb(msgpack.ExtType(9, msgpack.packb([1, 2]))),  # slice of two
    msgpack.packb(msgpack.ExtType(99, b"")),              # unknown code
    msgpack.packb({"k": [1, 2]}).replace(b"\xa1k", b"\x92\x01\x02"),  # a list as a key
    b"\xa2\xff\xfe",                                       # invalid UTF-8
], ids=range(12))
def test_malformed_messages_are_refused(frame):
    with pytest.raises(WireError):
        decode(frame)


def test_nesting_is_limited_both_ways():
    deep: list = []
    for _ in range(wire.MAX_DEPTH + 5):
        deep = [deep]
    with pytest.raises(WireError, match="nested"):
        encode(deep)
    cyclic: list = []
    cyclic.append(cyclic)
    with pytest.raises(WireError):
        encode(cyclic)
    frame = msgpack.packb(())
    for _ in range(wire.MAX_DEPTH + 5):
        frame = msgpack.packb(msgpack.ExtType(2, b"\x91" + frame))
    with pytest.raises(WireError):
        decode(frame)


def test_too_large_integers_are_not_sent():
    with pytest.raises(WireError):
        encode(1 << (8 * wire.MAX_BIGINT_BYTES + 8))


def test_frames_are_length_prefixed_and_limited():
    import time

    for step in ("whole", "oversize", "short"):
        r, w = os.pipe()
        try:
            if step == "whole":
                wire.write_frame(w, b"hello")
                assert wire.read_frame(r, None) == b"hello"
            elif step == "oversize":
                os.write(w, struct.pack("!Q", 1000) + b"x" * 10)
                with pytest.raises(OverflowError):
                    wire.read_frame(r, None, limit=999)
            else:
                os.write(w, struct.pack("!Q", 5) + b"ab")
                with pytest.raises(TimeoutError):
                    wire.read_frame(r, time.monotonic() + 0.05)
        finally:
            os.close(r)
            os.close(w)


def test_no_pickle_on_the_path(monkeypatch):
    """Neither side's modules import pickle, and decoding never reaches it."""
    root = Path(wire.__file__).parent
    for name in ("wire.py", "grader_proxy.py", "worker.py", "execute.py"):
        tree = ast.parse((root / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                assert all("pickle" not in a.name for a in node.names), name
            if isinstance(node, ast.ImportFrom):
                assert "pickle" not in (node.module or ""), name

    def refuse(*args, **kwargs):
        raise AssertionError("pickle was used")

    for attr in ("loads", "load", "Unpickler", "dumps", "dump", "Pickler"):
        monkeypatch.setattr(pickle, attr, refuse)
    everything = VALUES + SCALARS + ARRAYS
    assert len(decode(encode(everything))) == len(everything)
