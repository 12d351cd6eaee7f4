"""Roster import (花名册): xlsx or csv with 账号, 姓名, 单位, 职务, 手机, 角色.

A preview lists every row's problems by row number; importing is all or nothing: while any row
has a problem nothing is written. Existing accounts in the importer's reach are updated. New ones
each get a generated initial password, which the importer receives once as an xlsx list
(``issued_passwords_xlsx``) and nobody can see again, or, if the importer chooses, one typed
password for all; either way it must be changed at first sign-in, within the configured days.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from openpyxl import Workbook, load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from question_bank.formats.safety import check_zip, is_zip
from question_bank.formats.template_rows import neutralize
from question_bank.formats.textcodec import decode_text
from question_bank.messages import BankError, Message, N_
from quiz.accounts.models import OrgUnit, User
from quiz.accounts.passwords import check_policy, generate_password, hash_generated_password, hash_password
from quiz.accounts.scope import can_reach_unit, units_in_reach
from quiz.accounts.services import INITIAL_PASSWORD_VALID, check_phone, check_username, initial_password_expiry
from quiz.accounts.units import UnitIndex
from quiz.audit.services import record

HEADERS = ("账号", "姓名", "单位", "职务", "手机", "角色")
REQUIRED = ("账号", "姓名", "单位")
ROLE_WORDS = {
    "干部": "cadre", "组工干部": "cadre", "学员": "cadre", "cadre": "cadre",
    "组织者": "organizer", "出题人": "organizer", "organizer": "organizer",
    "人事": "hr", "干部科": "hr", "hr": "hr",
    "管理员": "admin", "系统管理员": "admin", "admin": "admin",
}
_ROLE_SPLIT = re.compile(r"[\s,，、;；/|]+")


@dataclass
class RosterRow:
    line: int
    username: str = ""
    name: str = ""
    unit_text: str = ""
    position: str = ""
    phone: str = ""
    roles: set[str] = field(default_factory=set)
    unit: OrgUnit | None = None
    existing: User | None = None
    problems: list[Message] = field(default_factory=list)

    @property
    def action(self) -> str:
        return "update" if self.existing is not None else "create"


@dataclass
class RosterPreview:
    rows: list[RosterRow]
    file_problems: list[Message] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.file_problems and all(not r.problems for r in self.rows) and bool(self.rows)

    @property
    def problem_rows(self) -> list[RosterRow]:
        return [r for r in self.rows if r.problems]


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a phone number typed into a number cell
    return str(value).strip()


def read_table(data: bytes, filename: str = "") -> list[list[str]]:
    """Rows of cell texts from an xlsx or a csv (UTF-8 with or without BOM, or GBK)."""
    if is_zip(data):
        check_zip(data)
        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a broken file
            raise BankError(N_("无法读取 Excel 文件：%(err)s"), err=str(exc)[:200]) from exc
        try:
            ws = wb.worksheets[0]
            return [[_cell(v) for v in row] for row in ws.iter_rows(values_only=True)]
        finally:
            wb.close()
    text = decode_text(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text), dialect)]


def parse_roles(text: str) -> tuple[set[str], list[str]]:
    roles, unknown = set(), []
    for word in _ROLE_SPLIT.split(text.strip()):
        if not word:
            continue
        role = ROLE_WORDS.get(word.lower() if word.isascii() else word)
        if role is None:
            unknown.append(word)
        else:
            roles.add(role)
    return roles or {"cadre"}, unknown


def preview(session: Session, actor: User, data: bytes, filename: str = "") -> RosterPreview:
    try:
        table = read_table(data, filename)
    except BankError as exc:
        return RosterPreview([], [exc.message])
    if not table or not any(table[0]):
        return RosterPreview([], [Message(N_("文件是空的：第一行应为表头 %(h)s"), {"h": "、".join(HEADERS)})])
    header = [h.replace(" ", "").replace("\u3000", "").lstrip("\ufeff") for h in table[0]]
    missing = [h for h in REQUIRED if h not in header]
    if missing:
        return RosterPreview([], [Message(N_("第 1 行表头缺少列：%(cols)s"), {"cols": "、".join(missing)})])
    col = {h: header.index(h) for h in HEADERS if h in header}
    # the units above the importer's own are in the index so that a full path from the top resolves
    # (as the template writes it); _resolve_unit refuses anything that is not in the importer's reach
    units = UnitIndex(_ancestors(session, actor.org_unit) + units_in_reach(session, actor))
    names = [cells[col["账号"]].strip() for cells in table[1:] if col["账号"] < len(cells) and cells[col["账号"]]]
    existing = _existing_users(session, names)
    seen: dict[str, int] = {}
    rows: list[RosterRow] = []
    for line, cells in enumerate(table[1:], start=2):
        if not any(cells):
            continue
        get = lambda h: cells[col[h]] if h in col and col[h] < len(cells) else ""  # noqa: E731
        row = RosterRow(line=line, username=get("账号"), name=get("姓名"), unit_text=get("单位"), position=get("职务"))
        _check_row(row, get, units, existing, seen, actor)
        rows.append(row)
    if not rows:
        return RosterPreview([], [Message(N_("文件中没有人员数据"))])
    return RosterPreview(rows)


def _ancestors(session: Session, unit: OrgUnit) -> list[OrgUnit]:
    ids = [int(part) for part in unit.path.strip("/").split("/")[:-1] if part]
    return list(session.scalars(select(OrgUnit).where(OrgUnit.id.in_(ids)))) if ids else []


def _resolve_unit(units: UnitIndex, text: str, actor: User) -> tuple[OrgUnit | None, str | None]:
    """A path from the top of the tree, or one starting at the importer's own unit (郑州市委组织部/金水区委组织部
    for a city admin); a unit outside the importer's reach is 'not found', like one that does not exist."""
    unit, missing = units.resolve(text)
    if unit is None and actor.org_unit.parent_id is not None:
        relative, _missing = units.resolve(text, parent_id=actor.org_unit.parent_id)
        if relative is not None:
            unit, missing = relative, None
    if unit is not None and not can_reach_unit(actor, unit):
        return None, unit.name
    return unit, missing


def _existing_users(session: Session, usernames: list[str]) -> dict[str, User]:
    found: dict[str, User] = {}
    for i in range(0, len(usernames), 500):
        chunk = usernames[i : i + 500]
        found.update({u.username: u for u in session.scalars(select(User).where(User.username.in_(chunk)))})
    return found


def _check_row(row: RosterRow, get, units: UnitIndex, existing: dict[str, User], seen: dict[str, int], actor: User) -> None:
    try:
        row.username = check_username(row.username)
    except BankError as exc:
        row.problems.append(exc.message if row.username else Message(N_("账号为空")))
    if row.username in seen:
        row.problems.append(Message(N_("账号“%(u)s”与第 %(line)d 行重复"), {"u": row.username, "line": seen[row.username]}))
    else:
        seen[row.username] = row.line
    if not row.name:
        row.problems.append(Message(N_("姓名为空")))
    if not row.unit_text:
        row.problems.append(Message(N_("单位为空")))
    else:
        unit, missing = _resolve_unit(units, row.unit_text, actor)
        if unit is None:
            row.problems.append(Message(N_("单位“%(path)s”中找不到“%(name)s”（或不在您的管理范围内）"), {"path": row.unit_text, "name": missing}))
        elif not unit.active:
            row.problems.append(Message(N_("单位“%(name)s”已停用"), {"name": unit.name}))
        else:
            row.unit = unit
    try:
        row.phone = check_phone(get("手机"))
    except BankError as exc:
        row.problems.append(exc.message)
    row.roles, unknown = parse_roles(get("角色"))
    if unknown:
        row.problems.append(Message(N_("角色“%(r)s”无法识别，可填写 干部、组织者、人事、管理员"), {"r": "、".join(unknown)}))
    row.existing = existing.get(row.username)
    if row.existing is not None and not can_reach_unit(actor, row.existing.org_unit):
        row.problems.append(Message(N_("账号“%(u)s”已存在且属于您管理范围以外的单位"), {"u": row.username}))


@dataclass(frozen=True)
class IssuedPassword:
    username: str
    name: str
    unit: str
    password: str


@dataclass(frozen=True)
class RosterResult:
    created: int
    updated: int
    # generated initial passwords, for the one answer that hands them over; never stored
    issued: list[IssuedPassword] = field(default_factory=list)
    expires_at: datetime | None = None


def apply(session: Session, actor: User, result: RosterPreview, initial_password: str | None = None, *,
          initial_password_valid: timedelta | None = INITIAL_PASSWORD_VALID, ip: str = "") -> RosterResult:
    """Write every row, or nothing: refuses while any problem remains. Each new account gets a
    generated initial password (in ``issued``), or ``initial_password`` when one is given; it signs
    in for ``initial_password_valid`` only."""
    if not result.ok:
        raise BankError(N_("名单中有 %(n)d 行存在问题，未导入任何人员"), n=len(result.problem_rows) or 1)
    if initial_password is not None:
        check_policy(initial_password)
        password_hash = hash_password(initial_password)  # hash once: scrypt per row would take minutes for a province
    expires = initial_password_expiry(initial_password_valid)
    issued: list[IssuedPassword] = []
    created = updated = 0
    for row in result.rows:
        if row.existing is not None:
            user = row.existing
            user.name, user.org_unit, user.position = row.name, row.unit, row.position
            if row.phone:
                user.phone = row.phone
            user.set_roles(row.roles | ({"admin"} if user.id == actor.id else set()))
            updated += 1
        else:
            if initial_password is None:
                password = generate_password()
                issued.append(IssuedPassword(row.username, row.name, row.unit_text, password))
                row_hash = hash_generated_password(password)
            else:
                row_hash = password_hash
            user = User(username=row.username, name=row.name, org_unit=row.unit, position=row.position, phone=row.phone, password_hash=row_hash,
                        must_change_password=True, initial_password_expires_at=expires)
            user.set_roles(row.roles)
            session.add(user)
            created += 1
    session.flush()
    record(session, actor, "user.import", org_unit_id=actor.org_unit_id, summary=f"created {created}, updated {updated}",
           after={"created": created, "updated": updated, "passwords": "typed" if initial_password is not None else "generated"}, ip_address=ip)
    return RosterResult(created, updated, issued, expires)


def issued_passwords_xlsx(issued: list[IssuedPassword], note: str = "") -> bytes:
    """The new accounts and their generated initial passwords (账号, 姓名, 初始密码, 单位), built in
    memory for the one answer that hands them over; never written anywhere."""
    wb = Workbook()
    ws = wb.active
    ws.title = "初始密码"
    ws.append(["账号", "姓名", "初始密码", "单位"])
    for item in issued:
        ws.append([neutralize(item.username), neutralize(item.name), item.password, neutralize(item.unit)])
    ws.freeze_panes = "A2"
    for letter, width in zip("ABCD", (16, 10, 18, 48)):
        ws.column_dimensions[letter].width = width
    if note:
        notes = wb.create_sheet("说明")
        notes.append([note])
        notes.column_dimensions["A"].width = 100
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def template_bytes(example_unit_path: str = "河南省委组织部/郑州市委组织部/金水区委组织部") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "人员名单"
    ws.append(list(HEADERS))
    ws.append(["zhangsan", "张三", example_unit_path, "组织科科员", "13800000000", "干部"])
    ws.append(["lisi", "李四", example_unit_path, "组织科科长", "", "干部、组织者"])
    ws.freeze_panes = "A2"
    for letter, width in zip("ABCDEF", (14, 10, 48, 16, 14, 16)):
        ws.column_dimensions[letter].width = width
    notes = wb.create_sheet("填写说明")
    for line in (
        ["账号", "必填，登录用，2–64 位字母、数字、下划线、点、@ 或减号；已存在的账号会被更新"],
        ["姓名", "必填"],
        ["单位", "必填，从最上级单位写起，用“/”分隔，如 " + example_unit_path],
        ["职务", "选填"],
        ["手机", "选填，11 位手机号"],
        ["角色", "选填，默认“干部”；可填 干部、组织者、人事、管理员，多个用顿号分隔"],
    ):
        notes.append(line)
    notes.column_dimensions["A"].width = 10
    notes.column_dimensions["B"].width = 90
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
