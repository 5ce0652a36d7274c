"""``passgen desk``: the clerk's desk in the browser (DESIGN.md §10)."""

from __future__ import annotations

from pathlib import Path

import click

from passgen.errors import ExitStatus


@click.command("desk")
@click.option("--no-browser", is_flag=True,
              help="Do not open the browser: print the address (with its one-time token) "
                   "as the first line and serve until interrupted.")
@click.option("--folder", type=click.Path(file_okay=False, path_type=Path),
              help="Where the desk keeps the files it writes (default: the user's data "
                   "folder, passgen/desk).")
def desk(no_browser: bool, folder: Path | None) -> ExitStatus:
    """Open the clerk's desk: passgen in your own browser, one screen per task, on this
    computer only (nothing is sent anywhere)."""
    from passgen.desk.serve import serve
    from passgen.folders import data_dir

    serve(folder or data_dir() / "desk", lambda line: click.echo(line), not no_browser)
    return ExitStatus.OK


COMMANDS = (desk,)
