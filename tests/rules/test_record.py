"""The ledger is the record (issue #26, DESIGN.md §3, §4): each history of the audit run
through ``cards`` with a real ledger, batch after batch, as an office runs it.  The previous
colour is the ledger's last card on or before the batch's date; conversions count the report
days inside the episode, which begins at the event; a first card converts too; 依据条款 is
never empty and never green for red or yellow; one vocabulary at every surface."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from helpers import Office, fixed_key, make_id, row, write_roster

from passgen.jobs.ledger import Ledger
from passgen.models import Category, Colour, RowError
from passgen.printing.layout import load_template
from passgen.rules import load_rules

RULES = load_rules()
TEMPLATE = load_template()
R, Y, G = Colour.RED, Colour.YELLOW, Colour.GREEN
ID = make_id(dt.date(1950, 6, 15))


def d(month: int, day: int) -> dt.date:
    return dt.date(2020, month, day)


WUHAN = {"14天内旅居地区": "湖北省武汉市", "来南日期": d(3, 10)}


def streak(days: int) -> dict[str, int]:
    return {"连续申报天数": days}


# --- finding 1: the ledger as it stood on the batch's date -------------------------------

def test_a_back_dated_batch_is_refused_not_signed_green(tmp_path: Path) -> None:
    """A green card dated 04-08 used to be the 'previous colour' of a batch dated 03-18, whose
    Wuhan arrival of 03-11 then signed green.  Now the row is rejected, naming the card."""
    office = Office(tmp_path)
    assert office.colour(d(4, 8)) == G
    late = office.batch(d(3, 18), **{"14天内旅居地区": "湖北省武汉市", "来南日期": d(3, 11)})
    assert late.card is None and late.error is not None
    assert "2020-04-08" in late.error.zh and "--as-of" in late.error.zh
    assert late.error.where.column == "身份证号"
    checked = office.check(d(3, 18))  # roster check reads the ledger the same way
    assert checked.error is not None and "2020-04-08" in checked.error.zh


def test_the_previous_card_is_the_last_one_on_or_before_the_date(tmp_path: Path) -> None:
    office = Office(tmp_path)
    assert office.colour(d(3, 11), **WUHAN) == R
    assert office.colour(d(3, 25), **WUHAN, **streak(14)) == Y
    with Ledger(office.ledger, office.key) as ledger:
        assert ledger.previous_for(ID, d(3, 20)).colour == R  # type: ignore[union-attr]
        assert ledger.previous_for(ID, d(3, 25)).colour == Y  # type: ignore[union-attr]
        assert ledger.previous_for(ID, d(3, 10)) is None
        assert ledger.later_card(ID, d(3, 24)) is not None
        assert ledger.later_card(ID, d(3, 25)) is None


# --- finding 2: 上次颜色 never overrides the ledger ------------------------------------------

def test_a_better_roster_colour_than_the_ledger_rejects_the_row(tmp_path: Path) -> None:
    office = Office(tmp_path)
    assert office.colour(d(3, 11), **WUHAN) == R
    cleared = office.batch(d(3, 18), 上次颜色="绿码")  # travel cells blank, 上次颜色 green
    assert cleared.card is None and cleared.error is not None
    assert cleared.error.where.column == "上次颜色"
    assert "绿码" in cleared.error.zh and "红码" in cleared.error.zh
    assert office.colour(d(3, 18), 上次颜色="红码") == R  # the same as the ledger: fine
    assert office.colour(d(3, 19)) == R  # blank: the ledger's red waits for conversion


def test_a_worse_roster_colour_is_taken(tmp_path: Path) -> None:
    """Another office's red card, unknown to this ledger, is worse than its green one."""
    office = Office(tmp_path)
    assert office.colour(d(3, 11)) == G
    assert office.colour(d(3, 18), 上次颜色="红码") == R


# --- finding 3: weekly cards with the streak written as the template says -----------------

def test_weekly_cards_convert_after_14_and_28_report_days(tmp_path: Path) -> None:
    """The streak ends on the as-of date (not days since the last card): a clerk who issues
    every week writes 7, 14, 21, 28; yellow after 14 days, green after 28 (the source)."""
    office = Office(tmp_path)
    weeks = [(d(3, 11), 0, R), (d(3, 18), 7, R), (d(3, 25), 14, Y), (d(4, 1), 21, Y),
             (d(4, 8), 28, G)]
    assert [office.colour(on, **WUHAN, **streak(n)) for on, n, _ in weeks] == \
        [c for _, _, c in weeks]
    from passgen.intake.roster_template import EXPLAIN

    note = EXPLAIN["report_days"][0]
    assert "不是距上一张卡的天数" in note and "每满14天" in note


# --- finding 4: the conversion clock starts at the event ----------------------------------

def test_conversions_count_from_the_entry_not_the_first_card(tmp_path: Path) -> None:
    """Korea entry 03-04, first card 03-11: yellow on 03-18 with 14 report days and green on
    04-01 with 28 (they came a week late), the same with 红码 in 上次颜色 and no ledger."""
    korea = {"14天内境外旅居国家": "韩国", "入境日期": d(3, 4)}
    office = Office(tmp_path / "ledger")
    assert office.colour(d(3, 11), **korea, **streak(7)) == R
    assert office.colour(d(3, 18), **korea, **streak(14)) == Y
    assert office.colour(d(4, 1), **korea, **streak(28)) == G
    elsewhere = Office(tmp_path / "roster")
    assert elsewhere.colour(d(3, 18), **korea, **streak(14), 上次颜色="红码") == Y
    assert elsewhere.colour(d(3, 18), **korea, **streak(13), 上次颜色="红码",
                            身份证号=make_id(dt.date(1951, 1, 1))) == R


# --- finding 5: a first card counts the report days too ------------------------------------

def test_a_first_card_converts_with_the_streak(tmp_path: Path) -> None:
    office = Office(tmp_path)
    long_ago = {"14天内旅居地区": "湖北省武汉市", "来南日期": d(3, 25) - dt.timedelta(days=60)}
    assert office.colour(d(3, 25), **long_ago, **streak(60)) == G
    hubei = {"14天内旅居地区": "湖北省", "来南日期": d(3, 25) - dt.timedelta(days=34)}
    outcome = office.batch(d(3, 25), **hubei, **streak(28),
                           身份证号=make_id(dt.date(1951, 1, 1)))
    assert outcome.card is not None and outcome.card.claims.colour == G
    assert outcome.card.assessment.conversions == ("T2", "T1")
    assert office.colour(d(3, 25), **hubei, **streak(13), 身份证号=make_id(dt.date(1952, 1, 1))) \
        == R


# --- finding 6: explanations ---------------------------------------------------------------

def test_a_held_colour_is_explained_and_red_lists_no_green_clause(tmp_path: Path) -> None:
    office = Office(tmp_path)
    held = office.batch(d(3, 18), 上次颜色="红码")
    assert held.card is not None and held.card.claims.colour == R
    assert held.card.assessment.clause_ids and "G1" not in held.card.assessment.clause_ids
    from passgen.jobs.cards import explain_roster

    confirmed = write_roster(tmp_path / "case.xlsx", [row(人员状态="确诊", 状态日期=d(3, 1))])
    [text] = explain_roster([confirmed], None, d(3, 18))
    assert "R2" in text and "G1" not in text
    [held_text] = explain_roster([write_roster(tmp_path / "h.xlsx", [row(上次颜色="黄码")])],
                                 None, d(3, 18))
    assert "尚未满足转码条件" in held_text and "G1" not in held_text


# --- finding 7: students --------------------------------------------------------------------

def test_a_13_year_old_with_a_blank_category_is_a_student(tmp_path: Path) -> None:
    office = Office(tmp_path)
    child = office.batch(d(3, 25), 身份证号=make_id(dt.date(2007, 1, 1)), 类别=None)
    adult = office.batch(d(3, 25), 身份证号=make_id(dt.date(1990, 1, 1)), 类别=None)
    elder = office.batch(d(3, 25), 身份证号=make_id(dt.date(1950, 1, 1)), 类别=None)
    assert [o.card.claims.category for o in (child, adult, elder)] == [  # type: ignore[union-attr]
        Category.STUDENT, Category.OTHER, Category.ELDERLY]


# --- finding 8: one vocabulary ---------------------------------------------------------------

def test_the_gate_and_verify_say_the_source_s_words(tmp_path: Path) -> None:
    import dataclasses

    import passgen
    from passgen.check import gate
    from passgen.check.verify import verify
    from passgen.dates import SHANGHAI
    from passgen.passes import keys
    from passgen.passes.issue import issue
    from passgen.rules import evaluate

    key = fixed_key()
    resident = _resident(tmp_path)
    base = evaluate(resident, d(3, 25), RULES)
    assert not isinstance(base, RowError)
    noon = dt.datetime(2020, 3, 25, 12, tzinfo=SHANGHAI)
    for colour in Colour:
        assert gate.ACTIONS[colour] == colour.meaning
        card = issue(resident, dataclasses.replace(base, colour=colour), key, d(3, 25))
        result = verify(card.payload, keys.TrustList((key.entry,)), noon)
        assert colour.meaning in "\n".join(gate.verdict_lines(result, colour=False))
    package = Path(passgen.__file__).parent
    for source in package.rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        assert "测温通行" not in text and "充分核验后通行" not in text, source


def _resident(folder: Path) -> Any:
    from passgen.intake.roster import RowContext, read_rosters

    [resident] = read_rosters([write_roster(folder / "one.xlsx", [row()])],
                              RowContext(d(3, 25), ""))
    return resident


# --- finding 9 ---------------------------------------------------------------------------------

def test_report_days_out_of_range_say_so(tmp_path: Path) -> None:
    office = Office(tmp_path)
    for value, words in ((-1, "0 到 1000"), (5000, "0 到 1000"), ("十四", "必须是整数")):
        outcome = office.check(d(3, 25), 连续申报天数=value)
        assert outcome.error is not None and words in outcome.error.zh, outcome.error
    assert office.check(d(3, 25), 连续申报天数="14").error is None
