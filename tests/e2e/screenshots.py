"""`make screenshots`: the key pages at phone (390 × 844) and desktop (1280 × 800) size, from a fresh
demo database, into docs/screenshots/ (PNG, reduced to a 256-colour palette when Pillow is installed).
Needs a Chinese font (Debian: fonts-noto-cjk); without one it stops rather than draw boxes.

Pages that need something done first (an attempt under way, a practice answer with its feedback, an
import preview) are reached the way a user reaches them, in the browser. Pages that change state use
a different demo cadre for each size, so both show the same moment.
"""
from __future__ import annotations

import logging
import re
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from playwright.sync_api import expect, sync_playwright
from sqlalchemy import select
from werkzeug.serving import make_server

from question_bank.materials.models import Material
from question_bank.models import Bank, QuestionVersion
from quiz import create_app
from quiz.accounts.models import User
from quiz.contests.models import Attempt, Contest
from quiz.practice.models import PracticeItem
from quiz.seed import DEMO_BANK_NAME, DEMO_PASSWORD
from tests.e2e.browser import PHONE, launch

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SIZES = {"phone": PHONE, "desktop": {"width": 1280, "height": 800}}
OPEN_CONTEST = "全省组工干部应知应会知识竞赛"
CLOSED_CONTEST = "发展党员与组织生活知识测试"


@dataclass(frozen=True)
class Shot:
    name: str
    account: str | dict[str, str] | None  # one account, or one per size (for pages that change state)
    path: str
    act: Callable | None = None  # (page, base, ids) -> None, after opening path: reach the state to show


def _ids(app) -> dict[str, object]:
    """Ids of the demo rows the pages show."""
    with app.extensions["db_sessionmaker"]() as s:
        open_contest = s.scalar(select(Contest).where(Contest.title == OPEN_CONTEST))
        closed = s.scalar(select(Contest).where(Contest.title == CLOSED_CONTEST))
        taken = s.execute(
            select(Attempt.id, User.username).join(User, User.id == Attempt.user_id)
            .where(Attempt.contest_id == closed.id, Attempt.status == "submitted", User.username.like("cadre%"))
            .order_by(Attempt.score.desc(), Attempt.id)
        ).first()
        return {
            "open": open_contest.id, "open_paper": open_contest.paper_id, "closed": closed.id,
            "result_attempt": taken[0], "result_user": taken[1],
            "bank": s.scalar(select(Bank.id).where(Bank.name == DEMO_BANK_NAME)),
            "material": s.scalar(select(Material.id).order_by(Material.id)),
            "sessions": app.extensions["db_sessionmaker"],
        }


def start_attempt(page, base, ids) -> None:
    page.get_by_role("button", name="开始答题").click()
    page.wait_for_url("**/attempts/*")
    first = page.locator("#q-1")
    expect(first).to_be_visible()
    first.locator("label.choice").first.click()
    expect(page.locator("#save-label")).to_have_text("已保存")


def practice_feedback(page, base, ids) -> None:
    page.get_by_label("题数").fill("5")
    page.get_by_label("题型").select_option(label="单选")
    page.get_by_role("button", name="开始练习").click()
    page.wait_for_url(re.compile(r".*/practice/sets/\d+$"))
    set_id = int(page.url.rsplit("/", 1)[1])
    with ids["sessions"]() as s:
        version = s.get(QuestionVersion, s.get(PracticeItem, (set_id, 1)).question_version_id)
        wrong = next(k for k in "ABCDEFGH"[: len(version.options)] if k != version.answer)
    page.locator(f"label.p-choice:has(input[value='{wrong}'])").click()
    page.get_by_role("button", name="提交答案").click()
    expect(page.locator(".practice-feedback .verdict-line")).to_be_visible()


def import_preview(page, base, ids) -> None:
    from tests.e2e.test_bank_journey import workbook  # the file with a bad row the bank journey uploads

    target = Path(tempfile.mkdtemp(prefix="shot-")) / "题库.xlsx"
    target.write_bytes(workbook(bad=True))
    page.set_input_files("input[type=file]", str(target))
    page.get_by_role("button", name="上传并预览").click()
    expect(page.locator(".problem-list")).to_be_visible()


def scroll_to_rules(page, base, ids) -> None:
    """The rules table, not the paper's name and settings above it."""
    heading = page.get_by_role("heading", name="组卷规则")
    expect(heading).to_be_visible()
    heading.evaluate("(h) => window.scrollTo(0, h.getBoundingClientRect().top + window.scrollY - 16)")


def shots(ids) -> list[Shot]:
    return [
        Shot("login", None, "/login"),
        Shot("cadre-home", "cadre1", "/me"),
        Shot("contest-attempt", {"phone": "cadre20", "desktop": "cadre21"}, f"/contests/{ids['open']}", start_attempt),
        Shot("contest-result", ids["result_user"], f"/attempts/{ids['result_attempt']}/result"),
        Shot("practice-feedback", {"phone": "cadre22", "desktop": "cadre23"}, "/practice/random", practice_feedback),
        Shot("review-book", "cadre1", "/practice/review-book"),
        Shot("learning-progress", "cadre1", "/practice/progress"),
        Shot("organizer-banks", "organizer", "/bank/"),
        Shot("import-preview", "organizer", f"/bank/{ids['bank']}/import", import_preview),
        Shot("paper-rules", "organizer", f"/manage/papers/{ids['open_paper']}", scroll_to_rules),
        Shot("contest-live", "organizer", f"/manage/contests/{ids['open']}/live"),
        Shot("contest-results", "organizer", f"/manage/contests/{ids['closed']}/results"),
        Shot("materials-article", "organizer", f"/materials/{ids['material']}"),
        Shot("hr-home", "hr_zz", "/hr"),
        Shot("hr-contest-report", "hr_zz", f"/reports/contests/{ids['closed']}"),
        Shot("hr-unit-rollup", "hr", f"/reports/contests/{ids['closed']}/units"),
        Shot("admin-users", "admin", "/admin/users"),
    ]


def _serve(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def optimise(path: Path) -> None:
    """A 256-colour palette (flat UI colours and text survive it) and maximum compression: about a
    third of chromium's size. Without Pillow the PNG stays as chromium wrote it."""
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    small.save(path, optimize=True)


def has_chinese_font() -> bool:
    if shutil.which("fc-list") is None:
        return True  # cannot tell: let chromium try
    return bool(subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout.strip())


def main() -> None:
    if not has_chinese_font():
        raise SystemExit("No Chinese font: the screenshots would show boxes. Install one first: apt-get install fonts-noto-cjk")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    tmp = Path(tempfile.mkdtemp(prefix="screenshots-"))
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp / 'demo.db'}", "INSTANCE_PATH": str(tmp)})
    runner = app.test_cli_runner()
    for args in (["init-db"], ["seed-demo"]):
        result = runner.invoke(args=args)
        if result.exit_code != 0:
            raise SystemExit(result.output)
    ids = _ids(app)
    server = _serve(app)
    base = f"http://127.0.0.1:{server.server_port}"
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = launch(p)
        for shot in shots(ids):
            for size, viewport in SIZES.items():
                context = browser.new_context(viewport=viewport, locale="zh-CN", device_scale_factor=1)
                page = context.new_page()
                account = shot.account.get(size) if isinstance(shot.account, dict) else shot.account
                if account:
                    page.goto(f"{base}/login")
                    page.fill("#username", account)
                    page.fill("#password", DEMO_PASSWORD)
                    page.click("button.primary")
                    page.wait_for_url(lambda url: "/login" not in url)
                page.goto(base + shot.path)
                if shot.act:
                    shot.act(page, base, ids)
                page.wait_for_load_state("load")
                page.evaluate("document.fonts.ready")
                target = OUT / f"{shot.name}-{size}.png"
                page.screenshot(path=str(target), animations="disabled", caret="hide")
                optimise(target)
                print(f"{target.relative_to(OUT.parent.parent)}  {target.stat().st_size // 1024} KB")
                context.close()
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    main()
