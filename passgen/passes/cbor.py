"""Deterministic CBOR (RFC 8949 §4.2.1) as PG1 needs it (DESIGN.md §5, docs/FORMAT.md §4):
``dumps`` for claims, headers and revocation lists, and ``plain_claims``, the rule that
keeps the Python and browser verifiers reading a payload alike."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import cbor2


def dumps(obj: Any) -> bytes:
    """Deterministic CBOR (RFC 8949 §4.2.1): shortest forms, definite lengths, map keys in
    the bytewise order of their encodings.  (cbor2's own canonical mode sorts keys length
    first, the older RFC 7049 rule: the same for PG1's one-byte claim keys, not in general.)
    Floats, which PG1 never uses, go through cbor2's canonical mode for their shortest form."""
    if type(obj) is dict and all(type(k) is int for k in obj) and _plain(obj.values()):
        # a flat map with integer keys, such as PG1 claims: the common case, made quick
        # (a decoded pass is already in order: then it is encoded as it is)
        keys = sorted(obj, key=_int_order)
        return cbor2.dumps(obj if list(obj) == keys else {k: obj[k] for k in keys})
    if type(obj) is list and _plain(obj):
        return cbor2.dumps(obj)
    if _has_float(obj):
        return _with_floats(obj)
    return cbor2.dumps(_ordered(obj))


def _with_floats(obj: Any) -> bytes:
    """Deterministic CBOR of a value holding floats: each float in its shortest exact form
    (cbor2's canonical mode), containers put together here, because that mode would also
    sort map keys length first, not bytewise (found by comparing with web/src/pg1.js)."""
    if isinstance(obj, Mapping):
        items = sorted((_with_floats(k), _with_floats(v)) for k, v in obj.items())
        return head(5, len(items)) + b"".join(k + v for k, v in items)
    if isinstance(obj, (list, tuple)):
        return head(4, len(obj)) + b"".join(_with_floats(v) for v in obj)
    if isinstance(obj, cbor2.CBORTag):
        return head(6, obj.tag) + _with_floats(obj.value)
    return cbor2.dumps(obj, canonical=True)  # a scalar: the same bytes in either mode


def head(major: int, value: int) -> bytes:
    """A CBOR head (major type and argument) in its shortest form."""
    if value < 24:
        return bytes((major << 5 | value,))
    for ai, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if value < 1 << (8 * size):
            return bytes((major << 5 | ai,)) + value.to_bytes(size, "big")
    raise ValueError("CBOR head argument too large")


_PLAIN = frozenset((str, bytes, int))  # exact types: bool, float and containers are not


def _plain(values: Iterable[Any]) -> bool:
    return all(type(v) in _PLAIN for v in values)


def _int_order(key: int) -> tuple[int, int]:
    """Integers in the bytewise order of their CBOR encodings: unsigned ones (major type 0)
    by value, then negative ones (major type 1) by magnitude."""
    return (0, key) if key >= 0 else (1, -1 - key)


def _key_bytes(key: Any) -> bytes:
    return cbor2.dumps(_ordered(key))


def _ordered(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        if all(type(k) is int for k in obj):  # the usual case, without encoding each key
            keys = sorted(obj, key=_int_order)
        else:
            keys = sorted(obj, key=_key_bytes)
        return {k: _ordered(obj[k]) for k in keys}
    if isinstance(obj, (list, tuple)):
        return [_ordered(v) for v in obj]
    if isinstance(obj, cbor2.CBORTag):
        return cbor2.CBORTag(obj.tag, _ordered(obj.value))
    return obj


def _has_float(obj: Any) -> bool:
    if isinstance(obj, float):
        return True
    if isinstance(obj, Mapping):
        return any(_has_float(k) or _has_float(v) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return any(_has_float(v) for v in obj)
    if isinstance(obj, cbor2.CBORTag):
        return _has_float(obj.value)
    return False


_PLAIN_VALUES = (str, bytes, bool, float, type(None), cbor2.CBORSimpleValue)


def plain_claims(obj: Any) -> bool:
    """Every map key an integer (of 64 bits at most) or text, and no tag anywhere.

    cbor2 turns tags into Python values (dates, big integers, sets…) and treats keys such as
    ``true``, ``1.0`` and ``1`` as one; the browser verifier (web/src/pg1.js) could not judge
    such a payload as cbor2 does, so neither accepts one.  passgen never signs one."""
    if type(obj) is int:
        return -(1 << 64) <= obj < (1 << 64)
    if isinstance(obj, _PLAIN_VALUES):
        return True
    if type(obj) is list:
        return all(plain_claims(v) for v in obj)
    if type(obj) is dict:
        return all(type(k) in (int, str) and plain_claims(k) and plain_claims(v)
                   for k, v in obj.items())
    return False
