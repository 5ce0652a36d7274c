"""``passgen demo``: everything on the bundled samples with the public demo key."""

from __future__ import annotations

from pathlib import Path

import click

from passgen.cli.progress import ProgressBar
from passgen.errors import ExitStatus


@click.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("out"), show_default=True,
              help="Folder for the demo key, trust list, sample rosters, card PDFs and report.xlsx.")
def demo(out_dir: Path) -> ExitStatus:
    """Run everything on the bundled sample rosters with a DEMO key (not for real cards)."""
    from passgen.jobs.demo import DEMO_AS_OF, DEMO_PASSPHRASE, run_demo
    result = run_demo(out_dir, progress=ProgressBar())
    t = result.batch.totals
    click.echo(f"演示密钥（仅供演示，勿用于真实卡片）/ DEMO key, not for real cards: {result.key} "
               f"(口令 passphrase: {DEMO_PASSPHRASE.decode()})")
    click.echo(f"签发日期 as-of date: {DEMO_AS_OF}")
    click.echo(t.line())
    click.echo(f"自检 self-check: {result.valid} of {len(result.checked)} codes in the PDF "
               "verify as valid")
    for pdf in result.batch.pdfs:
        click.echo(f"卡片 cards PDF:     {pdf}")
    click.echo(f"逐行报告 report:    {result.batch.report}")
    click.echo(f"信任列表 trust list: {result.trust}")
    return ExitStatus.OK if result.self_check_ok else ExitStatus.NOT_VALID


COMMANDS = (demo,)
