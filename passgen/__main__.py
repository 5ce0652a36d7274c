"""The ``passgen`` command's first step (the console script and ``python -m passgen``):
everything else is imported here, so that a Ctrl-C while it loads ends with exit status 130
and one line, never a traceback (issue #30)."""

from __future__ import annotations

import sys

INTERRUPTED = 130


def main() -> None:
    try:
        from passgen.cli import main as cli_main
    except KeyboardInterrupt:
        sys.stderr.write("已中断 / interrupted\n")
        raise SystemExit(INTERRUPTED) from None
    cli_main()


if __name__ == "__main__":  # a spawned worker imports this module too, and must not run it
    main()
