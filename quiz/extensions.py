"""Flask extensions, created unbound and initialised in create_app."""
from __future__ import annotations

from flask import request, session
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def select_locale() -> str:
    """The user's choice (kept in the session), else the browser's language, else Chinese."""
    from flask import current_app

    chosen = session.get("locale")
    languages = current_app.config["LANGUAGES"]
    if chosen in languages:
        return chosen
    best = request.accept_languages.best_match(["zh", "zh_CN", "en"], default="zh")
    return "en" if best == "en" else "zh_CN"
