"""What a file that is not a spreadsheet seems to be, for advice a clerk can follow (a Word
document renamed .xlsx, a PDF of a scan, a zip archive)."""

from __future__ import annotations

import zipfile
from pathlib import Path

_MAGIC = ((b"%PDF", ("这是一个 PDF 文件", "it is a PDF file")),
          (b"\x89PNG", ("这是一张图片", "it is a picture")),
          (b"\xff\xd8\xff", ("这是一张图片", "it is a picture")),
          (b"{\\rtf", ("这是一个 RTF 文档", "it is an RTF document")))
_ZIPPED = (("word/", ("这是一个 Word 文档（可能只是改了扩展名）", "it is a Word document, perhaps "
                                                             "renamed")),
           ("ppt/", ("这是一个 PowerPoint 文档", "it is a PowerPoint document")))


def what_it_is(path: Path) -> tuple[str, str]:
    """What a file that is not a spreadsheet seems to be, from its first bytes (or the
    parts of a zip), for advice a clerk can follow."""
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError:
        head = b""
    for magic, words in _MAGIC:
        if head.startswith(magic):
            return words
    if head.startswith(b"PK"):
        try:
            with zipfile.ZipFile(path) as book:
                names = book.namelist()
        except (zipfile.BadZipFile, OSError):
            return ("文件已损坏（可能没有下载完整）", "the file is damaged (perhaps not fully "
                                                   "downloaded)")
        for prefix, words in _ZIPPED:
            if any(n.startswith(prefix) for n in names):
                return words
        return ("这是一个压缩包，不是表格", "it is a zip archive, not a spreadsheet")
    return ("文件已损坏，或不是 Excel/WPS 表格", "the file is damaged, or not an Excel/WPS "
                                               "spreadsheet")
