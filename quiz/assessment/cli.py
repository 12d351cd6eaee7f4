"""Assessment commands: ``quiz compute-assessment <plan id>`` (e.g. from cron after the year's last contest)."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext


def register(app: Flask) -> None:
    @app.cli.command("compute-assessment")
    @click.argument("plan_id", type=int)
    @with_appcontext
    def compute_assessment(plan_id):
        """Compute an assessment plan's records (a new revision if the current one is locked)."""
        import sys

        from flask import current_app

        from quiz.assessment.rules import AssessmentError
        from quiz.assessment.services import compute_plan, get_plan
        from quiz.db import new_session
        from quiz.audit.services import record

        try:
            with new_session() as s, s.begin():
                plan = get_plan(s, None, plan_id)
                result = compute_plan(s, None, plan, tz=current_app.config.get("QUIZ_TIMEZONE"),
                                      audit=lambda action, **kw: record(s, None, action, **kw))
        except AssessmentError as exc:
            click.echo(str(exc), err=True)
            sys.exit(1)
        click.echo(f"已计算 {result.records} 人，第 {result.revision} 版" + ("（新版本，已锁定的旧版本保留）。" if result.new_revision and result.revision > 1 else "。"))
