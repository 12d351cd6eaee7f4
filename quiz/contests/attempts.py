"""The cadre's operations on attempts, each deciding and writing in one statement or one locked
transaction (DESIGN.md lesson: check-then-write races give double scores and answers accepted
after the end). Services flush and never commit; the caller owns the transaction.

Concurrency, per engine:
- SQLite has one writer. Every writing service first calls ``begin_write`` (BEGIN IMMEDIATE), so
  the whole decide-and-write runs under the database's write lock and concurrent writers queue
  on busy_timeout. A caller whose session already holds a read transaction must end it first
  (the API does ``session.commit()`` before calling), or the upgrade to a write may fail at once.
- PostgreSQL (READ COMMITTED): the decisions are in the WHERE clauses of single statements: the
  save is ``INSERT ... SELECT ... WHERE status = 'in_progress' AND deadline >= now - grace
  ON CONFLICT DO UPDATE ... WHERE excluded.seq >= responses.seq``; the submit is ``UPDATE attempts
  SET status = 'submitted' WHERE id = ? AND status = 'in_progress'``. A concurrent second submit
  blocks on the row lock, re-checks the WHERE after the first commits, updates nothing and
  returns the stored result. A start locks the user's row (``SELECT ... FOR UPDATE``) so two
  starts of one cadre queue; the partial unique index on in-progress attempts backs it up.

Time: every function takes ``now`` (naive UTC; default ``utcnow()``) so tests freeze the clock.
``deadline = min(started_at + limit + extra, closes_at)`` is stored on the attempt; a save lands
while ``now <= deadline + grace`` (``grace_seconds``, default ``DEFAULT_GRACE_SECONDS``, the
network grace of Moodle's "last submission"). Past that, the attempt is finalised with the
responses saved in time: on next access (``finalise_if_expired``), at close and by the cron
command (``finalise_expired``).

Options: the page shows options under display keys A, B, ... after the attempt's shuffle;
``AttemptQuestion.option_order[display_index]`` is the canonical index. Answers arrive with
display keys, are stored and graded with canonical keys, and go back out with display keys.
"""
from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from random import Random
from types import SimpleNamespace
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, Text, and_, bindparam, case, false, insert, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from question_bank.db import utcnow
from question_bank.drafts import OPTION_KEYS
from question_bank.grading import MultiplePolicy, grade, normalize_response
from question_bank.messages import BankError, N_
from question_bank.models import QuestionVersion
from quiz.accounts.models import User
from quiz.contests.errors import ContestError
from quiz.contests.models import Attempt, AttemptQuestion, Contest, Paper, PaperVariant, Response
from quiz.contests.services import begin_write_first as _begin_write, can_manage, is_eligible

DEFAULT_GRACE_SECONDS = 5
CHOICE_TYPES = ("single", "multiple")
MAX_SEQ = 2**53  # what a JavaScript number holds exactly


@dataclass
class SaveResult:
    saved_at: datetime
    remaining_seconds: int
    stored: bool  # False: a stale save (lower seq than stored) acknowledged without overwriting


def _now(now: datetime | None) -> datetime:
    return now if now is not None else utcnow()


def remaining_seconds(attempt: Attempt, now: datetime) -> int:
    """Whole seconds left until the deadline (0 when past); the page counts down from this."""
    return max(0, math.floor((attempt.deadline - now).total_seconds()))


def _grace(grace_seconds: float) -> timedelta:
    return timedelta(seconds=grace_seconds)


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# --- start ------------------------------------------------------------------------------------

def start_attempt(session: Session, user: User, contest: Contest, *, now: datetime | None = None,
                  grace_seconds: float = DEFAULT_GRACE_SECONDS, rng: Random | None = None) -> tuple[Attempt, bool]:
    """(attempt, created): the cadre's attempt in progress, or a new one.

    The attempt's seed (its variant and shuffles) is unpredictable (``secrets``), so nobody can
    know a paper in advance; ``rng``, a seeded ``random.Random``, draws it instead, for demo data
    that must come out the same on every run (``quiz seed-demo``).

    Refuses (``ContestError``) a contest that is not running (``not_open``), a cadre who is not
    eligible (``not_eligible``; a contest the cadre cannot see at all is ``not_found``), and a
    cadre whose attempts are used up (``attempts_used_up``). An in-progress attempt already past
    its deadline + grace is finalised first and counts as used.

    Cost, whatever the number of questions or cadres: one SELECT of the cadre's attempts at this
    contest, one SELECT of a pre-drawn variant, one INSERT of the attempt, one multi-row INSERT
    of its questions (plus the user-row lock on PostgreSQL). No bank search: the variants were
    drawn at publish.
    """
    now = _now(now)
    _begin_write(session)
    if not is_eligible(contest, user):
        raise ContestError("not_eligible", N_("您不在本次竞赛的参赛范围内"))
    refuse_unless_running(contest, now)
    if _is_postgresql(session):  # two starts of one cadre queue here; SQLite's BEGIN IMMEDIATE already did
        session.execute(select(User.id).where(User.id == user.id).with_for_update())
    mine = list(session.scalars(
        select(Attempt).where(Attempt.contest_id == contest.id, Attempt.user_id == user.id).order_by(Attempt.number)
    ))
    current = next((a for a in mine if a.status == "in_progress"), None)
    if current is not None:
        if not finalise_if_expired(session, current, now=now, grace_seconds=grace_seconds, how="access"):
            return current, False
    if len(mine) >= contest.attempts_allowed:
        raise ContestError("attempts_used_up", N_("本次竞赛允许作答 %(n)d 次，您的次数已用完"), n=contest.attempts_allowed)
    if contest.variant_count < 1:
        raise ContestError("not_open", N_("竞赛试卷尚未生成，请联系组织者"))
    seed = rng.getrandbits(62) if rng is not None else secrets.randbits(62)
    variant = session.get(PaperVariant, (contest.id, seed % contest.variant_count))
    attempt = Attempt(
        kind="contest", contest_id=contest.id, user_id=user.id, number=len(mine) + 1, status="in_progress",
        seed=seed, variant_number=variant.number, started_at=now, deadline=contest.deadline_for(now),
        max_score=round(sum(float(item[2]) for item in variant.items), 2),
    )
    session.add(attempt)
    session.flush()
    rows = layout(attempt.id, variant.items, seed, contest.paper)
    session.execute(insert(AttemptQuestion), rows)
    return attempt, True


def refuse_unless_running(contest: Contest, now: datetime) -> None:
    """``ContestError('not_open')`` unless the contest is running at ``now``. The API asks this
    before taking the write lock too (a press of 开始 a minute early costs no lock); ``start_attempt``
    asks again under the lock."""
    phase = contest.phase(now)
    if phase == "upcoming":
        raise ContestError("not_open", N_("竞赛尚未开始，请在开始时间后再进入"))
    if phase != "running":
        raise ContestError("not_open", N_("竞赛已结束，不能再开始答题"))


def layout(attempt_id: int, items: list[list[Any]], seed: int, paper: Paper) -> list[dict[str, Any]]:
    """The attempt's questions: the variant's items shuffled by the attempt's seed (question order
    and each choice question's option order), as rows for ``attempt_questions``. Deterministic:
    the same seed gives the same layout, so a resume shows what the start showed."""
    rng = Random(seed)
    items = [list(item) for item in items]
    if paper.shuffle_questions:
        rng.shuffle(items)
    rows = []
    for position, item in enumerate(items, start=1):
        question_id, version_id, points = item[0], item[1], item[2]
        option_count = item[3] if len(item) > 3 else 0
        order = None
        if option_count:
            order = list(range(option_count))
            if paper.shuffle_options:
                rng.shuffle(order)
        rows.append({"attempt_id": attempt_id, "position": position, "question_id": question_id,
                     "question_version_id": version_id, "option_order": order, "points": float(points)})
    return rows


def start_mock_attempt(session: Session, user: User, paper: Paper, items: list[list[Any]], *, time_limit_minutes: int,
                       now: datetime | None = None, rng: Random | None = None) -> Attempt:
    """A mock exam (模拟考试, quiz.practice): an attempt of kind ``mock`` on ``paper`` showing ``items``
    (drawn by the caller, shaped like ``PaperVariant.items``: ``[question_id, version_id, points,
    option_count]``), laid out, shuffled and locked like a contest attempt, deadline ``now + limit``.

    It belongs to no contest (``contest_id`` NULL), so contest results and leaderboards, which read
    the ``kind='contest'`` attempts of a contest, never count it; saving, submitting, finalising and
    grading are the same functions as for a contest attempt (the paper's multiple-choice policy; no
    pass score). Two queries and two inserts. ``rng`` draws the seed as in ``start_attempt``."""
    from sqlalchemy import func

    from question_bank.models import mark_used

    now = _now(now)
    _begin_write(session)
    number = session.scalar(select(func.count()).select_from(Attempt).where(Attempt.user_id == user.id, Attempt.kind == "mock")) or 0
    seed = rng.getrandbits(62) if rng is not None else secrets.randbits(62)
    attempt = Attempt(
        kind="mock", contest_id=None, paper_id=paper.id, user_id=user.id, number=number + 1, status="in_progress",
        seed=seed, variant_number=None, started_at=now, deadline=now + timedelta(minutes=time_limit_minutes),
        max_score=round(sum(float(item[2]) for item in items), 2),
    )
    session.add(attempt)
    session.flush()
    session.execute(insert(AttemptQuestion), layout(attempt.id, items, seed, paper))
    mark_used(session, [item[1] for item in items])
    return attempt


def get_attempt(session: Session, user: User, attempt_id: int) -> Attempt:
    """The user's own attempt, or ``ContestError('not_found')`` (also for someone else's)."""
    attempt = session.scalar(select(Attempt).where(Attempt.id == attempt_id, Attempt.user_id == user.id))
    if attempt is None:
        raise ContestError("not_found", N_("答卷不存在"))
    return attempt


# --- save -------------------------------------------------------------------------------------

def _to_canonical(qtype: str, value: Any, order: list[int] | None) -> Any:
    """Display keys -> canonical keys (single "B" -> "D" when option_order[1] == 3)."""
    if qtype not in CHOICE_TYPES or value is None or not order:
        return value
    mapped = lambda letter: OPTION_KEYS[order[OPTION_KEYS.index(letter)]]  # noqa: E731
    return mapped(value) if qtype == "single" else sorted(mapped(v) for v in value)


def _to_display(qtype: str, value: Any, order: list[int] | None) -> Any:
    """Canonical keys -> the attempt's display keys (the inverse of ``_to_canonical``)."""
    if qtype not in CHOICE_TYPES or value is None or not order:
        return value
    shown = {OPTION_KEYS[canonical]: OPTION_KEYS[display] for display, canonical in enumerate(order)}
    if qtype == "single":
        return shown.get(value)
    return sorted(shown[v] for v in value if v in shown)


to_display = _to_display  # the public name, for pages that show a response the way the cadre saw it
to_canonical = _to_canonical


def _blank_count(qtype: str, key: Any) -> int | None:
    return len(key) if qtype == "fill_blank" and isinstance(key, list) else None


def _check_seq(seq: Any) -> int | None:
    if seq is None:
        return None
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq <= MAX_SEQ:
        raise ContestError("invalid", N_("seq 应为不小于 0 的整数"))
    return seq


# The save's two statements, built once per dialect and reused: SQLAlchemy then finds the compiled
# SQL in its cache instead of rebuilding the INSERT ... ON CONFLICT construct (its ``excluded``
# columns alone cost a millisecond) on every save. Values go in as bound parameters.
_SAVE_STATEMENTS: dict[tuple[str, bool], Any] = {}


def _save_target_statement():
    """The attempt's state and the question's mapping in one SELECT (no row: not the user's attempt;
    NULL type: a question not in this attempt). FOR SHARE OF attempts on PostgreSQL, as the upsert."""
    attempts, questions, versions = Attempt.__table__, AttemptQuestion.__table__, QuestionVersion.__table__
    return (
        select(attempts.c.status, attempts.c.deadline, questions.c.option_order, versions.c.type, versions.c.options,
               versions.c.answer)
        .select_from(attempts.outerjoin(questions, and_(questions.c.attempt_id == attempts.c.id,
                                                        questions.c.question_id == bindparam("question_id", type_=Integer)))
                     .outerjoin(versions, versions.c.id == questions.c.question_version_id))
        .where(attempts.c.id == bindparam("attempt_id", type_=Integer), attempts.c.user_id == bindparam("user_id", type_=Integer))
        .with_for_update(read=True, of=attempts)
    )


def _upsert_statement(dialect: str, with_seq: bool):
    """INSERT ... SELECT (guarded by the attempt's state) ON CONFLICT DO UPDATE (guarded by seq)."""
    attempts, responses = Attempt.__table__, Response.__table__
    dialect_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    attempt_id = bindparam("attempt_id", type_=Integer)
    source = select(
        attempt_id, bindparam("question_id", type_=Integer), bindparam("answer", type_=responses.c.answer.type),
        bindparam("seq", type_=BigInteger), bindparam("saved_at", type_=DateTime), false(), literal("", Text),
    ).where(attempts.c.id == attempt_id, attempts.c.status == "in_progress",
            attempts.c.deadline >= bindparam("not_before", type_=DateTime))
    # FOR SHARE (PostgreSQL): a submit's UPDATE of the attempt waits until this save commits and
    # then grades it; a save arriving after the submit's UPDATE waits, sees 'submitted' and is
    # refused. Without it, a submit could grade before an in-flight save commits and the save
    # would be acknowledged but never counted. SQLite serialises writers with BEGIN IMMEDIATE.
    # OF attempts: only the cadre's own attempt row, never the shared question rows.
    source = source.with_for_update(read=True, of=attempts)
    stmt = dialect_insert(responses).from_select(
        ["attempt_id", "question_id", "answer", "seq", "saved_at", "needs_marking", "override_note"], source
    )
    if not with_seq:  # no sequence from the client: last write wins, the stored seq stays
        stmt = stmt.on_conflict_do_update(
            index_elements=["attempt_id", "question_id"],
            set_={"answer": stmt.excluded.answer, "saved_at": stmt.excluded.saved_at},
        )
    else:
        stmt = stmt.on_conflict_do_update(
            index_elements=["attempt_id", "question_id"],
            set_={"answer": stmt.excluded.answer, "seq": stmt.excluded.seq, "saved_at": stmt.excluded.saved_at},
            where=stmt.excluded.seq >= responses.c.seq,
        )
    # RETURNING, not rowcount: psycopg reports -1 for INSERT ... SELECT ... ON CONFLICT.
    return stmt.returning(responses.c.seq)


def _save_statement(dialect: str, name: str, with_seq: bool = True):
    key = (dialect + ":" + name, with_seq)
    stmt = _SAVE_STATEMENTS.get(key)
    if stmt is None:
        stmt = _SAVE_STATEMENTS[key] = _save_target_statement() if name == "target" else _upsert_statement(dialect, with_seq)
    return stmt


def save_response(session: Session, user: User, attempt: Attempt | int, question_id: int, answer: Any, *,
                  seq: int | None = None, now: datetime | None = None,
                  grace_seconds: float = DEFAULT_GRACE_SECONDS) -> SaveResult:
    """Store an answer given with display keys (the API's shapes: single ``"B"``, multiple
    ``["A","C"]``, true_false ``true``, fill_blank ``["…"]``, short_answer ``"…"``, ``null`` clears).
    ``attempt`` is the Attempt or its id (the API passes the id: no ORM load of the attempt).

    Two statements: one SELECT reads the attempt's state (only the user's own attempt) and the
    question's mapping (type, options, the option shuffle), locking the attempt row FOR SHARE on
    PostgreSQL; one ``INSERT ... SELECT ... ON CONFLICT DO UPDATE`` decides and writes: it inserts
    or updates only while the attempt is in progress and ``now <= deadline + grace``, and
    overwrites only when ``seq >= stored seq``. A save whose seq is lower is acknowledged
    (``stored=False``) without overwriting (Moodle's sequence check). Refused: someone else's or an
    unknown attempt (``not_found``), a finished attempt (``attempt_finished``), past deadline +
    grace (``deadline_passed``; the caller should then ``finalise_if_expired`` and commit), an
    answer of the wrong shape (``invalid``), a question not in this attempt (``not_found``).
    """
    now = _now(now)
    attempt_id = attempt if isinstance(attempt, int) else attempt.id
    _begin_write(session)
    connection = session.connection()  # Core statements on tables: no ORM execution layer needed
    dialect = connection.dialect.name
    row = connection.execute(_save_statement(dialect, "target"),
                          {"attempt_id": attempt_id, "user_id": user.id, "question_id": question_id}).first()
    if row is None:
        raise ContestError("not_found", N_("答卷不存在"))
    status, deadline, order, qtype, options, key = row
    seq = _check_seq(seq)
    if qtype is None:
        raise ContestError("not_found", N_("本卷没有这道题"))
    try:
        value = normalize_response(qtype, answer, option_count=len(options or []) or None, blank_count=_blank_count(qtype, key))
    except BankError as exc:
        raise ContestError("invalid", exc.message.template, **exc.message.params) from None
    value = _to_canonical(qtype, value, order)
    not_before = now - _grace(grace_seconds)
    remaining = max(0, math.floor((deadline - now).total_seconds()))
    if status == "in_progress" and deadline >= not_before:
        written = connection.execute(_save_statement(dialect, "upsert", seq is not None), {
            "attempt_id": attempt_id, "question_id": question_id, "answer": value, "seq": seq or 0, "saved_at": now,
            "not_before": not_before}).first()
        if written is not None:
            return SaveResult(now, remaining, True)
        # Not written although the attempt is open: a stale seq. (The state read above still holds:
        # SQLite's write lock or PostgreSQL's FOR SHARE keeps the attempt row as read until commit.)
        saved_at = session.scalar(select(Response.saved_at).where(Response.attempt_id == attempt_id, Response.question_id == question_id))
        return SaveResult(saved_at or now, remaining, False)
    if status != "in_progress":
        raise ContestError("attempt_finished", N_("答卷已交卷，不能再修改答案"))
    raise ContestError("deadline_passed", N_("答题时间已到，此答案未能保存；已保存的答案将自动交卷"))


# --- submit and finalise ----------------------------------------------------------------------

def _policy(session: Session, attempt: Attempt) -> tuple[MultiplePolicy, float | None]:
    """The multiple-choice policy and pass score that grade this attempt."""
    contest = session.get(Contest, attempt.contest_id) if attempt.contest_id is not None else None
    paper = contest.paper if contest is not None else (session.get(Paper, attempt.paper_id) if attempt.paper_id else None)
    policy = MultiplePolicy(paper.multiple_mode, paper.multiple_fraction) if paper is not None else MultiplePolicy()
    return policy, contest.pass_score if contest is not None else None


def _grade(session: Session, attempt_id: int) -> None:
    """Grade a just-finalised attempt: points per response, total, pass, time used. Runs once,
    in the transaction that flipped the status, by the caller whose conditional UPDATE won."""
    attempt = session.get(Attempt, attempt_id, populate_existing=True)
    policy, pass_score = _policy(session, attempt)
    questions = session.execute(
        select(AttemptQuestion.question_id, AttemptQuestion.points, QuestionVersion.type, QuestionVersion.answer)
        .join(QuestionVersion, QuestionVersion.id == AttemptQuestion.question_version_id)
        .where(AttemptQuestion.attempt_id == attempt_id)
    ).all()
    answers = dict(session.execute(select(Response.question_id, Response.answer).where(Response.attempt_id == attempt_id)).all())
    total, max_score, needs_marking, updates = 0.0, 0.0, False, []
    for question_id, points, qtype, key in questions:
        result = grade(SimpleNamespace(type=qtype, answer=key, points=points), answers.get(question_id), multiple_policy=policy)
        max_score += result.max_points
        total += result.points
        needs_marking = needs_marking or result.needs_marking
        if question_id in answers:
            updates.append({"attempt_id": attempt_id, "question_id": question_id, "points": result.points,
                            "correct": result.correct, "needs_marking": result.needs_marking})
    if updates:
        session.execute(update(Response), updates)
    ended = min(attempt.submitted_at or attempt.deadline, attempt.deadline)
    attempt.score = round(total, 2)
    attempt.max_score = round(max_score, 2)
    attempt.needs_marking = needs_marking
    attempt.passed = None if pass_score is None else attempt.score >= pass_score
    attempt.time_used_seconds = max(0, int((ended - attempt.started_at).total_seconds()))
    session.flush()


def submit_attempt(session: Session, user: User, attempt: Attempt, *, now: datetime | None = None,
                   grace_seconds: float = DEFAULT_GRACE_SECONDS, how: str = "submit") -> Attempt:
    """Finalise and grade, exactly once: ``UPDATE attempts SET status='submitted' WHERE id=? AND
    status='in_progress' AND deadline >= now - grace``; only the caller that changed the row
    grades. Calling again (or concurrently) returns the stored result. A submit arriving after
    deadline + grace finalises the attempt as ``expired`` with what was saved in time."""
    now = _now(now)
    if attempt.user_id != user.id:
        raise ContestError("not_found", N_("答卷不存在"))
    _begin_write(session)
    flipped = session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.status == "in_progress", Attempt.deadline >= now - _grace(grace_seconds))
        .values(status="submitted", submitted_at=now, finalised_by=how)
        .execution_options(synchronize_session=False)
    ).rowcount
    if flipped:
        _grade(session, attempt.id)
    else:
        finalise_if_expired(session, attempt, now=now, grace_seconds=grace_seconds, how="access")
    session.refresh(attempt)
    return attempt


def _expire(session: Session, attempt_id: int, not_before: datetime, how: str) -> bool:
    flipped = session.execute(
        update(Attempt)
        .where(Attempt.id == attempt_id, Attempt.status == "in_progress", Attempt.deadline < not_before)
        .values(status="expired", submitted_at=Attempt.deadline, finalised_by=how)
        .execution_options(synchronize_session=False)
    ).rowcount
    if flipped:
        _grade(session, attempt_id)
    return bool(flipped)


def finalise_if_expired(session: Session, attempt: Attempt, *, now: datetime | None = None,
                        grace_seconds: float = DEFAULT_GRACE_SECONDS, how: str = "access") -> bool:
    """If the attempt is in progress and past deadline + grace, finalise it (status ``expired``,
    graded with the responses saved in time); returns whether this call finalised it."""
    now = _now(now)
    if attempt.status != "in_progress" or attempt.deadline >= now - _grace(grace_seconds):
        return False
    _begin_write(session)
    done = _expire(session, attempt.id, now - _grace(grace_seconds), how)
    session.refresh(attempt)
    return done


def finalise_expired(session: Session, *, now: datetime | None = None, grace_seconds: float = DEFAULT_GRACE_SECONDS,
                     contest_id: int | None = None, how: str = "cli", limit: int | None = None) -> int:
    """Finalise every attempt past deadline + grace (of one contest, or all); returns how many.
    Each is flipped by its own conditional UPDATE, so a concurrent submit or another run of this
    never grades one twice. ``limit`` bounds one batch (the CLI commits batch by batch)."""
    now = _now(now)
    not_before = now - _grace(grace_seconds)
    _begin_write(session)
    stmt = select(Attempt.id).where(Attempt.status == "in_progress", Attempt.deadline < not_before).order_by(Attempt.id)
    if contest_id is not None:
        stmt = stmt.where(Attempt.contest_id == contest_id)
    if limit is not None:
        stmt = stmt.limit(limit)
    return sum(_expire(session, attempt_id, not_before, how) for attempt_id in list(session.scalars(stmt)))


# --- organizer and page signals ---------------------------------------------------------------

def extend_attempt(session: Session, actor: User | None, attempt: Attempt, *, minutes: int, now: datetime | None = None,
                   audit=None) -> Attempt:
    """Give one cadre ``minutes`` more (audit-logged); the contest's close still caps the deadline.
    Only for an attempt still in progress (a finalised one stays as graded)."""
    now = _now(now)
    _begin_write(session)
    contest = session.get(Contest, attempt.contest_id) if attempt.contest_id is not None else None
    if contest is None or not can_manage(session, actor, contest.org_unit_id):
        raise ContestError("not_found", N_("答卷不存在"))
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= 24 * 60:
        raise ContestError("invalid", N_("延长时间应为 1 到 1440 分钟"))
    locked = session.scalar(select(Attempt).where(Attempt.id == attempt.id).with_for_update().execution_options(populate_existing=True))
    if locked.status != "in_progress":
        raise ContestError("attempt_finished", N_("该答卷已交卷，不能再延长时间"))
    before = {"extra_seconds": locked.extra_seconds, "deadline": locked.deadline.isoformat()}
    locked.extra_seconds += minutes * 60
    locked.deadline = contest.deadline_for(locked.started_at, locked.extra_seconds)
    session.flush()
    if audit is not None:
        audit("attempt.extend", target=locked, org_unit_id=contest.org_unit_id,
              summary=f"{contest.title}：答卷 {locked.id} 延长 {minutes} 分钟",
              before=before, after={"extra_seconds": locked.extra_seconds, "deadline": locked.deadline.isoformat()})
    return locked


def record_integrity(session: Session, user: User, attempt: Attempt, *, tab_switches: int | None = None,
                     pastes: int | None = None, now: datetime | None = None,
                     grace_seconds: float = DEFAULT_GRACE_SECONDS) -> Attempt:
    """Store the page's cumulative counters as max(stored, sent): a retried or reordered event
    from the offline queue never double-counts. Counters the contest does not count are ignored.
    When ``auto_submit_after_switches`` is reached the attempt is submitted (``finalised_by='integrity'``)."""
    now = _now(now)
    if attempt.user_id != user.id:
        raise ContestError("not_found", N_("答卷不存在"))
    _begin_write(session)
    contest = session.get(Contest, attempt.contest_id) if attempt.contest_id is not None else None
    values: dict[str, Any] = {}
    for name, sent, counted in (("tab_switches", tab_switches, contest is None or contest.count_tab_switches),
                                ("pastes", pastes, contest is None or contest.count_pastes)):
        if sent is None or not counted:
            continue
        if isinstance(sent, bool) or not isinstance(sent, int) or not 0 <= sent <= 1_000_000:
            raise ContestError("invalid", N_("切屏和粘贴次数应为不小于 0 的整数"))
        column = getattr(Attempt, name)
        values[name] = case((column < sent, sent), else_=column)
    if values:
        session.execute(update(Attempt).where(Attempt.id == attempt.id, Attempt.status == "in_progress").values(**values)
                        .execution_options(synchronize_session=False))
    session.refresh(attempt)
    limit = contest.auto_submit_after_switches if contest is not None else None
    if limit and attempt.status == "in_progress" and attempt.tab_switches >= limit:
        submit_attempt(session, user, attempt, now=now, grace_seconds=grace_seconds, how="integrity")
    return attempt


def override_points(session: Session, actor: User | None, attempt: Attempt, question_id: int, points: float, *,
                    note: str = "", now: datetime | None = None, audit=None) -> Attempt:
    """A marker sets one response's points by hand (a short answer waiting for marking, or a
    correction), audit-logged; the attempt's score, pass and ``needs_marking`` follow. Only an
    organizer who manages the contest, only on a finalised attempt, 0 <= points <= the question's."""
    now = _now(now)
    _begin_write(session)
    contest = session.get(Contest, attempt.contest_id) if attempt.contest_id is not None else None
    if contest is None or not can_manage(session, actor, contest.org_unit_id):
        raise ContestError("not_found", N_("答卷不存在"))
    locked = session.scalar(select(Attempt).where(Attempt.id == attempt.id).with_for_update().execution_options(populate_existing=True))
    if locked.status == "in_progress":
        raise ContestError("conflict", N_("答卷尚未交卷，不能评分"))
    maximum = session.scalar(select(AttemptQuestion.points).where(AttemptQuestion.attempt_id == attempt.id,
                                                                  AttemptQuestion.question_id == question_id))
    if maximum is None:
        raise ContestError("not_found", N_("本卷没有这道题"))
    if isinstance(points, bool) or not isinstance(points, (int, float)) or not 0 <= points <= maximum:
        raise ContestError("invalid", N_("得分应在 0 到 %(max)s 之间"), max=f"{maximum:g}")
    response = session.get(Response, (attempt.id, question_id))
    if response is None:  # unanswered: a marker may still award points (a correction)
        response = Response(attempt_id=attempt.id, question_id=question_id, answer=None, seq=0, saved_at=locked.submitted_at or now,
                            points=0.0, correct=False)
        session.add(response)
    before = {"points": response.effective_points}
    response.override_points = round(float(points), 2)
    response.override_by = actor.id if actor is not None else None
    response.override_at = now
    response.override_note = (note or "").strip()[:500]
    session.flush()
    rows = session.execute(select(Response.points, Response.override_points, Response.needs_marking)
                           .where(Response.attempt_id == attempt.id)).all()
    locked.score = round(sum((o if o is not None else (p or 0.0)) for p, o, _m in rows), 2)
    locked.needs_marking = any(m and o is None for _p, o, m in rows)
    locked.passed = None if contest.pass_score is None else locked.score >= contest.pass_score
    session.flush()
    if audit is not None:
        audit("attempt.mark", target=locked, org_unit_id=contest.org_unit_id,
              summary=f"{contest.title}：答卷 {locked.id} 第 {question_id} 题评分", before=before,
              after={"points": response.override_points, "note": response.override_note})
    return locked


# --- what the page sees -----------------------------------------------------------------------

def iso(value: datetime | None) -> str | None:
    """Naive UTC as ISO 8601 with a Z: 2026-11-25T03:00:00.000Z."""
    return None if value is None else value.isoformat(timespec="milliseconds") + "Z"


def attempt_payload(session: Session, attempt: Attempt, *, now: datetime, with_responses: bool = True) -> dict[str, Any]:
    """The attempt as the API and the attempt page show it. Never contains an answer key,
    explanation or correctness: questions carry only id, position, type, stem, options
    (display key and text), blank count and points; responses carry the cadre's own answers in
    display keys. The result (score, passed) appears only once finalised and released."""
    rows = session.execute(
        select(AttemptQuestion.question_id, AttemptQuestion.position, AttemptQuestion.points, AttemptQuestion.option_order,
               QuestionVersion.type, QuestionVersion.stem, QuestionVersion.options, QuestionVersion.answer)
        .join(QuestionVersion, QuestionVersion.id == AttemptQuestion.question_version_id)
        .where(AttemptQuestion.attempt_id == attempt.id).order_by(AttemptQuestion.position)
    ).all()
    questions, types = [], {}
    for question_id, position, points, order, qtype, stem, options, key in rows:
        shown = [options[i] for i in order] if order else list(options or [])
        questions.append({
            "id": question_id, "position": position, "type": qtype, "stem": stem,
            "options": [{"key": OPTION_KEYS[i], "text": text} for i, text in enumerate(shown)] if qtype in CHOICE_TYPES else [],
            "blanks": _blank_count(qtype, key) or 0, "points": points,
        })
        types[question_id] = (qtype, order)
    payload: dict[str, Any] = {
        "id": attempt.id, "contest_id": attempt.contest_id, "kind": attempt.kind, "number": attempt.number,
        "status": attempt.status, "started_at": iso(attempt.started_at), "deadline": iso(attempt.deadline),
        "server_time": iso(now), "remaining_seconds": remaining_seconds(attempt, now) if attempt.status == "in_progress" else 0,
        "questions": questions, "responses": {},
    }
    if with_responses:
        for question_id, value, seq, saved_at in session.execute(
            select(Response.question_id, Response.answer, Response.seq, Response.saved_at).where(Response.attempt_id == attempt.id)
        ):
            qtype, order = types.get(question_id, (None, None))
            payload["responses"][str(question_id)] = {"value": _to_display(qtype, value, order), "seq": seq, "saved_at": iso(saved_at)}
    payload["result"] = result_payload(session, attempt, now=now) if attempt.status != "in_progress" else None
    return payload


def result_payload(session: Session, attempt: Attempt, *, now: datetime) -> dict[str, Any]:
    """{"status", "score", "max_score", "passed", "released"}: score and pass only when the
    contest's release setting allows (mock exams: at once)."""
    contest = session.get(Contest, attempt.contest_id) if attempt.contest_id is not None else None
    released = attempt.status != "in_progress" and (contest is None or contest.results_visible(now))
    return {
        "status": attempt.status,
        "score": attempt.score if released else None,
        "max_score": attempt.max_score if released else None,
        "passed": attempt.passed if released else None,
        "needs_marking": attempt.needs_marking if released else None,
        "released": released,
    }
