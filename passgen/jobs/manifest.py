"""One batch per output folder: each batch leaves a manifest of what it wrote, and a folder
that holds another batch's outputs is refused, or, when asked, cleared of exactly those files.

A reused ``out/`` used to mix batches: a new roster overwrote ``cards-桂花社区-001.pdf`` and
left the earlier ``-002 … -004`` beside a report describing only the new rows.  Now the
folder's ``passgen-batch.json`` names the batch and its files; ``--replace`` removes the files
it lists (and nothing passgen did not write).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from passgen.dates import SHANGHAI
from passgen.errors import OutputExists
from passgen.files import atomic_write, remove, temporary_name
from passgen.files import replace as replace_file

MANIFEST = "passgen-batch.json"
FORMAT = "passgen-batch/1"
# what a batch writes: a file like these without a manifest is another batch's, unaccounted
_OUTPUTS = re.compile(r"(cards|posters)-.+\.pdf|report\.xlsx")


@dataclass(frozen=True)
class Manifest:
    batch_id: str
    kind: str  # cards, posters
    made: str  # ISO time
    files: tuple[str, ...]


def read(out_dir: Path) -> Manifest | None:
    path = out_dir / MANIFEST
    if not path.exists():
        return None
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
        if obj.get("format") != FORMAT:
            raise ValueError
        files = tuple(str(f) for f in obj["files"])
        if any("/" in f or "\\" in f or f.startswith(".") for f in files):
            raise ValueError  # a manifest may name files of its own folder only
        return Manifest(str(obj["batch"]), str(obj["kind"]), str(obj["made"]), files)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        raise OutputExists(f"{path} 已损坏，无法得知上一批写了哪些文件：请换一个 --out 文件夹",
                           f"{path} is damaged, so what the last batch wrote is unknown: "
                           "choose another --out folder") from None


def claim(out_dir: Path, replace: bool) -> list[str]:
    """Make ``out_dir`` this batch's: refuse it if it holds another batch's outputs, or
    with ``replace`` remove exactly the files its manifest lists.  Returns those removed."""
    old = read(out_dir)
    strays = sorted(p.name for p in out_dir.iterdir() if _OUTPUTS.fullmatch(p.name)
                    and p.is_file() and (old is None or p.name not in old.files))
    if old is None and not strays:
        return []
    if strays:
        shown = "、".join(strays[:3]) + ("…" if len(strays) > 3 else "")
        raise OutputExists(
            f"文件夹 {out_dir} 里已有不在清单中的输出文件（{shown}），可能来自另一批次；为免混在一起"
            "打印，请换一个 --out 文件夹，或先把它们移走",
            f"folder {out_dir} holds outputs no manifest accounts for ({', '.join(strays[:3])}"
            f"{'…' if len(strays) > 3 else ''}), perhaps another batch's: choose another "
            "--out folder, or move them away first")
    assert old is not None
    if not replace:
        raise OutputExists(
            f"文件夹 {out_dir} 里是另一批次（{old.made[:16]}，{len(old.files)} 个文件）的输出；"
            "为免新旧卡片混在一起打印，请换一个 --out 文件夹，或加 --replace 先删除上一批的这些文件",
            f"folder {out_dir} holds another batch's outputs ({old.made[:16]}, "
            f"{len(old.files)} files): choose another --out folder, or add --replace to remove "
            "that batch's files first")
    # Each file is first renamed aside (Windows refuses that for a file open in WPS or
    # Excel), and only when all are aside are they removed: a held file stops the batch
    # here, before any work, with every file of the last batch still in place.
    aside: list[tuple[Path, Path]] = []
    try:
        for name in old.files:
            path = out_dir / name
            if path.is_file():
                moved = out_dir / temporary_name(name, "replaced")
                replace_file(path, moved)
                aside.append((moved, path))
    except BaseException:
        for moved, path in reversed(aside):
            os.replace(moved, path)
        raise
    for moved, _ in aside:
        remove(moved)
    remove(out_dir / MANIFEST)
    return [path.name for _, path in aside]


def write(out_dir: Path, batch_id: str, kind: str, files: Sequence[Path]) -> None:
    """The manifest of a finished batch (written last: a batch without one did not finish)."""
    doc = {"format": FORMAT, "batch": batch_id, "kind": kind,
           "made": dt.datetime.now(SHANGHAI).isoformat(timespec="seconds"),
           "files": sorted(p.name for p in files)}
    text = json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
    atomic_write(out_dir / MANIFEST, lambda tmp: tmp.write_text(text, encoding="utf-8"),
                 0o600, tag=batch_id)
