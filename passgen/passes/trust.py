"""Trust lists as an office builds them (``passgen keys trust``, ``keys show``): entries from
key files, public halves and other lists, merged without silent conflicts."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from pathlib import Path

from passgen.errors import KeyFileError
from passgen.passes.keys import (
    TRUST_FORMAT,
    TrustEntry,
    demo_entries,
    pub_path,
    read_entry,
    read_json,
    read_trust,
    write_trust,
)
from passgen.text import visible


def sourced(paths: Sequence[Path]) -> list[tuple[TrustEntry, Path]]:
    """Trust entries from key files (their ``.pub.json``), ``.pub.json`` files or trust
    lists, each with the file it came from."""
    out: list[tuple[TrustEntry, Path]] = []
    for path in paths:
        if path.suffix == ".json":
            obj = read_json(path, "", "")
            if isinstance(obj, dict) and obj.get("format") == TRUST_FORMAT:
                out.extend((e, path) for e in read_trust(path).entries)
            else:
                out.append((TrustEntry.from_json(obj, str(path)), path))
        elif pub_path(path).exists():
            out.append((read_entry(pub_path(path)), path))
        else:
            raise KeyFileError(f"{path}: 找不到对应的公钥文件 {pub_path(path).name}",
                               f"{path}: its public half {pub_path(path).name} is missing")
    return out


def entries_from(paths: Sequence[Path]) -> list[TrustEntry]:
    """Trust entries from key files (their ``.pub.json``), ``.pub.json`` files or trust lists."""
    return [e for e, _ in sourced(paths)]


def merged(paths: Sequence[Path], rotation: bool = False) -> list[TrustEntry]:
    """One entry per key from ``paths``; a conflict is refused naming both files."""
    by_kid: dict[bytes, tuple[TrustEntry, Path]] = {}
    by_issuer: dict[str, tuple[TrustEntry, Path]] = {}
    for entry, path in sourced(paths):
        seen = by_kid.get(entry.kid)
        if seen is not None and seen[0] != entry:
            raise KeyFileError(
                f"密钥 {entry.kid.hex()} 在 {visible(str(seen[1]))} 和 {visible(str(path))} 中的内容不同"
                "（有效期或签发机构不一样）：请核实哪一份是这个办公室发布的，只用那一份",
                f"key {entry.kid.hex()} differs between {visible(str(seen[1]))} and "
                f"{visible(str(path))} (window or issuer): use only the one its office published")
        by_kid[entry.kid] = (entry, path)
        other = by_issuer.get(entry.issuer)
        if other is not None and other[0].kid != entry.kid and not rotation:
            raise KeyFileError(
                f"签发机构代码 {visible(entry.issuer)} 同时属于 {visible(str(other[1]))} 的密钥 "
                f"{other[0].kid.hex()} 和 {visible(str(path))} 的密钥 {entry.kid.hex()}：两个办公室"
                "不能共用代码（否则一方能吊销另一方的卡）。如果是同一办公室换了新密钥，请加 --rotation",
                f"issuer code {visible(entry.issuer)} is claimed by key {other[0].kid.hex()} "
                f"({visible(str(other[1]))}) and key {entry.kid.hex()} ({visible(str(path))}): "
                "two offices cannot share a code; if one office rotated its key, add --rotation")
        by_issuer.setdefault(entry.issuer, (entry, path))
    return [e for e, _ in by_kid.values()]


def describe(paths: Sequence[Path]) -> list[str]:
    """One line per key in key files, KEY.pub.json files or trust lists: kid, issuer and
    window.  Only public halves are read, so nothing secret is ever shown."""
    return [f"kid {e.kid.hex()}  issuer {e.issuer}  valid {e.not_before} .. {e.not_after}  "
            f"public key {base64.b64encode(e.public_key).decode()}"
            for e in entries_from(paths)]


def build_trust(sources: Sequence[Path], path: Path, allow_demo: bool = False,
                rotation: bool = False) -> list[TrustEntry]:
    """A trust list at ``path`` from key files, ``KEY.pub.json`` files or other trust
    lists; returns its entries (one per key).  Conflicts are refused, naming both files
    (issue #37: the last one used to win silently): one key id with two different entries
    (another office's file could widen a retired key's window), and one issuer code for
    two keys, unless ``rotation`` says they are one office's old and new key (else another
    office could revoke its cards).  The public demo key is refused unless ``allow_demo``:
    a checkpoint that trusts it accepts cards anyone can make."""
    entries = merged(sources, rotation)
    demo = demo_entries(entries)
    if demo and not allow_demo:
        raise KeyFileError(
            f"密钥 {demo[0].kid.hex()}（{demo[0].issuer}）是公开的演示密钥，任何人都能用它制作"
            "“有效”的卡片，不能放进真实的信任列表（仅供演示时可加 --allow-demo）",
            f"key {demo[0].kid.hex()} ({demo[0].issuer}) is the public demo key: anyone can "
            "make 'valid' cards with it, so it must not be in a real trust list (for a demo "
            "only, add --allow-demo)")
    write_trust(entries, path)
    return entries
