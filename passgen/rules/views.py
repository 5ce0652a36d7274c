"""Plain-text views of the rules for officials: ``rules show`` and ``rules explain``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path

from passgen.errors import PassgenError
from passgen.intake.roster import RowContext, read_rosters
from passgen.models import Colour, Record, Resident, RowError
from passgen.rules.engine import HELD, Explanation, explain
from passgen.rules.load import Dated, Rules, rules_of

CONDITION_WORDS = {
    "arrived_from": "来南（{v}）", "abroad_from": "境外来南（{v}）", "statuses": "人员状态为 {v}",
    "status_within_days": "状态日期在{v}天内", "arrival_within_days": "来南日期在{v}天内",
    "entry_within_days": "入境日期在{v}天内", "symptoms": "有症状", "severe_contact": "接触疫情较重地区人员",
    "lives_with_observed": "与观察人员同住", "override": "人工认定为 {v}",
    "certificate_valid": "持有效健康证明", "no_recent_travel": "14天内无外出", "otherwise": "其他情况",
}
LEVEL_WORDS = {"high": "高风险地区", "medium": "中风险地区", "low": "低风险地区",
               "severe": "疫情较重地区", "other": "非疫情较重国家"}


def _condition(kind: str, value: object) -> str:
    if isinstance(value, tuple):
        value = "、".join(str(v) for v in value)
    return CONDITION_WORDS[kind].format(v=LEVEL_WORDS.get(str(value), value))


def show(rules: Rules | Path | None = None) -> str:
    """Every clause, area list and conversion, as an official reads them (``rules``: the
    rules, a rules file, or None for the shared default)."""
    rules = rules_of(rules)
    lines = [f"{rules.name}", f"规则版本 rules version: {rules.version_hex}",
             f"时间窗口 window: {rules.window_days} 天（“14天内”指 0 ≤ 签发日期 − 事件日期 < {rules.window_days}）",
             "", "条款 clauses（红码 > 黄码 > 绿码）:"]
    for c in rules.clauses:
        conditions = " 且 ".join(_condition(k, v) for k, v in c.when)
        lines.append(f"  {c.id:<4} {c.colour.word}  {c.source}")
        lines.append(f"       条件: {conditions}")
        if c.colour != Colour.GREEN:
            lines.append("       类别: " + ("持续状态：存在期间保持此颜色，不能转码 / ongoing state"
                                         if c.kind == "state" else
                                         "事件：可随转码消除（每连续14天申报转好一级）/ event"))
        if c.beats:
            lines.append(f"       抵消: {'、'.join(c.beats)}")
        if c.note:
            note = c.note.splitlines()
            lines.append(f"       说明: {note[0]}")
            lines.extend(f"             {line}" for line in note[1:])
    lines += ["", "地区 areas:"]
    for a in rules.areas:
        lines.append(f"  {LEVEL_WORDS[a.level]}: {'、'.join(a.names)}（{_span(a)}）{a.source}")
    for b in rules.abroad:
        lines.append(f"  境外疫情较重国家: {'、'.join(sorted(b.countries))}（{_span(b)}）")
    lines += ["", "转码 conversions:"]
    lines += [f"  {k}  {v}" for k, v in sorted(rules.conversions.items())]
    return "\n".join(lines)


def _span(listed: Dated) -> str:
    """A list's dates with their source: none unless an administrator set them."""
    if listed.start is None and listed.end is None:
        return "不限日期：原文未给出日期 / no dates: the source gives none"
    return (f"{listed.start or '…'} 至 {listed.end or '…'}，日期依据 dates set by the "
            f"administrator: {listed.dates_reason}")


def _facts_lines(resident: Resident, e: Explanation, rules: Rules,
                 looked_up: bool = True) -> list[str]:
    out = []
    if resident.travel_regions:
        places = "、".join(f"{name}（{rules.places.full_name(code)}）"
                          for name, code in zip(resident.travel_regions, e.facts.regions,
                                                strict=True))
        out.append(f"  14天内旅居地区: {places}，来南日期 {resident.arrival_date}")
    if resident.abroad_countries:
        out.append(f"  境外旅居: {'、'.join(resident.abroad_countries)}，入境日期 {resident.entry_date}")
    if resident.symptoms:
        out.append(f"  症状: {'、'.join(resident.symptoms)}")
    if resident.case_status != "正常":
        out.append(f"  人员状态: {resident.case_status}（{resident.status_date}）")
    for flag, word in ((resident.severe_contact, "14天内接触疫情较重地区人员"),
                       (resident.lives_with_observed, "与观察人员同住")):
        if flag:
            out.append(f"  {word}: 是")
    if resident.certificate_until:
        out.append(f"  健康证明有效期至: {resident.certificate_until}")
    if resident.override:
        out.append(f"  人工认定: {resident.override}")
    previous = e.assessment.previous
    if previous is not None:
        out.append(f"  {previous.describe()}")
    elif not looked_up:
        out.append("  上次颜色: 花名册未填；登记册没有查（没有加 --key），按首张卡评定 / the ledger was "
                   "not looked up (no --key): assessed as a first card")
    out.append(f"  连续申报 {resident.report_days} 天 / report days: {resident.report_days}")
    return out


def _history_lines(e: Explanation, rules: Rules) -> list[str]:
    """Each step of the running episode with its day and the days that earned it."""
    course, record = e.course, e.assessment.kept
    episode = course.episode
    if episode is None:
        return []
    lines = ["经过 history:"]
    lines.append(f"  {episode.opened} 起：{'、'.join(episode.clauses)}（事件或状态开始，颜色由此日计）")
    start = episode.opened
    for step in episode.steps:
        lines.append(f"  {step.day} 转为{step.to.word}（{step.clause}）：{start} 之后连续 "
                     f"{rules.window_days} 天申报符合条件 / {step.clause} on {step.day}")
        start = step.day
    if course.holding:
        lines.append(f"  {'、'.join(course.holding)} 仍在持续：持续期间不转码 / ongoing: no step "
                     "while it holds")
    elif course.colour > Colour.GREEN and course.counting_from is not None:
        due = course.counting_from + dt.timedelta(days=rules.window_days)
        lines.append(f"  下一次转码最早 {max(due, e.as_of + dt.timedelta(days=1))}"
                     f"（自 {course.counting_from} 起连续 {rules.window_days} 天申报符合条件）/ "
                     f"next step at the earliest on {max(due, e.as_of + dt.timedelta(days=1))}")
    if record is not None and record.reported:
        runs = "、".join(f"{a}~{b}" for a, b in record.reported[-3:])
        lines.append(f"  已知的连续申报 compliant report days: {runs}")
    return lines


def explain_text(resident: Resident, e: Explanation, rules: Rules,
                 looked_up: bool = True) -> str:
    """One resident's explanation; ``looked_up``: whether the ledger was consulted."""
    lines = [f"{resident.where.describe()}  {resident.name}  {resident.masked_id}", "情况 facts:"]
    lines += _facts_lines(resident, e, rules, looked_up)
    a = e.assessment
    lines.append("符合的条款 clauses that apply:")
    for c in e.fired:
        if c.colour == Colour.GREEN and a.colour != Colour.GREEN:
            continue  # a green clause never explains a red or yellow result
        lines.append(f"  {c.id} {c.colour.word}: {c.source}")
    for m in a.matched:
        if m.clause_id == HELD:
            lines.append(f"  {m.source}")
    for c in e.cancelled:
        lines.append(f"  （{c.id} 已被抵消 cancelled: {c.source}）")
    for step in a.conversions:
        lines.append(f"转码 conversion: {step} {rules.conversions.get(step, '')}")
    lines += _history_lines(e, rules)
    lines.append(f"结果 result: {a.colour.word}（{a.colour.meaning}）  规则版本 {rules.version_hex}")
    return "\n".join(lines)


def explain_rows(paths: Sequence[Path], rules: Rules | Path | None, as_of: dt.date,
                 row: int | None = None, id_text: str | None = None, sheet: str | None = None,
                 community: str = "",
                 history: Callable[[Resident], Record | RowError | None] | None = None,
                 ) -> list[str]:
    """Explanations of the roster rows picked by Excel row number or by ID number
    (full or masked); a rejected row is explained by its rejection.  ``history`` finds a
    resident's last card in a ledger as of ``as_of`` (or rejects the row)."""
    rules = rules_of(rules)
    out: list[str] = []
    for outcome in read_rosters(paths, RowContext(as_of, community)):
        where = outcome.where
        if sheet is not None and where.sheet != sheet:
            continue
        if row is not None and where.row != row:
            continue
        if isinstance(outcome, RowError):
            if id_text is None:
                out.append(f"未通过 rejected: {outcome.message}")
            continue
        if id_text is not None and id_text.upper() not in (outcome.id_number, outcome.masked_id):
            continue
        found = history(outcome) if history else None
        result = found if isinstance(found, RowError) else explain(outcome, as_of, rules, found)
        if isinstance(result, RowError):
            out.append(f"未通过 rejected: {result.message}")
        else:
            out.append(explain_text(outcome, result, rules, history is not None))
    if not out:
        raise PassgenError("没有找到指定的行", "no roster row matches --row/--id/--sheet")
    return out
