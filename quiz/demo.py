"""Whether this database holds demo data (then every page shows a banner)."""
from __future__ import annotations

from flask import g

from quiz.db import get_session
from quiz.settings.models import get_setting

DEMO_KEY = "demo_database"


def is_demo_database() -> bool:
    if "demo_database" not in g:
        g.demo_database = get_setting(get_session(), DEMO_KEY) == "1"
    return g.demo_database
