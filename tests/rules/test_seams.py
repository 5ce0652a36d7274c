"""Issue #34, each history of the report by name, through ``cards`` with a real ledger and
weekly batches: conversions counted once, facts behind a card kept, first cards, states that
end with one step, cleared cells carried, a re-issue never born revoked, the help."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import Office, make_id, row, write_roster

from passgen.check.verify import Verdict, verify
from passgen.dates import SHANGHAI, day_start
from passgen.jobs.cards import explain_roster
from passgen.jobs.ledger import SCHEMA_VERSION, Ledger
from passgen.jobs.ledger_tasks import correct_card
from passgen.models import Colour
from passgen.passes import keys, revocation

R, Y, G = Colour.RED, Colour.YELLOW, Colour.GREEN
KOREA = {"14天内境外旅居国家": "韩国", "入境日期": dt.date(2020, 3, 4)}
OTHER = make_id(dt.date(1951, 1, 1))


def d(month: int, day: int) -> dt.date:
    return dt.date(2020, month, day)


def streak(n: int) -> dict[str, int]:
    return {"连续申报天数": n}


def weekly(office: Office, facts: dict[str, object], start: dt.date,
           weeks: int = 5, first: int = 0) -> list[tuple[Colour, tuple[str, ...]]]:
    """Cards every week from ``start``, a report every day (the streak grows by 7)."""
    out = []
    for w in range(weeks):
        outcome = office.batch(start + dt.timedelta(days=7 * w), **facts,
                               **streak(first + 7 * w))
        assert outcome.card is not None, outcome.error and outcome.error.message
        out.append((outcome.card.claims.colour, outcome.card.assessment.conversions))
    return out


# --- finding 1: conversions count the same days once --------------------------------------

@pytest.mark.parametrize("facts", [
    KOREA,
    {"人员状态": "治愈出院", "状态日期": d(3, 4)},  # R8
    {"人员状态": "无症状感染者解除隔离", "状态日期": d(3, 4)},  # R3
], ids=["korea", "discharged", "released"])
def test_a_step_to_yellow_is_not_counted_again_towards_green(tmp_path: Path,
                                                             facts: dict[str, object]) -> None:
    """Event on 03-04, cards 03-11 (7 report days) red, 03-18 (14) yellow, 03-25 (21)
    still yellow, 04-01 (28) green: 14 more days after the step, as docs/rules.md says."""
    seen = weekly(Office(tmp_path), facts, d(3, 11), weeks=4, first=7)
    assert seen == [(R, ()), (Y, ("T2",)), (Y, ("T2",)), (G, ("T2", "T1"))]


def test_a_same_day_reissue_gives_the_same_colour_and_revokes_nothing_right(
        tmp_path: Path) -> None:
    """Re-issuing the 03-18 roster on 03-18 gave 绿码 and revoked the right yellow card."""
    office = Office(tmp_path)
    red = office.batch(d(3, 11), **KOREA, **streak(7))
    first = office.batch(d(3, 18), **KOREA, **streak(14))
    again = office.batch(d(3, 18), **KOREA, **streak(14))
    assert first.card.claims.colour == again.card.claims.colour == Y
    assert first.card.claims.serial != again.card.claims.serial
    with Ledger(office.ledger) as ledger:
        revoked = {c.serial for c in ledger.cards() if c.revoked_at is not None}
    assert revoked == set()  # the red card lets no one through the yellow one would not
    assert red.card.claims.colour == R


def test_rules_explain_shows_each_step_with_its_days(tmp_path: Path) -> None:
    office = Office(tmp_path)
    office.colour(d(3, 11), **KOREA, **streak(7))
    office.colour(d(3, 18), **KOREA, **streak(14))
    roster = write_roster(tmp_path / "explain.xlsx", [row(**KOREA, **streak(21))])
    [text] = explain_roster([roster], None, d(3, 25), ledger=office.ledger, key=office.key)
    assert "2020-03-04 起：R9" in text
    assert "2020-03-18 转为黄码（T2）" in text
    assert "下一次转码最早 2020-04-01" in text
    assert "结果 result: 黄码" in text and "T1" not in text


# --- finding 2: a later roster cannot rewrite the facts behind a red card -----------------

def test_a_moved_arrival_is_rejected_naming_both_dates(tmp_path: Path) -> None:
    office = Office(tmp_path)
    wuhan = {"14天内旅居地区": "湖北省武汉市", "来南日期": d(3, 11)}
    first = office.batch(d(3, 11), **wuhan)
    assert first.card.claims.colour == R
    moved = office.batch(d(3, 18), **{**wuhan, "来南日期": d(2, 19)}, **streak(28))
    assert moved.card is None and moved.error.where.column == "来南日期"
    assert "2020-02-19" in moved.error.message and "2020-03-11" in moved.error.zh
    assert "passgen ledger correct" in moved.error.zh
    longer = office.batch(d(3, 18), **wuhan, **streak(28))  # 28 days in a week
    assert longer.card is None and longer.error.where.column == "连续申报天数"
    assert "7" in longer.error.zh
    # the clerk corrects the card, with a reason: the row is then decided afresh
    serial, colour = correct_card(office.ledger, first.card.claims.serial.hex(),
                                  "来南日期填错，应为 2020-02-19", day_start(d(3, 18)))
    assert colour == R
    with Ledger(office.ledger) as ledger:
        [card] = ledger.cards()
    assert card.revoked_at is not None and "来南日期填错" in (card.reason or "")
    fresh = office.batch(d(3, 18), **{**wuhan, "来南日期": d(2, 19)}, **streak(28))
    assert fresh.card is not None and fresh.card.claims.colour == G


def test_a_correction_needs_a_red_or_yellow_card_and_a_reason(tmp_path: Path) -> None:
    from passgen.errors import LedgerError

    office = Office(tmp_path)
    green = office.batch(d(3, 11))
    for serial, reason, words in ((green.card.claims.serial.hex(), "x", "绿码卡无需更正"),
                                  ("0102030405060708", "x", "没有这张卡"),
                                  (green.card.claims.serial.hex(), " ", "--reason"),
                                  ("not a serial", "x", "卡片编号格式错误")):
        with pytest.raises(LedgerError) as info:
            correct_card(office.ledger, serial, reason, 0)
        assert words in info.value.zh
    red = office.batch(d(3, 12), 人工认定="高风险")
    correct_card(office.ledger, red.card.claims.serial.hex(), "认定有误", 0)
    with pytest.raises(LedgerError) as info:
        correct_card(office.ledger, red.card.claims.serial.hex(), "again", 0)
    assert "已经更正过" in info.value.zh


# --- finding 3: a first card does not ignore a lapsed window ------------------------------

def test_the_same_facts_give_the_same_colour_with_or_without_an_earlier_card(
        tmp_path: Path) -> None:
    here, there = Office(tmp_path / "a"), Office(tmp_path / "b")
    assert here.colour(d(3, 11), **KOREA) == R
    assert here.colour(d(3, 18), **KOREA, **streak(7)) == R
    assert there.colour(d(3, 18), **KOREA, **streak(7)) == R  # no card: not G1 green
    assert there.colour(d(3, 18), **KOREA, **streak(14), 身份证号=OTHER) == Y


# --- finding 4: ongoing states end with one step, never in green at once ------------------

def test_a_close_contact_released_after_28_days_is_yellow_then_green(tmp_path: Path) -> None:
    office = Office(tmp_path)
    isolated = {"人员状态": "密切接触者隔离", "状态日期": d(3, 1)}
    assert office.colour(d(3, 1), **isolated) == R
    assert office.colour(d(3, 15), **isolated, **streak(14)) == R  # no step while it holds
    released = office.batch(d(3, 29), **streak(28))
    assert released.card.claims.colour == Y and released.card.assessment.conversions == ("T2",)
    assert office.colour(d(4, 5), **streak(35)) == Y
    assert office.colour(d(4, 12), **streak(42)) == G


def test_a_housemate_of_an_observed_person_ends_yellow(tmp_path: Path) -> None:
    office = Office(tmp_path)
    assert office.colour(d(3, 1), 与观察人员同住="是") == R
    assert office.colour(d(3, 29), **streak(28)) == Y
    assert office.colour(d(4, 12), **streak(42)) == G


def test_fourteen_days_of_fever_count_no_report_day(tmp_path: Path) -> None:
    office = Office(tmp_path)
    assert office.colour(d(3, 1), 症状="发热") == Y
    assert office.colour(d(3, 8), 症状="发热", **streak(7)) == Y
    assert office.colour(d(3, 15), **streak(14)) == Y  # the day it is gone: not green
    assert office.colour(d(3, 22), **streak(21)) == Y
    assert office.colour(d(3, 29), **streak(28)) == G  # 14 days after it ended


# --- finding 5: a clerk who clears the 14天内 cells --------------------------------------

def test_cleared_cells_are_carried_while_red_or_yellow(tmp_path: Path) -> None:
    office = Office(tmp_path)
    assert office.colour(d(3, 11), **KOREA, **streak(7)) == R
    cleared = office.batch(d(3, 18), **streak(14))  # the Korea cells left blank
    assert cleared.card.claims.colour == Y and "R9" in cleared.card.assessment.clause_ids
    assert office.colour(d(3, 25), **streak(21)) == Y
    assert office.colour(d(4, 1), **streak(28)) == G
    assert office.colour(d(4, 8), **streak(35)) == G  # green: the roster's facts again


def test_a_certificate_is_updated_only_by_a_green_resident(tmp_path: Path) -> None:
    from day_model import GREEN  # noqa: F401  (the model treats it the same)
    from test_oracle import RULES

    office = Office(tmp_path, RULES)
    wenzhou = {"14天内旅居地区": "温州", "来南日期": d(3, 10)}
    assert office.colour(d(3, 11), **wenzhou) == Y
    late = office.batch(d(3, 12), **wenzhou, 健康证明有效期至=d(4, 30), **streak(1))
    assert late.card is None and late.error.where.column == "健康证明有效期至"
    assert "只有绿码" in late.error.zh


# --- finding 7: a re-issue is never born revoked ------------------------------------------

def test_a_lost_card_revoked_and_reissued_the_same_day_verifies_valid(tmp_path: Path) -> None:
    office = Office(tmp_path)
    lost = office.batch(d(3, 25))
    with Ledger(office.ledger) as ledger:
        assert ledger.revoke([lost.card.claims.serial], "lost", day_start(d(3, 25))) == []
    new = office.batch(d(3, 25))
    assert new.card.claims.serial != lost.card.claims.serial
    with Ledger(office.ledger) as ledger:
        listed = ledger.revoked_serials("NC-TEST-01", day_start(d(3, 25)))
    trust = keys.TrustList((office.key.entry,))
    lists = revocation.Revocations((revocation.parse(
        revocation.build(office.key, listed, day_start(d(3, 25))), trust),))
    noon = dt.datetime(2020, 3, 25, 12, tzinfo=SHANGHAI)
    assert verify(new.card.payload, trust, noon, lists).status == Verdict.VALID
    assert verify(lost.card.payload, trust, noon, lists).status == Verdict.REVOKED


def test_the_ledger_refuses_a_serial_it_holds(tmp_path: Path) -> None:
    from passgen.errors import LedgerError
    from passgen.jobs.ledger import CardRecord

    office = Office(tmp_path)
    card = office.batch(d(3, 25)).card
    with Ledger(office.ledger, office.key) as ledger, pytest.raises(LedgerError) as info:
        ledger.begin_batch("f" * 32, "NC-TEST-01", office.key.entry.kid,
                           [CardRecord.of(card)], [], tmp_path, 0)
    assert "已有编号" in info.value.zh


# --- existing ledgers keep working -------------------------------------------------------

def test_a_schema_3_ledger_is_migrated_and_its_cards_still_count(tmp_path: Path) -> None:
    """A ledger written before facts were kept: its last card's colour holds from the first
    card of its run, and conversions go on from there."""
    office = Office(tmp_path)
    wuhan = {"14天内旅居地区": "湖北省武汉市", "来南日期": d(3, 10)}
    assert office.colour(d(3, 11), **wuhan) == R
    db = sqlite3.connect(office.ledger)  # back to schema 3, as an older passgen left it
    db.execute("DROP INDEX cards_seq")
    db.execute("DROP TABLE withdrawn")
    for column in ("facts", "seq", "corrected"):
        db.execute(f"ALTER TABLE cards DROP COLUMN {column}")
    db.execute("PRAGMA user_version = 3")
    db.commit()
    db.close()
    assert office.colour(d(3, 18), **wuhan, **streak(7)) == R
    with Ledger(office.ledger) as ledger:
        assert ledger.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert office.colour(d(3, 25), **wuhan, **streak(14)) == Y
    assert office.colour(d(4, 8), **wuhan, **streak(28)) == G


def test_facts_altered_in_the_ledger_reject_the_row(tmp_path: Path) -> None:
    office = Office(tmp_path)
    assert office.colour(d(3, 11), **KOREA) == R
    db = sqlite3.connect(office.ledger)
    sealed = db.execute("SELECT facts FROM cards").fetchone()[0]
    db.execute("UPDATE cards SET facts = ?", (sealed[:-1] + bytes([sealed[-1] ^ 1]),))
    db.commit()
    db.close()
    outcome = office.batch(d(3, 18), **KOREA, **streak(7))
    assert outcome.card is None and "无法读取" in outcome.error.zh


def test_the_ledger_keeps_no_fact_in_the_clear(tmp_path: Path) -> None:
    office = Office(tmp_path)
    office.colour(d(3, 11), **KOREA)
    data = office.ledger.read_bytes() + b"".join(
        p.read_bytes() for p in tmp_path.glob("ledger.sqlite-*"))
    assert "韩国".encode() not in data and b"2020-03-04" not in data


# --- finding 8: the help says what the ledger does ---------------------------------------

@pytest.mark.parametrize("command", [["cards"], ["roster", "check"], ["rules", "explain"]])
def test_ledger_help_no_longer_says_only_when_blank(command: list[str]) -> None:
    from passgen.cli import cli

    text = CliRunner().invoke(cli, [*command, "--help"], terminal_width=200).output
    ledger = text[text.index("--ledger"):]
    ledger = ledger[:ledger.index("\n  --", 2) if "\n  --" in ledger[2:] else None]
    assert "上次颜色 is blank" not in ledger and "“上次颜色”为空的居民" not in ledger
    assert "事实" in ledger and "facts" in ledger
