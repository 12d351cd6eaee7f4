"""Papers against the banks: which questions a rule can draw, validation, coverage, drawing.

A rule's pool is the questions of its banks that are ``active``, not flagged ``needs_review``, in
a bank that is not archived, whose *current* version matches the rule's type, subject,
difficulty range and (any of) its knowledge points. One query per rule.

Drawing respects every rule and never shows a question twice: rules draw in order of their pool
size (the most constrained first) from what earlier rules left; if that greedy pass runs short
where overlapping rules could still be satisfied, an exact assignment (bipartite matching of
question slots to questions, pools shuffled so the draw stays random) is used instead.
Validation runs the same matching, so a paper is refused exactly when no draw can satisfy it,
and the message names the rule.
"""
from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from question_bank.drafts import QUESTION_TYPES
from question_bank.messages import N_, Message
from question_bank.models import (
    Bank,
    KnowledgePoint,
    Question,
    QuestionVersion,
    Subject,
    version_knowledge_points,
)
from quiz.contests.errors import ContestError
from quiz.contests.models import Paper, PaperRule

TYPE_NAMES = {"single": N_("单选"), "multiple": N_("多选"), "true_false": N_("判断"), "fill_blank": N_("填空"), "short_answer": N_("简答")}

# A drawn question: (question_id, question_version_id, points).
Item = tuple[int, int, float]


@dataclass
class RuleCheck:
    """How a rule stands against the banks: ``available`` questions match it, ``wanted`` are drawn."""

    position: int  # 1-based, as the editor numbers rules
    rule: PaperRule
    available: int
    wanted: int
    problem: Message | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


@dataclass
class PaperPreview:
    """What a paper looks like: per-rule availability and the coverage of one sample draw."""

    rules: list[RuleCheck]
    question_count: int
    total_points: float
    by_type: dict[str, int] = field(default_factory=dict)
    by_subject: dict[str, int] = field(default_factory=dict)  # subject name ("" = none) -> questions
    by_knowledge_point: dict[str, int] = field(default_factory=dict)  # a question counts for each of its points
    problems: list[Message] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class RuleDescription:
    """describe_rule's text, put into the reader's language only when it is shown: a message that
    carries it as a parameter is formatted (str()) inside the request that translates it, so the
    words around the names follow that request's language; outside a request they stay Chinese."""

    def __init__(self, parts: list[Message]) -> None:
        self.parts = parts

    def __str__(self) -> str:
        from quiz.i18n import translate  # the web layer's gettext; no request: the Chinese template

        def shown(m: Message) -> str:
            return translate(Message(m.template, {k: shown(v) if isinstance(v, Message) else v for k, v in m.params.items()}))

        if not self.parts:
            return shown(Message(N_("不限条件")))
        return shown(Message(N_("，"))).join(shown(p) for p in self.parts)

    def __repr__(self) -> str:
        return f"RuleDescription({self.parts!r})"


def describe_rule(session: Session, rule: PaperRule) -> RuleDescription:
    """A short description of a rule for messages (科目=法律，题型=单选，难度 1–3，知识点=党章), in the
    language of whoever reads the message it is put into; subject and knowledge point names as written."""
    parts = []
    if rule.subject_id is not None:
        subject = session.get(Subject, rule.subject_id)
        parts.append(Message(N_("科目=%(subject)s"), {"subject": subject.name if subject else rule.subject_id}))
    if rule.type:
        kind = TYPE_NAMES.get(rule.type)
        parts.append(Message(N_("题型=%(type)s"), {"type": Message(kind) if kind else rule.type}))
    if (rule.difficulty_min, rule.difficulty_max) != (1, 5):
        parts.append(Message(N_("难度 %(low)d–%(high)d"), {"low": rule.difficulty_min, "high": rule.difficulty_max}))
    if rule.knowledge_point_ids:
        names = session.scalars(select(KnowledgePoint.name).where(KnowledgePoint.id.in_(rule.knowledge_point_ids)))
        parts.append(Message(N_("知识点=%(points)s"), {"points": "/".join(sorted(names))}))
    return RuleDescription(parts)


def rule_pool_stmt(rule: PaperRule):
    """SELECT (question_id, version_id) of every question the rule may draw, by question id."""
    stmt = (
        select(Question.id, QuestionVersion.id)
        .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
        .join(Bank, Bank.id == Question.bank_id)
        .where(
            Question.bank_id.in_(list(rule.bank_ids or [])),
            Question.status == "active",
            Question.needs_review.is_(False),
            Bank.archived.is_(False),
            QuestionVersion.difficulty.between(rule.difficulty_min, rule.difficulty_max),
        )
        .order_by(Question.id)
    )
    if rule.type:
        stmt = stmt.where(QuestionVersion.type == rule.type)
    if rule.subject_id is not None:
        stmt = stmt.where(QuestionVersion.subject_id == rule.subject_id)
    if rule.knowledge_point_ids:
        kp = version_knowledge_points.c
        stmt = stmt.where(exists().where(kp.version_id == QuestionVersion.id, kp.knowledge_point_id.in_(list(rule.knowledge_point_ids))))
    return stmt


def rule_pool(session: Session, rule: PaperRule) -> list[tuple[int, int]]:
    return [(qid, vid) for qid, vid in session.execute(rule_pool_stmt(rule))]


def _check_rule_shape(rule: PaperRule, position: int) -> Message | None:
    if not rule.bank_ids:
        return Message(N_("第 %(n)d 条组卷规则没有选择题库"), {"n": position})
    if rule.type and rule.type not in QUESTION_TYPES:
        return Message(N_("第 %(n)d 条组卷规则的题型“%(type)s”无法识别"), {"n": position, "type": rule.type})
    if not (1 <= rule.difficulty_min <= rule.difficulty_max <= 5):
        return Message(N_("第 %(n)d 条组卷规则的难度范围应在 1 到 5 之间，且下限不大于上限"), {"n": position})
    if rule.count is None or rule.count < 1:
        return Message(N_("第 %(n)d 条组卷规则的题数应至少为 1"), {"n": position})
    if rule.points_each is None or rule.points_each < 0:
        return Message(N_("第 %(n)d 条组卷规则的每题分值不能为负数"), {"n": position})
    return None


def check_rules(session: Session, paper: Paper) -> list[RuleCheck]:
    """Per rule: how many questions it can draw from, and the problem if it cannot be satisfied.

    A rule whose own pool is smaller than its count is refused with a message naming it; rules
    that only fail together (overlapping pools) get a message on the rule that runs short in an
    exact assignment.
    """
    checks: list[RuleCheck] = []
    pools: list[list[tuple[int, int]]] = []
    for position, rule in enumerate(paper.rules, start=1):
        problem = _check_rule_shape(rule, position)
        pool = rule_pool(session, rule) if problem is None else []
        if problem is None and len(pool) < rule.count:
            problem = Message(
                N_("第 %(n)d 条组卷规则（%(rule)s）只有 %(available)d 道题可选，少于要抽取的 %(count)d 道；请减少题数或放宽条件"),
                {"n": position, "rule": describe_rule(session, rule), "available": len(pool), "count": rule.count},
            )
        checks.append(RuleCheck(position, rule, len(pool), rule.count or 0, problem))
        pools.append(pool)
    if all(c.ok for c in checks) and checks:
        short = _assign([[q for q, _v in pool] for pool in pools], [r.count for r in paper.rules], random.Random(0))
        if isinstance(short, int):
            check = checks[short]
            check.problem = Message(
                N_("第 %(n)d 条组卷规则（%(rule)s）与其他规则抽取的题目重叠，合计题量不够：请减少题数或放宽条件"),
                {"n": check.position, "rule": describe_rule(session, check.rule)},
            )
    return checks


def validate_paper(session: Session, paper: Paper) -> None:
    """Raise ``ContestError('invalid', ...)`` naming the first problem; return if the paper can be drawn."""
    problems = paper_problems(session, paper)
    if problems:
        raise ContestError("invalid", problems[0].template, **problems[0].params)


def paper_problems(session: Session, paper: Paper) -> list[Message]:
    """Every reason the paper cannot be drawn (empty = fine)."""
    if paper.mode == "fixed":
        return _fixed_problems(session, paper)
    if not paper.rules:
        return [Message(N_("试卷还没有组卷规则"), {})]
    return [c.problem for c in check_rules(session, paper) if c.problem is not None]


def _fixed_rows(session: Session, paper: Paper):
    ids = [item.question_id for item in paper.items]
    rows = session.execute(
        select(Question.id, Question.status, Question.needs_review, Question.current_version_id, Bank.archived)
        .join(Bank, Bank.id == Question.bank_id)
        .where(Question.id.in_(ids))
    ).all()
    return {row[0]: row for row in rows}


def _fixed_problems(session: Session, paper: Paper) -> list[Message]:
    if not paper.items:
        return [Message(N_("试卷还没有题目"), {})]
    rows = _fixed_rows(session, paper)
    problems = []
    for position, item in enumerate(paper.items, start=1):
        row = rows.get(item.question_id)
        if row is None or row.current_version_id is None:
            problems.append(Message(N_("第 %(n)d 题已不存在"), {"n": position}))
        elif row.status != "active" or row.archived:
            problems.append(Message(N_("第 %(n)d 题已停用或所在题库已归档，请换一道题"), {"n": position}))
        elif row.needs_review:
            problems.append(Message(N_("第 %(n)d 题的出处条款已修订，需复核后才能使用"), {"n": position}))
    return problems


def _assign(pools: Sequence[Sequence[int]], counts: Sequence[int], rng: random.Random) -> list[list[int]] | int:
    """Choose ``counts[i]`` distinct questions from ``pools[i]``, no question twice across rules.

    Returns the chosen question ids per rule, or the index of a rule that cannot be satisfied.
    Greedy first (most constrained rule first, random sample of what is left); if that runs
    short, an exact randomised bipartite matching (Kuhn's augmenting paths over shuffled pools).
    """
    order = sorted(range(len(pools)), key=lambda i: (len(pools[i]) - counts[i], i))
    used: set[int] = set()
    chosen: list[list[int]] = [[] for _ in pools]
    greedy_ok = True
    for i in order:
        left = [q for q in pools[i] if q not in used]
        if len(left) < counts[i]:
            greedy_ok = False
            break
        chosen[i] = rng.sample(left, counts[i])
        used.update(chosen[i])
    if greedy_ok:
        return chosen
    # Exact: slots (rule i, k) matched to questions; each question to at most one slot.
    shuffled = [rng.sample(list(p), len(p)) for p in pools]
    owner: dict[int, int] = {}  # question -> slot index
    slots: list[int] = [i for i in order for _ in range(counts[i])]

    def augment(slot: int, seen: set[int]) -> bool:
        for q in shuffled[slots[slot]]:
            if q in seen:
                continue
            seen.add(q)
            if q not in owner or augment(owner[q], seen):
                owner[q] = slot
                return True
        return False

    for slot in range(len(slots)):
        if not augment(slot, set()):
            return slots[slot]
    chosen = [[] for _ in pools]
    for q, slot in owner.items():
        chosen[slots[slot]].append(q)
    for picks in chosen:
        rng.shuffle(picks)
    return chosen


def draw_variants(session: Session, paper: Paper, count: int, rng: random.Random) -> list[list[Item]]:
    """``count`` papers drawn from the paper: each a list of (question_id, version_id, points)
    in paper order (rule by rule, a fixed paper's own order). Pools are read once for all.

    Raises ``ContestError('invalid', ...)`` if the paper cannot be drawn (``validate_paper``).
    """
    validate_paper(session, paper)
    if paper.mode == "fixed":
        rows = _fixed_rows(session, paper)
        items = [(it.question_id, rows[it.question_id].current_version_id, float(it.points)) for it in paper.items]
        return [list(items) for _ in range(count)]
    pools = [rule_pool(session, rule) for rule in paper.rules]
    version_of = {q: v for pool in pools for q, v in pool}
    id_pools = [[q for q, _v in pool] for pool in pools]
    counts = [r.count for r in paper.rules]
    variants = []
    for _ in range(count):
        chosen = _assign(id_pools, counts, rng)
        if isinstance(chosen, int):  # validated above; only a concurrent bank change gets here
            raise ContestError("invalid", N_("第 %(n)d 条组卷规则可抽取的题目不足，请检查题库后重试"), n=chosen + 1)
        variants.append([
            (q, version_of[q], float(rule.points_each))
            for rule, picks in zip(paper.rules, chosen)
            for q in sorted(picks)
        ])
    return variants


def preview(session: Session, paper: Paper, *, seed: int = 0) -> PaperPreview:
    """Availability per rule and the coverage (by type, subject, knowledge point) of one sample draw.

    For a fixed paper the coverage is exact; for rules it is one draw with ``seed`` (the
    constrained dimensions of every draw are the same, the rest vary around it).
    """
    checks = check_rules(session, paper) if paper.mode == "rules" else []
    problems = paper_problems(session, paper)
    if problems:
        return PaperPreview(checks, 0, 0.0, problems=problems)
    items = draw_variants(session, paper, 1, random.Random(seed))[0]
    return PaperPreview(checks, len(items), round(sum(p for _q, _v, p in items), 2), *coverage(session, [v for _q, v, _p in items]))


def coverage(session: Session, version_ids: Iterable[int]) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """(by type, by subject name, by knowledge point name) question counts for these versions."""
    ids = list(version_ids)
    by_type: Counter[str] = Counter()
    by_subject: Counter[str] = Counter()
    for qtype, subject in session.execute(
        select(QuestionVersion.type, Subject.name).outerjoin(Subject, Subject.id == QuestionVersion.subject_id)
        .where(QuestionVersion.id.in_(ids))
    ):
        by_type[qtype] += 1
        by_subject[subject or ""] += 1
    kp = version_knowledge_points
    by_kp: Counter[str] = Counter(
        session.scalars(select(KnowledgePoint.name).join(kp, kp.c.knowledge_point_id == KnowledgePoint.id).where(kp.c.version_id.in_(ids)))
    )
    return dict(by_type), dict(by_subject), dict(by_kp)
