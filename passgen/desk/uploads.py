"""Files a clerk hands the desk: how many at once, and the names they are kept under."""

from __future__ import annotations

import re
from pathlib import Path

from starlette.datastructures import UploadFile

MAX_FILES = 20


def safe_name(name: str) -> str:
    """An uploaded file's own name, without folders or characters no system allows."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = re.sub(r'[<>:"|?*\x00-\x1f]', "_", base).strip(" .") or "roster"
    return base[:120]


def save_uploads(uploads: list[UploadFile], folder: Path, contents: list[bytes]) -> list[Path]:
    """Write each upload's ``contents`` into ``folder`` under its own safe name."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for upload, data in zip(uploads, contents, strict=True):
        path = folder / safe_name(upload.filename or "")
        path.write_bytes(data)
        paths.append(path)
    return paths
