"""Browser fixtures: a live server on the per-test database, and Debian's chromium through Playwright.

Locally, without chromium, these tests skip with the reason printed; in CI a missing browser fails.
"""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import Integer, text
from werkzeug.serving import make_server

from question_bank.db import Base

from quiz import create_app
from quiz.seed import DEMO_PASSWORD
from tests.e2e.a11y import A11Y_PREFIX, WATCH_JS
from tests.e2e.browser import chromium_path, in_ci, launch


try:  # waits for states, not sleeps: a loaded CI machine may need longer than Playwright's 5 s default
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)
except ImportError:  # pragma: no cover - playwright is a dev dependency
    pass


def pytest_collection_modifyitems(config, items):
    if chromium_path() is not None:
        return
    if in_ci():
        return  # the browser fixture fails loudly instead
    skip = pytest.mark.skip(reason="chromium is not installed: apt-get install chromium (CI installs it)")
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser():
    if chromium_path() is None:
        pytest.fail("CI needs Debian's chromium for the browser journeys; .ci/run installs it with apt-get")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


@pytest.fixture
def live_app(db, database_url, tmp_path):
    app = create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path), "RATELIMIT_STORAGE_URI": "memory://"})
    yield app
    app.extensions["db_engine"].dispose()


@pytest.fixture
def live_server(live_app):
    """The app served on a free local port in a background thread."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def demo_rows():
    """The demo database's rows, taken once per worker the first time a test asks for `demo`."""
    return {}


def _restore(engine, rows: dict[str, list[dict]]) -> None:
    """Write the saved demo rows back into the emptied database, foreign keys checked only at the
    end (questions and their versions point at each other), and move the id sequences past them."""
    tables = Base.metadata.sorted_tables
    with engine.begin() as conn:
        postgres = engine.dialect.name == "postgresql"
        conn.exec_driver_sql("SET LOCAL session_replication_role = replica" if postgres else "PRAGMA defer_foreign_keys = ON")
        for table in tables:
            if rows.get(table.name):
                conn.execute(table.insert(), rows[table.name])
        if postgres:
            for table in tables:
                pk = list(table.primary_key.columns)
                if len(pk) == 1 and pk[0].autoincrement in (True, "auto") and isinstance(pk[0].type, Integer) and rows.get(table.name):
                    conn.execute(text("SELECT setval(pg_get_serial_sequence(:t, :c), (SELECT max(\"%s\") FROM \"%s\"))" % (pk[0].name, table.name)),
                                 {"t": table.name, "c": pk[0].name})


@pytest.fixture
def demo(live_app, demo_rows):
    """The demo data, as `make run` seeds it: seeded once per worker with `quiz seed-demo`, then
    copied back row for row into each test's emptied database (seeding costs seconds, copying a fraction)."""
    engine = live_app.extensions["db_engine"]
    if demo_rows:
        _restore(engine, demo_rows)
        return live_app
    result = live_app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            demo_rows[table.name] = [dict(r) for r in conn.execute(table.select().order_by(*table.primary_key.columns)).mappings()]
    return live_app


A11Y_PROBLEMS: list[str] = []  # reported by WATCH_JS from every page the current test loaded


@pytest.fixture(autouse=True)
def every_page_is_accessible():
    """Fails a browser test that loaded a page with an unlabelled input or text below AA contrast."""
    A11Y_PROBLEMS.clear()
    yield
    problems = list(dict.fromkeys(A11Y_PROBLEMS))
    A11Y_PROBLEMS.clear()
    assert not problems, "accessibility problems on pages this journey loaded:\n" + "\n".join(problems[:20])


def new_page(browser, viewport, locale="zh-CN"):
    """A fresh browser context and page; every page it loads is checked by ``a11y.WATCH_JS``."""
    context = browser.new_context(viewport=viewport, locale=locale)
    context.add_init_script(WATCH_JS)
    context.on("console", lambda message: A11Y_PROBLEMS.append(message.text) if message.text.startswith(A11Y_PREFIX) else None)
    return context, context.new_page()


def sign_in(page, base, username, password=DEMO_PASSWORD):
    """Sign in on the Chinese sign-in page, as a person types it."""
    page.goto(f"{base}/login")
    page.get_by_label("账号").fill(username)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录").click()
