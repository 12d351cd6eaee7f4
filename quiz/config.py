"""Configuration from the environment, with the defaults documented in README.md (Configuration)."""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path


class ConfigError(RuntimeError):
    pass


def _secret_key(instance_path: Path, env: str) -> str:
    """SECRET_KEY from the environment; for local runs, generated once and kept in instance/.

    Every worker and host must share one key (CTFd's multi-worker login bug), so production
    refuses to start without an explicit one rather than inventing a per-process key.
    """
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if env == "production":
        raise ConfigError("SECRET_KEY must be set when QUIZ_ENV=production (all workers must share it).")
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def load_config(instance_path: Path) -> dict:
    env = os.environ.get("QUIZ_ENV", "development")
    instance_path.mkdir(parents=True, exist_ok=True)
    default_db = f"sqlite:///{instance_path / 'quiz.db'}"
    redis_url = os.environ.get("REDIS_URL") or None
    return {
        "QUIZ_ENV": env,
        "SECRET_KEY": _secret_key(instance_path, env),
        "DATABASE_URL": os.environ.get("DATABASE_URL", default_db),
        "QUIZ_TIMEZONE": os.environ.get("QUIZ_TIMEZONE", "Asia/Shanghai"),
        "REDIS_URL": redis_url,
        # Sessions: signed cookies, so any worker can serve any request.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env == "production",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": env == "production",
        # 在这台设备上保持登录: the remember cookie carries the same session key as the session
        # cookie, and the session row caps it at QUIZ_REMEMBER_DAYS (docs/security.md, Sessions).
        "REMEMBER_COOKIE_DURATION": timedelta(days=int(os.environ.get("QUIZ_REMEMBER_DAYS", "14"))),
        "SESSION_IDLE_MINUTES": int(os.environ.get("QUIZ_SESSION_IDLE_MINUTES", "120")),
        "SESSION_ABSOLUTE_HOURS": int(os.environ.get("QUIZ_SESSION_ABSOLUTE_HOURS", "12")),
        "SESSION_TOUCH_MINUTES": 5,  # a session row's last_seen_at is rewritten at most this often
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=int(os.environ.get("QUIZ_SESSION_ABSOLUTE_HOURS", "12"))),
        # The cookie's expiry is the absolute limit, set at sign-in; idle time is kept in the session
        # row. Re-signing an unchanged cookie on every response (Flask's default) buys nothing and
        # costs about a tenth of a contest save.
        "SESSION_REFRESH_EACH_REQUEST": False,
        "MAX_CONTENT_LENGTH": int(os.environ.get("QUIZ_MAX_UPLOAD_MB", "20")) * 1024 * 1024,
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session; a long contest must not expire it
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_DEFAULT_TIMEZONE": os.environ.get("QUIZ_TIMEZONE", "Asia/Shanghai"),
        "LANGUAGES": ["zh_CN", "en"],
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        # An initial password (admin, reset, roster import) signs in for this many days (ASVS 6.4.1).
        "INITIAL_PASSWORD_DAYS": int(os.environ.get("QUIZ_INITIAL_PASSWORD_DAYS", "14")),
        "LOGIN_LIMIT_PER_ACCOUNT": os.environ.get("QUIZ_LOGIN_LIMIT_PER_ACCOUNT", "10 per 15 minutes"),
        "LOGIN_LIMIT_PER_ADDRESS": os.environ.get("QUIZ_LOGIN_LIMIT_PER_ADDRESS", "60 per 15 minutes"),
        "DEMO_PASSWORD": "zugong2026",
    }
