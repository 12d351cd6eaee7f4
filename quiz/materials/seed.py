"""Demo data for materials: our own sample regulation in two editions, questions citing it, drafts.

``quiz/data/demo-material-2023.txt`` and ``demo-material-2025.txt`` are a fictional
《组织工作学习管理办法（示例）》 written for this platform (each says so in its second line). The
first edition is loaded, a dozen questions of the demo bank cite its articles, then the second
edition is loaded as a revision: the questions citing renumbered articles follow them, and the
ones citing the changed, split or removed articles are flagged 需复核, so the material pages and
the bank's 需复核 filter have something to show. A few articles' drafts wait in the review queue.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from question_bank.drafts import QuestionDraft
from question_bank.materials.models import MaterialArticle
from question_bank.materials.draft_queue import generate_drafts
from question_bank.materials.services import LoadOutcome, add_edition, create_material
from question_bank.models import Bank, Subject
from question_bank.services import create_question

DATA = Path(__file__).resolve().parent.parent / "data"
DEMO_MATERIAL_TITLE = "组织工作学习管理办法（示例）"
FIRST_EDITION = DATA / "demo-material-2023.txt"
SECOND_EDITION = DATA / "demo-material-2025.txt"

_CITE = f"《{DEMO_MATERIAL_TITLE}》"

# (type, stem, options, answer, explanation, article cited in the 2023 edition) -- what the
# 2025 edition does to that article is in the comment.
DEMO_QUESTIONS = [
    ("multiple", "根据《组织工作学习管理办法（示例）》，下列人员中适用该办法的有（ ）。",
     ["在编干部", "借调人员", "挂职干部", "离退休干部"], "ABC", "第二条：包括在编干部、借调人员和挂职干部。", "第二条"),  # unchanged
    ("fill_blank", "根据《组织工作学习管理办法（示例）》，部理论学习中心组每季度至少集中学习（ ）。",
     [], "一次/1次", "第八条：每季度至少集中学习一次。", "第八条"),  # changed: 两次
    ("multiple", "根据《组织工作学习管理办法（示例）》，集中学习可以采取的形式有（ ）。",
     ["专题辅导", "研讨交流", "现场教学", "网络培训"], "ABCD", "第十条列举了这四种形式。", "第十条"),  # split in two
    ("single", "根据《组织工作学习管理办法（示例）》，各处室每月至少组织集中学习（ ）。",
     ["一次", "两次", "三次", "四次"], "A", "第十一条：每月至少组织一次集中学习，每次不少于2小时。", "第十一条"),  # renumbered
    ("single", "机关党支部应当落实的学习制度是（ ）。",
     ["“三会一课”", "述职述廉", "个人有关事项报告", "函询"], "A", "第十二条：机关党支部应当落实“三会一课”制度。", "第十二条"),  # renumbered
    ("true_false", "新调入组织部门的干部，应当在到岗后三个月内参加岗前培训。",
     [], "对", "第十四条：到岗后三个月内参加岗前培训。", "第十四条"),  # renumbered
    ("true_false", "经部务会批准参加学历教育的，可以报销学费的百分之五十。",
     [], "对", "第十五条。", "第十五条"),  # removed
    ("single", "根据《组织工作学习管理办法（示例）》，年度学习考核（ ）以上为合格。",
     ["50分", "60分", "70分", "80分"], "B", "第十七条：60分以上为合格，90分以上为优秀。", "第十七条"),  # changed: 70分
    ("fill_blank", "年度学习考核优秀等次的人数一般不超过参加考核人数的（ ）。",
     [], "百分之二十/20%", "第十八条。", "第十八条"),  # renumbered
    ("true_false", "年度学习考核不合格的，应当在三个月内参加补考。",
     [], "对", "第二十条。", "第二十条"),  # changed: 一个月内
    ("single", "组织工作知识题库每年至少更新（ ）。",
     ["一次", "两次", "三次", "四次"], "A", "第二十三条：题库每年至少更新一次。", "第二十三条"),  # moved to 第三章, renumbered
    ("fill_blank", "办公室每（ ）对各处室的学习情况进行一次检查。",
     [], "半年", "第二十六条。", "第二十六条"),  # renumbered
]


def seed_demo_materials(session: Session, organizer, bank: Bank | None) -> LoadOutcome | None:
    """Load both editions of the demo material as ``organizer``, with questions in ``bank`` citing it."""
    if bank is None:
        return None
    subject_id = session.scalar(select(Subject.id).where(Subject.name == "业务"))
    first = create_material(
        session, organizer, title=DEMO_MATERIAL_TITLE, text=FIRST_EDITION.read_text(encoding="utf-8"),
        org_unit_id=bank.org_unit_id, issuer="演示部务会议", edition_name="2023年版（示例）", issued_on=date(2023, 3, 1),
        subject_id=subject_id, filename=FIRST_EDITION.name,
    )
    for qtype, stem, options, answer, explanation, label in DEMO_QUESTIONS:
        create_question(session, organizer, bank, QuestionDraft(
            type=qtype, stem=stem, options=list(options), answer=answer, explanation=explanation, difficulty=2,
            subject="业务", knowledge_points=["学习管理"], source=f"{_CITE}{label}",
        ))
    outcome = add_edition(
        session, organizer, first.material, text=SECOND_EDITION.read_text(encoding="utf-8"),
        edition_name="2025年修订（示例）", issued_on=date(2025, 6, 1), filename=SECOND_EDITION.name,
    )
    picked = session.scalars(
        select(MaterialArticle.id).where(MaterialArticle.edition_id == outcome.edition.id, MaterialArticle.ref.in_(
            ["第九条", "第十三条", "第十九条", "第二十一条", "第二十三条"]))
    ).all()
    generate_drafts(session, organizer, outcome.material, picked)
    return outcome
