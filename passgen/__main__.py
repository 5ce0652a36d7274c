"""``python -m passgen`` runs the command-line interface."""

from passgen.cli import main

main()
