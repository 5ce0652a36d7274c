"""补办/挂失 in one step (issue #38): a resident found by name or ID number, their cards in
force revoked with the reason, their new card printed from the same row; read back from the
PDF, the new card is genuine and the lost one revoked by the next list."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import AS_OF, fixed_key, make_id, row, write_roster
from pdfcheck import decode, pages

from passgen.check.verify import Verdict, verify
from passgen.cli import cli
from passgen.dates import SHANGHAI, day_start
from passgen.errors import PassgenError
from passgen.jobs.cards import PrintOptions, run_cards
from passgen.jobs.ledger import Filters, Ledger
from passgen.jobs.reissue import find_residents, reissue
from passgen.passes import keys, revocation
from passgen.printing.layout import load_template
from passgen.rules import load_rules

KEY = fixed_key()
NOON = dt.datetime(AS_OF.year, AS_OF.month, AS_OF.day, 12, tzinfo=SHANGHAI)
WANG = make_id(dt.date(1948, 2, 3), 77)


def office(tmp_path: Path) -> tuple[Path, Path]:
    """A roster of three (two called 王) and a ledger holding the card of each."""
    roster = write_roster(tmp_path / "花名册.xlsx", [
        row(), row(姓名="王建国", 身份证号=WANG), row(姓名="王芳", 身份证号=make_id(dt.date(2008, 1, 2))),
        row(姓名="", 身份证号="1")])
    ledger = tmp_path / "ledger.sqlite"
    run_cards([roster], KEY, tmp_path / "first", load_rules(), PrintOptions(load_template()),
              AS_OF, ledger=ledger, now=day_start(AS_OF) + 9 * 3600)
    return roster, ledger


def test_a_resident_is_found_by_name_or_id_with_their_cards(tmp_path: Path) -> None:
    roster, ledger = office(tmp_path)
    by_name = find_residents([roster], "王", AS_OF, ledger, KEY)
    assert [f.name for f in by_name] == ["王建国", "王芳"]
    assert all(len(f.cards) == 1 for f in by_name) and "*" in by_name[0].masked_id
    for query in (WANG, WANG[:6] + "********" + WANG[-4:], WANG[-4:], " 王建国 "):
        [one] = find_residents([roster], query, AS_OF, ledger, KEY)
        assert one.row == ("花名册.xlsx", "花名册", 3), query
    assert find_residents([roster], "李", AS_OF, ledger, KEY) == []
    assert find_residents([roster], "", AS_OF, ledger, KEY) == []
    [no_ledger] = find_residents([roster], "王建国", AS_OF, tmp_path / "none.sqlite", KEY)
    assert no_ledger.cards == ()


def test_a_lost_card_is_revoked_and_the_new_one_printed_in_one_step(tmp_path: Path) -> None:
    roster, ledger = office(tmp_path)
    [found] = find_residents([roster], "王建国", AS_OF, ledger, KEY)
    [old] = found.cards
    done = reissue([roster], found.row, "卡片遗失", KEY, ledger, tmp_path / "new",
                   load_rules(), PrintOptions(load_template()), AS_OF,
                   day_start(AS_OF) + 15 * 3600)
    assert done.revoked == (old.serial,)
    assert done.batch.totals.cards == 1 and len(done.batch.pdfs) == 1
    [text] = [t for image in pages(done.batch.pdfs[0]) for t in decode(image)]
    trust = keys.TrustList((KEY.entry,))
    with Ledger(ledger) as book:
        [record] = book.cards(Filters(serial=old.serial))
        listed = book.revoked_serials(KEY.entry.issuer, day_start(AS_OF) + 16 * 3600)
    assert record.reason == "卡片遗失" and listed == [old.serial]
    lists = revocation.Revocations((revocation.parse(
        revocation.build(KEY, listed, day_start(AS_OF) + 16 * 3600), trust),))
    new = verify(text, trust, NOON, lists)
    assert new.status is Verdict.VALID and new.claims and new.claims.name == "王建国"
    assert new.claims.serial != old.serial  # a serial per issuance, the same day too
    again = reissue([roster], found.row, "又丢了", KEY, ledger, tmp_path / "newer",
                    load_rules(), PrintOptions(load_template()), AS_OF,
                    day_start(AS_OF) + 17 * 3600)
    assert again.revoked == (new.claims.serial,)  # the re-issued card, not the old one again


def test_a_reissue_needs_a_reason_and_a_good_row(tmp_path: Path) -> None:
    roster, ledger = office(tmp_path)
    args = (KEY, ledger, tmp_path / "x", load_rules(), PrintOptions(load_template()), AS_OF,
            day_start(AS_OF) + 15 * 3600)
    with pytest.raises(PassgenError, match="give the reason"):
        reissue([roster], ("花名册.xlsx", "花名册", 3), "  ", *args)
    with pytest.raises(PassgenError, match="fix this row first"):
        reissue([roster], ("花名册.xlsx", "花名册", 5), "卡片遗失", *args)
    with pytest.raises(PassgenError, match="no row 9"):
        reissue([roster], ("花名册.xlsx", "花名册", 9), "卡片遗失", *args)
    with Ledger(ledger) as book:
        assert not [c for c in book.cards() if c.revoked_at]  # nothing revoked by a refusal


def test_passgen_reissue_asks_which_when_several_match(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    roster, ledger = office(tmp_path)
    keys.save(KEY, tmp_path / "office.pem", b"pass phrase 1")
    monkeypatch.setenv("PASSGEN_KEY_PASSPHRASE", "pass phrase 1")
    base = ["reissue", str(roster), "--reason", "卡片遗失", "--key", str(tmp_path / "office.pem"),
            "--ledger", str(ledger), "--as-of", AS_OF.isoformat()]
    several = CliRunner().invoke(cli, [*base, "--find", "王", "--out", str(tmp_path / "a")])
    assert several.exit_code == 2 and "--row" in several.output and "王芳" in several.output
    assert WANG not in several.output  # masked in the list
    done = CliRunner().invoke(cli, [*base, "--find", "王", "--row", "3", "--out",
                                    str(tmp_path / "b")])
    assert done.exit_code == 0, done.output
    assert "新卡 new card" in done.output
    assert "无需吊销" in done.output  # 2020's cards have expired by now: nothing in force
    assert list((tmp_path / "b").glob("cards-*.pdf"))


def test_a_reissue_reads_its_row_alone_beside_a_sheet_that_cannot_be_read(
        tmp_path: Path) -> None:
    """A workbook whose first sheet lacks a health column: the re-issue of a resident of
    the second sheet prints their card, and its report holds that row only."""
    from helpers import HEADERS
    from openpyxl import load_workbook
    path = write_roster(tmp_path / "two.xlsx", [row(姓名="王建国", 身份证号=WANG)])
    book = load_workbook(path)
    broken = book.create_sheet("旧表", 0)
    broken.append([h for h in HEADERS if h != "症状"])
    broken.append([row().get(h) for h in HEADERS if h != "症状"])
    book.save(path)
    ledger = tmp_path / "ledger.sqlite"
    done = reissue([path], ("two.xlsx", "花名册", 2), "卡片遗失", KEY, ledger, tmp_path / "new",
                   load_rules(), PrintOptions(load_template()), AS_OF,
                   day_start(AS_OF) + 15 * 3600)
    assert done.batch.totals.rows == 1 and done.batch.totals.cards == 1
    assert done.batch.totals.rejected == 0 and done.revoked == ()


def test_a_new_card_that_cannot_be_made_says_the_lost_one_is_revoked(tmp_path: Path) -> None:
    roster, ledger = office(tmp_path)
    late = AS_OF + dt.timedelta(days=300)  # past the key's window: no card can be signed
    with pytest.raises(PassgenError) as refused:
        reissue([roster], ("花名册.xlsx", "花名册", 3), "卡片遗失", KEY, ledger, tmp_path / "x",
                load_rules(), PrintOptions(load_template()), late, day_start(AS_OF) + 3600)
    assert "已挂失（吊销）" in refused.value.zh and "新卡没有印成" in refused.value.zh
    assert "不在密钥有效期" in refused.value.zh
