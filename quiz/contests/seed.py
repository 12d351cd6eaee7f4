"""Demo contests for ``quiz seed-demo``, built on the demo bank through the real services.

Three contests of the demo organizer (河南省委组织部):

- **open now** (全省组工干部应知应会知识竞赛): opened three days ago, closes in 60 days; 20
  questions drawn from the demo bank by five rules, 千人千卷; every demo cadre may take it (two
  attempts, the best counts). Five cadres already took it yesterday, so the live page
  and the leaderboard show figures while everyone else can still start.
- **upcoming** (《党政领导干部选拔任用工作条例》专题测试): a fixed paper of ten questions, for the
  郑州 and 洛阳 subtrees, opening in a week.
- **closed** (发展党员与组织生活知识测试): a one-day window a month ago; most demo cadres took
  it, with varied correctness, times and integrity signals; two started and never submitted
  (finalised with what they saved when the contest closed).

Everything goes through the services with explicit ``now`` values in the past (publish, start,
save, submit, finalise), so the rows are exactly what real use would leave. Seeded randomness
keeps the figures the same on every run: the papers drawn at publish (``seed=SEED``), each
attempt's variant and shuffles (``start_attempt(rng=...)``, the ``rng`` of ``_take``), the answers.
"""
from __future__ import annotations

import random
from datetime import datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from question_bank.db import utcnow
from question_bank.drafts import OPTION_KEYS
from question_bank.models import Bank, QuestionVersion, Subject
from question_bank.services import search_questions
from quiz.accounts.models import OrgUnit, User, UserRole
from quiz.contests.attempts import finalise_expired, record_integrity, save_response, start_attempt, submit_attempt
from quiz.contests.models import AttemptQuestion, Contest
from quiz.contests.services import RuleSpec, create_contest, create_paper, publish_contest

ZONE = ZoneInfo("Asia/Shanghai")
SEED = 2026


def _at(day: datetime, hour: int, minute: int = 0) -> datetime:
    """Naive UTC of ``hour:minute`` Shanghai time on ``day``'s local date."""
    local = day.replace(tzinfo=timezone.utc).astimezone(ZONE).date()
    return datetime.combine(local, time(hour, minute), ZONE).astimezone(timezone.utc).replace(tzinfo=None)


def seed_demo_contests(session: Session, organizer: User, *, now: datetime | None = None) -> list[Contest]:
    """The three demo contests (open, upcoming, closed); returns them in that order."""
    from quiz.seed import DEMO_BANK_NAME

    now = (now or utcnow()).replace(second=0, microsecond=0)
    rng = random.Random(SEED)
    unit = organizer.org_unit
    bank = session.scalar(select(Bank).where(Bank.org_unit_id == unit.id, Bank.name == DEMO_BANK_NAME))
    subjects = {s.name: s.id for s in session.scalars(select(Subject))}
    cadres = list(session.scalars(
        select(User).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == "cadre", User.id != organizer.id, User.active.is_(True)).order_by(User.id)
    ))

    open_contest = _open_contest(session, organizer, bank, subjects, now)
    upcoming = _upcoming_contest(session, organizer, bank, now)
    closed = _closed_contest(session, organizer, bank, subjects, now)

    # Yesterday a third of the cadres took the open contest (each may try twice, so all can still start).
    yesterday = _at(now - timedelta(days=1), 19)
    _take(session, open_contest, cadres[-5:], yesterday, rng, unfinished=0)
    # A month ago most cadres took the closed one; a few never did, two never submitted.
    takers = [c for i, c in enumerate(cadres) if i % 5 != 2]
    _take(session, closed, takers, closed.opens_at + timedelta(minutes=30), rng, unfinished=2)
    finalise_expired(session, now=closed.closes_at + timedelta(minutes=1), contest_id=closed.id, how="close")
    session.flush()
    return [open_contest, upcoming, closed]


def _rules_paper(session, organizer, bank, title: str, rules: list[RuleSpec], **fields) -> Any:
    return create_paper(session, organizer, title=title, org_unit_id=organizer.org_unit_id, mode="rules", rules=rules, **fields)


def _open_contest(session, organizer, bank, subjects, now) -> Contest:
    paper = _rules_paper(session, organizer, bank, "应知应会知识竞赛试卷（按规则抽题）", [
        RuleSpec([bank.id], 4, 5.0, subject_id=subjects.get("政策"), type="single", difficulty_max=3),
        RuleSpec([bank.id], 4, 5.0, subject_id=subjects.get("理论"), type="single"),
        RuleSpec([bank.id], 4, 5.0, type="multiple"),
        RuleSpec([bank.id], 6, 5.0, type="true_false"),
        RuleSpec([bank.id], 2, 5.0, type="fill_blank"),
    ], draw="per_attempt", pool_size=20, multiple_mode="partial", multiple_fraction=0.5)
    contest = create_contest(
        session, organizer, title="全省组工干部应知应会知识竞赛", paper=paper,
        opens_at=_at(now - timedelta(days=3), 8), closes_at=_at(now + timedelta(days=60), 22),
        notice="本次竞赛共 20 题，满分 100 分，限时 30 分钟，可作答 2 次，取最高分。\n"
               "每道题作答后自动保存；网络中断时答案先存在本机，恢复后自动提交。请独立作答，切屏和粘贴次数会被记录。",
        time_limit_minutes=30, attempts_allowed=2, counts="best", pass_score=60, release="immediately",
        review_after_close=True, leaderboard="live", one_page=True,
    )
    publish_contest(session, organizer, contest, now=contest.opens_at - timedelta(hours=1), seed=SEED)
    return contest


def _upcoming_contest(session, organizer, bank, now) -> Contest:
    found = search_questions(session, bank, knowledge_point="干部选拔任用", status="active", per_page=50).questions
    picked = [q for q in found if q.current_version.type != "short_answer"][:10]  # no hand marking in the demo
    paper = create_paper(session, organizer, title="选拔任用条例专题试卷（固定题目）", org_unit_id=organizer.org_unit_id,
                         mode="fixed", items=[(q.id, 10.0) for q in picked], multiple_mode="per_option")
    cities = list(session.scalars(select(OrgUnit.id).where(OrgUnit.parent_id == organizer.org_unit_id).order_by(OrgUnit.id)))
    contest = create_contest(
        session, organizer, title="《党政领导干部选拔任用工作条例》专题测试", paper=paper,
        opens_at=_at(now + timedelta(days=7), 9), closes_at=_at(now + timedelta(days=7), 17),
        notice="面向市、县两级组织部门干部。共 10 题，限时 20 分钟。", time_limit_minutes=20, pass_score=60,
        release="after_close", leaderboard="after_close", eligible_unit_ids=cities,
    )
    publish_contest(session, organizer, contest, now=now, seed=SEED)
    return contest


def _closed_contest(session, organizer, bank, subjects, now) -> Contest:
    paper = _rules_paper(session, organizer, bank, "发展党员与组织生活测试卷（统一试卷）", [
        RuleSpec([bank.id], 5, 10.0, type="single"),
        RuleSpec([bank.id], 2, 10.0, type="multiple"),
        RuleSpec([bank.id], 3, 10.0, type="true_false"),
    ], draw="shared")
    day = now - timedelta(days=30)
    contest = create_contest(
        session, organizer, title="发展党员与组织生活知识测试", paper=paper,
        opens_at=_at(day, 9), closes_at=_at(day, 21), notice="共 10 题，满分 100 分，限时 20 分钟。",
        time_limit_minutes=20, pass_score=60, release="after_close", review_after_close=True, leaderboard="after_close",
        auto_submit_after_switches=10,
    )
    publish_contest(session, organizer, contest, now=contest.opens_at - timedelta(days=2), seed=SEED)
    return contest


def _answer(qtype: str, key: Any, order: list[int] | None, option_count: int, right: bool, rng: random.Random) -> Any:
    """An answer in the attempt's display keys: the key itself, or a plausible wrong one."""
    def shown(letter: str) -> str:
        canonical = OPTION_KEYS.index(letter)
        return OPTION_KEYS[order.index(canonical)] if order else letter

    if qtype == "single":
        if right:
            return shown(key)
        return shown(rng.choice([k for k in OPTION_KEYS[:option_count] if k != key]))
    if qtype == "multiple":
        chosen = list(key)
        if not right:
            others = [k for k in OPTION_KEYS[:option_count] if k not in key]
            if len(chosen) > 1 and (not others or rng.random() < 0.6):
                chosen.remove(rng.choice(chosen))  # chose too few: partial credit under 少选得部分分
            elif others:
                chosen.append(rng.choice(others))
        return sorted(shown(k) for k in chosen)
    if qtype == "true_false":
        return bool(key) if right else not key
    if qtype == "fill_blank":
        return [alternatives[0] if right else "不清楚" for alternatives in key]
    return "（略）"


def _take(session, contest: Contest, cadres: list[User], start: datetime, rng: random.Random, *, unfinished: int) -> None:
    """Each cadre starts a few minutes after the previous one, answers every question (most
    right, as their skill says, a few skipped) and submits; the last ``unfinished`` stop halfway."""
    for index, cadre in enumerate(cadres):
        began = start + timedelta(minutes=(index * 11) % 240, seconds=rng.randrange(60))
        attempt, _created = start_attempt(session, cadre, contest, now=began, rng=rng)  # the seeded draw
        rows = session.execute(
            select(AttemptQuestion.question_id, AttemptQuestion.option_order, QuestionVersion.type, QuestionVersion.answer,
                   QuestionVersion.options)
            .join(QuestionVersion, QuestionVersion.id == AttemptQuestion.question_version_id)
            .where(AttemptQuestion.attempt_id == attempt.id).order_by(AttemptQuestion.position)
        ).all()
        skill = rng.uniform(0.45, 0.97)
        stops = index >= len(cadres) - unfinished
        moment = began
        for seq, (question_id, order, qtype, key, options) in enumerate(rows, start=1):
            if stops and seq > len(rows) // 2:
                break
            moment += timedelta(seconds=rng.randint(25, 80))
            if rng.random() < 0.04:
                continue  # left unanswered
            answer = _answer(qtype, key, order, len(options or []), rng.random() < skill, rng)
            save_response(session, cadre, attempt, question_id, answer, seq=seq, now=moment)
        if rng.random() < 0.25:
            record_integrity(session, cadre, attempt, tab_switches=rng.randint(1, 6), pastes=rng.choice((0, 0, 1, 4)), now=moment)
        if not stops and attempt.status == "in_progress":
            submit_attempt(session, cadre, attempt, now=moment + timedelta(seconds=rng.randint(10, 90)))
