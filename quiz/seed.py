"""Demo data for `quiz seed-demo`: the unit tree, accounts for every role, and (as features land) their data."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from question_bank import formats, services
from question_bank.importing import commit_import, plan_import
from question_bank.messages import BankError, N_

from quiz.accounts.models import OrgUnit, User
from quiz.accounts.passwords import hash_password
from quiz.accounts.units import add_unit
from quiz.demo import DEMO_KEY
from quiz.settings.models import set_setting

DEMO_PASSWORD = "zugong2026"
DEMO_BANK_FILE = Path(__file__).resolve().parent / "data" / "demo-bank.csv"
DEMO_BANK_NAME = "组织工作基础知识题库"

UNIT_TREE = {
    "河南省委组织部": {
        "郑州市委组织部": {"金水区委组织部": {}, "二七区委组织部": {}},
        "洛阳市委组织部": {"西工区委组织部": {}, "洛龙区委组织部": {}},
    }
}

STAFF = [  # username, name, unit, roles, position
    ("admin", "王建国", "河南省委组织部", ("admin",), "信息中心主任"),
    ("organizer", "李晓梅", "河南省委组织部", ("organizer", "cadre"), "组织一处副处长"),
    ("hr", "张志强", "河南省委组织部", ("hr",), "干部一处处长"),
    ("hr_zz", "刘芳", "郑州市委组织部", ("hr",), "干部科科长"),
    ("hr_ly", "陈磊", "洛阳市委组织部", ("hr",), "干部科科长"),
]

CADRE_NAMES = (
    "赵文静 钱明辉 孙丽娜 周海涛 吴秀英 郑国栋 冯晓燕 陈志刚 褚雅琴 卫东升 蒋春梅 沈建华 韩雪 杨光明 朱红霞 "
    "秦立新 尤佳 许宏伟 何玉兰 吕振华 施晓东 张敏 孔德福 曹雪梅 严正 华丽萍 金伟 魏书勤 陶然 姜海燕"
).split()
CADRE_UNITS = ("河南省委组织部", "郑州市委组织部", "金水区委组织部", "二七区委组织部", "洛阳市委组织部", "西工区委组织部", "洛龙区委组织部")
CADRE_POSITIONS = ("组织员", "科员", "副科长", "科长", "副主任科员")


def _build_units(session: Session, tree: dict, parent: OrgUnit | None, out: dict[str, OrgUnit]) -> None:
    for name, children in tree.items():
        unit = add_unit(session, None, name, parent, kind="组织部")
        out[name] = unit
        _build_units(session, children, unit, out)


def seed_demo(session: Session) -> list[tuple[str, str, str, list[str]]]:
    """Write the demo data; returns (username, name, unit, roles) for the command to print."""
    units: dict[str, OrgUnit] = {}
    _build_units(session, UNIT_TREE, None, units)
    password_hash = hash_password(DEMO_PASSWORD)  # one hash for all: hashing 35 times would slow `make run`
    accounts = []
    created: dict[str, User] = {}
    people = list(STAFF)
    for i, name in enumerate(CADRE_NAMES, start=1):
        people.append((f"cadre{i}", name, CADRE_UNITS[(i - 1) % len(CADRE_UNITS)], ("cadre",), CADRE_POSITIONS[i % len(CADRE_POSITIONS)]))
    for username, name, unit_name, roles, position in people:
        user = User(username=username, name=name, org_unit=units[unit_name], position=position, password_hash=password_hash, must_change_password=False, phone=f"1380371{len(accounts):04d}")
        user.set_roles(set(roles))
        session.add(user)
        created[username] = user
        accounts.append((username, name, unit_name, sorted(roles)))
    session.flush()
    seed_demo_bank(session, created["organizer"], units["河南省委组织部"])
    from quiz.contests.seed import seed_demo_contests; seed_demo_contests(session, created["organizer"])  # noqa: E702
    from quiz.materials.seed import seed_demo_materials; seed_demo_materials(session, created["organizer"], services.find_bank(session, units["河南省委组织部"].id, DEMO_BANK_NAME))  # noqa: E702
    from quiz.practice.seed import seed_demo_practice; seed_demo_practice(session)  # noqa: E702
    from quiz.assessment.seed import seed_demo_assessment; seed_demo_assessment(session)  # noqa: E702
    set_setting(session, DEMO_KEY, "1")
    session.flush()
    return accounts


def seed_demo_bank(session: Session, organizer: User, owner: OrgUnit):
    """The demo bank, written by us from the study material (quiz/data/DEMO-BANK.md), loaded through the real importer."""
    bank = services.create_bank(session, organizer, name=DEMO_BANK_NAME, org_unit_id=owner.id, description="演示题库：根据学习材料和组织工作基本知识编写")
    result = formats.read(DEMO_BANK_FILE.read_bytes(), DEMO_BANK_FILE.name)
    plan = plan_import(session, bank, result)
    if not plan.ok:
        raise BankError(N_("演示题库文件有误：%(problems)s"), problems="；".join(str(p) for p in plan.problems[:5]))
    commit_import(session, organizer, bank, plan)
    return bank
