"""Where passgen keeps its own files on each system (DESIGN.md §9): the office's issuance
ledger in the user's data folder, what checkpoints remember in the user's state folder.

``platformdirs`` knows each system's place: ``%LOCALAPPDATA%\\passgen`` on Windows (not a
``.local`` folder inside the profile, which no Windows backup looks at),
``~/Library/Application Support/passgen`` on macOS (not a folder the Finder hides) and the
XDG folders on Linux, where ``~/.local/share/passgen`` and ``~/.local/state/passgen`` are
exactly where earlier versions of passgen kept them, so an office's ledger is still found.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

from platformdirs.api import PlatformDirsABC

APP = "passgen"


def dirs_for(system: str | None = None) -> PlatformDirsABC:
    """The platformdirs of ``system`` (``sys.platform``'s values: win32, darwin, linux…),
    by default this one's.  A test names another system to see its folders."""
    from platformdirs.macos import MacOS
    from platformdirs.unix import Unix
    from platformdirs.windows import Windows

    system = sys.platform if system is None else system
    cls: Callable[..., PlatformDirsABC] = {"win32": Windows, "darwin": MacOS}.get(system, Unix)
    # no "author" level on Windows: %LOCALAPPDATA%\passgen, as DESIGN.md §9 says
    return cls(appname=APP, appauthor=False, roaming=False)


def data_dir(system: str | None = None) -> Path:
    """The user's data folder for passgen (the default ledger lives here)."""
    return Path(dirs_for(system).user_data_dir)


STATE_ENV = "PASSGEN_STATE"  # another state folder (the README's tour keeps its own)


def state_dir(system: str | None = None) -> Path:
    """The user's state folder for passgen (the newest revocation list seen per office), or
    the folder ``PASSGEN_STATE`` names."""
    chosen = os.environ.get(STATE_ENV)
    return Path(chosen) if chosen else Path(dirs_for(system).user_state_dir)


DEFAULT_LEDGER = "passgen-ledger.sqlite"
LEDGER_ENV = "PASSGEN_LEDGER"  # another ledger for every command (the README's tour uses one)


def default_ledger() -> Path:
    """The office's ledger when no --ledger is given: one per user, in their data folder,
    not in whatever folder a command happens to run from (which gave an office several)."""
    return data_dir() / DEFAULT_LEDGER


def shown(path: Path) -> str:
    """A folder as help text shows it: ``~`` for the home folder, for brevity."""
    try:
        return str(Path("~") / path.relative_to(Path.home()))
    except ValueError:
        return str(path)


DEFAULT_LEDGER_SHOWN = shown(default_ledger())  # as --help shows it
