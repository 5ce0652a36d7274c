"""Exceptions for a run that cannot go on (bad file, bad key, bad rules or template).

A bad roster row is not an exception but a :class:`passgen.models.RowError` value, and a bad
pass is a :class:`passgen.check.verify.VerifyResult`; only trouble that stops the whole run raises.
Every message is written for a clerk: Chinese first, then English.
"""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    """How a ``passgen`` command ends (DESIGN.md §7, §8).  ``passgen.cli`` maps every
    exception to one of these in one place; tests assert the members, never numbers."""

    OK = 0
    NOT_VALID = 1  # a verified code was not valid, or an input held no readable code
    ERROR = 2  # usage error, or a run that could not go on
    REJECTED_ROWS = 3  # cards: the batch completed, but some rows (or all: none) are not cards
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, as shells report it)


class PassgenError(Exception):
    """A run cannot go on; the message says why in plain words (Chinese, then English)."""

    def __init__(self, zh: str, en: str) -> None:
        self.zh = zh
        self.en = en
        super().__init__(f"{zh} / {en}")


class RosterError(PassgenError):
    "A roster file cannot be read at all (missing column, unreadable file)."


class KeyFileError(PassgenError):
    "A key or trust file cannot be read, written or decrypted."


class RulesError(PassgenError):
    "The rules file is invalid."


class TemplateError(PassgenError):
    "A layout template is invalid."


class ScanError(PassgenError):
    "An input to verify cannot be opened."


class OutputExists(PassgenError):
    "An output file exists and --force was not given."


class Interrupted(PassgenError):
    "Ctrl-C or SIGTERM ended the run; the message says what was kept and what was removed."


class OutputBusy(PassgenError):
    "Another batch is writing into the same folder or ledger."


class LedgerError(PassgenError):
    "The ledger cannot be opened or does not hold what was asked for."


class PassgenWarning(UserWarning):
    """Something a clerk should know that does not stop the run (Chinese, then English);
    the command line shows it as one plain note."""

    def __init__(self, zh: str, en: str) -> None:
        self.zh = zh
        self.en = en
        super().__init__(f"{zh} / {en}")
