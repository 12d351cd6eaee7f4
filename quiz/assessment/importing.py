"""Importing 学时 or a manual component's scores from xlsx or csv: 账号, 姓名, 学时 (or 分数), 说明.

Like the roster import (``quiz.accounts.roster``, whose table reader this reuses): a preview
names every bad row by its number; importing is all or nothing, and refused while any row has a
problem. A cadre appears once per file; importing again replaces what the same cadres had.
"""
from __future__ import annotations

import io
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from openpyxl import Workbook
from sqlalchemy.orm import Session

from question_bank.messages import BankError, Message, N_
from quiz.accounts.models import User
from quiz.accounts.roster import read_table
from quiz.assessment.models import HOURS_KEY, AssessmentPlan
from quiz.assessment.rules import AssessmentError
from quiz.assessment.services import eligible_cadres_stmt, entry_limit, set_entries


def headers(key: str) -> tuple[str, str, str, str]:
    return ("账号", "姓名", "学时" if key == HOURS_KEY else "分数", "说明")


@dataclass
class EntryRow:
    line: int
    username: str = ""
    name: str = ""
    value_text: str = ""
    note: str = ""
    value: float | None = None
    user: User | None = None
    problems: list[Message] = field(default_factory=list)


@dataclass
class EntryPreview:
    key: str
    rows: list[EntryRow]
    file_problems: list[Message] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.file_problems and bool(self.rows) and all(not r.problems for r in self.rows)

    @property
    def problem_rows(self) -> list[EntryRow]:
        return [r for r in self.rows if r.problems]


def preview(session: Session, actor, plan: AssessmentPlan, key: str, data: bytes, filename: str = "") -> EntryPreview:
    if key != HOURS_KEY and not any(c["key"] == key and c["kind"] == "manual" for c in plan.components):
        return EntryPreview(key, [], [Message(N_("请选择要导入的项目"))])
    try:
        table = read_table(data, filename)
    except BankError as exc:
        return EntryPreview(key, [], [exc.message])
    wanted = headers(key)
    if not table or not any(table[0]):
        return EntryPreview(key, [], [Message(N_("文件是空的：第一行应为表头 %(h)s"), {"h": "、".join(wanted)})])
    header = [h.replace(" ", "").replace("\u3000", "").lstrip("\ufeff") for h in table[0]]
    missing = [h for h in (wanted[0], wanted[2]) if h not in header]  # 姓名 (a check) and 说明 may be left out
    if missing:
        return EntryPreview(key, [], [Message(N_("第 1 行表头缺少列：%(cols)s"), {"cols": "、".join(missing)})])
    col = {h: header.index(h) for h in wanted if h in header}
    names = [cells[col["账号"]].strip() for cells in table[1:] if col["账号"] < len(cells) and cells[col["账号"]].strip()]
    cadres: dict[str, User] = {}
    for i in range(0, len(names), 500):
        cadres.update({u.username: u for u in session.scalars(eligible_cadres_stmt(plan, actor).where(User.username.in_(names[i:i + 500])))})
    limit = entry_limit(plan, key)
    seen: dict[str, int] = {}
    rows = []
    for line, cells in enumerate(table[1:], start=2):
        if not any(cells):
            continue
        get = lambda h: cells[col[h]].strip() if h in col and col[h] < len(cells) else ""  # noqa: E731
        row = EntryRow(line=line, username=get("账号"), name=get("姓名"), value_text=get(wanted[2]), note=get("说明")[:500])
        _check(row, wanted[2], cadres, seen, limit)
        rows.append(row)
    if not rows:
        return EntryPreview(key, [], [Message(N_("文件中没有数据行"))])
    return EntryPreview(key, rows)


def _check(row: EntryRow, column: str, cadres: dict[str, User], seen: dict[str, int], limit: float) -> None:
    if not row.username:
        row.problems.append(Message(N_("账号为空")))
    elif row.username in seen:
        row.problems.append(Message(N_("账号“%(u)s”与第 %(line)d 行重复"), {"u": row.username, "line": seen[row.username]}))
    else:
        seen[row.username] = row.line
        row.user = cadres.get(row.username)
        if row.user is None:
            row.problems.append(Message(N_("账号“%(u)s”不是本方案考核范围内的在职干部"), {"u": row.username}))
        elif row.name and row.name != row.user.name:
            row.problems.append(Message(N_("姓名“%(given)s”与账号“%(u)s”的姓名“%(name)s”不一致"),
                                        {"given": row.name, "u": row.username, "name": row.user.name}))
    try:
        value = float(row.value_text)
    except ValueError:
        row.problems.append(Message(N_("%(col)s“%(v)s”不是数字"), {"col": column, "v": row.value_text}) if row.value_text
                            else Message(N_("%(col)s为空"), {"col": column}))
        return
    if math.isnan(value) or not 0 <= value <= limit:
        row.problems.append(Message(N_("%(col)s应在 0 到 %(max)s 之间"), {"col": column, "max": f"{limit:g}"}))
        return
    row.value = round(value, 2)


def apply(session: Session, actor, plan: AssessmentPlan, result: EntryPreview, *, audit=None) -> int:
    """Write every row, or nothing."""
    if not result.ok:
        raise AssessmentError(N_("文件中有 %(n)d 行存在问题，未导入任何数据"), n=len(result.problem_rows) or 1)
    return set_entries(session, actor, plan, result.key, [(r.user.id, r.value, r.note) for r in result.rows], audit=audit)


def template_bytes(key: str, label: str, translate: Callable[[str], str] = str) -> bytes:
    """The import template. Its column headers are the file format (the importer reads them by name)
    and stay Chinese in every language; ``translate`` puts the notes sheet and the example note in
    the user's language."""
    t = translate
    wb = Workbook()
    ws = wb.active
    ws.title = label[:31]
    columns = headers(key)
    ws.append(list(columns))
    ws.append(["zhangsan", "张三", 12 if key == HOURS_KEY else 85, t(N_("党校春季轮训")) if key == HOURS_KEY else t(N_("现场竞赛成绩"))])
    ws.freeze_panes = "A2"
    for letter, width in zip("ABCD", (14, 10, 10, 40)):
        ws.column_dimensions[letter].width = width
    notes = wb.create_sheet(t(N_("填写说明"))[:31])
    for line in (
        [columns[0], t(N_("必填，干部的登录账号"))],
        [columns[1], t(N_("选填，填写时须与账号对应的姓名一致（用于核对）"))],
        [columns[2], t(N_("必填，不小于 0 的数字（学时）")) if key == HOURS_KEY else t(N_("必填，不小于 0 的数字，不超过该项目的满分"))],
        [columns[3], t(N_("选填，如培训名称、来源"))],
        ["", t(N_("每人一行；重新导入时，同一人的数值会被新文件覆盖"))],
        ["", t(N_("第一行的列名请保持原样：导入时按列名识别各列"))],
    ):
        notes.append(line)
    notes.column_dimensions["A"].width = 10
    notes.column_dimensions["B"].width = 70
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
