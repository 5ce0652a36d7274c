"""The ``passgen`` command's first step (the console script and ``python -m passgen``):
everything else is imported here, so that a Ctrl-C while it loads ends with exit status 130
and one line, never a traceback (issue #30); and no code is ever imported from the working
folder (issue #36): a planted ``openpyxl.py`` or ``multiprocessing.py`` there must not run
with the office's key, here or in any process passgen starts."""

from __future__ import annotations

import os
import sys

INTERRUPTED = 130


def no_code_from_the_working_folder() -> None:
    """Every Python passgen starts (the sheet reader, workers, the report process, under
    fork and spawn) runs in safe-path mode, which keeps the working folder off its import
    path (PYTHONSAFEPATH, Python 3.11+); ``python -m passgen`` put it first on this one's,
    so it is taken off for every import still to come."""
    os.environ["PYTHONSAFEPATH"] = "1"
    here = os.getcwd()
    sys.path[:] = [p for p in sys.path if p not in ("", ".") and os.path.abspath(p) != here]


def main() -> None:
    no_code_from_the_working_folder()
    try:
        from passgen.cli import main as cli_main
    except KeyboardInterrupt:
        sys.stderr.write("已中断 / interrupted\n")
        raise SystemExit(INTERRUPTED) from None
    cli_main()


if __name__ == "__main__":  # a spawned worker imports this module too, and must not run it
    main()
