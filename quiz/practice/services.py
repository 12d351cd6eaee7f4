"""Practice operations (练习与自测): functions ``(session, actor, ...)`` that flush, raise
``PracticeError`` with a message the cadre can act on, and never commit.

What practice may show (``practisable_clause``): a question that is ``active`` (never a draft or a
retired one), not flagged 需复核 (``needs_review``), with a current version, in a bank the cadre may
use (the bank sharing rule, ``question_bank.services.visible_banks_stmt``; archived banks never),
and not in a 保密 bank while a contest uses it: a contest that is ``published`` and not yet closed
(``closes_at > now``), upcoming or running, whose paper draws from that bank (a rule naming the
bank, or a fixed paper with a question of the bank) — ``hidden_bank_ids``. The rule is checked when
a set is drawn and again whenever a question is about to be shown (a contest may be published
between the two): a question that is no longer open to practice is skipped, and lists (review book,
favourites, summaries) show only its place, not its text.

Time: every function takes ``now`` (naive UTC); days are calendar days in ``tz`` (QUIZ_TIMEZONE,
Asia/Shanghai by default): ``local_day``.

Writes that decide on what they read (answering an item, starting the day's set, the review book)
begin with ``begin_write_first`` (BEGIN IMMEDIATE on SQLite; the set row is locked on PostgreSQL),
and unique constraints back them: one answer per item, one daily set per cadre and day, one
review-book entry per cadre and question.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from question_bank.grading import Grade, MultiplePolicy, grade, normalize_response
from question_bank.messages import BankError, N_
from question_bank.models import Bank, KnowledgePoint, Question, QuestionVersion, mark_used, version_knowledge_points
from question_bank.services import visible_banks_stmt
from quiz.contests.models import Contest, PaperItem, PaperRule
from quiz.contests.services import begin_write_first
from quiz.practice import review
from quiz.practice.models import Favourite, PracticeAnswer, PracticeItem, PracticeSet, ReviewEntry, SequentialCursor

DEFAULT_TIMEZONE = "Asia/Shanghai"
RANDOM_DEFAULT, RANDOM_MAX = 10, 50
SEQUENTIAL_SIZE = 10
DAILY_SIZE = 10
DAILY_REVIEW_SHARE = 3  # at most this many due review-book questions in the day's set
REVIEW_SIZE = 20
FAVOURITES_SIZE = 20
FOCUS_SIZE = 10
MAX_DURATION_MS = 30 * 60 * 1000  # an answer time longer than this (the phone was put away) is not measured
PRACTICE_POLICY = MultiplePolicy("all_or_nothing")  # practice asks for the whole answer
IN_CHUNK = 500


class PracticeError(BankError):
    """A practice problem the cadre can act on; ``code`` ``not_found`` is answered 404."""

    def __init__(self, template: str, code: str = "invalid", **params: Any) -> None:
        self.code = code
        super().__init__(template, **params)


def _not_found() -> PracticeError:
    return PracticeError(N_("练习不存在"), "not_found")


# --- days -------------------------------------------------------------------------------------

def zone(tz: str | ZoneInfo | None) -> ZoneInfo:
    return tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz or DEFAULT_TIMEZONE)


def local_day(moment: datetime, tz: str | ZoneInfo | None = None) -> date:
    """The calendar day in ``tz`` of a naive UTC moment: 2026-01-01 23:30 UTC is 2026-01-02 in Shanghai."""
    return moment.replace(tzinfo=timezone.utc).astimezone(zone(tz)).date()


def day_start_utc(day: date, tz: str | ZoneInfo | None = None) -> datetime:
    """Naive UTC of 00:00 of ``day`` in ``tz``."""
    return datetime(day.year, day.month, day.day, tzinfo=zone(tz)).astimezone(timezone.utc).replace(tzinfo=None)


# --- what practice may show -------------------------------------------------------------------

def hidden_bank_ids(session: Session, now: datetime) -> set[int]:
    """保密 banks that a published contest, not yet closed, draws from (rules or fixed items).

    One query when no bank is confidential (the usual case), three otherwise."""
    confidential = set(session.scalars(select(Bank.id).where(Bank.confidential.is_(True))))
    if not confidential:
        return set()
    live = select(Contest.paper_id).where(Contest.status == "published", Contest.closes_at > now)
    used: set[int] = set()
    for bank_ids in session.scalars(select(PaperRule.bank_ids).where(PaperRule.paper_id.in_(live))):
        used.update(int(b) for b in bank_ids or [])
    used.update(session.scalars(
        select(Question.bank_id).join(PaperItem, PaperItem.question_id == Question.id)
        .where(PaperItem.paper_id.in_(live), Question.bank_id.in_(sorted(confidential))).distinct()
    ))
    return used & confidential


def practisable_clause(actor, hidden: Iterable[int]):
    """The WHERE clause (on ``Question``) of questions ``actor`` may practise; see the module docstring."""
    banks = visible_banks_stmt(actor).with_only_columns(Bank.id).order_by(None)
    conditions = [
        Question.status == "active",
        Question.needs_review.is_(False),
        Question.current_version_id.is_not(None),
        Question.bank_id.in_(banks),
    ]
    hidden = sorted(set(hidden))
    if hidden:
        conditions.append(Question.bank_id.not_in(hidden))
    return and_(*conditions)


def practisable_ids(session: Session, actor, question_ids: Iterable[int], now: datetime) -> set[int]:
    """Which of these questions ``actor`` may practise now (one query per 500 ids, plus ``hidden_bank_ids``)."""
    ids = sorted(set(question_ids))
    if not ids:
        return set()
    clause = practisable_clause(actor, hidden_bank_ids(session, now))
    found: set[int] = set()
    for i in range(0, len(ids), IN_CHUNK):
        found.update(session.scalars(select(Question.id).where(Question.id.in_(ids[i:i + IN_CHUNK]), clause)))
    return found


def practisable_banks(session: Session, actor, now: datetime) -> list[tuple[Bank, int]]:
    """The banks ``actor`` may practise from, with how many questions each has open to practice."""
    clause = practisable_clause(actor, hidden_bank_ids(session, now))
    rows = session.execute(
        select(Bank, func.count(Question.id)).join(Question, Question.bank_id == Bank.id).where(clause)
        .group_by(Bank.id).order_by(Bank.name, Bank.id)
    ).all()
    return [(bank, n) for bank, n in rows]


# --- building sets ----------------------------------------------------------------------------

@dataclass
class Filters:
    """随机练习's choices; None means any."""

    count: int = RANDOM_DEFAULT
    subject_id: int | None = None
    knowledge_point_id: int | None = None
    type: str | None = None
    difficulty_min: int = 1
    difficulty_max: int = 5
    bank_id: int | None = None

    def as_params(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def _with_kp(stmt, knowledge_point_id: int):
    kp = version_knowledge_points
    return stmt.where(select(kp.c.version_id).where(kp.c.version_id == Question.current_version_id,
                                                    kp.c.knowledge_point_id == knowledge_point_id).exists())


def _pool_stmt(actor, hidden: set[int]):
    """SELECT (question_id, current version id) of practisable questions, joined to the current version."""
    return (
        select(Question.id, Question.current_version_id)
        .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
        .where(practisable_clause(actor, hidden))
    )


def _new_set(session: Session, actor, mode: str, rows: list[tuple[int, int]], *, title: str = "", params: dict | None = None,
             now: datetime, **fields: Any) -> PracticeSet:
    """Store a set of (question_id, version_id) rows, locking the versions it will show."""
    if not rows:
        raise PracticeError(N_("没有符合条件的题目，请换个条件再试"), "empty")
    practice_set = PracticeSet(user_id=actor.id, mode=mode, title=title[:200], params=params or {}, size=len(rows),
                               position=0, answered=0, correct=0, created_at=now, **fields)
    session.add(practice_set)
    session.flush()
    session.add_all(PracticeItem(set_id=practice_set.id, position=i, question_id=q, question_version_id=v)
                    for i, (q, v) in enumerate(rows, start=1))
    mark_used(session, [v for _q, v in rows])
    session.flush()
    return practice_set


def start_random(session: Session, actor, filters: Filters, *, now: datetime) -> PracticeSet:
    """随机练习: ``filters.count`` questions at random among those matching every filter."""
    if not 1 <= filters.count <= RANDOM_MAX:
        raise PracticeError(N_("题数应在 1 到 %(max)d 之间"), max=RANDOM_MAX)
    if not 1 <= filters.difficulty_min <= filters.difficulty_max <= 5:
        raise PracticeError(N_("难度范围应在 1 到 5 之间，且下限不大于上限"))
    begin_write_first(session)
    stmt = _pool_stmt(actor, hidden_bank_ids(session, now)).where(
        QuestionVersion.difficulty.between(filters.difficulty_min, filters.difficulty_max))
    if filters.subject_id is not None:
        stmt = stmt.where(QuestionVersion.subject_id == filters.subject_id)
    if filters.type:
        stmt = stmt.where(QuestionVersion.type == filters.type)
    if filters.bank_id is not None:
        stmt = stmt.where(Question.bank_id == filters.bank_id)
    if filters.knowledge_point_id is not None:
        stmt = _with_kp(stmt, filters.knowledge_point_id)
    rows = [tuple(r) for r in session.execute(stmt.order_by(func.random()).limit(filters.count))]
    return _new_set(session, actor, "random", rows, params=filters.as_params(), now=now)


def _open_set(session: Session, actor, mode: str, **where: Any) -> PracticeSet | None:
    stmt = select(PracticeSet).where(PracticeSet.user_id == actor.id, PracticeSet.mode == mode, PracticeSet.finished_at.is_(None))
    for name, value in where.items():
        stmt = stmt.where(getattr(PracticeSet, name) == value)
    return session.scalar(stmt.order_by(PracticeSet.id.desc()).limit(1))


def start_sequential(session: Session, actor, bank_id: int, *, now: datetime, size: int = SEQUENTIAL_SIZE) -> PracticeSet:
    """顺序练习: the next ``size`` questions of the bank after where the cadre stopped (by question
    id); an unfinished set of this bank is resumed instead. After the last question, a new round
    starts from the beginning."""
    begin_write_first(session)
    hidden = hidden_bank_ids(session, now)
    bank = session.get(Bank, bank_id)
    if bank is None or bank_id not in {b for b in session.scalars(visible_banks_stmt(actor).with_only_columns(Bank.id).order_by(None))}:
        raise _not_found()
    if bank.id in hidden:
        raise PracticeError(N_("该题库正用于竞赛，竞赛结束前暂停练习"))
    current = _open_set(session, actor, "sequential", bank_id=bank.id)
    if current is not None:
        return current
    cursor = session.get(SequentialCursor, (actor.id, bank.id))
    after = cursor.last_question_id if cursor is not None else 0
    base = _pool_stmt(actor, hidden).where(Question.bank_id == bank.id).order_by(Question.id).limit(size)
    rows = [tuple(r) for r in session.execute(base.where(Question.id > after))]
    if not rows and after:  # the end of the bank: a new round from the start
        rows = [tuple(r) for r in session.execute(base)]
        if cursor is not None:
            cursor.last_question_id, cursor.rounds = 0, cursor.rounds + 1
    return _new_set(session, actor, "sequential", rows, title=bank.name, params={"bank_id": bank.id}, bank_id=bank.id, now=now)


def sequential_progress(session: Session, actor, bank_ids: Iterable[int], now: datetime) -> dict[int, tuple[int, int]]:
    """{bank id: (questions up to the cadre's place, practisable questions)} for the given banks."""
    ids = list(bank_ids)
    if not ids:
        return {}
    cursors = dict(session.execute(
        select(SequentialCursor.bank_id, SequentialCursor.last_question_id)
        .where(SequentialCursor.user_id == actor.id, SequentialCursor.bank_id.in_(ids))
    ).all())
    clause = practisable_clause(actor, hidden_bank_ids(session, now))
    out: dict[int, tuple[int, int]] = {}
    for bank_id, qid in session.execute(select(Question.bank_id, Question.id).where(Question.bank_id.in_(ids), clause)):
        done, total = out.get(bank_id, (0, 0))
        out[bank_id] = (done + (qid <= cursors.get(bank_id, 0)), total + 1)
    return out


def start_daily(session: Session, actor, *, now: datetime, tz=None, size: int = DAILY_SIZE) -> PracticeSet:
    """每日一练: today's set (today in ``tz``), made on the first visit of the day: up to
    ``DAILY_REVIEW_SHARE`` due review-book questions, then questions the cadre has never answered,
    then any, at random."""
    begin_write_first(session)
    today = local_day(now, tz)
    existing = session.scalar(select(PracticeSet).where(PracticeSet.user_id == actor.id, PracticeSet.mode == "daily",
                                                        PracticeSet.day == today))
    if existing is not None:
        return existing
    hidden = hidden_bank_ids(session, now)
    rows: list[tuple[int, int]] = [tuple(r) for r in session.execute(
        _pool_stmt(actor, hidden).join(ReviewEntry, and_(ReviewEntry.question_id == Question.id, ReviewEntry.user_id == actor.id))
        .where(ReviewEntry.status == "active", ReviewEntry.due <= now).order_by(ReviewEntry.due).limit(DAILY_REVIEW_SHARE)
    )]
    taken = {q for q, _v in rows}
    answered = select(PracticeAnswer.question_id).where(PracticeAnswer.user_id == actor.id)
    for stmt in (_pool_stmt(actor, hidden).where(Question.id.not_in(answered)), _pool_stmt(actor, hidden)):
        if len(rows) >= size:
            break
        if taken:
            stmt = stmt.where(Question.id.not_in(sorted(taken)))
        fresh = [tuple(r) for r in session.execute(stmt.order_by(func.random()).limit(size - len(rows)))]
        rows += fresh
        taken.update(q for q, _v in fresh)
    return _new_set(session, actor, "daily", rows, day=today, now=now)


def start_review(session: Session, actor, *, now: datetime, size: int = REVIEW_SIZE) -> PracticeSet:
    """错题复习: the review-book questions that are due, the longest overdue first."""
    begin_write_first(session)
    rows = [tuple(r) for r in session.execute(
        _pool_stmt(actor, hidden_bank_ids(session, now))
        .join(ReviewEntry, and_(ReviewEntry.question_id == Question.id, ReviewEntry.user_id == actor.id))
        .where(ReviewEntry.status == "active", ReviewEntry.due <= now).order_by(ReviewEntry.due, Question.id).limit(size)
    )]
    if not rows:
        raise PracticeError(N_("错题本里暂时没有到期需要复习的题目"), "empty")
    return _new_set(session, actor, "review", rows, now=now)


def start_favourites(session: Session, actor, *, now: datetime, size: int = FAVOURITES_SIZE) -> PracticeSet:
    """收藏练习: up to ``size`` favourites at random."""
    begin_write_first(session)
    rows = [tuple(r) for r in session.execute(
        _pool_stmt(actor, hidden_bank_ids(session, now))
        .join(Favourite, and_(Favourite.question_id == Question.id, Favourite.user_id == actor.id))
        .order_by(func.random()).limit(size)
    )]
    if not rows:
        raise PracticeError(N_("收藏夹里还没有可以练习的题目"), "empty")
    return _new_set(session, actor, "favourites", rows, now=now)


def start_focus(session: Session, actor, *, now: datetime, knowledge_point_id: int | None = None,
                material_id: int | None = None, chapter: str | None = None, size: int = FOCUS_SIZE) -> PracticeSet:
    """专项练习: questions on one knowledge point, or citing the articles of one chapter of a
    material (when the materials feature is present); the ones the cadre answered wrong most
    recently and the ones never answered come first, then the rest at random."""
    begin_write_first(session)
    stmt = _pool_stmt(actor, hidden_bank_ids(session, now))
    if knowledge_point_id is not None:
        point = session.get(KnowledgePoint, knowledge_point_id)
        if point is None:
            raise _not_found()
        stmt, title, params = _with_kp(stmt, point.id), point.name, {"knowledge_point_id": point.id}
    elif material_id is not None and chapter:
        articles = chapter_article_ids(session, actor, material_id, chapter)
        if articles is None:
            raise _not_found()
        stmt = stmt.where(QuestionVersion.source_article_id.in_(articles or [-1]))
        title, params = f"{articles.material_title} {chapter}", {"material_id": material_id, "chapter": chapter}
    else:
        raise PracticeError(N_("请选择一个知识点或一个章节"))
    book = select(ReviewEntry.question_id).where(ReviewEntry.user_id == actor.id, ReviewEntry.status == "active")
    answered = select(PracticeAnswer.question_id).where(PracticeAnswer.user_id == actor.id)
    rows: list[tuple[int, int]] = []
    for narrowed in (stmt.where(Question.id.in_(book)), stmt.where(Question.id.not_in(answered)), stmt):
        if len(rows) >= size:
            break
        if rows:
            narrowed = narrowed.where(Question.id.not_in([q for q, _v in rows]))
        rows += [tuple(r) for r in session.execute(narrowed.order_by(func.random()).limit(size - len(rows)))]
    return _new_set(session, actor, "focus", rows, title=title, params=params, now=now)


# --- materials (optional: present once question_bank.materials is) ----------------------------

def materials_available() -> bool:
    return hasattr(QuestionVersion, "source_article_id")


class ChapterArticles(list):
    """Article ids of a chapter, with the material's title."""

    material_title: str = ""


def _materials():
    try:
        from question_bank.materials import models, reading, services as material_services
    except ImportError:  # pragma: no cover - the materials feature is not installed
        return None
    return models, material_services, reading


def chapter_article_ids(session: Session, actor, material_id: int, chapter: str) -> ChapterArticles | None:
    """Ids of the articles (of every edition, so older citations count) under ``chapter`` (the
    first element of the article's path, such as 第二章) of a material ``actor`` may read; None if
    the material is unknown or out of reach."""
    found = _materials()
    if found is None or not materials_available():
        return None
    models, material_services, _ = found
    material = session.get(models.Material, material_id)
    if material is None or not material_services.can_use_material(session, actor, material):
        return None
    out = ChapterArticles()
    out.material_title = material.title
    for article_id, path in session.execute(
        select(models.MaterialArticle.id, models.MaterialArticle.path)
        .join(models.MaterialEdition, models.MaterialEdition.id == models.MaterialArticle.edition_id)
        .where(models.MaterialEdition.material_id == material.id)
    ):
        if path and path[0] == chapter:
            out.append(article_id)
    return out


@dataclass
class ChapterRow:
    material_id: int
    material_title: str
    chapter: str
    questions: int


def focus_chapters(session: Session, actor, now: datetime) -> list[ChapterRow]:
    """The chapters of the materials ``actor`` may read that practisable questions cite, with how
    many questions each (current editions' chapter order). Empty without the materials feature."""
    found = _materials()
    if found is None or not materials_available():
        return []
    models, material_services, _ = found
    materials = {m.id: m for m in material_services.materials_visible_to(session, actor)}
    if not materials:
        return []
    counts: dict[tuple[int, str], int] = {}
    order: dict[tuple[int, str], tuple[int, int]] = {}
    for material_id, path, position, current, qid in session.execute(
        select(models.MaterialEdition.material_id, models.MaterialArticle.path, models.MaterialArticle.position,
               models.Material.current_edition_id == models.MaterialEdition.id, Question.id)
        .join(models.MaterialEdition, models.MaterialEdition.id == models.MaterialArticle.edition_id)
        .join(models.Material, models.Material.id == models.MaterialEdition.material_id)
        .join(QuestionVersion, QuestionVersion.source_article_id == models.MaterialArticle.id)
        .join(Question, Question.current_version_id == QuestionVersion.id)
        .where(models.MaterialEdition.material_id.in_(list(materials)), practisable_clause(actor, hidden_bank_ids(session, now)))
    ):
        if not path:
            continue
        key = (material_id, path[0])
        counts[key] = counts.get(key, 0) + 1
        order[key] = min(order.get(key, (1, 10**9)), (0 if current else 1, position))
    return [ChapterRow(m, materials[m].title, chapter, n)
            for (m, chapter), n in sorted(counts.items(), key=lambda kv: (materials[kv[0][0]].title, order[kv[0]]))]


def cited_articles(session: Session, version_ids: Iterable[int]) -> dict[int, Any]:
    """{version id: ArticleHit} of the articles the versions' 出处 cite (empty without materials)."""
    found = _materials()
    if found is None or not materials_available():
        return {}
    return found[2].cited_articles(session, version_ids)


# --- showing and answering --------------------------------------------------------------------

def get_set(session: Session, actor, set_id: int) -> PracticeSet:
    """The actor's own set, or ``PracticeError('not_found')`` (also for someone else's)."""
    practice_set = session.scalar(select(PracticeSet).where(PracticeSet.id == set_id, PracticeSet.user_id == actor.id))
    if practice_set is None or practice_set.mode == "mock":
        raise _not_found()
    return practice_set


def _items(session: Session, practice_set: PracticeSet) -> list[PracticeItem]:
    return list(session.scalars(select(PracticeItem).where(PracticeItem.set_id == practice_set.id).order_by(PracticeItem.position)))


def _finish_if_done(practice_set: PracticeSet, now: datetime) -> None:
    if practice_set.position >= practice_set.size and practice_set.finished_at is None:
        practice_set.finished_at = now


def current_item(session: Session, actor, practice_set: PracticeSet, *, now: datetime) -> PracticeItem | None:
    """The next item to answer (None when the set is done), marked as shown now if it was not yet.

    Items no longer open to practice are skipped here (a contest may have started using their
    bank). Writes: the caller has begun a write transaction."""
    while practice_set.position < practice_set.size:
        item = session.get(PracticeItem, (practice_set.id, practice_set.position + 1))
        if item is None:  # pragma: no cover - a set's items are written with it
            break
        if item.answer_id is not None:  # answered in another tab
            practice_set.position += 1
            continue
        if not practisable_ids(session, actor, [item.question_id], now):
            item.skipped = True
            practice_set.position += 1
            continue
        if item.shown_at is None:
            item.shown_at = now
        session.flush()
        return item
    _finish_if_done(practice_set, now)
    session.flush()
    return None


@dataclass
class AnswerResult:
    item: PracticeItem
    answer: PracticeAnswer
    grade: Grade | None
    outcome: review.ReviewOutcome
    repeated: bool = False  # the item had been answered already (a double submit): nothing new stored


def _blank_count(version: QuestionVersion) -> int | None:
    return len(version.answer) if version.type == "fill_blank" and isinstance(version.answer, list) else None


def grade_practice(version: QuestionVersion, response: Any) -> Grade:
    """A practice response graded like a contest's (``question_bank.grading.grade``), worth 1 point
    (so points are the fraction) and all-or-nothing for multiple choice."""
    from types import SimpleNamespace

    return grade(SimpleNamespace(type=version.type, answer=version.answer, points=1), response, multiple_policy=PRACTICE_POLICY)


def answer_item(session: Session, actor, practice_set: PracticeSet, position: int, raw: Any, *, now: datetime,
                tz=None) -> AnswerResult:
    """Answer the item at ``position`` (``raw`` in the attempt API's shapes; None = 不会): grade it,
    store the answer, apply it to the review book, move the set on. An item answered already
    returns its stored answer (a double submit stores nothing twice). Refused: an unknown position
    (``not_found``), an answer of the wrong shape (``invalid``, nothing stored), an item that is no
    longer open to practice (``hidden``: skipped)."""
    begin_write_first(session)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(PracticeSet.id).where(PracticeSet.id == practice_set.id).with_for_update())
    session.refresh(practice_set)
    item = session.get(PracticeItem, (practice_set.id, position), populate_existing=True)
    if item is None or practice_set.user_id != actor.id:
        raise _not_found()
    if item.answer_id is not None:
        stored = session.get(PracticeAnswer, item.answer_id)
        version = session.get(QuestionVersion, item.question_version_id)
        return AnswerResult(item, stored, grade_practice(version, stored.answer), review.NOTHING, repeated=True)
    if item.skipped or not practisable_ids(session, actor, [item.question_id], now):
        item.skipped = True
        if practice_set.position < position:
            practice_set.position = position
        _finish_if_done(practice_set, now)
        session.flush()
        raise PracticeError(N_("这道题目前暂停练习，已为您跳过"), "hidden")
    version = session.get(QuestionVersion, item.question_version_id)
    try:
        response = normalize_response(version.type, raw, option_count=len(version.options or []) or None,
                                      blank_count=_blank_count(version))
    except BankError as exc:
        raise PracticeError(exc.message.template, **exc.message.params) from None
    result = grade_practice(version, response)
    duration = None
    if item.shown_at is not None:
        duration = int((now - item.shown_at).total_seconds() * 1000)
        duration = duration if 0 <= duration <= MAX_DURATION_MS else None
    outcome = review.record_answer(session, user_id=actor.id, question_id=item.question_id, qtype=version.type,
                                   correct=result.correct, duration_ms=duration, now=now)
    answer = PracticeAnswer(
        user_id=actor.id, question_id=item.question_id, question_version_id=version.id, set_id=practice_set.id,
        position=position, mode=practice_set.mode, answer=response, correct=result.correct,
        points_fraction=min(1.0, max(0.0, result.points)), answered_at=now, day=local_day(now, tz), duration_ms=duration,
        rating=int(outcome.rating) if outcome.rating is not None else None, due_review=outcome.due_review,
    )
    session.add(answer)
    session.flush()
    item.answer_id = answer.id
    practice_set.answered += 1
    practice_set.correct += 1 if result.correct else 0
    if practice_set.position < position:
        practice_set.position = position
    _finish_if_done(practice_set, now)
    if practice_set.mode == "sequential" and practice_set.bank_id is not None:
        _advance_cursor(session, actor.id, practice_set.bank_id, item.question_id, now)
    session.flush()
    return AnswerResult(item, answer, result, outcome)


def _advance_cursor(session: Session, user_id: int, bank_id: int, question_id: int, now: datetime) -> None:
    cursor = session.get(SequentialCursor, (user_id, bank_id))
    if cursor is None:
        session.add(SequentialCursor(user_id=user_id, bank_id=bank_id, last_question_id=question_id, rounds=0, updated_at=now))
    elif question_id > cursor.last_question_id:
        cursor.last_question_id = question_id
        cursor.updated_at = now


@dataclass
class ItemView:
    """One item of a set as the feedback and summary pages show it."""

    item: PracticeItem
    version: QuestionVersion
    answer: PracticeAnswer | None
    grade: Grade | None
    visible: bool  # still open to practice: its text may be shown
    article: Any = None  # question_bank.materials.reading.ArticleHit, when the 出处 resolves
    favourite: bool = False


def item_views(session: Session, actor, practice_set: PracticeSet, *, now: datetime,
               positions: Iterable[int] | None = None) -> list[ItemView]:
    """The set's items (or those at ``positions``) with versions, answers, grades and cited articles,
    in a fixed number of queries."""
    stmt = select(PracticeItem).where(PracticeItem.set_id == practice_set.id).order_by(PracticeItem.position)
    if positions is not None:
        stmt = stmt.where(PracticeItem.position.in_(list(positions)))
    items = list(session.scalars(stmt))
    versions = {v.id: v for v in session.scalars(select(QuestionVersion).where(QuestionVersion.id.in_([i.question_version_id for i in items])))}
    answers = {a.id: a for a in session.scalars(select(PracticeAnswer).where(PracticeAnswer.id.in_([i.answer_id for i in items if i.answer_id])))}
    visible = practisable_ids(session, actor, [i.question_id for i in items], now)
    articles = cited_articles(session, [v for v in versions])
    favourites = favourite_ids(session, actor, [i.question_id for i in items])
    out = []
    for item in items:
        version = versions[item.question_version_id]
        answer = answers.get(item.answer_id) if item.answer_id else None
        out.append(ItemView(item, version, answer, grade_practice(version, answer.answer) if answer else None,
                            item.question_id in visible, articles.get(version.id), item.question_id in favourites))
    return out


# --- favourites -------------------------------------------------------------------------------

def favourite_ids(session: Session, actor, question_ids: Iterable[int]) -> set[int]:
    ids = sorted(set(question_ids))
    if not ids:
        return set()
    return set(session.scalars(select(Favourite.question_id).where(Favourite.user_id == actor.id, Favourite.question_id.in_(ids))))


def toggle_favourite(session: Session, actor, question_id: int, *, now: datetime) -> bool:
    """收藏 / 取消收藏; returns whether it is a favourite now. Only a question open to practice can
    be added (any favourite can be removed)."""
    begin_write_first(session)
    existing = session.get(Favourite, (actor.id, question_id))
    if existing is not None:
        session.delete(existing)
        session.flush()
        return False
    if not practisable_ids(session, actor, [question_id], now):
        raise _not_found()
    session.add(Favourite(user_id=actor.id, question_id=question_id, created_at=now))
    session.flush()
    return True


@dataclass
class QuestionRow:
    """A question in a list (review book, favourites): its text only while it is open to practice."""

    question_id: int
    version: QuestionVersion | None
    visible: bool
    entry: ReviewEntry | None = None
    favourite_at: datetime | None = None


def _rows(session: Session, actor, pairs: list[tuple[int, Any]], now: datetime, kind: str) -> list[QuestionRow]:
    ids = [q for q, _x in pairs]
    visible = practisable_ids(session, actor, ids, now)
    versions = {
        qid: version for qid, version in session.execute(
            select(Question.id, QuestionVersion).join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
            .where(Question.id.in_(sorted(visible) or [-1]))
        )
    }
    rows = []
    for qid, extra in pairs:
        row = QuestionRow(qid, versions.get(qid), qid in visible)
        if kind == "entry":
            row.entry = extra
        else:
            row.favourite_at = extra
        rows.append(row)
    return rows


def favourites(session: Session, actor, *, now: datetime, limit: int = 200) -> list[QuestionRow]:
    pairs = [(q, at) for q, at in session.execute(
        select(Favourite.question_id, Favourite.created_at).where(Favourite.user_id == actor.id)
        .order_by(Favourite.created_at.desc()).limit(limit)
    )]
    return _rows(session, actor, pairs, now, "favourite")


# --- the review book --------------------------------------------------------------------------

@dataclass
class BookSize:
    active: int
    due: int
    mastered: int
    next_due: datetime | None


def book_size(session: Session, actor, *, now: datetime) -> BookSize:
    """错题本: questions in the book, due now, mastered (left the book), and the next due time. One query."""
    active, due, mastered, next_due = session.execute(
        select(func.count().filter(ReviewEntry.status == "active"),
               func.count().filter(ReviewEntry.status == "active", ReviewEntry.due <= now),
               func.count().filter(ReviewEntry.status == "mastered"),
               func.min(ReviewEntry.due).filter(ReviewEntry.status == "active", ReviewEntry.due > now))
        .where(ReviewEntry.user_id == actor.id)
    ).one()
    return BookSize(active or 0, due or 0, mastered or 0, next_due)


def review_book(session: Session, actor, *, now: datetime, status: str = "active", limit: int = 200) -> list[QuestionRow]:
    """The entries of the cadre's review book (``active``, or ``mastered``), the soonest due first."""
    order = (ReviewEntry.due, ReviewEntry.id) if status == "active" else (ReviewEntry.mastered_at.desc(), ReviewEntry.id)
    entries = list(session.scalars(select(ReviewEntry).where(ReviewEntry.user_id == actor.id, ReviewEntry.status == status)
                                   .order_by(*order).limit(limit)))
    return _rows(session, actor, [(e.question_id, e) for e in entries], now, "entry")


def get_entry(session: Session, actor, entry_id: int) -> ReviewEntry:
    """The actor's own review-book entry, or ``not_found`` (also for another cadre's)."""
    entry = session.scalar(select(ReviewEntry).where(ReviewEntry.id == entry_id, ReviewEntry.user_id == actor.id))
    if entry is None:
        raise _not_found()
    return entry


def answer_history(session: Session, actor, question_id: int, *, limit: int = 20) -> list[PracticeAnswer]:
    return list(session.scalars(
        select(PracticeAnswer).where(PracticeAnswer.user_id == actor.id, PracticeAnswer.question_id == question_id)
        .order_by(PracticeAnswer.answered_at.desc(), PracticeAnswer.id.desc()).limit(limit)
    ))


# --- streaks ----------------------------------------------------------------------------------

@dataclass
class Streak:
    days: int  # consecutive days with the daily set finished, up to today (or yesterday, if today is not done yet)
    done_today: bool
    today: date


def daily_streak(session: Session, user_id: int, *, now: datetime, tz=None, lookback_days: int = 800) -> Streak:
    """每日一练's streak. A day counts when that day's set (the set made on that calendar day in
    ``tz``) is finished, whenever the last answer came. The streak runs back from today, or from
    yesterday while today's set is not finished yet (it is not broken until a whole day is missed)."""
    today = local_day(now, tz)
    days = set(session.scalars(
        select(PracticeSet.day).where(PracticeSet.user_id == user_id, PracticeSet.mode == "daily",
                                      PracticeSet.finished_at.is_not(None), PracticeSet.day <= today,
                                      PracticeSet.day > today - timedelta(days=lookback_days))
    ))
    done_today = today in days
    day = today if done_today else today - timedelta(days=1)
    count = 0
    while day in days:
        count += 1
        day -= timedelta(days=1)
    return Streak(count, done_today, today)


def today_daily(session: Session, actor, *, now: datetime, tz=None) -> PracticeSet | None:
    return session.scalar(select(PracticeSet).where(PracticeSet.user_id == actor.id, PracticeSet.mode == "daily",
                                                    PracticeSet.day == local_day(now, tz)))


def recent_sets(session: Session, actor, *, limit: int = 5) -> list[PracticeSet]:
    return list(session.scalars(select(PracticeSet).where(PracticeSet.user_id == actor.id, PracticeSet.mode != "mock")
                                .order_by(PracticeSet.created_at.desc(), PracticeSet.id.desc()).limit(limit)))
