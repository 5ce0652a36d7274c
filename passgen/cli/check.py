"""``passgen verify`` and ``passgen checkpoint``: cards checked offline against the lists."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from passgen.check import DEFAULT_REVOCATION_MAX_AGE_HOURS
from passgen.check.scan import DEFAULT_DPI, DEFAULT_MAX_PAGES
from passgen.cli.common import now, parse_moment
from passgen.errors import ExitStatus
from passgen.models import short_serial
from passgen.text import json_line, shown

F = TypeVar("F", bound=Callable[..., Any])


def checking_options(command: F) -> F:
    """--trust, --revoked and --revoked-max-age, shared by verify and checkpoint."""
    for option in reversed((
        click.option("--trust", "trust_path", required=True,
                     type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="Trust list of accepted keys (passgen keys trust)."),
        click.option("--revoked", "revoked_paths", multiple=True,
                     type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="Signed revocation list (passgen revocations export); may be "
                          "repeated."),
        click.option("--revoked-max-age", type=click.FloatRange(min=0),
                     default=DEFAULT_REVOCATION_MAX_AGE_HOURS, show_default=True,
                     help="Warn when a revocation list is older than this many hours."),
        click.option("--allow-demo", is_flag=True,
                     help="Accept a trust list holding the public demo key (demos only: "
                          "anyone can sign a card with it)."),
    )):
        command = option(command)
    return command


@click.command()
@click.argument("inputs", nargs=-1, required=True)
@checking_options
@click.option("--at", "at", callback=parse_moment,
              help="Check as of this time: YYYY-MM-DD (noon) or YYYY-MM-DDTHH:MM "
                   "(Asia/Shanghai). Default: now.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per code found.")
@click.option("--dpi", type=click.IntRange(72, 600), default=DEFAULT_DPI, show_default=True,
              help="Resolution for rasterising PDF pages.")
@click.option("--max-pages", type=click.IntRange(1, 100_000), default=DEFAULT_MAX_PAGES,
              show_default=True,
              help="Pages of each PDF checked at most; the pages left are said, and make the "
                   "exit status 1.")
def verify(inputs: tuple[str, ...], trust_path: Path, at: dt.datetime | None, as_json: bool,
           dpi: int, max_pages: int, revoked_paths: tuple[Path, ...], revoked_max_age: float,
           allow_demo: bool) -> ExitStatus:
    """Verify cards in INPUT files: PDFs, PNG/JPEG photos or scans, .txt files with one
    payload per line, or - for standard input.  Exit 0 only if every code is valid."""
    from passgen.check import gate
    from passgen.check.inputs import VERDICT_WORDS, check_inputs
    from passgen.passes import pg1
    report = check_inputs(inputs, trust_path, at or now(), revoked_paths, dpi, sys.stdin,
                          revoked_max_age, allow_demo, max_pages)
    for warning in report.warnings:
        click.echo(warning, err=True)
    for c in report.checked:
        d = c.to_json()
        word = VERDICT_WORDS[c.result.status]
        claims = c.result.claims
        if as_json:
            click.echo(json_line(d))
        elif claims is not None:  # text from a pass is data: shown, never obeyed
            action = f"\t{gate.ACTIONS[claims.colour]}" if c.result.valid else ""
            click.echo(f"{shown(c.source, 200)}\t{word} {d['status']}\t{claims.colour.word}\t"
                       f"{shown(claims.name)}\t{shown(claims.masked_id, 18)}\t"
                       f"有效期至 {pg1.day_text(claims)}\t"
                       f"编号 {short_serial(claims.serial)}{action}")
        else:
            click.echo(f"{shown(c.source, 200)}\t{word} {d['status']}\t{d['reason']}")
    for line in report.input_lines():  # on stderr with --json: the JSON lines stay clean
        click.echo(line, err=as_json)
    click.echo(report.summary(), err=as_json)
    return ExitStatus.OK if report.all_valid else ExitStatus.NOT_VALID


@click.command()
@checking_options
@click.option("--log", "log_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Append every scan to this CSV: time, serial, verdict, colour "
                   "(never the name or ID number).")
@click.option("--at", "at", callback=parse_moment,
              help="Judge every scan as if at this time (YYYY-MM-DD or YYYY-MM-DDTHH:MM); "
                   "default: the clock at each scan.")
def checkpoint(trust_path: Path, revoked_paths: tuple[Path, ...], revoked_max_age: float,
               allow_demo: bool, log_path: Path | None, at: dt.datetime | None) -> ExitStatus:
    """Scanner loop for a gate: reads one payload per line from standard input (a USB
    scanner in keyboard mode types the payload and Enter) and shows a large verdict for
    each.  Stop with Ctrl-C or end of input."""
    colour = sys.stdout.isatty() and not os.environ.get("NO_COLOR") \
        and os.environ.get("TERM", "") != "dumb"
    from passgen.check import gate

    width = min(max(shutil.get_terminal_size((60, 24)).columns - 1, 40), 100)
    gate.serve(sys.stdin, sys.stdout, sys.stderr, trust_path, revoked_paths, at, log_path,
               colour, revoked_max_age, allow_demo, width)
    return ExitStatus.OK


COMMANDS = (verify, checkpoint)
