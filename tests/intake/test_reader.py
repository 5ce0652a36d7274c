"""The row reader's shortcuts decide exactly as plain reading would.

SheetReader reads the coded columns (category, community, dates, 是/否...) once per
combination of raw cells and builds Residents without their generated __init__; these tests
hold both shortcuts to the plain result.
"""

import dataclasses
import datetime as dt
from typing import Any

import pytest
from helpers import AS_OF, WEIGHTS, make_id
from hypothesis import given, settings
from hypothesis import strategies as st

from passgen.intake import idcard, roster
from passgen.intake.columns import COLUMNS, FIELDS
from passgen.intake.roster import RowContext, SheetReader, find_header
from passgen.models import Location, Resident, RowError, assemble

HEADER_CELLS = [c.headers[0] for c in COLUMNS]
HEADER = find_header(HEADER_CELLS)
CTX = RowContext(AS_OF)

# cells that collide as dict keys (1 == 1.0 == True) or as text, and ones every reader knows
TRICKY: list[Any] = [None, "", " ", 0, 1, 1.0, True, False, "1", "0", 43895, 43895.0,
                     "43895", dt.date(2020, 3, 5), dt.datetime(2020, 3, 5, 0, 0),
                     dt.datetime(2020, 3, 5, 12, 0), dt.date(2021, 1, 1), "2020-03-05",
                     "是", "否", "无", "Y", "×", "正常", "治愈出院居家观察", "确诊", "学生", "老人", "工人",
                     "成都", "成都、武汉", "绿码", "红", "高风险", "低风险", "14", "１４", "2.5"]
CODED_INDEX = [FIELDS.index(f) for f in roster.CODED]


def good_cells(seq: int) -> list[Any]:
    cells: list[Any] = [None] * len(FIELDS)
    cells[FIELDS.index("name")] = f"居民{seq}"
    cells[FIELDS.index("id_number")] = make_id(dt.date(1950 + seq % 60, 1 + seq % 12, 1), seq)
    cells[FIELDS.index("community")] = "桂花社区"
    return cells


@st.composite
def rows(draw: st.DrawFn) -> list[list[Any]]:
    """Rows varying in a few coded columns, so that combinations recur, in any types."""
    columns = draw(st.lists(st.sampled_from(CODED_INDEX), min_size=1, max_size=3, unique=True))
    values = st.sampled_from(TRICKY)
    out = []
    for seq in range(draw(st.integers(1, 16))):
        cells = good_cells(seq)
        for i in columns:
            cells[i] = draw(values)
        out.append(cells)
    return out


@settings(max_examples=300, deadline=None)
@given(rows(), st.sampled_from(["", "默认社区"]))
def test_remembered_combinations_read_as_fresh_ones(cells: list[list[Any]],
                                                    community: str) -> None:
    """One reader for the whole sheet (remembering combinations) and a fresh reader per row
    give the same outcome for every row, whatever types the cells arrive as."""
    assert HEADER is not None
    ctx = RowContext(AS_OF, community)
    shared = SheetReader("f.xlsx", "S", HEADER, ctx)
    for number, row in enumerate(cells, start=2):
        fresh = SheetReader("f.xlsx", "S", HEADER, ctx).outcome(number, row)
        assert shared.outcome(number, row) == fresh


def test_equal_keys_of_different_types_are_not_confused() -> None:
    """1, 1.0 and True are one dict key, but in a date column 1 is Excel's day 1 and True is
    no date: a row must never get the answer remembered for another type."""
    assert HEADER is not None
    reader = SheetReader("f.xlsx", "S", HEADER, CTX)
    certificate = FIELDS.index("certificate_until")
    outcomes = []
    for number, value in enumerate([1, True, 1.0, "1", True], start=2):
        cells = good_cells(number)
        cells[certificate] = value
        outcomes.append(reader.outcome(number, cells))
    assert [isinstance(o, Resident) for o in outcomes] == [True, False, True, False, False]
    assert outcomes[0].certificate_until == dt.date(1899, 12, 31)  # type: ignore[union-attr]


def test_memory_is_bounded_and_reading_goes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    assert HEADER is not None
    monkeypatch.setattr(roster, "_MEMO_SIZE", 3)
    reader = SheetReader("f.xlsx", "S", HEADER, CTX)
    symptoms = FIELDS.index("symptoms")
    for number in range(2, 40):
        cells = good_cells(number)
        cells[symptoms] = f"症状{number % 10}"
        got = reader.outcome(number, cells)
        assert isinstance(got, Resident) and got.symptoms == (f"症状{number % 10}",)
    assert len(reader.codes) == 3


def test_first_problem_in_column_order_then_future_dates() -> None:
    """With several problems, the row names the leftmost; a date after the as-of date is
    named only when nothing else is wrong."""
    assert HEADER is not None
    reader = SheetReader("f.xlsx", "S", HEADER, CTX)
    cells = good_cells(1)
    cells[FIELDS.index("arrival_date")] = dt.date(2021, 1, 1)  # after the as-of date
    cells[FIELDS.index("travel_regions")] = "成都"
    cells[FIELDS.index("override")] = "低风险"
    cells[FIELDS.index("case_status")] = "治愈出院居家观察"  # needs a status date
    got = reader.outcome(2, cells)
    assert isinstance(got, RowError) and got.where.column == "状态日期"
    cells[FIELDS.index("case_status")] = None
    got = reader.outcome(3, cells)
    assert isinstance(got, RowError) and got.where.column == "人工认定"
    cells[FIELDS.index("override")] = None
    got = reader.outcome(4, cells)
    assert isinstance(got, RowError) and got.where.column == "来南日期"
    assert got.value == "2021-01-01" and got.name == "居民1"
    cells[FIELDS.index("name")] = " "
    got = reader.outcome(5, cells)
    assert isinstance(got, RowError) and got.where.column == "姓名" and got.name == ""


def test_assembled_residents_equal_constructed_ones() -> None:
    """assemble() skips __init__: it must set exactly the declared fields, on classes with no
    __post_init__ or __slots__, so that it builds what the constructor builds."""
    for cls in (Resident, Location):
        assert not hasattr(cls, "__post_init__") and "__slots__" not in vars(cls)
    assert HEADER is not None
    reader = SheetReader("f.xlsx", "S", HEADER, CTX)
    cells = good_cells(7)
    cells[FIELDS.index("travel_regions")] = "成都"
    cells[FIELDS.index("arrival_date")] = "2020-03-20"
    cells[FIELDS.index("phone")] = "１３９００"
    got = reader.outcome(9, cells)
    assert isinstance(got, Resident)
    names = {f.name for f in dataclasses.fields(Resident)}
    assert set(vars(got)) == names
    assert got == Resident(**vars(got))
    assert set(vars(got.where)) == {f.name for f in dataclasses.fields(Location)}
    assert got.where == Location("f.xlsx", "S", 9)
    assert hash(got.where) == hash(Location("f.xlsx", "S", 9))
    with pytest.raises(dataclasses.FrozenInstanceError):
        got.name = "x"  # type: ignore[misc]
    built = assemble(Location, {"file": "a", "sheet": "b", "row": 1, "column": "c"})
    assert built == Location("a", "b", 1, "c") and repr(built) == repr(Location("a", "b", 1, "c"))


@given(st.text("0123456789", min_size=17, max_size=17))
def test_check_digit_matches_the_standard_weights(first17: str) -> None:
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    assert idcard.check_digit(first17) == "10X98765432"[total % 11]


@pytest.mark.parametrize("bad", ["1234567890123456", "123456789012345678", "1234567890123456X",
                                 "１２３４５６７８９０１２３４５６７", "12345678901234 67"])
def test_check_digit_refuses_anything_but_17_digits(bad: str) -> None:
    with pytest.raises(ValueError):
        idcard.check_digit(bad)


def test_coded_fields_are_in_the_order_the_reader_unpacks_them() -> None:
    """SheetReader.outcome unpacks a row's coded values by position: this is that order."""
    assert roster.CODED == (
        "category", "community", "travel_regions", "arrival_date", "abroad_countries",
        "entry_date", "symptoms", "case_status", "status_date", "severe_contact",
        "lives_with_observed", "certificate_until", "override", "previous_colour",
        "report_days")
    assert roster.PERSONAL + roster.CODED == tuple(sorted(FIELDS, key=lambda f: (
        f not in roster.PERSONAL, FIELDS.index(f))))
