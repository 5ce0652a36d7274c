"""``passgen posters``: venue lists in, campaign posters or checkpoint signs out."""

from __future__ import annotations

from pathlib import Path

import click

from passgen.cli.common import limit_options
from passgen.cli.progress import ProgressBar
from passgen.errors import ExitStatus
from passgen.intake.sheets import Limits


class PostersCommand(click.Command):
    """``passgen posters``, whose first argument may be ``template``: then ``--help`` tells
    about ``passgen posters template OUT.xlsx``, not about printing posters."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args[:1] == ["template"] and any(a in ("-h", "--help") for a in args[1:]):
            click.echo(TEMPLATE_HELP)
            ctx.exit(0)
        return super().parse_args(ctx, args)


TEMPLATE_HELP = """用法 Usage: passgen posters template OUT.xlsx

  写出一份空白点位表 OUT.xlsx：名称、社区、地址、类型、咨询电话、二维码内容，每列有说明；填好后用
  passgen posters OUT.xlsx --out 文件夹/ 印海报。已有同名文件时不会覆盖。

  Write a blank venue list OUT.xlsx (名称, 社区, 地址, 类型, 咨询电话, 二维码内容, each
  column explained); fill it in, then passgen posters OUT.xlsx --out FOLDER/.  An existing
  file is never overwritten.
"""


@click.command(cls=PostersCommand)
@click.argument("venues", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the poster PDFs (posters-<kind>-<community>-NNN.pdf) and "
                   "report.xlsx.")
@click.option("--kind", type=click.Choice(["campaign", "checkpoint"]), default="campaign",
              show_default=True,
              help="campaign: 扫码申领健康码 with a big QR; checkpoint: what each colour means "
                   "at this point.")
@click.option("--size", type=click.Choice(["A4", "A3", "A2"]), default="A4", show_default=True,
              help="Paper size (portrait); the layout scales with it.")
@click.option("--template", default=None,
              help="Poster layout: a bundled name (poster-campaign, poster-checkpoint) or a "
                   "path to a .toml file.")
@click.option("--venue", help="One poster without a spreadsheet: the venue's name.")
@click.option("--community", help="With --venue: the community.")
@click.option("--hotline", default="",
              help="The hotline printed on the posters: for --venue, and for the rows of "
                   "VENUES whose 咨询电话 is blank (default: the template's).")
@click.option("--qr-content", default="",
              help="With --venue: what the QR holds (default: the template's link).")
@click.option("--url", help="宣传海报二维码的真实申领链接（点位表“二维码内容”列为空的行用它）。/ "
                            "The real application link for the campaign posters' QR.")
@click.option("--demo", is_flag=True, help="允许用版式中的示例链接（仅供演示）/ Accept the "
                                         "template's example link (demonstrations only).")
@click.option("--pages-per-volume", type=click.IntRange(1), default=500, show_default=True,
              help="Start a new PDF after this many posters (one PDF series per community).")
@limit_options
def posters(venues: tuple[Path, ...], out_dir: Path | None, kind: str, size: str,
            template: str | None, venue: str | None, community: str | None, hotline: str,
            qr_content: str, url: str | None, demo: bool, pages_per_volume: int,
            max_rows: int, max_mb: float) -> ExitStatus:
    """Print posters for every row of VENUES (a spreadsheet with 名称, 社区, 地址, 类型,
    咨询电话 and optionally 二维码内容), or one poster with --venue and --community.
    `passgen posters template OUT.xlsx` writes a blank venue list."""
    from passgen.intake.roster_template import write_venue_template
    from passgen.intake.venues import OneVenue
    from passgen.jobs.posters import print_posters
    if venues[:1] == (Path("template"),) and len(venues) == 2:
        write_venue_template(venues[1], force=False)
        click.echo(f"空白点位表 blank venue list: {venues[1]}")
        return ExitStatus.OK
    if out_dir is None:
        raise click.UsageError("请用 --out 指定海报写入的文件夹 / give --out")
    if bool(venues) == bool(venue):
        raise click.UsageError("请给出场所表格，或用 --venue 和 --community 指定一个场所 / "
                               "give a VENUES spreadsheet or --venue with --community")
    if venue and not community:
        raise click.UsageError("--venue 需要 --community / --venue needs --community")
    one = OneVenue(venue, community or "", hotline, qr_content) if venue else None
    result = print_posters(list(venues), out_dir, kind, size, template, pages_per_volume,
                           Limits(max_mb, max_rows), one, ProgressBar(), url, demo,
                           "" if one else hotline)
    for o in result.outcomes:
        if o.error:
            click.echo(f"未印制 rejected: {o.error.message}", err=True)
        elif o.note:
            click.echo(f"注意 notice: {o.where.describe()}: {o.note}", err=True)
    click.echo(result.line(), err=True)
    for pdf in result.pdfs:
        click.echo(f"海报 posters: {pdf}")
    click.echo(f"报告 report: {result.report}")
    # as cards does: some rows (or all: none) did not become posters
    return ExitStatus.OK if result.outcomes and result.printed == len(result.outcomes) \
        else ExitStatus.REJECTED_ROWS


COMMANDS = (posters,)
