"""Signing keys and trust lists (DESIGN.md §5, §8).

A private key is an encrypted PKCS#8 PEM written with mode 0600 and never overwritten
without ``force``; beside it ``KEY.pub.json`` holds its public half as a trust entry.  A trust
list is the JSON checkpoints load: ``{"format": "passgen-trust/1", "keys": [...]}``.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import json
import os
import stat
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
)
from nacl.bindings import crypto_sign_open
from nacl.exceptions import CryptoError

from passgen.dates import day_start, one_year_after
from passgen.errors import KeyFileError, PassgenWarning
from passgen.files import atomic_write, read_regular, refuse_existing
from passgen.folders import data_dir
from passgen.passes import pkcs8
from passgen.text import visible

TRUST_FORMAT = "passgen-trust/1"
MAX_ISSUER = 16
KDF_ITERATIONS = 600_000  # PBKDF2-HMAC-SHA256, OWASP's figure for 2023 on
MIN_PASSPHRASE = 10
DEFAULT_MAX_VALIDITY_DAYS = 60
MAX_VALIDITY_LIMIT = 366


def kid_of(public_raw: bytes) -> bytes:
    """Key id: the first 8 bytes of SHA-256 of the 32-byte raw Ed25519 public key."""
    return hashlib.sha256(public_raw).digest()[:8]


def public_raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw,
                                         serialization.PublicFormat.Raw)


@dataclass(frozen=True)
class TrustEntry:
    """A public key checkpoints trust, the office it belongs to and its validity window."""

    kid: bytes
    public_key: bytes
    issuer: str
    not_before: dt.date
    not_after: dt.date
    # the longest validity a pass of this key may claim (DESIGN.md §5): a stolen or retired
    # key cannot mint a pass that outlives its window by more than this
    max_validity_days: int = DEFAULT_MAX_VALIDITY_DAYS

    def signature_ok(self, signature: bytes, message: bytes) -> bool:
        """Whether ``signature`` is this key's Ed25519 signature of ``message``.

        The one place passgen verifies a signature; a failure is a value, never an
        exception.  libsodium (PyNaCl) verifies in about half the time OpenSSL takes through
        ``cryptography`` (docs/performance.md); tests check both agree on every vector."""
        try:
            crypto_sign_open(signature + message, self.public_key)
        except (CryptoError, ValueError, TypeError):
            return False
        return True

    def to_json(self) -> dict[str, str | int]:
        return {"kid": self.kid.hex(), "public_key": base64.b64encode(self.public_key).decode(),
                "issuer": self.issuer, "not_before": self.not_before.isoformat(),
                "not_after": self.not_after.isoformat(),
                "max_validity_days": self.max_validity_days}

    def covers(self, moment: int) -> bool:
        """Whether unix second ``moment`` falls on a day of this key's window (compared in
        seconds: a signed claim may hold any 64-bit number, beyond the calendar's range)."""
        return day_start(self.not_before) <= moment < day_start(self.not_after) + 86_400

    def validity_problem(self, issued_at: int, expires: int) -> str | None:
        """Why a pass with this validity cannot come from this key (None if it can)."""
        longest = self.max_validity_days * 86_400
        if expires - issued_at > longest:
            return (f"validity of {(expires - issued_at) / 86_400:.1f} days exceeds the key's "
                    f"maximum of {self.max_validity_days}")
        if expires > day_start(self.not_after) + 86_400 + longest:
            return (f"ends more than {self.max_validity_days} days after the key's window "
                    f"(not_after {self.not_after})")
        return None

    @classmethod
    def from_json(cls, obj: object, where: str) -> TrustEntry:
        bad = KeyFileError(f"{where}: 公钥条目格式错误", f"{where}: malformed trust entry")
        if not isinstance(obj, dict):
            raise bad
        try:
            public = base64.b64decode(obj["public_key"], validate=True)
            longest = obj.get("max_validity_days", DEFAULT_MAX_VALIDITY_DAYS)
            if type(longest) is not int or not 1 <= longest <= MAX_VALIDITY_LIMIT:
                raise KeyFileError(
                    f"{where}: max_validity_days 应为1到{MAX_VALIDITY_LIMIT}的整数",
                    f"{where}: max_validity_days must be a whole number 1..{MAX_VALIDITY_LIMIT}")
            entry = cls(bytes.fromhex(obj["kid"]), public, str(obj["issuer"]),
                        dt.date.fromisoformat(obj["not_before"]),
                        dt.date.fromisoformat(obj["not_after"]), longest)
        except (KeyError, ValueError, TypeError, AttributeError):
            raise bad from None
        if len(public) != 32 or entry.kid != kid_of(public):
            raise KeyFileError(f"{where}: kid 与公钥不符", f"{where}: kid does not match the key")
        check_issuer(entry.issuer, f"{where}: ")
        return entry


@dataclass(frozen=True)
class TrustList:
    """The keys a checkpoint accepts, looked up by kid."""

    entries: tuple[TrustEntry, ...]

    @functools.cached_property
    def _by_kid(self) -> dict[bytes, TrustEntry]:
        return {e.kid: e for e in reversed(self.entries)}  # the first entry wins

    def find(self, kid: bytes) -> TrustEntry | None:
        return self._by_kid.get(kid)


@dataclass(frozen=True)
class SigningKey:
    """A private key with the trust entry that describes it."""

    private_key: Ed25519PrivateKey
    entry: TrustEntry


def check_issuer(issuer: str, where: str = "") -> str:
    """An office code: 1 to 16 letters (any script) and digits, with - _ . between them;
    never markup, quotes, spaces, control or bidi characters (``<!--`` as an issuer once
    emptied a phone page, issue #37)."""
    if not issuer or len(issuer) > MAX_ISSUER:
        raise KeyFileError(f"{where}签发机构代码应为1到{MAX_ISSUER}个字符：{visible(issuer)!r}",
                           f"{where}issuer code must be 1 to {MAX_ISSUER} characters: "
                           f"{visible(issuer)!r}")
    if not all(ch.isalnum() or ch in "-_." for ch in issuer):
        raise KeyFileError(f"{where}签发机构代码只能由字母、汉字、数字和 - _ . 组成：{visible(issuer)!r}",
                           f"{where}an issuer code holds letters, digits and - _ . only: "
                           f"{visible(issuer)!r}")
    return issuer


def generate(issuer: str, not_before: dt.date, not_after: dt.date,
             seed: bytes | None = None,
             max_validity_days: int = DEFAULT_MAX_VALIDITY_DAYS) -> SigningKey:
    """A new Ed25519 key (from a 32-byte ``seed`` for tests and the demo)."""
    check_issuer(issuer)
    if not_after < not_before:
        raise KeyFileError("有效期结束早于开始", "not-after is before not-before")
    if not 1 <= max_validity_days <= MAX_VALIDITY_LIMIT:
        raise KeyFileError(f"卡片最长有效天数应为1到{MAX_VALIDITY_LIMIT}",
                           f"max validity days must be 1..{MAX_VALIDITY_LIMIT}")
    key = (Ed25519PrivateKey.from_private_bytes(seed) if seed is not None
           else Ed25519PrivateKey.generate())
    raw = public_raw(key)
    return SigningKey(key, TrustEntry(kid_of(raw), raw, issuer, not_before, not_after,
                                      max_validity_days))


def pub_path(key_path: Path) -> Path:
    return key_path.with_name(key_path.name + ".pub.json")


def _write_new(path: Path, data: bytes, mode: int, force: bool) -> None:
    """Write ``data`` via a temporary file and rename; refuse to replace unless ``force``."""
    atomic_write(path, lambda tmp: tmp.write_bytes(data), mode, overwrite=force)


def check_passphrase(passphrase: bytes) -> None:
    """A new key's passphrase: at least ``MIN_PASSPHRASE`` characters."""
    if len(passphrase.decode("utf-8", errors="replace")) < MIN_PASSPHRASE:
        raise KeyFileError(f"口令太短：至少要 {MIN_PASSPHRASE} 个字符（可用一句好记的话）",
                           f"passphrase too short: at least {MIN_PASSPHRASE} characters "
                           "(a sentence you can remember will do)")


def save(key: SigningKey, path: Path, passphrase: bytes, force: bool = False) -> Path:
    """Write the encrypted private key (0600) and ``KEY.pub.json``; return the latter's path."""
    if not passphrase:
        raise KeyFileError("口令不能为空", "the passphrase must not be empty")
    pem = pkcs8.encrypted(key.private_key, passphrase, KDF_ITERATIONS)
    pub = pub_path(path)
    if pub.exists() and not force:
        raise KeyFileError(f"{pub} 已存在，如确需覆盖请加 --force",
                           f"{pub} exists; use --force to overwrite it")
    _write_new(path, pem, 0o600, force)
    _write_new(pub, (json.dumps(key.entry.to_json(), indent=2) + "\n").encode(), 0o644, True)
    return pub


def create(path: Path, issuer: str, not_before: dt.date, not_after: dt.date | None,
           passphrase: Callable[[], bytes], force: bool = False,
           max_validity_days: int = DEFAULT_MAX_VALIDITY_DAYS) -> tuple[SigningKey, Path]:
    """A new office key valid ``not_before`` .. ``not_after`` (default: one year), saved
    to ``path`` and ``path.pub.json``.  Existing files are refused before the passphrase
    is asked for, unless ``force``.  Returns the key and the path of its public half."""
    check_issuer(issuer)
    if not force:
        refuse_existing(path)
        refuse_existing(pub_path(path))
    key = generate(issuer, not_before, not_after or one_year_after(not_before),
                   max_validity_days=max_validity_days)
    secret = passphrase()
    check_passphrase(secret)
    return key, save(key, path, secret, force=True)


def check_private_mode(path: Path) -> None:
    """Refuse a private key that group or others may read (as ssh does).  Windows has no
    such modes (a user's own folder is private by its access list).  A file system without
    modes (FAT or exFAT on a USB stick, NTFS mounted on a Mac) shows every file executable,
    which no key file passgen writes is: there a chmod cannot help, so the key is not
    refused, and a warning says where it should live instead."""
    if os.name != "posix":
        return
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077 and mode & stat.S_IXUSR:
        warnings.warn(PassgenWarning(
            f"私钥文件 {path} 在不支持文件权限的磁盘上（例如 U 盘的 FAT/exFAT），拿到这个磁盘的人都能"
            f"复制它（口令仍然保护它）。请把私钥放在本机自己的用户文件夹里，例如 {data_dir()}，"
            "U 盘只用来备份",
            f"private key {path} is on a file system without permissions (a FAT/exFAT USB "
            "stick, say): anyone with the stick can copy it (the passphrase still protects "
            f"it). Keep the key in your own folder on this computer, e.g. {data_dir()}, and "
            "the stick for a backup"), stacklevel=2)
    elif mode & 0o077:
        raise KeyFileError(
            f"私钥文件 {path} 的权限是 {mode:04o}，其他用户也能读取。请执行 chmod 600 {path}",
            f"private key {path} has mode {mode:04o} and others may read it: run chmod 600 {path}")


def load_private(path: Path, passphrase: bytes) -> Ed25519PrivateKey:
    """Decrypt a private key file; one clear error for every way it can fail."""
    if path.name.endswith(".pub.json") or path.suffix == ".json":
        raise KeyFileError(
            f"{path} 是公钥文件（或信任列表），这里要的是私钥，例如 "
            f"{path.name.removesuffix('.pub.json') or 'office.pem'}",
            f"{path} is a public key (or a trust list); the private key is wanted here, "
            f"e.g. {path.name.removesuffix('.pub.json') or 'office.pem'}")
    try:
        check_private_mode(path)
        data = read_regular(path, MAX_JSON_BYTES)  # a PEM key is a few hundred bytes
    except OSError:
        raise KeyFileError(f"无法读取密钥文件 {path}", f"cannot read key file {path}") from None
    try:
        key = serialization.load_pem_private_key(data, password=passphrase or None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise KeyFileError(f"{path}: 口令错误，或不是passgen密钥文件",
                           f"{path}: wrong passphrase, or not a passgen key file") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path}: 不是Ed25519密钥", f"{path}: not an Ed25519 key")
    return key


MAX_JSON_BYTES = 16 << 20  # a trust list of 100,000 keys is under 20 MB; ours are small


def read_bounded(path: Path) -> str:
    """The UTF-8 text of a JSON file of passgen's (trust list, public key, revocation list),
    at most MAX_JSON_BYTES: OSError or ValueError otherwise."""
    data = read_regular(path, MAX_JSON_BYTES)  # never a device or a pipe
    if len(data) > MAX_JSON_BYTES:
        raise ValueError("too big")
    return data.decode("utf-8")


def read_json(path: Path, zh: str, en: str) -> object:
    """``read_bounded`` parsed; nesting too deep for the parser is an error like any other
    malformed file, never a RecursionError."""
    try:
        text = read_bounded(path)
    except ValueError as exc:
        why = ((f"文件太大（超过 {MAX_JSON_BYTES >> 20} MB）",
                f"too big (over {MAX_JSON_BYTES >> 20} MB)") if "too big" in str(exc)
               else ("不是 UTF-8 文本", "not UTF-8 text"))
        raise KeyFileError(f"无法读取{zh} {path}：{why[0]}", f"cannot read {en} {path}: "
                           f"{why[1]}") from None
    except OSError as exc:
        raise KeyFileError(f"无法读取{zh} {path}（{exc.strerror or exc}）",
                           f"cannot read {en} {path}: {exc.strerror or exc}") from None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise KeyFileError(f"无法读取{zh} {path}：不是有效的 JSON", f"cannot read {en} {path}: "
                           "not valid JSON") from None


def read_entry(path: Path) -> TrustEntry:
    """A ``KEY.pub.json`` file."""
    return TrustEntry.from_json(read_json(path, "公钥文件", "public key file"), str(path))


def load_signing(path: Path, passphrase: bytes) -> SigningKey:
    """A private key and the trust entry beside it (``KEY.pub.json``)."""
    key = load_private(path, passphrase)
    pub = pub_path(path)
    if not pub.exists():
        raise KeyFileError(f"缺少公钥文件 {pub}", f"public half {pub} is missing")
    entry = read_entry(pub)
    if entry.public_key != public_raw(key):
        raise KeyFileError(f"{pub} 与私钥不匹配", f"{pub} does not belong to {path}")
    return SigningKey(key, entry)


def read_trust(path: Path) -> TrustList:
    obj = read_json(path, "信任列表", "trust list")
    if not isinstance(obj, dict) or obj.get("format") != TRUST_FORMAT \
            or not isinstance(obj.get("keys"), list):
        raise KeyFileError(f"{path} 不是passgen信任列表", f"{path} is not a {TRUST_FORMAT} file")
    return TrustList(tuple(TrustEntry.from_json(e, str(path)) for e in obj["keys"]))


def trust_json(entries: Iterable[TrustEntry]) -> str:
    """The trust list text: entries de-duplicated by kid, sorted for stable output."""
    unique: dict[bytes, TrustEntry] = {}
    for e in entries:
        unique.setdefault(e.kid, e)
    keys = [unique[k].to_json() for k in sorted(unique)]
    return json.dumps({"format": TRUST_FORMAT, "keys": keys}, indent=2, ensure_ascii=False) + "\n"


def write_trust(entries: Iterable[TrustEntry], path: Path, force: bool = True) -> None:
    _write_new(path, trust_json(entries).encode(), 0o644, force)


# The demo key (``passgen demo``) is public: anyone can sign a "valid" card with it.
DEMO_SEED = hashlib.sha256(b"passgen demo key - not for real cards").digest()


@functools.cache
def demo_public_key() -> bytes:
    return public_raw(Ed25519PrivateKey.from_private_bytes(DEMO_SEED))


def demo_entries(entries: Iterable[TrustEntry]) -> list[TrustEntry]:
    """The entries holding the public demo key (refused unless a demo is meant)."""
    return [e for e in entries if e.public_key == demo_public_key()]


def load_office_key(path: Path, passphrase: Callable[[], bytes],
                    issuer: str | None = None) -> SigningKey:
    """The signing key at ``path``; with ``issuer``, refuse a key of another office."""
    key = load_signing(path, passphrase())
    if issuer is not None and issuer != key.entry.issuer:
        raise KeyFileError(f"密钥属于签发机构 {key.entry.issuer}，不是 {issuer}",
                           f"the key belongs to issuer {key.entry.issuer}, not {issuer}")
    return key
