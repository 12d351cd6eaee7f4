"""Browser fixtures: a live server on the per-test database, and Debian's chromium through Playwright.

Locally, without chromium, these tests skip with the reason printed; in CI a missing browser fails.
"""
from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from quiz import create_app
from tests.e2e.browser import chromium_path, in_ci, launch


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


@pytest.fixture
def demo(live_app):
    """The demo data, as `make run` seeds it."""
    result = live_app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return live_app


def new_page(browser, viewport, locale="zh-CN"):
    context = browser.new_context(viewport=viewport, locale=locale)
    return context, context.new_page()
