"""Bank operations: banks, questions and their versions, search and bulk actions.

Every function takes ``(session, actor, ...)``, flushes, raises ``BankError`` with a Chinese
message the organizer can act on, and never commits: the caller (a request, a CLI command) owns
the transaction.

Actor. ``actor`` is the application's user (``quiz.accounts.models.User``), used through three
attributes only: ``id``, ``org_unit`` (with ``id`` and ``path``, the materialised "/1/5/12/")
and ``has_role(*roles)``. ``None`` means the system itself (CLI without ``--as``, seed data):
no reach check applies.

Sharing rule (who sees which bank):
- A bank is owned by a unit and *shared down its subtree*: anyone whose unit is the owner or lies
  below it may **use** (read) the bank: pick its questions for a contest, practise from it
  (practice leaves out 保密 banks).
- An organizer **manages** (creates, edits, imports into, exports, archives) the banks owned by
  units in their own subtree, never above it: a county organizer uses the province's bank but
  cannot change it.
So ``banks_visible_to(organizer)`` = banks of their unit and its ancestors (to use) + banks of
units in their subtree (to manage); for anyone else only the first part. The subtree test is the
same range scan on ``org_units.path`` as ``quiz.accounts.scope``: this library cannot import
``quiz``, so it reads the two columns it needs through a lightweight ``table()`` clause.

Versioning rule (``edit_question``): when the current version is ``locked`` (some attempt has
shown it, see ``models.mark_used``), the edit becomes version n+1 and the question points at it;
older versions stay readable and unchanged. When the current version is not locked, it is updated
in place and keeps its number. The in-place write is one guarded UPDATE (``WHERE locked = false``),
so a version locked by a contest a moment earlier is never overwritten: the edit then falls back
to a new version. An edit that changes nothing writes nothing.

Audit. The library cannot import ``quiz.audit``; each writing function takes an optional
``audit`` callback and calls it once per logical change as
``audit(action, target=..., org_unit_id=..., summary=..., before=..., after=...)`` -- the
keyword signature of ``quiz.audit.services.record`` after its first two arguments, so the
application passes ``functools.partial(record, session, actor, ip_address=ip)``.
"""
from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Integer, Select, String, column, false, func, or_, select, table, update
from sqlalchemy.orm import Session, contains_eager, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from question_bank.db import utcnow
from question_bank.drafts import QuestionDraft
from question_bank.messages import BankError, N_
from question_bank.models import (
    BANK_NAME_MAX,
    NAME_MAX,
    STATUSES,
    Bank,
    KnowledgePoint,
    Question,
    QuestionVersion,
    Subject,
    clean_name,
    normalize_name,
    stem_hash,
    version_knowledge_points,
)
from question_bank.validation import InvalidQuestion, normalize_draft

MAX_PER_PAGE = 200
IN_CHUNK = 500  # ids per IN (...) list: well under SQLite's variable limit

Audit = Callable[..., Any]


class Actor(Protocol):  # what the library needs of the application's User
    id: int
    org_unit: Any

    def has_role(self, *roles: str) -> bool: ...


# The two columns of the application's unit tree the reach rules need (see the module docstring).
_org_units = table("org_units", column("id", Integer), column("path", String))


def _log(audit: Audit | None, action: str, **kwargs: Any) -> None:
    if audit is not None:
        audit(action, **kwargs)


def _chunks(items: Sequence[Any], size: int = IN_CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# --- reach ------------------------------------------------------------------------------------

def _subtree_range(path: str) -> tuple[str, str]:
    return path, path[:-1] + "0"  # '/' sorts just below '0'


def _ancestor_ids(path: str) -> list[int]:
    """'/1/5/12/' -> [1, 5, 12]: the unit itself and every unit above it."""
    return [int(part) for part in path.strip("/").split("/") if part]


def _is_organizer(actor: Actor) -> bool:
    return actor.has_role("organizer")


def unit_path(session: Session, unit_id: int) -> str | None:
    return session.scalar(select(_org_units.c.path).where(_org_units.c.id == unit_id))


def can_manage_unit(session: Session, actor: Actor | None, unit_id: int) -> bool:
    """May ``actor`` own banks at this unit? The system may; an organizer within their subtree."""
    if actor is None:
        return True
    if not _is_organizer(actor):
        return False
    path = unit_path(session, unit_id)
    return path is not None and path.startswith(actor.org_unit.path)


def can_manage_bank(session: Session, actor: Actor | None, bank: Bank) -> bool:
    return can_manage_unit(session, actor, bank.org_unit_id)


def can_use_bank(session: Session, actor: Actor | None, bank: Bank) -> bool:
    """May ``actor`` read the bank: owned by their unit or an ancestor, or one they manage."""
    if actor is None or bank.org_unit_id in _ancestor_ids(actor.org_unit.path):
        return True
    return can_manage_bank(session, actor, bank)


def require_manage(session: Session, actor: Actor | None, bank: Bank) -> None:
    if not can_manage_bank(session, actor, bank):
        raise BankError(N_("无权管理题库“%(name)s”"), name=bank.name)


def visible_banks_stmt(
    actor: Actor | None,
    *,
    include_archived: bool = False,
    include_confidential: bool = True,
    manage_only: bool = False,
) -> Select:
    """The banks ``actor`` may use (and, for organizers, manage); see the module's sharing rule."""
    stmt = select(Bank)
    if actor is not None:
        path = actor.org_unit.path
        reach = []
        if not manage_only:
            reach.append(Bank.org_unit_id.in_(_ancestor_ids(path)))
        if _is_organizer(actor):
            low, high = _subtree_range(path)
            reach.append(Bank.org_unit_id.in_(select(_org_units.c.id).where(_org_units.c.path >= low, _org_units.c.path < high)))
        stmt = stmt.where(or_(*reach) if reach else false())
    if not include_archived:
        stmt = stmt.where(Bank.archived.is_(False))
    if not include_confidential:
        stmt = stmt.where(Bank.confidential.is_(False))
    return stmt.order_by(Bank.name, Bank.id)


def banks_visible_to(session: Session, actor: Actor | None, **options: Any) -> list[Bank]:
    """Banks ``actor`` may use or manage, by name; options as ``visible_banks_stmt``."""
    return list(session.scalars(visible_banks_stmt(actor, **options)))


def banks_managed_by(session: Session, actor: Actor | None, *, include_archived: bool = False) -> list[Bank]:
    return list(session.scalars(visible_banks_stmt(actor, include_archived=include_archived, manage_only=True)))


# --- banks ------------------------------------------------------------------------------------

def _bank_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise BankError(N_("题库名称不能为空"))
    if len(name) > BANK_NAME_MAX:
        raise BankError(N_("题库名称不能超过 %(n)d 个字"), n=BANK_NAME_MAX)
    return name


def find_bank(session: Session, org_unit_id: int, name: str) -> Bank | None:
    return session.scalar(select(Bank).where(Bank.org_unit_id == org_unit_id, Bank.name == name.strip()))


def _check_name_free(session: Session, org_unit_id: int, name: str, exclude_id: int | None = None) -> None:
    found = find_bank(session, org_unit_id, name)
    if found is not None and found.id != exclude_id:
        raise BankError(N_("本单位已有名为“%(name)s”的题库"), name=name)


def create_bank(
    session: Session,
    actor: Actor | None,
    *,
    name: str,
    org_unit_id: int,
    description: str = "",
    confidential: bool = False,
    audit: Audit | None = None,
) -> Bank:
    name = _bank_name(name)
    if not can_manage_unit(session, actor, org_unit_id):
        raise BankError(N_("无权为该单位建立题库"))
    _check_name_free(session, org_unit_id, name)
    bank = Bank(
        name=name,
        description=(description or "").strip(),
        org_unit_id=org_unit_id,
        confidential=bool(confidential),
        created_by=actor.id if actor is not None else None,
    )
    session.add(bank)
    session.flush()
    _log(audit, "bank.create", target=bank, org_unit_id=org_unit_id, summary=name,
         after={"name": name, "confidential": bank.confidential})
    return bank


def _bank_state(bank: Bank) -> dict[str, Any]:
    return {"name": bank.name, "description": bank.description, "confidential": bank.confidential, "archived": bank.archived}


def update_bank(
    session: Session,
    actor: Actor | None,
    bank: Bank,
    *,
    name: str | None = None,
    description: str | None = None,
    confidential: bool | None = None,
    archived: bool | None = None,
    audit: Audit | None = None,
) -> Bank:
    """Change what is given (None leaves a field as it is)."""
    require_manage(session, actor, bank)
    before = _bank_state(bank)
    if name is not None:
        name = _bank_name(name)
        _check_name_free(session, bank.org_unit_id, name, exclude_id=bank.id)
        bank.name = name
    if description is not None:
        bank.description = description.strip()
    if confidential is not None:
        bank.confidential = bool(confidential)
    if archived is not None:
        bank.archived = bool(archived)
    after = _bank_state(bank)
    if after != before:
        session.flush()
        _log(audit, "bank.update", target=bank, org_unit_id=bank.org_unit_id, summary=bank.name, before=before, after=after)
    return bank


# --- subjects and knowledge points by name ----------------------------------------------------

def _wanted_names(names: Iterable[str]) -> dict[str, str]:
    """{normalised: shown} for ``names``; the first spelling of a name is the one a new row gets."""
    wanted: dict[str, str] = {}
    for name in names:
        shown = clean_name(name)
        if shown:
            wanted.setdefault(normalize_name(shown), shown)
    return wanted


def subjects_by_name(session: Session, names: Iterable[str], *, create: bool = True) -> dict[str, Subject]:
    """{normalize_name(name): Subject} for the names given, adding the missing ones when ``create``."""
    wanted = _wanted_names(names)
    if not wanted:
        return {}
    known = {normalize_name(s.name): s for s in session.scalars(select(Subject))}
    missing = [name for key, name in wanted.items() if key not in known]
    if missing and create:
        top = session.scalar(select(func.max(Subject.sort_order))) or 0
        new = [Subject(name=name, sort_order=top + i) for i, name in enumerate(missing, start=1)]
        session.add_all(new)
        session.flush()
        known.update({normalize_name(s.name): s for s in new})
    return {key: known[key] for key in wanted if key in known}


def knowledge_points_by_name(session: Session, names: Iterable[str], *, create: bool = True) -> dict[str, KnowledgePoint]:
    """{normalize_name(name): KnowledgePoint} for the names given, adding the missing ones when ``create``."""
    wanted = _wanted_names(names)
    found: dict[str, KnowledgePoint] = {}
    keys = list(wanted)
    for chunk in _chunks(keys):
        for kp in session.scalars(select(KnowledgePoint).where(KnowledgePoint.normalized_name.in_(chunk))):
            found[kp.normalized_name] = kp
    missing = [KnowledgePoint(name=wanted[k], normalized_name=k) for k in keys if k not in found]
    if missing and create:
        session.add_all(missing)
        session.flush()
        found.update({kp.normalized_name: kp for kp in missing})
    return found


def _subject_for(session: Session, name: str) -> Subject | None:
    return subjects_by_name(session, [name]).get(normalize_name(name)) if name else None


# --- questions --------------------------------------------------------------------------------

def _validated(draft: QuestionDraft) -> QuestionDraft:
    cleaned, problems = normalize_draft(draft)
    if problems:
        raise InvalidQuestion(problems)
    return cleaned


def _content(cleaned: QuestionDraft, subject: Subject | None, source_article_id: int | None = None) -> dict[str, Any]:
    """The version columns a draft sets (everything but identity, number, lock and authorship)."""
    return {
        "type": cleaned.type,
        "stem": cleaned.stem,
        "options": list(cleaned.options),
        "answer": cleaned.answer,
        "explanation": cleaned.explanation,
        "difficulty": cleaned.difficulty,
        "points": cleaned.points,
        "subject_id": subject.id if subject is not None else None,
        "source": cleaned.source,
        "source_article_id": source_article_id,
    }


def _version_content(version: QuestionVersion) -> dict[str, Any]:
    return {
        "type": version.type,
        "stem": version.stem,
        "options": list(version.options or []),
        "answer": version.answer,
        "explanation": version.explanation,
        "difficulty": version.difficulty,
        "points": version.points,
        "subject_id": version.subject_id,
        "source": version.source,
        "source_article_id": version.source_article_id,
    }


def version_to_draft(version: QuestionVersion) -> QuestionDraft:
    """A stored version as a draft again (for export, and for the edit form's starting values)."""
    return QuestionDraft(
        type=version.type,
        stem=version.stem,
        options=list(version.options or []),
        answer=copy.deepcopy(version.answer),
        explanation=version.explanation or "",
        difficulty=version.difficulty,
        points=version.points,
        subject=version.subject.name if version.subject is not None else "",
        knowledge_points=[kp.name for kp in version.knowledge_points],
        source=version.source or "",
    )


def _source_article(session: Session, bank: Bank, source: str) -> int | None:
    """The material article a 出处 resolves to (question_bank.materials), or None."""
    if not (source or "").strip():
        return None
    from question_bank.materials.sources import source_article_for

    return source_article_for(session, bank, source)


def create_question(
    session: Session,
    actor: Actor | None,
    bank: Bank,
    draft: QuestionDraft,
    *,
    status: str = "active",
    audit: Audit | None = None,
) -> Question:
    """A new question (version 1) from a draft; raises ``InvalidQuestion`` listing every problem."""
    require_manage(session, actor, bank)
    if status not in STATUSES:
        raise BankError(N_("题目状态“%(status)s”无法识别"), status=status)
    cleaned = _validated(draft)
    subject = _subject_for(session, cleaned.subject)
    kps = list(knowledge_points_by_name(session, cleaned.knowledge_points).values())
    question = Question(bank_id=bank.id, status=status, stem_hash=stem_hash(cleaned.stem))
    version = QuestionVersion(
        question=question, number=1, created_by=actor.id if actor is not None else None,
        knowledge_points=kps, **_content(cleaned, subject, _source_article(session, bank, cleaned.source)),
    )
    session.add_all([question, version])
    session.flush()
    question.current_version = version
    session.flush()
    _log(audit, "question.create", target=question, org_unit_id=bank.org_unit_id,
         summary=cleaned.stem[:80], after={"bank_id": bank.id, "type": cleaned.type})
    return question


def _new_version(session: Session, actor: Actor | None, question: Question, content: dict[str, Any],
                 kps: list[KnowledgePoint]) -> QuestionVersion:
    number = (session.scalar(select(func.max(QuestionVersion.number)).where(QuestionVersion.question_id == question.id)) or 0) + 1
    version = QuestionVersion(
        question_id=question.id, number=number, created_by=actor.id if actor is not None else None,
        knowledge_points=kps, **content,
    )
    session.add(version)
    session.flush()
    question.current_version = version
    question.stem_hash = stem_hash(content["stem"])
    question.updated_at = utcnow()
    session.flush()
    return version


def _apply(session: Session, actor: Actor | None, question: Question, content: dict[str, Any],
           kps: list[KnowledgePoint]) -> tuple[QuestionVersion, str]:
    """Write ``content`` by the versioning rule; returns (the version now current, what happened:
    "unchanged", "in_place" or "new_version")."""
    current = question.current_version
    if current is None:
        return _new_version(session, actor, question, content, kps), "new_version"
    if _version_content(current) == content and {k.id for k in current.knowledge_points} == {k.id for k in kps}:
        return current, "unchanged"
    # One guarded statement: if an attempt locked this version since we loaded it, nothing is written.
    result = session.execute(
        update(QuestionVersion)
        .where(QuestionVersion.id == current.id, QuestionVersion.locked.is_(False))
        .values(**content)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:
        for key, value in content.items():
            set_committed_value(current, key, value)
        current.knowledge_points = kps
        question.stem_hash = stem_hash(content["stem"])
        question.updated_at = utcnow()
        session.flush()
        return current, "in_place"
    session.expire(current)
    return _new_version(session, actor, question, content, kps), "new_version"


def edit_question(
    session: Session,
    actor: Actor | None,
    question: Question,
    draft: QuestionDraft,
    *,
    audit: Audit | None = None,
) -> QuestionVersion:
    """Change a question's content by the versioning rule (module docstring); returns the current version."""
    require_manage(session, actor, question.bank)
    cleaned = _validated(draft)
    subject = _subject_for(session, cleaned.subject)
    kps = list(knowledge_points_by_name(session, cleaned.knowledge_points).values())
    current = question.current_version
    before = current.number if current is not None else None
    if current is not None and (current.source or "") == cleaned.source:
        article_id = current.source_article_id  # 出处 untouched: keep the article it cites
    else:
        article_id = _source_article(session, question.bank, cleaned.source)
    version, outcome = _apply(session, actor, question, _content(cleaned, subject, article_id), kps)
    if outcome != "unchanged":
        _log(audit, "question.edit", target=question, org_unit_id=question.bank.org_unit_id,
             summary=cleaned.stem[:80], before={"version": before}, after={"version": version.number, "how": outcome})
        if question.needs_review:  # the edit is the review asked for by a revised source article
            from question_bank.materials.following import resolve_after_edit

            resolve_after_edit(session, actor, question, audit=audit)
    return version


def versions_of(session: Session, question: Question) -> list[QuestionVersion]:
    """Every version of a question, oldest first (the version history view)."""
    return list(session.scalars(
        select(QuestionVersion)
        .where(QuestionVersion.question_id == question.id)
        .options(selectinload(QuestionVersion.knowledge_points), selectinload(QuestionVersion.subject))
        .order_by(QuestionVersion.number)
    ))


def set_status(session: Session, actor: Actor | None, question: Question, status: str, *, audit: Audit | None = None) -> Question:
    """Retire, activate or return a question to draft."""
    bulk_set_status(session, actor, [question.id], status, audit=audit)
    return question


# --- bulk actions -----------------------------------------------------------------------------

def _load_for_bulk(session: Session, actor: Actor | None, question_ids: Iterable[int]) -> list[Question]:
    ids = sorted(set(question_ids))
    if not ids:
        raise BankError(N_("请先选择题目"))
    questions: list[Question] = []
    for chunk in _chunks(ids):
        questions += session.scalars(
            select(Question).where(Question.id.in_(chunk)).options(
                selectinload(Question.bank),
                selectinload(Question.current_version).selectinload(QuestionVersion.knowledge_points),
            )
        )
    missing = sorted(set(ids) - {q.id for q in questions})
    if missing:
        raise BankError(N_("题目不存在：%(ids)s"), ids="、".join(str(i) for i in missing[:20]))
    for bank in {q.bank_id: q.bank for q in questions}.values():
        require_manage(session, actor, bank)
    return sorted(questions, key=lambda q: q.id)


def _by_bank(questions: list[Question]) -> dict[int, list[Question]]:
    grouped: dict[int, list[Question]] = {}
    for q in questions:
        grouped.setdefault(q.bank_id, []).append(q)
    return grouped


def bulk_set_status(session: Session, actor: Actor | None, question_ids: Iterable[int], status: str,
                    *, audit: Audit | None = None) -> int:
    """Set the status of the chosen questions; returns how many changed. One audit entry per bank."""
    if status not in STATUSES:
        raise BankError(N_("题目状态“%(status)s”无法识别"), status=status)
    questions = _load_for_bulk(session, actor, question_ids)
    changed = [q for q in questions if q.status != status]
    now = utcnow()
    for q in changed:
        q.status = status
        q.updated_at = now
    session.flush()
    for qs in _by_bank(changed).values():
        bank = qs[0].bank
        _log(audit, f"question.{status}" if len(qs) == 1 else f"question.bulk_{status}", target=bank,
             org_unit_id=bank.org_unit_id, summary=f"{bank.name}：{len(qs)} 题",
             after={"status": status, "question_ids": [q.id for q in qs]})
    return len(changed)


def bulk_retire(session: Session, actor: Actor | None, question_ids: Iterable[int], *, audit: Audit | None = None) -> int:
    return bulk_set_status(session, actor, question_ids, "retired", audit=audit)


def bulk_tag(session: Session, actor: Actor | None, question_ids: Iterable[int], knowledge_point: str,
             *, audit: Audit | None = None) -> int:
    """Add a knowledge point to the chosen questions (created if new); returns how many gained it.

    Knowledge points belong to the version, so tagging follows the versioning rule: a locked
    current version gets a new version with the point added.
    """
    name = clean_name(knowledge_point)
    if not name:
        raise BankError(N_("请填写知识点"))
    if len(name) > NAME_MAX:
        raise BankError(N_("知识点“%(name)s”超过 %(n)d 个字"), name=name[:20], n=NAME_MAX)
    questions = _load_for_bulk(session, actor, question_ids)
    kp = knowledge_points_by_name(session, [name])[normalize_name(name)]
    tagged: list[Question] = []
    for q in questions:
        current = q.current_version
        if current is None or any(k.id == kp.id for k in current.knowledge_points):
            continue
        _apply(session, actor, q, _version_content(current), [*current.knowledge_points, kp])
        tagged.append(q)
    for qs in _by_bank(tagged).values():
        bank = qs[0].bank
        _log(audit, "question.bulk_tag", target=bank, org_unit_id=bank.org_unit_id,
             summary=f"{bank.name}：{len(qs)} 题加上知识点“{kp.name}”",
             after={"knowledge_point_id": kp.id, "question_ids": [q.id for q in qs]})
    return len(tagged)


def bulk_move(session: Session, actor: Actor | None, question_ids: Iterable[int], target: Bank,
              *, audit: Audit | None = None) -> int:
    """Move the chosen questions into ``target`` (a bank the actor manages); returns how many moved.

    Versions go with their question, so attempts that used them are unaffected.
    """
    require_manage(session, actor, target)
    if target.archived:
        raise BankError(N_("题库“%(name)s”已归档，不能移入题目"), name=target.name)
    questions = [q for q in _load_for_bulk(session, actor, question_ids) if q.bank_id != target.id]
    groups = _by_bank(questions)
    now = utcnow()
    for q in questions:
        q.bank_id = target.id
        q.bank = target
        q.updated_at = now
    session.flush()
    for source_id, qs in groups.items():
        _log(audit, "question.bulk_move", target=target, org_unit_id=target.org_unit_id,
             summary=f"{len(qs)} 题移入“{target.name}”",
             before={"bank_id": source_id}, after={"bank_id": target.id, "question_ids": [q.id for q in qs]})
    return len(questions)


# --- search -----------------------------------------------------------------------------------

@dataclass
class QuestionPage:
    questions: list[Question]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _id(value: Any) -> int | None:
    return value if isinstance(value, int) or value is None else value.id


def search_questions(
    session: Session,
    bank: Bank | int,
    q: str = "",
    type: str | None = None,
    subject: Subject | int | None = None,
    knowledge_point: KnowledgePoint | int | str | None = None,
    difficulty: int | None = None,
    status: str | None = None,
    source: str = "",
    needs_review: bool | None = None,
    page: int = 1,
    per_page: int = 50,
) -> QuestionPage:
    """One page of a bank's questions (their current versions), oldest first.

    ``q`` and ``source`` match anywhere in the stem / 出处 (LIKE, with % and _ taken literally);
    the other filters match exactly. The page loads the current versions, subjects and knowledge
    points in a fixed number of queries (count, page, and two IN loads), whatever its size.
    Access is the caller's: check ``can_use_bank``/``can_manage_bank`` first.
    """
    stmt = (
        select(Question)
        .join(QuestionVersion, Question.current_version_id == QuestionVersion.id)
        .where(Question.bank_id == _id(bank))
    )
    if q and q.strip():
        stmt = stmt.where(QuestionVersion.stem.icontains(q.strip(), autoescape=True))
    if type:
        stmt = stmt.where(QuestionVersion.type == type)
    if subject is not None:
        stmt = stmt.where(QuestionVersion.subject_id == _id(subject))
    if knowledge_point is not None:
        tagged = select(version_knowledge_points.c.version_id)
        if isinstance(knowledge_point, str):
            tagged = tagged.join(KnowledgePoint, KnowledgePoint.id == version_knowledge_points.c.knowledge_point_id).where(
                KnowledgePoint.normalized_name == normalize_name(knowledge_point)
            )
        else:
            tagged = tagged.where(version_knowledge_points.c.knowledge_point_id == _id(knowledge_point))
        stmt = stmt.where(QuestionVersion.id.in_(tagged))
    if difficulty is not None:
        stmt = stmt.where(QuestionVersion.difficulty == difficulty)
    if status:
        stmt = stmt.where(Question.status == status)
    if source and source.strip():
        stmt = stmt.where(QuestionVersion.source.icontains(source.strip(), autoescape=True))
    if needs_review is not None:
        stmt = stmt.where(Question.needs_review.is_(needs_review))
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page = max(1, page)
    questions = list(session.scalars(
        stmt.options(
            contains_eager(Question.current_version).options(
                selectinload(QuestionVersion.knowledge_points), selectinload(QuestionVersion.subject)
            )
        )
        .order_by(Question.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ))
    return QuestionPage(questions, total, page, per_page)
