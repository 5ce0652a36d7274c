"""``passgen verifier-page``: the offline phone checkpoint page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from passgen.cli.check import checking_options
from passgen.cli.common import now, parse_moment
from passgen.errors import ExitStatus


@click.command("verifier-page")
@checking_options
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The page to write, e.g. 核验.html; NAME.sw.js and NAME.webmanifest go "
                   "beside it (used only where the folder is served over HTTPS).")
@click.option("--at", "at", callback=parse_moment,
              help="The time the page is made (YYYY-MM-DD or YYYY-MM-DDTHH:MM); default now.")
@click.option("--publish-every", "publish_every", type=click.FloatRange(1, 24 * 14),
              default=24.0, show_default=True,
              help="How often the office publishes a new page, in hours: lists older than "
                   "this put a full-width warning on every verdict.")
def verifier_page(trust_path: Path, revoked_paths: tuple[Path, ...], revoked_max_age: float,
                  allow_demo: bool, out: Path, at: dt.datetime | None,
                  publish_every: float) -> ExitStatus:
    """Write one HTML page that verifies cards on a phone, offline: open it from the file
    or from any HTTPS site, point the camera at a card, read the verdict.  The trust list
    and the revocation lists go inside it; make a new page when the lists change."""
    from passgen.check.page import PAGE_LIMIT, write_page
    report = write_page(out, trust_path, revoked_paths, at or now(), revoked_max_age,
                        allow_demo=allow_demo, publish_hours=publish_every)
    for warning in report.warnings:
        click.echo(warning, err=True)
    if not revoked_paths:
        click.echo("注意：没有给吊销名单（--revoked），挂失或补办的旧卡在页面上会显示有效 / warning: "
                   "no revocation list (--revoked): lost or replaced cards will show as valid",
                   err=True)
    size = report.size / 1024
    click.echo(f"已写出核验页面 {report.files[-1]}（{size:.0f} KB，{report.keys} 个密钥，"
               f"{report.revoked} 张已吊销）/ wrote {report.files[-1]} ({size:.0f} KB, "
               f"{report.keys} keys, {report.revoked} revoked)")
    if report.size > PAGE_LIMIT:
        click.echo(f"注意：页面大于 {PAGE_LIMIT // 1024} KB，在手机上打开会慢 / warning: the page is "
                   f"larger than {PAGE_LIMIT // 1024} KB and opens slowly on a phone", err=True)
    click.echo(f"页面指纹 page fingerprint: {report.fingerprint}（请和页面一起公布；核对时页面上显示的应与此相同 / "
               "publish it with the page: the page shows the same unless it was edited)")
    click.echo(f"请每 {publish_every:g} 小时发一次新网页：名单超过这个时间，每个结论上都会提醒“名单已过期” / "
               f"publish a new page every {publish_every:g} hours: older lists put a warning "
               "on every verdict")
    click.echo("用手机打开这个文件（或放到 https 网站上），允许使用摄像头即可扫码核验 / open it on a "
               "phone (from the file or an https site) and allow the camera")
    return ExitStatus.OK


@click.command("page-fingerprint")
@click.argument("page", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def page_fingerprint(page: Path) -> ExitStatus:
    """Print the fingerprint of a verifier page file as it is, computed here and not by the
    page's own script (which an edited page could rewrite): compare it with the one the
    office published."""
    from passgen.check.page import fingerprint_of_file
    click.echo(f"页面指纹 page fingerprint: {fingerprint_of_file(page)}（{page}）")
    return ExitStatus.OK


COMMANDS = (verifier_page, page_fingerprint)
