"""The unit tree: add, rename, move, deactivate, with the refusals an admin would expect."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from question_bank.messages import BankError
from quiz.accounts.units import add_unit, move_unit, rename_unit, set_unit_active
from quiz.audit.models import AuditEntry
from tests.factories import make_province, make_user
from tests.quiz.conftest import Auth


@pytest.fixture
def tree(session):
    units = make_province(session)
    admin = make_user(session, "admin", units["省"], ("admin",))
    session.commit()
    return units, admin


def test_add_rename_and_move_are_audited(session, tree):
    units, admin = tree
    town = add_unit(session, admin, "金水区某街道党工委", units["金水"])
    rename_unit(session, admin, town, "金水区文化路街道党工委")
    move_unit(session, admin, town, units["二七"])
    session.commit()
    assert town.parent_id == units["二七"].id and town.depth == 3
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.target_id == str(town.id))).all()
    assert actions == ["unit.add", "unit.rename", "unit.move"]


@pytest.mark.parametrize(
    ("case", "fragment"),
    [
        ("into_own_child", "不能把单位移到它自己或它的下级单位之下"),
        ("duplicate_name", "已有名为"),
        ("empty_name", "不能为空"),
        ("slash", "不能包含"),
    ],
)
def test_tree_refuses_impossible_changes(session, tree, case, fragment):
    units, admin = tree
    with pytest.raises(BankError) as info:
        if case == "into_own_child":
            move_unit(session, admin, units["郑州"], units["金水"])
        elif case == "duplicate_name":
            add_unit(session, admin, "金水区委组织部", units["郑州"])
        elif case == "empty_name":
            add_unit(session, admin, "  ", units["郑州"])
        else:
            rename_unit(session, admin, units["金水"], "金水/二七")
    assert fragment in str(info.value)


def test_deactivating_a_unit_with_people_is_refused(session, tree):
    units, admin = tree
    make_user(session, "someone", units["金水"])
    with pytest.raises(BankError, match="启用的账号"):
        set_unit_active(session, admin, units["金水"], False)
    set_unit_active(session, admin, units["二七"], False)
    assert units["二七"].active is False


def test_units_page_adds_a_unit(client, tree):
    units, _ = tree
    auth = Auth(client)
    auth.login("admin")
    response = auth.post("/admin/units", {"name": "新设乡镇党委", "parent_id": units["金水"].id}, follow_redirects=True)
    assert "已新增单位“新设乡镇党委”" in response.get_data(as_text=True)
