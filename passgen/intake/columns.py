"""The roster's columns (DESIGN.md §3, fixed): canonical fields, their Chinese headers, and
the coded values a cell may hold.  Data only: the roster reader and the blank template both
read it."""

from __future__ import annotations

from dataclasses import dataclass

from passgen.models import Category


@dataclass(frozen=True)
class Column:
    """A canonical roster field, its Chinese headers and whether the header must be present."""

    field: str
    headers: tuple[str, ...]
    required: bool


# Fixed contract (DESIGN.md §3): canonical fields and their headers.  The first header is the
# one a template writes.  Health columns are required as columns even where cells may be blank:
# a mistyped health header must refuse the file, never turn a whole estate green.
COLUMNS: tuple[Column, ...] = (
    Column("name", ("姓名",), True),
    Column("id_number", ("身份证号", "身份证号码", "公民身份号码"), True),
    Column("category", ("类别", "人员类别"), False),
    Column("community", ("社区",), False),
    Column("address", ("住址",), False),
    Column("phone", ("联系电话",), False),
    Column("guardian", ("监护人",), False),
    Column("guardian_phone", ("监护人电话",), False),
    Column("travel_regions", ("14天内旅居地区",), True),
    Column("arrival_date", ("来南日期",), True),
    Column("abroad_countries", ("14天内境外旅居国家",), True),
    Column("entry_date", ("入境日期",), True),
    Column("symptoms", ("症状",), True),
    Column("case_status", ("人员状态",), True),
    Column("status_date", ("状态日期",), True),
    Column("severe_contact", ("14天内接触疫情较重地区人员",), True),
    Column("lives_with_observed", ("与观察人员同住",), True),
    Column("certificate_until", ("健康证明有效期至",), False),
    Column("override", ("人工认定",), False),
    Column("previous_colour", ("上次颜色",), False),
    Column("report_days", ("连续申报天数",), False),
)
HEADER_OF = {c.field: c.headers[0] for c in COLUMNS}

CASE_STATUSES = (
    "正常",
    "确诊",
    "疑似",
    "无症状感染者集中隔离",
    "无症状感染者解除隔离",
    "密切接触者隔离",
    "治愈出院",
    "治愈出院居家观察",
)
# A bare 居家观察 is refused: it may mean a discharged patient in home observation (Y3, after
# R8) or a close contact in home medical observation (密切接触者隔离, R4).
AMBIGUOUS_STATUSES = {"居家观察": ("治愈出院居家观察", "密切接触者隔离")}
# Statuses that only make sense with the date they began.
DATED_STATUSES = frozenset(CASE_STATUSES) - {"正常", "确诊", "疑似"}
CATEGORY_WORDS = {"老年人": Category.ELDERLY, "老人": Category.ELDERLY,
                  "学生": Category.STUDENT, "其他": Category.OTHER, "其它": Category.OTHER}
OVERRIDES = ("高风险", "中风险")
YES = frozenset({"是", "有", "y", "yes", "true", "1", "√"})
NO = frozenset({"否", "无", "没有", "n", "no", "false", "0", "×", ""})
FIELDS = tuple(c.field for c in COLUMNS)
INSTRUCTIONS_MARK = "passgen 填写说明"  # first cell of the template's notes sheet
INSTRUCTIONS_SHEET = "填写说明"  # the template's sheet that explains each column
