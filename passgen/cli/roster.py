"""``passgen roster``: check roster files, or write a blank one to fill in."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from passgen.cli.common import (
    columns_option,
    echo_outcomes,
    history_key,
    history_option,
    limit_options,
    parse_day,
    rules_option,
)
from passgen.dates import today
from passgen.errors import ExitStatus
from passgen.intake.mapping import ColumnMap
from passgen.intake.sheets import Limits


@click.group()
def roster() -> None:
    """Roster spreadsheets: check them before printing."""


@roster.command("check")
@click.argument("rosters", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("."), show_default=True, help="Folder to write report.xlsx into.")
@click.option("--as-of", "as_of", callback=parse_day,
              help="Date to assess against (default: today).")
@click.option("--community", default="", help="Community name for rows whose 社区 cell is blank.")
@rules_option
@history_option
@columns_option
@limit_options
def roster_check(rosters: tuple[Path, ...], out_dir: Path, as_of: dt.date | None,
                 community: str, rules_path: Path | None, ledger_path: Path,
                 key_path: Path | None, columns: ColumnMap, max_rows: int,
                 max_mb: float) -> ExitStatus:
    """Validate ROSTER files and write the report; no cards are made.  Exit status 0 when
    every row passes, 3 when some rows need fixing (as cards)."""
    from passgen.jobs.cards import check_rosters
    result = check_rosters(list(rosters), out_dir, rules_path, as_of or today(), community,
                           Limits(max_mb, max_rows), ledger=ledger_path,
                           key=history_key(key_path), columns=columns)
    echo_outcomes(result, "未通过 rejected", checking=True)
    click.echo(f"报告 report: {result.report}")
    click.echo(f"登记册 ledger: {ledger_path}" + ("" if ledger_path.exists() else
                                                 "（不存在，未使用 / none yet, not used）"))
    if result.totals.rejected or result.totals.rows == 0:
        return ExitStatus.REJECTED_ROWS  # as cards: some rows need fixing (or there were none)
    return ExitStatus.OK


@roster.command("template")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite OUT if it exists.")
def roster_template(out: Path, force: bool) -> ExitStatus:
    """Write a blank roster OUT.xlsx to fill in: the right headers, ID and phone columns kept
    as text, drop-down lists, date checks and a sheet explaining every column."""
    from passgen.intake.roster_template import write_template
    write_template(out, force)
    click.echo(f"空白花名册 blank roster: {out}")
    return ExitStatus.OK


COMMANDS = (roster,)
