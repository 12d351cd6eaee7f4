"""Test factories (CTFd's gen_* style): small functions that build and flush real rows."""
from __future__ import annotations

from itertools import count

from sqlalchemy.orm import Session

from quiz.accounts.models import OrgUnit, User
from quiz.accounts.passwords import hash_password
from quiz.accounts.units import add_unit

PASSWORD = "Kaoshi#2026"
_PASSWORD_HASH = hash_password(PASSWORD)  # hashing is slow on purpose; tests share one hash
_seq = count(1)


def make_unit(session: Session, name: str | None = None, parent: OrgUnit | None = None) -> OrgUnit:
    return add_unit(session, None, name or f"单位{next(_seq)}", parent)


def make_user(
    session: Session,
    username: str | None = None,
    unit: OrgUnit | None = None,
    roles: tuple[str, ...] | list[str] = ("cadre",),
    *,
    name: str | None = None,
    phone: str = "",
    must_change_password: bool = False,
    active: bool = True,
) -> User:
    n = next(_seq)
    user = User(
        username=username or f"user{n}",
        name=name or f"测试人员{n}",
        org_unit=unit or make_unit(session),
        password_hash=_PASSWORD_HASH,
        must_change_password=must_change_password,
        active=active,
        phone=phone,
    )
    user.set_roles(set(roles))
    session.add(user)
    session.flush()
    return user


def make_province(session: Session) -> dict[str, OrgUnit]:
    """省 → 郑州, 洛阳 → two counties each: the demo tree, for scoping tests."""
    units: dict[str, OrgUnit] = {}
    units["省"] = make_unit(session, "河南省委组织部")
    units["郑州"] = make_unit(session, "郑州市委组织部", units["省"])
    units["洛阳"] = make_unit(session, "洛阳市委组织部", units["省"])
    units["金水"] = make_unit(session, "金水区委组织部", units["郑州"])
    units["二七"] = make_unit(session, "二七区委组织部", units["郑州"])
    units["西工"] = make_unit(session, "西工区委组织部", units["洛阳"])
    units["洛龙"] = make_unit(session, "洛龙区委组织部", units["洛阳"])
    return units


# --- question bank ----------------------------------------------------------------------------

def make_draft(type: str = "single", **fields):
    """A valid QuestionDraft of ``type`` (unique stem each call unless given); fields override."""
    from question_bank.drafts import QuestionDraft

    n = next(_seq)
    defaults = {
        "single": {"stem": f"第{n}题：党的最高领导机关是（ ）", "options": ["党的全国代表大会和它所产生的中央委员会", "中央政治局", "中央书记处", "中央军事委员会"], "answer": "A"},
        "multiple": {"stem": f"第{n}题：干部选拔任用坚持的原则有（ ）", "options": ["党管干部", "德才兼备、以德为先", "五湖四海、任人唯贤", "论资排辈"], "answer": ["A", "B", "C"]},
        "true_false": {"stem": f"第{n}题：党的基层组织是党在社会基层组织中的战斗堡垒。", "answer": True},
        "fill_blank": {"stem": f"第{n}题：党的组织工作必须坚持（ ）原则和（ ）。", "answer": [["民主集中制"], ["党管干部", "党管人才"]]},
        "short_answer": {"stem": f"第{n}题：简述新时代党的组织路线。", "answer": {"reference": "全面贯彻习近平新时代中国特色社会主义思想……", "keywords": [["组织体系"], ["干部队伍", "高素质干部"]]}},
    }[type]
    return QuestionDraft(type=type, **{**defaults, **fields})


def make_bank(session: Session, unit: OrgUnit | None = None, name: str | None = None, *, actor: User | None = None, **fields):
    """A bank owned by ``unit`` (a new unit if None), created through the service as ``actor``."""
    from question_bank.services import create_bank

    unit = unit or make_unit(session)
    return create_bank(session, actor, name=name or f"题库{next(_seq)}", org_unit_id=unit.id, **fields)


def make_question(session: Session, bank=None, type: str = "single", *, status: str = "active", actor: User | None = None, **fields):
    """A stored question (version 1) in ``bank`` (a new bank if None); fields as ``make_draft``."""
    from question_bank.services import create_question

    return create_question(session, actor, bank or make_bank(session), make_draft(type, **fields), status=status)


# --- contests ---------------------------------------------------------------------------------

def make_paper(session: Session, bank=None, *, questions=None, types=("single", "multiple", "true_false", "fill_blank", "short_answer"),
               points: float = 2.0, rules=None, actor: User | None = None, **fields):
    """A paper. By default a fixed paper of one new question per type in ``types`` (in ``bank``,
    a new bank if None), ``points`` each; pass ``questions`` for your own, or ``rules``
    (``quiz.contests.services.RuleSpec`` list) for a rules paper."""
    from quiz.contests.services import create_paper

    if rules is not None:
        unit_id = fields.pop("org_unit_id", None) or (bank.org_unit_id if bank is not None else make_unit(session).id)
        return create_paper(session, actor, title=fields.pop("title", f"试卷{next(_seq)}"), org_unit_id=unit_id, mode="rules", rules=rules, **fields)
    bank = bank or make_bank(session)
    if questions is None:
        questions = [make_question(session, bank, t) for t in types]
    return create_paper(session, actor, title=fields.pop("title", f"试卷{next(_seq)}"), org_unit_id=fields.pop("org_unit_id", bank.org_unit_id),
                        mode="fixed", items=[(q.id, points) for q in questions], **fields)


def make_contest(session: Session, paper=None, *, now=None, opens_at=None, closes_at=None, time_limit_minutes: int | None = 30,
                 publish: bool = True, actor: User | None = None, seed: int = 1, **settings):
    """A contest open now (opened an hour ago, closes in two hours, 30 minutes to answer) on
    ``paper`` (``make_paper()`` if None), published unless ``publish=False``. ``settings`` are
    Contest settings (eligible_unit_ids, attempts_allowed, release, ...)."""
    from datetime import timedelta

    from question_bank.db import utcnow
    from quiz.contests.services import create_contest, publish_contest

    now = now or utcnow()
    paper = paper or make_paper(session)
    contest = create_contest(session, actor, title=settings.pop("title", f"竞赛{next(_seq)}"), paper=paper,
                             opens_at=opens_at or now - timedelta(hours=1), closes_at=closes_at or now + timedelta(hours=2),
                             time_limit_minutes=time_limit_minutes, **settings)
    if publish:
        publish_contest(session, actor, contest, now=now, seed=seed)
    return contest


# --- study materials --------------------------------------------------------------------------

SAMPLE_REGULATION = """某某工作条例（测试）

第一章 总则

第一条 为了规范某某工作，制定本条例。

第二条 某某工作坚持民主集中制，实行集体领导和个人分工负责相结合的制度。

第二章 组织实施

第三条 党支部每季度至少召开一次党员大会，每月召开一次支部委员会。

第四条 新任干部应当在任职后三个月内参加任职培训。

第五条 本条例自2024年1月1日起施行。
"""


def make_material(session: Session, unit: OrgUnit | None = None, *, title: str | None = None, text: str = SAMPLE_REGULATION,
                  actor: User | None = None, **fields):
    """A material with one edition (``SAMPLE_REGULATION`` unless ``text``), owned by ``unit`` (a new unit if None).
    Returns the ``LoadOutcome``: ``.material``, ``.edition``, ``.structure``."""
    from question_bank.materials.services import create_material

    unit = unit or make_unit(session)
    return create_material(session, actor, title=title or f"某某工作条例{next(_seq)}", text=text, org_unit_id=unit.id, **fields)


def make_article_question(session: Session, bank, material, label: str, type: str = "true_false", **fields):
    """A question in ``bank`` whose 出处 cites ``label`` (第三条) of ``material``."""
    return make_question(session, bank, type, source=f"《{material.title}》{label}", **fields)
