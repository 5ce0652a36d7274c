"""Files a clerk hands the desk: how many at once, and the names they are kept under."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from pathlib import Path

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request

MAX_FILES = 20


def safe_name(name: str) -> str:
    """An uploaded file's own name, without folders or characters no system allows."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = re.sub(r'[<>:"|?*\x00-\x1f]', "_", base).strip(" .") or "roster"
    return base[:120]


async def read_form(request: Request, field: str,
                    max_bytes: int) -> tuple[FormData, list[UploadFile]]:
    """A screen's form, bounded as the guard bounds the request, and the files chosen in
    ``field`` (an empty file input sends one nameless part: it is not a file)."""
    form = await request.form(max_files=MAX_FILES, max_part_size=max_bytes)
    return form, [f for f in form.getlist(field) if isinstance(f, UploadFile) and f.filename]


def form_date(form: FormData, field: str, default: dt.date) -> dt.date | None:
    """The form's date in ``field`` (``default`` when blank), or None when it is no date."""
    try:
        return dt.date.fromisoformat(str(form.get(field) or default.isoformat()))
    except ValueError:
        return None


def work_folder(base: Path, kind: str) -> Path:
    """A new folder of the desk's for one piece of work: ``cards-20200325-101500-1a2b``."""
    return base / f"{kind}-{dt.datetime.now():%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


async def save_uploads(uploads: list[UploadFile], folder: Path) -> list[Path]:
    """Write each upload into ``folder`` under its own safe name; two files of one name
    (花名册.xlsx from two folders) are both kept, the second as 花名册（2）.xlsx."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for upload in uploads:
        path = folder / safe_name(upload.filename or "")
        n = 1
        while path.exists():
            n += 1
            stem, suffix = Path(safe_name(upload.filename or "")).stem, path.suffix
            path = folder / f"{stem}（{n}）{suffix}"
        path.write_bytes(await upload.read())
        paths.append(path)
    return paths


BAD_DATE = "日期不对，请写成 2020-03-25 这样 / the date should look like 2020-03-25"
NO_ROSTER = "请先选择花名册文件 / choose a roster file first"
NOT_READY = "请先在首次设置里选好密钥、输入口令 / set up the key first"
