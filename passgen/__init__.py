"""passgen: signed QR resident travel cards, posters and offline verification.

The pipeline (see docs and DESIGN.md §2): roster → Resident → rules → claims → PG1 text →
QR matrix → PDF cards, and scan → PG1 text → verify → verdict.  Every stage is a module of
this package and can be used as a library; ``passgen.cli`` only wires them to the shell.
"""

__version__ = "0.1.0"
