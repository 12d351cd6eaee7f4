"""Many cadres signing in at the same moment (the start of a contest) all get in, on both engines."""
from __future__ import annotations

import threading

from sqlalchemy import select

from quiz.accounts.models import User
from quiz.accounts.passwords import hash_password
from tests.factories import make_unit, make_user

PASSWORD = "Kaoshi-real-2026"


def test_simultaneous_sign_ins_all_succeed_and_record_the_time(app, session):
    unit = make_unit(session)
    real_hash = hash_password(PASSWORD)  # the real, slow hash: the race lives in its ~0.1 s
    for i in range(8):
        make_user(session, f"rush{i}", unit).password_hash = real_hash
    session.commit()
    statuses: dict[str, int] = {}
    barrier = threading.Barrier(8)

    def sign_in(i: int) -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post("/api/v1/session", json={"username": f"rush{i}", "password": PASSWORD})
        statuses[f"rush{i}"] = response.status_code

    threads = [threading.Thread(target=sign_in, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert statuses == {f"rush{i}": 200 for i in range(8)}
    session.expire_all()
    assert all(u.last_login_at is not None for u in session.scalars(select(User).where(User.username.like("rush%"))))
