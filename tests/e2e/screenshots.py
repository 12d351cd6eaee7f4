"""`make screenshots`: the key pages at phone and desktop size, from a fresh demo database, into docs/screenshots/."""
from __future__ import annotations

import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from quiz import create_app
from quiz.seed import DEMO_PASSWORD
from tests.e2e.browser import DESKTOP, PHONE, launch

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

# (file name, account or None, path, sizes)
SHOTS = [
    ("login", None, "/login", ("phone", "desktop")),
    ("cadre-home", "cadre1", "/me", ("phone",)),
    ("organizer-banks", "organizer", "/bank/", ("phone", "desktop")),
    ("organizer-questions", "organizer", "/bank/1/questions", ("desktop",)),
    ("hr-home", "hr_zz", "/hr", ("phone", "desktop")),
    ("admin-users", "admin", "/admin/users", ("phone", "desktop")),
]


def _serve(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="screenshots-"))
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp / 'demo.db'}", "INSTANCE_PATH": str(tmp)})
    runner = app.test_cli_runner()
    for args in (["init-db"], ["seed-demo"]):
        result = runner.invoke(args=args)
        if result.exit_code != 0:
            raise SystemExit(result.output)
    server = _serve(app)
    base = f"http://127.0.0.1:{server.server_port}"
    OUT.mkdir(parents=True, exist_ok=True)
    sizes = {"phone": PHONE, "desktop": DESKTOP}
    with sync_playwright() as p:
        browser = launch(p)
        for name, account, path, wanted in SHOTS:
            for size in wanted:
                context = browser.new_context(viewport=sizes[size], locale="zh-CN", device_scale_factor=1)
                page = context.new_page()
                if account:
                    page.goto(f"{base}/login")
                    page.fill("#username", account)
                    page.fill("#password", DEMO_PASSWORD)
                    page.click("button.primary")
                page.goto(base + path)
                target = OUT / f"{name}-{size}.png"
                page.screenshot(path=str(target))
                print(target.relative_to(OUT.parent.parent))
                context.close()
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    main()
