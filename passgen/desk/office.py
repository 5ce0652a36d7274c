"""The desk's office screens: 首次设置 (the office key, its passphrase for this session only,
the trust list and the ledger) and 吊销名单与核验页面 (publish the list, make the phone page,
show its fingerprint), each a thin call of what ``passgen revocations export`` and
``passgen verifier-page`` call."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from passgen.errors import PassgenError

if TYPE_CHECKING:
    from passgen.passes.keys import SigningKey

SETTINGS = "settings.json"  # what the desk remembers per office: paths only, never a secret


@dataclass
class Office:
    """Where the office's files are; the passphrase is held in memory for this session."""

    key: Path | None = None
    trust: Path | None = None
    ledger: Path | None = None
    passphrase: bytes | None = None  # never written, never logged, never sent back

    def ready(self) -> bool:
        return bool(self.key and self.trust and self.ledger and self.passphrase)

    def signing_key(self) -> SigningKey:
        """The office key, opened with the session's passphrase (once ``ready``)."""
        from passgen.passes.keys import load_office_key

        assert self.key is not None and self.passphrase is not None, "not set up"
        secret = self.passphrase
        return load_office_key(self.key, lambda: secret)


def load_settings(folder: Path) -> Office:
    try:
        saved = json.loads((folder / SETTINGS).read_text(encoding="utf-8"))

        def path(name: str) -> Path | None:
            return Path(saved[name]) if saved.get(name) else None
        return Office(path("key"), path("trust"), path("ledger"))
    except (OSError, ValueError, TypeError, AttributeError):
        return Office()


def save_settings(folder: Path, office: Office) -> None:
    from passgen.files import atomic_write

    text = json.dumps({k: str(getattr(office, k)) if getattr(office, k) else ""
                       for k in ("key", "trust", "ledger")}, ensure_ascii=False, indent=1)
    atomic_write(folder / SETTINGS, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _in_desk_words(exc: PassgenError) -> str:
    """An export's refusal as the desk's screens put it (the command line's names its
    options, which the desk has not)."""
    from passgen.jobs.revocations import DroppedRevocations, NewLedger, OutsideKeyWindow

    if isinstance(exc, NewLedger):
        return ("登记册里还没有这把密钥印的卡。如果这是新办公室、还没有印过卡，请勾选下面的“这是新办公室”再发布；"
                "否则请在首次设置里选印卡时用的登记册 / the ledger holds no card of this key: tick "
                "“new office” if it is one, else choose the office's ledger in set-up")
    if isinstance(exc, DroppedRevocations):
        return ("新名单会去掉以前吊销过、还没过期的卡，这通常说明登记册不对（换了电脑、恢复了旧备份）。请在首次设置里"
                "选原来的登记册 / the list would drop cards an earlier list revoked: choose the "
                "office's ledger in set-up")
    if isinstance(exc, OutsideKeyWindow):
        return ("这把密钥今天不能用（已过期或还没到启用日期），检查点会拒绝它签的名单。请在首次设置里换用当前有效的"
                "密钥 / the key cannot sign today: set up the current key")
    return f"{exc.zh} / {exc.en}"


def routes(desk: Any, page: Callable[..., Response]) -> dict[str, Callable[[Request],
                                                                           Awaitable[Response]]]:
    """The handlers, by name, for ``passgen.desk.app``."""
    from passgen.folders import data_dir
    from passgen.passes.keys import MIN_PASSPHRASE

    def values(problem: str = "", done: str = "") -> dict[str, Any]:
        o = desk.office
        return {"key": o.key or "", "trust": o.trust or "",
                "ledger": o.ledger or data_dir() / "passgen-ledger.sqlite",
                "unlocked": o.passphrase is not None, "problem": problem, "done": done,
                "min_passphrase": MIN_PASSPHRASE}

    async def setup_form(request: Request) -> Response:
        return page(desk, "setup.html", **values())

    async def setup_save(request: Request) -> Response:
        from passgen.passes.keys import load_office_key, read_trust

        form = await request.form()
        key = Path(str(form.get("key", "")).strip().strip('"'))
        trust = Path(str(form.get("trust", "")).strip().strip('"'))
        ledger = Path(str(form.get("ledger", "")).strip().strip('"'))
        secret = str(form.get("passphrase", "")).encode()
        try:
            signing = load_office_key(key, lambda: secret)
            read_trust(trust)
        except PassgenError as exc:
            return page(desk, "setup.html", **values(problem=f"{exc.zh} / {exc.en}"))
        except OSError as exc:
            return page(desk, "setup.html", **values(
                problem=f"无法读取文件：{exc.filename} / cannot read {exc.filename}"))
        desk.office = Office(key, trust, ledger, secret)
        save_settings(desk.folder, desk.office)
        return page(desk, "setup.html", **values(
            done=f"已设置：{signing.entry.issuer} 的密钥 {signing.entry.kid.hex()}（口令只在本次使用中记住）"
                 f" / set: key {signing.entry.kid.hex()} of {signing.entry.issuer}"))

    async def setup_generate(request: Request) -> Response:
        """A new office key, its trust list beside it, and the office set up with them."""
        from passgen.dates import today
        from passgen.passes.keys import create
        from passgen.passes.trust import build_trust

        form = await request.form()
        issuer = str(form.get("issuer", "")).strip()
        secret = str(form.get("new_passphrase", "")).encode()
        if secret != str(form.get("confirm", "")).encode():
            return page(desk, "setup.html", **values(
                problem="两次输入的口令不一样 / the two passphrases differ"))
        folder = desk.folder.parent / "keys"
        key_path = folder / f"{issuer or 'office'}.pem"
        trust = folder / "trust.json"
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            signing, _ = create(key_path, issuer, today(), None, lambda: secret)
            build_trust([key_path], trust)
        except PassgenError as exc:
            return page(desk, "setup.html", **values(problem=f"{exc.zh} / {exc.en}"))
        ledger = Path(str(form.get("ledger", "")).strip().strip('"')) if form.get("ledger") \
            else desk.office.ledger or data_dir() / "passgen-ledger.sqlite"
        desk.office = Office(key_path, trust, ledger, secret)
        save_settings(desk.folder, desk.office)
        e = signing.entry
        return page(desk, "setup.html", **values(
            done=f"已生成 {e.issuer} 的新密钥 {e.kid.hex()}，{e.not_before} 至 {e.not_after} 可用；"
                 f"私钥在 {key_path}，信任列表在 {trust}。请把私钥文件备份到 U 盘并锁好，口令另外记好："
                 f"丢了口令，密钥就不能用了 / made key {e.kid.hex()} of {e.issuer}: back it up"))

    async def publish_form(request: Request) -> Response:
        return page(desk, "publish.html", ready=desk.office.ready(), result=None)

    async def publish(request: Request) -> Response:
        import datetime as dt

        from passgen.check.page import write_page
        from passgen.dates import SHANGHAI
        from passgen.jobs.revocations import NewLedger, export_revocations

        o = desk.office
        if not o.ready():
            return page(desk, "publish.html", ready=False, result=None)
        now = dt.datetime.now(SHANGHAI)
        out = desk.folder / f"publish-{now:%Y%m%d-%H%M%S}"
        out.mkdir(parents=True, exist_ok=True)
        secret = o.passphrase
        new_office = (await request.form()).get("new_office") == "yes"
        try:
            exported = export_revocations(o.key, lambda: secret, o.ledger, out / "revoked.json",
                                          now, allow_new_ledger=new_office)
            report = write_page(out / "核验.html", o.trust, [exported.path], now, 48.0)
        except PassgenError as exc:
            return page(desk, "publish.html", ready=True, result=None, problem=_in_desk_words(exc),
                        ask_new_office=isinstance(exc, NewLedger))
        files = [(p.name, desk.offer(p)) for p in (exported.path, *report.files)]
        return page(desk, "publish.html", ready=True, result={
            "cards": exported.cards, "kb": f"{exported.size / 1024:.1f}",
            "fingerprint": report.fingerprint, "files": files, "folder": out,
            "open": desk.offer_folder(out),
            "warnings": report.warnings})

    async def history(request: Request) -> Response:
        import datetime as dt

        from passgen.dates import SHANGHAI
        from passgen.jobs.ledger_tasks import list_batches

        ledger = desk.office.ledger
        try:
            batches = list_batches(ledger) if ledger else []
        except PassgenError as exc:
            return page(desk, "history.html", batches=[], problem=f"{exc.zh} / {exc.en}")
        shown = []
        for b in batches:
            ours = b.out_dir.resolve().is_relative_to(desk.folder.resolve())
            files = [(n, desk.offer(b.out_dir / n)) for n in (*b.files, "report.xlsx")
                     if ours and (b.out_dir / n).is_file()]
            shown.append({"when": f"{dt.datetime.fromtimestamp(b.started_at, SHANGHAI):%Y-%m-%d %H:%M}",
                          "cards": b.cards, "status": b.status, "folder": b.out_dir,
                          "files": files})
        return page(desk, "history.html", batches=shown, ledger=ledger)

    return {"setup_form": setup_form, "setup_save": setup_save, "setup_generate": setup_generate,
            "publish_form": publish_form, "publish": publish, "history": history}
