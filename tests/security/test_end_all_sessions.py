"""An admin ends everyone's sessions in their reach at once (ASVS 7.4.5, after a suspected leak or
a SECRET_KEY rotation): every copy of anyone's cookie in the admin's unit subtree stops working,
the admin's own other devices included, but the device they did it from stays signed in;
people outside the subtree are untouched; the audit log says who did it and how many ended."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from quiz.audit.models import AuditEntry
from tests.factories import make_province, make_user
from tests.quiz.conftest import Auth


@pytest.fixture
def people(session):
    units = make_province(session)
    people = {
        "province_admin": make_user(session, "province_admin", units["省"], ("admin",)),
        "zz_admin": make_user(session, "zz_admin", units["郑州"], ("admin",)),
        "jinshui": make_user(session, "jinshui_cadre", units["金水"]),
        "zz_hr": make_user(session, "zz_hr", units["郑州"], ("hr",)),
        "luoyang": make_user(session, "luoyang_cadre", units["洛龙"]),
    }
    session.commit()
    return people


def _signed_in(app, username: str, **extra):
    client = app.test_client()
    assert Auth(client).login(username, **extra).status_code == 302
    return client


def _audit(session_factory, action: str) -> list[AuditEntry]:
    s = session_factory()
    try:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action)))
    finally:
        s.close()


def test_a_unit_admin_ends_every_session_in_their_subtree_and_keeps_their_own(app, people, session_factory):
    cadre_phone = _signed_in(app, "jinshui_cadre", remember="y")
    cadre_pc = _signed_in(app, "jinshui_cadre")
    stolen = cadre_pc.get_cookie("session").value
    hr = _signed_in(app, "zz_hr")
    outsider = _signed_in(app, "luoyang_cadre")
    above = _signed_in(app, "province_admin")
    admin_laptop = _signed_in(app, "zz_admin")
    admin = _signed_in(app, "zz_admin")

    page = admin.get("/admin/sessions").get_data(as_text=True)
    # the confirmation step says what will happen and to how many (3 of others + the admin's laptop)
    assert "目前有 4 个登录，属于 3 人" in page and "您在这台设备上的登录保留" in page and "data-confirm" in page
    assert "郑州市委组织部" in page

    response = Auth(admin).post("/admin/sessions/end", token_from="/admin/sessions")
    assert response.status_code == 302
    assert "已结束 4 个登录，涉及 3 人" in admin.get("/admin/sessions").get_data(as_text=True)

    for ended in (cadre_phone, cadre_pc, hr, admin_laptop):
        assert ended.get("/me").status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/me").status_code == 302 and thief.get("/api/v1/contests").status_code == 401
    assert admin.get("/admin/").status_code == 200  # the device that did it stays signed in
    assert outsider.get("/me").status_code == 200  # 洛阳 is outside 郑州's reach
    assert above.get("/admin/").status_code == 200  # so is the province admin above

    entry, = _audit(session_factory, "user.end_all_sessions")
    assert entry.actor_id == people["zz_admin"].id and entry.org_unit_id == people["zz_admin"].org_unit_id
    assert entry.after["ended"] == 4 and entry.after["users"] == 3
    assert "end_all_sessions" in admin.get("/admin/audit").get_data(as_text=True)

    assert Auth(cadre_pc).login("jinshui_cadre").status_code == 302  # the accounts themselves still work
    assert cadre_pc.get("/me").status_code == 200


def test_a_provincial_admin_ends_sessions_in_the_whole_tree(app, people, session_factory):
    others = [_signed_in(app, name) for name in ("jinshui_cadre", "luoyang_cadre", "zz_admin")]
    admin = _signed_in(app, "province_admin")
    assert Auth(admin).post("/admin/sessions/end", token_from="/admin/sessions").status_code == 302
    assert all(c.get("/me").status_code == 302 for c in others)
    assert admin.get("/admin/").status_code == 200
    assert _audit(session_factory, "user.end_all_sessions")[0].after == {"ended": 3, "users": 3, "unit_id": people["province_admin"].org_unit_id}


def test_ending_everyones_sessions_needs_the_form_token_and_the_admin_role(app, people):
    cadre = _signed_in(app, "jinshui_cadre")
    admin = _signed_in(app, "zz_admin")
    assert admin.post("/admin/sessions/end").status_code == 400  # no CSRF token: nothing ended
    assert cadre.get("/me").status_code == 200
    hr = _signed_in(app, "zz_hr")
    assert hr.get("/admin/sessions").status_code == 403
    assert Auth(hr).post("/admin/sessions/end", token_from="/me").status_code == 403
    assert cadre.get("/me").status_code == 200
