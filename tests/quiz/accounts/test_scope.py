"""Reach: hr_zz (郑州) never sees a 洛阳 person, in any list or search; the subtree is one query."""
from __future__ import annotations

import pytest
from sqlalchemy import event, select

from quiz.accounts.models import OrgUnit, User
from quiz.accounts.scope import scoped, subtree_ids
from quiz.accounts.services import search_users
from tests.factories import make_province, make_user
from tests.quiz.conftest import Auth


@pytest.fixture
def province(session):
    units = make_province(session)
    people = {
        "admin": make_user(session, "admin", units["省"], ("admin", "hr")),
        "hr_zz": make_user(session, "hr_zz", units["郑州"], ("hr", "admin")),
        "zz_cadre": make_user(session, "zz_cadre", units["金水"], name="郑州干部"),
        "ly_cadre": make_user(session, "ly_cadre", units["洛龙"], name="洛阳干部"),
        "ly_city": make_user(session, "ly_city", units["洛阳"], name="洛阳市干部"),
    }
    session.commit()
    return units, people


def test_subtree_is_the_unit_and_everything_below_it(session, province):
    units, _ = province
    ids = set(session.scalars(subtree_ids(units["郑州"])))
    assert ids == {units["郑州"].id, units["金水"].id, units["二七"].id}
    assert set(session.scalars(subtree_ids(units["省"]))) == {u.id for u in units.values()}


def test_subtree_query_is_a_single_statement(session, province, db):
    units, _ = province
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db, "before_cursor_execute", listener)
    try:
        session.scalars(scoped(select(User.id), province[1]["hr_zz"], User.org_unit_id)).all()
    finally:
        event.remove(db, "before_cursor_execute", listener)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1


def test_search_in_zhengzhou_never_returns_luoyang_people(session, province):
    _, people = province
    hr_zz = people["hr_zz"]
    everyone = search_users(session, hr_zz, per_page=500).users
    assert {u.username for u in everyone} == {"hr_zz", "zz_cadre"}
    assert search_users(session, hr_zz, q="洛阳").users == []
    assert search_users(session, hr_zz, q="ly_").users == []


def test_user_pages_of_hr_zz_hide_luoyang(client, province):
    _, people = province
    auth = Auth(client)
    auth.login("hr_zz")
    listing = client.get("/admin/users").get_data(as_text=True)
    assert "郑州干部" in listing and "洛阳干部" not in listing and "洛阳市干部" not in listing
    assert "洛阳干部" not in client.get("/admin/users?q=洛阳").get_data(as_text=True)
    assert client.get(f"/admin/users/{people['ly_cadre'].id}").status_code == 404
    assert client.get(f"/admin/units/{province[0]['洛阳'].id}").status_code == 404
    overview = client.get("/hr").get_data(as_text=True)
    assert "金水区委组织部" in overview and "洛阳市委组织部" not in overview
    units_page = client.get("/admin/units").get_data(as_text=True)
    assert "洛龙区委组织部" not in units_page


def test_province_admin_sees_everyone(session, province):
    _, people = province
    names = {u.username for u in search_users(session, people["admin"], per_page=500).users}
    assert {"zz_cadre", "ly_cadre", "ly_city"} <= names


def test_moving_a_unit_moves_its_subtree_in_reach(session, province):
    from quiz.accounts.units import move_unit

    units, people = province
    move_unit(session, people["admin"], units["西工"], units["郑州"])
    session.commit()
    assert units["西工"].id in set(session.scalars(subtree_ids(session.get(OrgUnit, units["郑州"].id))))
    moved = session.get(OrgUnit, units["西工"].id)
    assert moved.path.startswith(units["郑州"].path) and moved.depth == 2
