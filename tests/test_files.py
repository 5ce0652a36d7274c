"""Output file names and temporary files (issue #20): a safe alphabet, bounded lengths,
temporary names that are short and never followed through a planted link."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from passgen.files import MAX_STEM, Stems, atomic_write, safe_stem, temporary_name


@pytest.mark.parametrize("name, expected", [
    ("桂花社区", "桂花社区"),
    ("a/b:c", "a_b_c"),
    ("西门\u202egpj.exe", "西门_gpj.exe"),  # a right-to-left override would reverse the name
    ("东门\x00\x07\t社区", "东门_社区"),
    ("..", "community"),
    ("(一)社区·二组", "(一)社区·二组"),
    ("$(rm -rf ~)", "(rm_-rf_)"),
])
def test_safe_stem_keeps_a_safe_alphabet(name: str, expected: str) -> None:
    assert safe_stem(name) == expected


def test_a_long_name_is_cut_with_a_digest_so_names_stay_apart() -> None:
    a, b = "很" * 80 + "甲", "很" * 80 + "乙"
    assert len(safe_stem(a)) == MAX_STEM and safe_stem(a) != safe_stem(b)
    assert safe_stem(a).startswith("很" * 31)
    stems = Stems()
    assert len({stems(a), stems(b)}) == 2


def test_temporary_names_are_short_whatever_the_final_name(tmp_path: Path) -> None:
    final = "cards-" + "很" * 80 + "-001.pdf"  # 250 bytes: with a suffix, too long before
    name = temporary_name(final, str(os.getpid()))
    assert len(name.encode()) < 40 and name.startswith(".pg-") and name.endswith(".part")
    target = tmp_path / ("很" * 60 + ".pdf")
    atomic_write(target, lambda tmp: tmp.write_bytes(b"ok"))
    assert target.read_bytes() == b"ok" and sorted(tmp_path.iterdir()) == [target]


def test_a_link_planted_at_the_temporary_name_is_never_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    target = tmp_path / "report.xlsx"
    (tmp_path / temporary_name(target.name, str(os.getpid()))).symlink_to(victim)
    with pytest.raises(OSError):
        atomic_write(target, lambda tmp: tmp.write_bytes(b"overwritten?"))
    assert victim.read_text() == "keep me" and not target.exists()


def test_a_folder_that_cannot_be_opened_is_not_synced_and_not_an_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows refuses ``os.open`` on a folder (PermissionError 13): its renames are durable
    without a folder sync, so there is nothing to do."""
    from passgen.files import fsync_dir

    opened: list[str] = []
    real = os.open

    def windows_open(path: object, flags: int, mode: int = 0o777) -> int:
        opened.append(str(path))
        if os.path.isdir(str(path)):
            raise PermissionError(13, "拒绝访问。", str(path))
        return real(path, flags, mode)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", windows_open)
    fsync_dir(tmp_path)
    assert opened == [str(tmp_path)]
    monkeypatch.setattr(os, "name", "nt")
    fsync_dir(tmp_path)  # not even tried
    assert opened == [str(tmp_path)]


def test_a_file_held_open_is_named_with_what_to_do(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from passgen.files import FileHeldOpen, remove

    target = tmp_path / "report.xlsx"
    target.write_bytes(b"the old report")

    def sharing_violation(*args: object) -> None:
        raise PermissionError(13, "另一个程序正在使用此文件，进程无法访问。", str(args[0]))

    monkeypatch.setattr(os, "replace", sharing_violation)
    with pytest.raises(FileHeldOpen) as held:
        atomic_write(target, lambda tmp: tmp.write_bytes(b"new"))
    assert str(target) in held.value.zh and "WPS" in held.value.zh and "关闭" in held.value.zh
    assert target.read_bytes() == b"the old report" and sorted(tmp_path.iterdir()) == [target]
    monkeypatch.setattr(os, "unlink", sharing_violation)
    with pytest.raises(FileHeldOpen):
        remove(target)
    assert target.exists()


def test_a_file_held_for_a_moment_is_tried_again_before_the_clerk_is_asked(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue #39 finding 3: an antivirus scanner or OneDrive holding a fresh file for a moment
    stopped a batch with "它可能正在 WPS、Excel…打开" for a file the clerk never opened."""
    import os

    from passgen import files

    paused: list[float] = []
    monkeypatch.setattr(files, "_pause", paused.append)
    real = os.replace
    held = {"count": 3}

    def flaky(source: object, target: object) -> None:
        if held["count"]:
            held["count"] -= 1
            raise PermissionError(13, "The process cannot access the file")
        real(source, target)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", flaky)
    (tmp_path / "a").write_text("x")
    files.replace(tmp_path / "a", tmp_path / "b")
    assert (tmp_path / "b").read_text() == "x" and paused == [0.1, 0.2, 0.4]
    held["count"] = 100  # held for good: the clerk is asked, after about 3 seconds
    paused.clear()
    (tmp_path / "c").write_text("y")
    with pytest.raises(files.FileHeldOpen) as info:
        files.replace(tmp_path / "c", tmp_path / "d")
    assert "WPS" in info.value.zh and sum(paused) == pytest.approx(3.1)
