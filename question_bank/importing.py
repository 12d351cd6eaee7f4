"""Import a parsed file into a bank (plan, then commit all or nothing) and export a bank to a file.

The flow (page and CLI): ``formats.read`` parses the upload into drafts; ``plan_import`` checks
every draft and finds duplicates, and is what the preview shows; ``commit_import`` writes the
plan, refusing the whole file while any problem remains (DESIGN.md: nothing is half-imported).
Build the plan and commit it in the same transaction: the plan's duplicate findings are read
once, at planning time.

Duplicates are questions whose stems are equal after ``models.normalize_stem`` (NFKC, no
whitespace, punctuation or symbols, casefolded): one already in the bank (named by question id)
or an earlier one in the same file (named by line). ``duplicate_policy`` decides: ``"skip"``
leaves them out (each listed as skipped with the reason), ``"new_version"`` adds the draft as a
new version of the question it duplicates.

Speed: a file of 10,000 questions must import in at most twice the time openpyxl takes to read
it (``make bench``). So the commit reads the bank's stem hashes, subjects and knowledge points
once each, allocates all ids up front (no RETURNING) and writes with a handful of statements,
never an ORM object per row: on PostgreSQL the new questions, already naming their current
versions, and the versions stream in with COPY (``insert_questions_and_versions``), as do the
knowledge-point links; on SQLite a few executemany. Parsing, planning and committing
run with the cyclic garbage collector paused (``bulk.gc_paused``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.orm import Session, selectinload

from question_bank import formats
from question_bank.bulk import bulk_insert, with_gc_paused
from question_bank.db import utcnow
from question_bank.drafts import QUESTION_TYPES, ParseResult, Problem, QuestionDraft, Skipped
from question_bank.messages import BankError, Message, N_
from question_bank.models import (
    NAME_MAX, STATUSES, Bank, Question, QuestionVersion, clean_name, normalize_name, stem_hash, version_knowledge_points,
)
from question_bank.services import (
    Actor,
    Audit,
    _chunks,
    _log,
    knowledge_points_by_name,
    require_manage,
    subjects_by_name,
    version_to_draft,
)
from question_bank.validation import normalize_draft

DUPLICATE_POLICIES = ("skip", "new_version")
FORMAT_ALIASES = {"xml": "moodle_xml", "moodle-xml": "moodle_xml", "excel": "xlsx", "word": "docx", "yf-exam": "yfexam"}
EXPORT_FORMATS = ("xlsx", "gift", "moodle_xml")


def resolve_format(name: str) -> str:
    """The registry name for what a user typed (``xml`` is Moodle XML); ``auto`` stays ``auto``."""
    key = (name or "auto").strip().lower()
    return FORMAT_ALIASES.get(key, key)


# --- planning ---------------------------------------------------------------------------------

@dataclass
class PlannedQuestion:
    """One draft of the file as it will be imported: cleaned, with its problems and duplicates."""

    position: int  # 1-based order in the file
    draft: QuestionDraft  # cleaned (canonical answer, trimmed texts)
    problems: list[Message]
    stem_hash: str
    existing_question_id: int | None = None  # same stem already in the bank
    same_as: PlannedQuestion | None = None  # first earlier draft of the file with the same stem
    repeated_at: list[int] = field(default_factory=list)  # positions of later drafts with this stem
    source_article_id: int | None = None  # the material article its 出处 resolves to (materials.sources.resolve_sources)

    @property
    def line(self) -> int | None:
        return self.draft.line

    @property
    def is_duplicate(self) -> bool:
        return self.existing_question_id is not None or self.same_as is not None

    def duplicate_reason(self, *, skipped: bool = False) -> Message | None:
        """Why this draft is a duplicate, naming the other question by id or by line."""
        if self.existing_question_id is not None:
            template = N_("与题库中已有的题目（编号 %(id)d）题干相同，已跳过") if skipped else N_("与题库中已有的题目（编号 %(id)d）题干相同")
            return Message(template, {"id": self.existing_question_id})
        if self.same_as is not None:
            if self.same_as.line is not None:
                template = N_("与第 %(other)d 行的题目题干相同，已跳过") if skipped else N_("与第 %(other)d 行的题目题干相同")
                return Message(template, {"other": self.same_as.line})
            template = N_("与文件中第 %(other)d 题题干相同，已跳过") if skipped else N_("与文件中第 %(other)d 题题干相同")
            return Message(template, {"other": self.same_as.position})
        return None


@dataclass
class ImportPlan:
    bank_id: int
    format: str
    items: list[PlannedQuestion]
    file_problems: list[Problem]  # problems the reader found (a row it could not turn into a draft)
    skipped: list[Skipped]  # items of types the bank does not have
    unresolved_sources: list = field(default_factory=list)  # 出处 citing an article no material has: warnings only

    @property
    def problems(self) -> list[Problem]:
        """Every problem, file-level first, then by line."""
        found = list(self.file_problems)
        for item in self.items:
            found += [Problem(item.line, message) for message in item.problems]
        return sorted(found, key=lambda p: (p.line is not None, p.line or 0))

    @property
    def ok(self) -> bool:
        return not self.file_problems and not any(item.problems for item in self.items)

    @property
    def duplicates(self) -> list[PlannedQuestion]:
        return [item for item in self.items if item.is_duplicate]

    def counts_by_type(self) -> dict[str, int]:
        counts = dict.fromkeys(QUESTION_TYPES, 0)
        for item in self.items:
            counts[item.draft.type] = counts.get(item.draft.type, 0) + 1
        return counts


def existing_stem_hashes(session: Session, bank_id: int) -> dict[str, int]:
    """{stem hash: lowest question id} for every question of the bank, retired ones too, in one query."""
    found: dict[str, int] = {}
    for digest, question_id in session.execute(
        select(Question.stem_hash, Question.id).where(Question.bank_id == bank_id).order_by(Question.id.desc())
    ):
        found[digest] = question_id
    return found


def category_point(category: str) -> str:
    """The knowledge point a draft's category becomes: the category path as the file names it
    (GIFT ``$CATEGORY``, a Moodle category, a Word section heading, yf-exam's 所属题库), or, when
    that is longer than a name may be, its last path segments that fit. A category without a
    letter (yf-exam may give its repositories' numeric ids) names nothing and becomes nothing."""
    name = clean_name(category or "").strip("/ ")
    if not any(ch.isalpha() for ch in name):
        return ""
    if len(name) <= NAME_MAX:
        return name
    parts = [p.strip() for p in name.split("/") if p.strip()]
    kept = parts[-1][:NAME_MAX]
    for part in reversed(parts[:-1]):
        if len(part) + 1 + len(kept) > NAME_MAX:
            break
        kept = f"{part}/{kept}"
    return kept


def add_category_point(draft: QuestionDraft) -> None:
    """Keep a draft's category (the model has no such field) as one more knowledge point of the
    question, unless it already has a knowledge point of that name."""
    point = category_point(draft.category)
    if point and normalize_name(point) not in {normalize_name(k) for k in draft.knowledge_points}:
        draft.knowledge_points.append(point)


@with_gc_paused
def plan_import(session: Session, bank: Bank, parse_result: ParseResult) -> ImportPlan:
    """Check every draft and find duplicates in the bank and within the file; writes nothing."""
    existing = existing_stem_hashes(session, bank.id)
    first_seen: dict[str, PlannedQuestion] = {}
    items: list[PlannedQuestion] = []
    for position, draft in enumerate(parse_result.drafts, start=1):
        cleaned, problems = normalize_draft(draft)
        add_category_point(cleaned)
        digest = stem_hash(cleaned.stem)
        item = PlannedQuestion(position, cleaned, problems, digest, existing_question_id=existing.get(digest))
        first = first_seen.get(digest)
        if first is None:
            first_seen[digest] = item
        else:
            item.same_as = first
            first.repeated_at.append(position)
        items.append(item)
    from question_bank.materials.sources import resolve_sources

    unresolved = resolve_sources(session, bank, items)
    return ImportPlan(bank.id, parse_result.format, items, list(parse_result.problems), list(parse_result.skipped), unresolved)


# --- committing -------------------------------------------------------------------------------

def allocate_ids(session: Session, model: type, n: int) -> list[int]:
    """``n`` fresh primary keys for ``model``'s table, so a bulk INSERT needs no RETURNING.

    PostgreSQL: taken from the column's sequence in one query (never reused, safe with concurrent
    writers). SQLite: the ids after the largest one, which is what SQLite itself would assign; only
    one transaction writes at a time, and one whose read went stale fails instead of colliding.
    (RETURNING over executemany costs more than parsing the file on psycopg, hence this.)
    """
    if n <= 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        ids = session.scalar(
            text("SELECT array_agg(nextval(pg_get_serial_sequence(:table, 'id'))) FROM generate_series(1, :n)"),
            {"table": model.__tablename__, "n": n},
        )
        return sorted(ids)
    top = session.scalar(select(func.max(model.id))) or 0
    return list(range(top + 1, top + n + 1))


QUESTION_COLUMNS = ("id", "bank_id", "status", "needs_review", "review_reason", "current_version_id", "stem_hash",
                    "created_at", "updated_at")
VERSION_COLUMNS = ("id", "question_id", "number", "type", "stem", "options", "answer", "explanation", "difficulty",
                   "points", "subject_id", "source", "source_article_id", "locked", "created_by", "created_at")


def insert_questions_and_versions(session: Session, question_rows: list[tuple], version_rows: list[tuple], now) -> None:
    """INSERT new questions (``QUESTION_COLUMNS``, each already naming its current version) and
    versions (``VERSION_COLUMNS``, of these questions or of existing ones).

    Questions and versions point at each other through foreign keys. On PostgreSQL the question's
    key to its current version is deferrable (migration 0009): it is deferred while both tables are
    streamed in with COPY, each question written once with its current version, and checked
    straight after, so a broken reference raises here and not at the commit. SQLite cannot take
    that check back before the commit, so there the questions are written first without their
    current version, then the versions, then one executemany UPDATE sets it.
    """
    if not question_rows and not version_rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET CONSTRAINTS {CURRENT_VERSION_KEY} DEFERRED"))
        bulk_insert(session, Question.__table__, QUESTION_COLUMNS, question_rows)
        bulk_insert(session, QuestionVersion.__table__, VERSION_COLUMNS, version_rows)
        session.execute(text(f"SET CONSTRAINTS {CURRENT_VERSION_KEY} IMMEDIATE"))
        return
    current = QUESTION_COLUMNS.index("current_version_id")
    bulk_insert(session, Question.__table__, QUESTION_COLUMNS, [row[:current] + (None,) + row[current + 1:] for row in question_rows])
    bulk_insert(session, QuestionVersion.__table__, VERSION_COLUMNS, version_rows)
    set_current_versions(session, {row[0]: row[current] for row in question_rows}, now)


CURRENT_VERSION_KEY = "fk_questions_current_version_id_question_versions"  # deferrable, see the migration 0009


def set_current_versions(session: Session, newest: dict[int, int], now) -> None:
    """Point each question id of ``newest`` at its version id, in one statement on PostgreSQL
    (``UPDATE … FROM unnest(ids, version ids)``) and one executemany by primary key elsewhere."""
    if not newest:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("UPDATE questions SET current_version_id = u.version_id, updated_at = :now "
                 "FROM unnest(CAST(:question_ids AS INTEGER[]), CAST(:version_ids AS INTEGER[])) AS u(question_id, version_id) "
                 "WHERE questions.id = u.question_id"),
            {"now": now, "question_ids": list(newest), "version_ids": list(newest.values())},
        )
        return
    table = Question.__table__
    session.execute(
        table.update().where(table.c.id == bindparam("b_id")).values(current_version_id=bindparam("b_version"), updated_at=now),
        [{"b_id": qid, "b_version": vid} for qid, vid in newest.items()],
    )


@dataclass
class ImportOutcome:
    counts: dict[str, int]  # questions written, by type (new questions and new versions)
    created: int  # new questions
    new_versions: int  # new versions of questions already in the bank (duplicate_policy="new_version")
    skipped: list[Skipped]  # the reader's skipped items and the duplicates left out, with reasons

    @property
    def total(self) -> int:
        return self.created + self.new_versions


@with_gc_paused
def commit_import(
    session: Session,
    actor: Actor | None,
    bank: Bank,
    plan: ImportPlan,
    duplicate_policy: str = "skip",
    *,
    status: str = "active",
    audit: Audit | None = None,
) -> ImportOutcome:
    """Write the plan into ``bank`` all or nothing; refuses (raises ``BankError``) while the plan has problems."""
    require_manage(session, actor, bank)
    if duplicate_policy not in DUPLICATE_POLICIES:
        raise BankError(N_("重复题目的处理方式“%(policy)s”无法识别，应为 skip 或 new_version"), policy=duplicate_policy)
    if status not in STATUSES:
        raise BankError(N_("题目状态“%(status)s”无法识别"), status=status)
    if plan.bank_id != bank.id:
        raise BankError(N_("导入预览属于另一个题库，请重新上传"))
    if not plan.ok:
        raise BankError(N_("文件中有 %(n)d 处问题，未导入任何题目；请修改后重新导入"), n=len(plan.problems))
    if bank.archived:
        raise BankError(N_("题库“%(name)s”已归档，不能导入题目"), name=bank.name)

    skipped = list(plan.skipped)
    fresh: list[PlannedQuestion] = []  # each becomes a new question
    revisions: list[tuple[PlannedQuestion, PlannedQuestion | int]] = []  # (item, first item of the file or existing id)
    for item in plan.items:
        if item.is_duplicate and duplicate_policy == "skip":
            skipped.append(Skipped(item.line, "duplicate", item.duplicate_reason(skipped=True)))
        elif item.existing_question_id is not None:
            revisions.append((item, item.existing_question_id))
        elif item.same_as is not None:
            first = item.same_as
            revisions.append((item, first.existing_question_id if first.existing_question_id is not None else first))
        else:
            fresh.append(item)

    writing = fresh + [item for item, _ in revisions]
    subjects = subjects_by_name(session, [i.draft.subject for i in writing if i.draft.subject])
    kps = knowledge_points_by_name(session, [n for i in writing for n in i.draft.knowledge_points])
    now = utcnow()
    actor_id = actor.id if actor is not None else None

    # 1. ids for the new questions and for every version, allocated up front (see allocate_ids)
    ids = allocate_ids(session, Question, len(fresh))
    question_ids = {item.position: qid for item, qid in zip(fresh, ids)}  # item position -> question id

    # 2. version numbers: 1 for new questions, the next numbers for duplicates kept as versions
    targets = sorted({t if isinstance(t, int) else question_ids[t.position] for _, t in revisions})
    last_number: dict[int, int] = dict.fromkeys(ids, 1)  # highest number used so far
    for chunk in _chunks([t for t in targets if t not in last_number]):
        for qid, top in session.execute(
            select(QuestionVersion.question_id, func.max(QuestionVersion.number))
            .where(QuestionVersion.question_id.in_(chunk)).group_by(QuestionVersion.question_id)
        ):
            last_number[qid] = top or 0
    planned: list[tuple[PlannedQuestion, int, int]] = [(item, question_ids[item.position], 1) for item in fresh]
    for item, target in revisions:
        qid = target if isinstance(target, int) else question_ids[target.position]
        last_number[qid] = last_number.get(qid, 0) + 1
        planned.append((item, qid, last_number[qid]))
    version_ids = allocate_ids(session, QuestionVersion, len(planned))

    # 3. each question's current version: the last one written for it, the highest id since ids
    #    are allocated in file order (a later duplicate in the file wins). The stem hash needs no
    #    update (duplicates share it).
    newest: dict[int, int] = {}
    for (_item, qid, _n), vid in zip(planned, version_ids):
        newest[qid] = vid

    # 4. write: new questions and all versions, then existing questions' new current versions,
    #    then the knowledge-point links
    subject_ids = {key: subject.id for key, subject in subjects.items()}
    subject_keys: dict[str, str] = {}  # subject as typed -> normalize_name(subject), once per spelling
    for item in writing:
        if item.draft.subject and item.draft.subject not in subject_keys:
            subject_keys[item.draft.subject] = normalize_name(item.draft.subject)
    question_rows = [(qid, bank.id, status, False, "", newest[qid], item.stem_hash, now, now) for item, qid in zip(fresh, ids)]
    version_rows = []
    for (item, qid, number), vid in zip(planned, version_ids):
        d = item.draft
        version_rows.append((
            vid, qid, number, d.type, d.stem, d.options, d.answer, d.explanation, d.difficulty, d.points,
            subject_ids.get(subject_keys[d.subject]) if d.subject else None, d.source,
            item.source_article_id, False, actor_id, now,
        ))
    insert_questions_and_versions(session, question_rows, version_rows, now)
    new_question_ids = set(ids)
    set_current_versions(session, {qid: vid for qid, vid in newest.items() if qid not in new_question_ids}, now)
    kp_ids: dict[str, int] = {}  # knowledge point as typed -> its id, normalised once per spelling
    links = []
    for (item, _qid, _n), vid in zip(planned, version_ids):
        for name in item.draft.knowledge_points:
            kp_id = kp_ids.get(name)
            if kp_id is None:
                kp_id = kp_ids[name] = kps[normalize_name(name)].id
            links.append((vid, kp_id))
    bulk_insert(session, version_knowledge_points, ("version_id", "knowledge_point_id"), links)
    # Questions of the bank already in this session now point at other versions: reload them when used.
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Question) and obj.id in newest:
            session.expire(obj)

    counts = dict.fromkeys(QUESTION_TYPES, 0)
    for item, _qid, _n in planned:
        counts[item.draft.type] += 1
    skipped.sort(key=lambda s: (s.line is not None, s.line or 0))
    outcome = ImportOutcome(counts=counts, created=len(fresh), new_versions=len(revisions), skipped=skipped)
    _log(audit, "bank.import", target=bank, org_unit_id=bank.org_unit_id,
         summary=f"{bank.name}：新增 {outcome.created} 题，新版本 {outcome.new_versions} 个，跳过 {len(skipped)} 项",
         after={"format": plan.format, "counts": counts, "created": outcome.created,
                "new_versions": outcome.new_versions, "skipped": len(skipped)})
    return outcome


# --- export -----------------------------------------------------------------------------------

def bank_drafts(session: Session, bank: Bank, *, include_retired: bool = False) -> list[QuestionDraft]:
    """The current version of every question of the bank as drafts, in question order."""
    stmt = (
        select(Question)
        .where(Question.bank_id == bank.id, Question.current_version_id.is_not(None))
        .options(
            selectinload(Question.current_version).options(
                selectinload(QuestionVersion.knowledge_points), selectinload(QuestionVersion.subject)
            )
        )
        .order_by(Question.id)
    )
    if not include_retired:
        stmt = stmt.where(Question.status != "retired")
    return [version_to_draft(q.current_version) for q in session.scalars(stmt)]


def export_bank(session: Session, bank: Bank, format: str, *, include_retired: bool = False) -> bytes:
    """The bank as a file in ``format`` (xlsx, gift, moodle_xml/xml); retired questions are left out
    unless asked for. Access is the caller's: export only banks the user manages."""
    name = resolve_format(format)
    if name not in EXPORT_FORMATS:
        raise BankError(N_("不能导出为 %(name)s 格式，可选 xlsx、gift、xml"), name=format)
    return formats.write(name, bank_drafts(session, bank, include_retired=include_retired))


def read_for_import(data: bytes, filename: str = "", format: str = "auto") -> ParseResult:
    """``formats.read`` with the user's format names (``xml`` for Moodle XML)."""
    return formats.read(data, filename, resolve_format(format))


__all__ = [
    "DUPLICATE_POLICIES", "EXPORT_FORMATS", "ImportOutcome", "ImportPlan", "PlannedQuestion", "bank_drafts",
    "commit_import", "export_bank", "plan_import", "read_for_import", "resolve_format", "version_to_draft",
]
