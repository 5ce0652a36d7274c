"""Exceptions for a run that cannot go on (bad file, bad key, bad rules or template).

A bad roster row is not an exception but a :class:`passgen.models.RowError` value, and a bad
pass is a :class:`passgen.check.verify.VerifyResult`; only trouble that stops the whole run raises.
Every message is written for a clerk: Chinese first, then English.
"""

from __future__ import annotations


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
