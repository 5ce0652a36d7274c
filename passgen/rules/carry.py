"""The roster row merged with the facts kept with the resident's last card (DESIGN.md §4):
while that card is red or yellow, facts may be added, never removed or moved; states begin and
end; the report days follow from the last card's or the row is rejected."""

from __future__ import annotations

import datetime as dt

from passgen.dates import Days, add_days
from passgen.intake.columns import HEADER_OF
from passgen.models import Colour, Record, Resident, RowError, Span, evolve, short_serial
from passgen.rules.facts import row_problem
from passgen.rules.load import Clause, Rules


def _problem_at(resident: Resident, field: str, value: str, zh: str, en: str) -> RowError:
    return row_problem(resident, HEADER_OF[field], value, zh, en)


def _card(last: Record) -> str:
    return f"{last.day} 的{last.colour.word}卡" + (f"（编号 {short_serial(last.serial)}）"
                                                 if last.serial else "")


def _moved(resident: Resident, field: str, shown: str, kept: str, last: Record) -> RowError:
    return _problem_at(
        resident, field, shown,
        f"与登记册中上一张卡（{_card(last)}）记录的“{kept}”不同：转为绿码之前，已记录的事实只能补充，"
        "不能删改。确属填错，请先用 passgen ledger correct 更正那张卡（写明原因），再制卡",
        f"differs from {kept!r} recorded with the last card ({last.day}, {last.colour.english}):"
        " until the resident is green, recorded facts may be added to, never changed; if it "
        "was wrong, correct that card first with passgen ledger correct")


def _streak_problem(resident: Resident, as_of: dt.date, last: Record) -> RowError | None:
    """A streak the last card's cannot lead to: longer than the days allow, or a break on
    a day the last card counted as reported."""
    s, gap = resident.report_days, (as_of - last.day).days
    if s == last.streak + gap or s < gap or (last.streak == 0 and s == gap):
        return None
    longest = last.streak + gap
    break_hint = f"若其间中断过，应小于 {gap}；" if gap else ""
    return _problem_at(
        resident, "report_days", str(s),
        f"与上一张卡（{_card(last)}）不符：那时连续申报 {last.streak} 天，若一直按时申报，今天应为 "
        f"{longest}；{break_hint}请核对后改正",
        f"does not follow from the last card ({last.day}): {last.streak} report days then, so "
        f"{longest} today if no day was missed" + (f", or fewer than {gap} after a break"
                                                    if gap else ""))


def _event(r: Resident, field: str, day: dt.date | None, places: tuple[str, ...],
           kept: dt.date | None, kept_places: tuple[str, ...],
           last: Record) -> tuple[dt.date | None, tuple[str, ...]] | RowError:
    """An arrival or an entry merged with the one kept with a red or yellow card: left out,
    it is carried; on another day, the row is rejected; on the same day, the places (or
    countries) of both count."""
    if kept is None:
        return day, places
    if day is None:
        return kept, kept_places
    if day != kept:
        return _moved(r, field, str(day), str(kept), last)
    return day, tuple(dict.fromkeys(kept_places + places))


def report_window(as_of: dt.date, streak: int) -> Days | None:
    """The compliant report days a streak of ``streak`` ending on ``as_of`` covers."""
    return (as_of - dt.timedelta(days=streak - 1), as_of) if streak > 0 else None


def carry(resident: Resident, as_of: dt.date, rules: Rules,
           last: Record | None) -> tuple[Resident, Record] | RowError:
    """The roster row merged with the facts kept with the last card (DESIGN.md §4): while
    that card is red or yellow a fact left out is carried and a changed one rejects the
    row; a green resident's facts are the roster's.  Returns the merged resident and the
    record of this card (its colour still to be decided)."""
    keep = last is not None and last.colour > Colour.GREEN
    r = resident
    arrival, regions = r.arrival_date, r.travel_regions
    entry, countries = r.entry_date, r.abroad_countries
    status, status_date = ((r.case_status, r.status_date) if r.case_status in rules.event_statuses
                           else ("", None))
    certificate = r.certificate_until
    if keep:
        assert last is not None
        carried = _event(r, "arrival_date", arrival, regions, last.arrival, last.regions, last)
        if isinstance(carried, RowError):
            return carried
        arrival, regions = carried
        carried = _event(r, "entry_date", entry, countries, last.entry, last.countries, last)
        if isinstance(carried, RowError):
            return carried
        entry, countries = carried
        if last.status:
            if not status:
                status, status_date = last.status, last.status_date
            elif (status, status_date) != (last.status, last.status_date):
                return _moved(r, "status_date", f"{status} {status_date}",
                              f"{last.status} {last.status_date}", last)
        if certificate != last.certificate and not last.legacy:
            if certificate is None:
                certificate = last.certificate
            else:
                return _problem_at(
                    r, "certificate_until", str(certificate),
                    f"上一张卡（{_card(last)}）不是绿码：只有绿码才能更新健康证明（原文：只有绿码用户才能"
                    f"更新信息）。请保留原来的“{last.certificate or '（空）'}”，转为绿码后再更新",
                    "only a green resident's health certificate may be updated: keep the "
                    f"one recorded ({last.certificate or 'none'}) until the resident is green")
    streak = r.report_days
    window = report_window(as_of, streak)
    reported: tuple[Days, ...] = ()
    if last is not None and not last.legacy:
        problem = _streak_problem(r, as_of, last)
        if problem is not None and keep:
            return problem
        reported = last.reported if problem is None else ()
    reported = add_days(reported, window)
    # the row as the rules see it today: carried events in its cells (a state in 人员状态
    # keeps its place; a carried discharge or release is replayed from the record)
    merged = r if keep is False else evolve(
        r, arrival_date=arrival, travel_regions=regions, entry_date=entry,
        abroad_countries=countries, certificate_until=certificate)
    if status and r.case_status == "正常":
        merged = evolve(merged, case_status=status, status_date=status_date)
    held = list(last.held) if last is not None else []
    if r.previous_colour is not None:
        than = last.colour if last is not None else Colour.GREEN
        if r.previous_colour > than:  # a card the ledger has not seen (better: see previous_of)
            since = as_of - dt.timedelta(days=streak)
            held.append((max(since, last.day) if last is not None else since, r.previous_colour))
    record = Record(as_of, Colour.GREEN, streak, arrival, regions if arrival else (), entry,
                    countries if entry else (), status, status_date, certificate,
                    (), reported, tuple(held))
    return merged, record


def state_spans(resident: Resident, as_of: dt.date, fired: list[Clause], rules: Rules,
           last: Record | None) -> tuple[Span, ...] | RowError:
    """The states (red or yellow state clauses) with the days they held: those the last
    card's roster listed and this one does not end today; those it lists begin on their
    状态日期 where a status dates them, else today."""
    today = {c.id for c in fired if c.kind == "state" and c.colour > Colour.GREEN}
    spans: list[Span] = []
    still: set[str] = set()
    for span in last.states if last is not None else ():
        if span.end is not None or span.clause not in rules.by_id:
            spans.append(span)
            continue
        if span.clause not in today:
            spans.append(evolve(span, end=as_of))
            continue
        began = _state_start(resident, rules.by_id[span.clause], as_of)
        if began is not None and began != span.start and last is not None:
            return _moved(resident, "status_date", str(began), str(span.start), last)
        spans.append(span)
        still.add(span.clause)
    for cid in sorted(today - still, key=rules.order.__getitem__):
        spans.append(Span(cid, _state_start(resident, rules.by_id[cid], as_of) or as_of))
    return tuple(spans)


def _state_start(resident: Resident, clause: Clause, as_of: dt.date) -> dt.date | None:
    """The day a state began, where its status dates it (状态日期), else None."""
    if any(k == "statuses" for k, _ in clause.when) and resident.status_date is not None:
        return min(resident.status_date, as_of)
    return None
