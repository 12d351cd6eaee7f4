"""Contest commands: ``quiz close-expired`` (for cron)."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

BATCH = 200


def register(app: Flask) -> None:
    @app.cli.command("close-expired")
    @click.option("--grace", type=float, default=None, help="Network grace in seconds after a deadline (default: the app's, 5).")
    @with_appcontext
    def close_expired(grace):
        """Finalise every attempt past its deadline with the answers saved in time (run from cron every minute)."""
        import os

        from flask import current_app

        from quiz.contests.attempts import finalise_expired
        from quiz.db import new_session

        if grace is None:
            grace = float(current_app.config.get("CONTEST_GRACE_SECONDS") or os.environ.get("QUIZ_SAVE_GRACE_SECONDS", "5"))
        clock = current_app.config.get("QUIZ_CLOCK")
        total = 0
        while True:  # one transaction per batch: SQLite's write lock is never held for long
            with new_session() as s, s.begin():
                done = finalise_expired(s, now=clock() if clock else None, grace_seconds=grace, how="cli", limit=BATCH)
            total += done
            if done < BATCH:
                break
        click.echo(f"已结束 {total} 份超时答卷。")
