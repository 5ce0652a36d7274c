"""The attacks of issue #37 (pages and trust lists that cannot be bent, lists that stay small),
replayed by bench/attacks.py beside the earlier rounds, measured the same way.  Each runs
through the command line; the same attacks in Chromium are tests/check/test_verifier_page.py
(``…fingerprint…``, ``test_every_vector_in_the_page`` with the envelope vectors,
``…withdrawn_key…``), and attack 39 also runs the page's verifier in Node when it is here."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from attacks import (
    AS_OF,
    attack,
    expect,
    office,
    passgen,
    roster_row,
    said,
    write_csv,
)

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))


def _cards(folder: Path, key: Path, name: str, as_of: str, **fields: str) -> Path:
    """One resident's card (row 0) in a batch dated ``as_of``: its PDF."""
    roster = write_csv(folder / f"{name}.csv", [roster_row(0, **fields)])
    done = passgen(folder, "cards", str(roster), "--key", str(key), "--out", name,
                   "--as-of", as_of, "--ledger", "l.sqlite")
    expect(done.returncode == 0, said(done)[-300:])
    return next((folder / name).glob("cards-*.pdf"))


def _verdicts(folder: Path, pdf: Path, *lists: str, at: str = "2020-03-26") -> list[str]:
    args = [a for listed in lists for a in ("--revoked", listed)]
    done = passgen(folder, "verify", str(pdf), "--trust", "trust.json", *args, "--at", at,
                   "--json")
    return [json.loads(line)["status"] for line in done.stdout.decode().splitlines()
            if line.startswith("{")]


def _export(folder: Path, key: str, out: str, at: str) -> subprocess.CompletedProcess[bytes]:
    return passgen(folder, "revocations", "export", "--key", key, "--out", out, "--ledger",
                   "l.sqlite", "--at", at)


@attack("38 an edited phone page keeps the published fingerprint")
def edited_page(folder: Path) -> str:
    from passgen.check.page import _sha256

    office(folder)
    made = passgen(folder, "verifier-page", "--trust", "trust.json", "--out", "核验.html",
                   "--at", "2020-03-26T08:00")
    printed = re.search(r"fingerprint: (\S{14})", said(made))
    expect(made.returncode == 0 and printed is not None, said(made))
    html = (folder / "核验.html").read_text(encoding="utf-8")
    script = re.search(r"<script>(.*?)</script>", html, re.S).group(1)  # type: ignore[union-attr]
    bent = script.replace("compare with the one", "compare with that")
    edits = {"colours": html.replace("红码", "绿码"),
             "hooks": html.replace('"maxAgeHours":48', '"maxAgeHours":48,"testHooks":true'),
             "script": html.replace(script, bent).replace(_sha256(script), _sha256(bent))}
    for name, text in edits.items():
        expect(text != html, f"the {name} edit changed nothing")
        (folder / f"{name}.html").write_text(text, encoding="utf-8")
        shown = passgen(folder, "page-fingerprint", f"{name}.html")
        expect(printed.group(1) not in said(shown), f"{name}: {said(shown)}")  # type: ignore[union-attr]
    expect("passgenTest" not in html and "location.hash" not in html, "hooks in the page")
    shown = passgen(folder, "page-fingerprint", "核验.html")
    expect(printed.group(1) in said(shown), said(shown))  # type: ignore[union-attr]
    return "3 edits (colours, hooks, script + CSP hash): each another fingerprint; no hooks"


@attack("39 one card, 16 re-encoded envelopes")
def re_encoded(folder: Path) -> str:
    from vectors import make_vectors

    from passgen.passes import pg1

    key, _ = office(folder)
    text = _text_of(_cards(folder, key, "cards", AS_OF))
    variants = make_vectors.envelope_variants(pg1.unbase45(text))
    texts = "\n".join(make_vectors.text_of(v) for _, v in variants.values()) + "\n"
    checked = passgen(folder, "verify", "-", "--trust", "trust.json", "--at", "2020-03-26",
                      "--json", stdin=texts.encode())
    statuses = [json.loads(line)["status"] for line in checked.stdout.decode().splitlines()
                if line.startswith("{")]
    expect(len(statuses) == len(variants) and set(statuses) == {"malformed"}, str(statuses))
    node = ""
    if shutil.which("node") and (REPO / "web" / "node_modules").is_dir():
        ran = subprocess.run(["node", "--test", "test/vectors.test.mjs"], cwd=REPO / "web",
                             capture_output=True, text=True)
        expect(ran.returncode == 0, ran.stdout[-400:])
        node = "; the page's verifier (Node) agrees on every vector"
    return f"{len(variants)} re-encodings: malformed at verify{node}"


def _text_of(pdf: Path) -> str:
    from passgen.check import scan

    [found] = [f.text for f in scan.from_path(pdf)][:1]
    return found


@attack("40 <!-- in an issuer code")
def markup_issuer(folder: Path) -> str:
    done = passgen(folder, "keys", "generate", "--out", "k.pem", "--issuer", "<!--x",
                   "--not-before", "2020-01-01", "--not-after", "2020-12-31")
    expect(done.returncode == 2 and not (folder / "k.pem").exists(), said(done))
    return "refused: " + next(ln for ln in said(done).splitlines() if "<!--x" in ln)[:80]


@attack("41 an old list re-trusts a withdrawn key")
def withdrawn(folder: Path) -> str:
    key, _ = office(folder)
    pdf = _cards(folder, key, "cards", AS_OF)
    passgen(folder, "keys", "generate", "--out", "new.pem", "--issuer", "NC-XM-01",
            "--not-before", "2020-03-01", "--not-after", "2020-12-31")
    trust = passgen(folder, "keys", "trust", str(key), "new.pem", "--rotation", "--out",
                    "trust.json")
    expect(trust.returncode == 0, said(trust))
    expect(_export(folder, str(key), "old.json", "2020-03-25T12:00").returncode == 0, "old")
    expect(_verdicts(folder, pdf, "old.json") == ["valid"], "not valid before")
    kid = json.loads((folder / "new.pem.pub.json").read_text())  # the new key's entry
    old_kid = next(e["kid"] for e in json.loads((folder / "trust.json").read_text())["keys"]
                   if e["kid"] != kid["kid"])
    added = passgen(folder, "ledger", "add-key", "new.pem.pub.json", "--key", str(key),
                    "--ledger", "l.sqlite")
    expect(added.returncode == 0, said(added))
    _cards(folder, folder / "new.pem", "reissued", "2020-03-26")  # re-issued with the new key
    passgen(folder, "keys", "withdraw", old_kid, "--reason", "被盗", "--ledger", "l.sqlite")
    refused = _export(folder, str(key), "x.json", "2020-03-26T08:00")
    expect(refused.returncode == 2, "the withdrawn key exported a list")
    expect(_export(folder, "new.pem", "new.json", "2020-03-26T08:00").returncode == 0, "new")
    after = _verdicts(folder, pdf, "new.json")
    again = _verdicts(folder, pdf)  # no list at all: the withdrawal is remembered
    expect(after == again == ["unknown-key"], f"{after} {again}")
    return "its cards unknown-key with the new list and with none; it cannot export"


@attack("42 keys trust: a widened window, one issuer code for two offices")
def trust_conflicts(folder: Path) -> str:
    key, _ = office(folder)
    entry = json.loads((folder / "office.pem.pub.json").read_text())
    wide = dict(entry, not_after="2099-12-31", max_validity_days=366)
    (folder / "wide.pub.json").write_text(json.dumps(wide))
    widened = passgen(folder, "keys", "trust", str(key), "wide.pub.json", "--out", "t1.json")
    passgen(folder, "keys", "generate", "--out", "b.pem", "--issuer", "NC-XM-01",
            "--not-before", "2020-01-01", "--not-after", "2020-12-31")
    shared = passgen(folder, "keys", "trust", str(key), "b.pem", "--out", "t2.json")
    expect(widened.returncode == 2 and "wide.pub.json" in said(widened), said(widened))
    expect(shared.returncode == 2 and "b.pem" in said(shared), said(shared))
    expect(not (folder / "t1.json").exists() and not (folder / "t2.json").exists(), "written")
    return "both refused, naming both files"


@attack("43 a new --log to get yesterday's list accepted")
def new_log(folder: Path) -> str:
    key, _ = office(folder)
    pdf = _cards(folder, key, "cards", AS_OF)
    serial = json.loads(passgen(folder, "verify", str(pdf), "--trust", "trust.json", "--at",
                                "2020-03-26", "--json").stdout.decode().splitlines()[0])
    expect(_export(folder, str(key), "monday.json", "2020-03-25T12:00").returncode == 0, "1")
    passgen(folder, "revoke", serial["serial"], "--reason", "遗失", "--ledger", "l.sqlite")
    expect(_export(folder, str(key), "tuesday.json", "2020-03-26T08:00").returncode == 0, "2")
    text = _text_of(pdf).encode() + b"\n"
    first = passgen(folder, "checkpoint", "--trust", "trust.json", "--revoked", "tuesday.json",
                    "--log", "a.csv", "--at", "2020-03-26T12:00", stdin=text)
    expect(first.returncode == 0 and "不得通行" in said(first), said(first)[-300:])
    second = passgen(folder, "checkpoint", "--trust", "trust.json", "--revoked", "monday.json",
                     "--log", "b.csv", "--at", "2020-03-26T12:00", stdin=text)
    expect(second.returncode == 2 and "比已经加载过的" in said(second), said(second)[-300:])
    return "yesterday's list refused with a new log"


@attack("44 re-issues: better adds no entry, worse still kills the old card")
def reissues(folder: Path) -> str:
    key, _ = office(folder)
    green = _cards(folder, key, "g1", "2020-03-18")
    later = _cards(folder, key, "g2", "2020-03-25")  # the same colour a week later
    expect(_export(folder, str(key), "same.json", "2020-03-25T12:00").returncode == 0, "1")
    same = json.loads((folder / "same.json").read_text())["count"]
    _cards(folder, key, "red", "2020-03-26", 人员状态="密切接触者隔离", 状态日期="2020-03-25")
    expect(_export(folder, str(key), "worse.json", "2020-03-26T12:00").returncode == 0, "2")
    worse = json.loads((folder / "worse.json").read_text())["count"]
    verdicts = _verdicts(folder, green, "worse.json") + _verdicts(folder, later, "worse.json")
    # each earlier green card is revoked, or has expired by the day of the red card
    expect(same == 0 and worse >= 1 and "valid" not in verdicts and "revoked" in verdicts,
           f"{same} {worse} {verdicts}")
    return f"0 entries after a green re-issue; {worse} after red, the green card revoked"
