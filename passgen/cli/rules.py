"""``passgen rules``: the shared colour rules, shown whole or applied to one resident."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from passgen.cli.common import history_key, history_option, parse_day, rules_option
from passgen.dates import today
from passgen.errors import ExitStatus


@click.group("rules")
def rules_group() -> None:
    """The shared colour rules: show them, or explain one resident's colour."""


@rules_group.command("show")
@rules_option
def rules_show(rules_path: Path | None) -> ExitStatus:
    """Print every clause with its source text, the area lists and the rules version."""
    from passgen.rules.views import show
    click.echo(show(rules_path))
    return ExitStatus.OK


@rules_group.command("explain")
@click.argument("rosters", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--row", type=click.IntRange(2), help="Row number as Excel shows it.")
@click.option("--id", "id_text", help="ID number, full or masked as on the card/report.")
@click.option("--sheet", help="Only this sheet (when several sheets have the same row number).")
@click.option("--as-of", "as_of", callback=parse_day,
              help="Date to assess against (default: today).")
@click.option("--community", default="", help="Community name for rows whose 社区 cell is blank.")
@rules_option
@history_option
def rules_explain(rosters: tuple[Path, ...], row: int | None, id_text: str | None,
                  sheet: str | None, as_of: dt.date | None, community: str,
                  rules_path: Path | None, ledger_path: Path,
                  key_path: Path | None) -> ExitStatus:
    """Explain a resident's colour: the facts, every clause that applies with its source
    text, the conversion, and the result."""
    from passgen.jobs.cards import explain_roster
    if row is None and id_text is None:
        raise click.UsageError("请用 --row 或 --id 指定要解释的行 / give --row or --id")
    texts = explain_roster(list(rosters), rules_path, as_of or today(), row, id_text, sheet,
                           community, ledger_path, history_key(key_path))
    click.echo("\n\n".join(texts))
    return ExitStatus.OK


COMMANDS = (rules_group,)
