"""``quiz import-material``: load a regulation or policy text, or a new edition of one.

    quiz import-material PATH --title TITLE [--edition NAME] [--revises TITLE] [--json] [--as USERNAME]

Without ``--revises`` it creates the material (owned by ``--unit``, else the ``--as`` user's unit,
else the root of the unit tree). With ``--revises`` it loads PATH as the next edition of the
material of that title (matched like a 出处 title: 保密法 finds 中华人民共和国保守国家秘密法),
compares it with the current edition, follows the questions citing renumbered articles and flags
those citing changed or removed ones. ``--title`` is then the title the new edition carries.

``--json`` prints exactly one JSON object: ``{"chapters": n, "articles": n}`` and, for a
revision, ``"unchanged", "changed", "added", "removed", "renumbered"`` (the comparison's counts:
old articles by status, new articles nobody matched as ``added``) and ``"flagged_questions"``.
``articles`` counts the citable units: the 条, or the numbered paragraphs of a text without 条.
Any problem prints one line to stderr, writes nothing and exits 1.
"""
from __future__ import annotations

import json
import sys
from datetime import date
from functools import partial
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import select

from question_bank.db import begin_write
from question_bank.messages import BankError


class CommandFailed(Exception):
    pass


def _actor(session, username: str | None):
    from quiz.accounts.services import find_by_username

    if not username:
        return None
    actor = find_by_username(session, username)
    if actor is None or not actor.active:
        raise CommandFailed(f"找不到启用的账号“{username}”")
    if not actor.has_role("organizer"):
        raise CommandFailed(f"账号“{username}”不是组织者，不能载入学习资料")
    return actor


def _owner_unit(session, actor, unit_path: str | None):
    from quiz.accounts.models import OrgUnit
    from quiz.accounts.units import resolve_unit_path

    if unit_path:
        return resolve_unit_path(session, unit_path)
    if actor is not None:
        return actor.org_unit
    root = session.scalar(select(OrgUnit).where(OrgUnit.parent_id.is_(None)).order_by(OrgUnit.id).limit(1))
    if root is None:
        raise CommandFailed("还没有任何单位：请先运行 quiz create-user --create-unit 或 quiz seed-demo")
    return root


def _revised_material(session, actor, title: str, unit_path: str | None):
    """The material ``--revises`` names, among those the actor manages (in ``--unit`` if given)."""
    from question_bank.materials.cite import match_title
    from question_bank.materials.models import MaterialEdition
    from question_bank.materials.services import materials_visible_to

    materials = materials_visible_to(session, actor, manage_only=actor is not None)
    if unit_path:
        unit = _owner_unit(session, actor, unit_path)
        materials = [m for m in materials if m.org_unit_id == unit.id]
    titles: dict[str, set[int]] = {}
    for m in materials:
        titles.setdefault(m.title, set()).add(m.id)
    if materials:
        for material_id, old_title in session.execute(
            select(MaterialEdition.material_id, MaterialEdition.title).where(MaterialEdition.material_id.in_([m.id for m in materials]))
        ):
            if old_title:
                titles.setdefault(old_title, set()).add(material_id)
    found = match_title(title, list(titles))
    if found is None:
        raise CommandFailed(f"找不到要修订的学习资料《{title}》")
    ids = titles[found]
    if len(ids) > 1:
        raise CommandFailed(f"有 {len(ids)} 份名为《{found}》的学习资料，请用 --unit 指明所属单位")
    return next(m for m in materials if m.id in ids)


def _parse_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandFailed(f"日期“{value}”应写成 YYYY-MM-DD") from None


def register(app: Flask) -> None:
    @app.cli.command("import-material")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    @click.option("--title", required=True, help="资料名称，如 中华人民共和国保守国家秘密法")
    @click.option("--edition", "edition_name", default="", help="版本名称，如 2024年修订")
    @click.option("--revises", "revises", help="作为这份已载入资料的新版本（对照旧版，更新或标记引用它的题目）")
    @click.option("--issuer", default="", help="发文机关（新资料）")
    @click.option("--date", "issued_on", help="发布或施行日期 YYYY-MM-DD")
    @click.option("--subject", default="", help="科目（新资料），如 法律")
    @click.option("--json", "as_json", is_flag=True, help="只输出一个 JSON 对象（章、条数和修订对照的统计）")
    @click.option("--as", "actor_name", help="以该组织者账号载入（按其权限；新资料属于其单位）")
    @click.option("--unit", "unit_path", help="资料所属单位路径，如 河南省委组织部/郑州市委组织部")
    @with_appcontext
    def import_material_command(path, title, edition_name, revises, issuer, issued_on, subject, as_json, actor_name, unit_path):
        """Load a regulation or policy text (.txt or .docx), or a new edition of one."""
        try:
            summary, material_title, edition_label = _import(path, title, edition_name, revises, issuer, issued_on, subject,
                                                             actor_name, unit_path)
        except CommandFailed as exc:
            click.echo(str(exc), err=True)
            sys.exit(1)
        if as_json:
            click.echo(json.dumps(summary, ensure_ascii=False))
            return
        click.echo(f"已载入《{material_title}》（{edition_label}）：{summary['chapters']} 章，{summary['articles']} 条。")
        if "changed" in summary:
            click.echo(
                f"与上一版相比：修改 {summary['changed']}，新增 {summary['added']}，删除 {summary['removed']}，"
                f"条号变化 {summary['renumbered']}，未变 {summary['unchanged']}；{summary['flagged_questions']} 道题需复核。"
            )


def _import(path, title, edition_name, revises, issuer, issued_on, subject, actor_name, unit_path):
    from question_bank.materials.services import add_edition, create_material, read_material_file
    from question_bank.models import Subject
    from quiz.audit.services import record
    from quiz.db import new_session

    try:
        text = read_material_file(Path(path).read_bytes(), Path(path).name)
    except BankError as exc:
        raise CommandFailed(str(exc)) from exc
    day = _parse_date(issued_on)
    with new_session() as s, s.begin():
        begin_write(s)
        try:
            actor = _actor(s, actor_name)
            audit = partial(record, s, actor)
            if revises:
                material = _revised_material(s, actor, revises, unit_path)
                outcome = add_edition(s, actor, material, text=text, title=title, edition_name=edition_name, issued_on=day,
                                      filename=Path(path).name, audit=audit)
            else:
                unit = _owner_unit(s, actor, unit_path)
                subject_id = None
                if subject:
                    subject_id = s.scalar(select(Subject.id).where(Subject.name == subject.strip()))
                    if subject_id is None:
                        raise CommandFailed(f"科目“{subject}”不存在")
                outcome = create_material(s, actor, title=title, text=text, org_unit_id=unit.id, issuer=issuer,
                                          edition_name=edition_name, issued_on=day, subject_id=subject_id,
                                          filename=Path(path).name, audit=audit)
            summary = outcome.summary()
            names = (outcome.material.title, outcome.edition.label)
        except BankError as exc:
            s.rollback()
            raise CommandFailed(str(exc)) from exc
        except CommandFailed:
            s.rollback()
            raise
    return summary, names[0], names[1]
