"""The Flask application: ``create_app`` wires configuration, extensions and feature blueprints."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, render_template, request

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(Path(config.get("INSTANCE_PATH")) if config and config.get("INSTANCE_PATH") else ROOT / "instance"),
        static_folder=str(ROOT / "static"),
        static_url_path="/static",
    )
    from quiz.config import load_config

    app.config.update(load_config(Path(app.instance_path)))
    if config:
        app.config.update(config)

    from quiz import db, security
    from quiz.extensions import babel, csrf, limiter, login_manager, select_locale

    db.init_app(app)
    babel.init_app(app, locale_selector=select_locale, default_translation_directories=str(ROOT / "quiz" / "translations"))
    csrf.init_app(app)
    limiter.init_app(app)
    security.init_app(app)

    from quiz.auth.access import enforce_password_change, load_user

    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = None  # the server-side session row (quiz.accounts.user_sessions) does this job across workers
    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("请先登录")
    login_manager.login_message_category = "info"
    app.before_request(enforce_password_change)

    from quiz.admin import bp as admin_bp
    from quiz.auth import bp as auth_bp
    from quiz.home import bp as home_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(home_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    from quiz.bank import bp as bank_bp; app.register_blueprint(bank_bp, url_prefix="/bank")  # noqa: E702

    from quiz.api import init_app as init_api; init_api(app)  # noqa: E702  (the JSON API at /api/v1)
    from quiz.contests import bp as contests_bp; app.register_blueprint(contests_bp, url_prefix="/contests")  # noqa: E702
    from quiz.manage import bp as manage_bp; app.register_blueprint(manage_bp, url_prefix="/manage")  # noqa: E702
    from quiz.practice import bp as practice_bp; app.register_blueprint(practice_bp, url_prefix="/practice")  # noqa: E702
    from quiz.take import bp as take_bp; app.register_blueprint(take_bp)  # noqa: E702  (the cadre's contest pages)
    from quiz.materials import bp as materials_bp; app.register_blueprint(materials_bp, url_prefix="/materials")  # noqa: E702
    from quiz.assessment import bp as assessment_bp; app.register_blueprint(assessment_bp, url_prefix="/assessment")  # noqa: E702
    from quiz.reports import bp as reports_bp; app.register_blueprint(reports_bp, url_prefix="/reports")  # noqa: E702

    _register_template_helpers(app)
    _register_error_pages(app)

    from quiz.cli import register_commands

    register_commands(app)
    return app


def _register_template_helpers(app: Flask) -> None:
    from flask_babel import get_locale

    from quiz.accounts.services import mask_phone
    from quiz.auth.access import home_endpoint
    from quiz.i18n import local_time, translate

    app.jinja_env.filters["localtime"] = local_time
    app.jinja_env.filters["mask_phone"] = mask_phone
    app.jinja_env.globals["translate"] = translate
    app.jinja_env.globals["home_endpoint"] = home_endpoint

    @app.context_processor
    def _globals():
        from quiz.demo import is_demo_database

        return {"current_locale": str(get_locale()), "demo_database": is_demo_database()}


def _size_label(size: int) -> str:
    """A byte limit as people say it: 20 MB, 64 KB."""
    return f"{size // (1024 * 1024)} MB" if size >= 1024 * 1024 else f"{max(1, size // 1024)} KB"


def _register_error_pages(app: Flask) -> None:
    from flask_babel import gettext as _

    messages = {
        400: lambda: _("请求无效，请返回上一页重试"),
        403: lambda: _("您没有权限访问此页面"),
        404: lambda: _("页面不存在"),
        405: lambda: _("请求方式不正确"),
        413: lambda: _("上传的文件过大，请拆分后再上传（单个文件不超过 %(mb)d MB）", mb=app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)),
        429: lambda: _("操作过于频繁，请稍后再试"),
        500: lambda: _("服务器出错了，请稍后再试；如果问题持续，请联系管理员"),
    }

    def rollback_request_session() -> None:
        """After a database error PostgreSQL refuses every statement until a rollback, and the
        error page itself reads settings (the demo banner): roll back first, or the Chinese page
        fails and the visitor gets a bare English 500."""
        from flask import g

        if g.get("db_session") is not None:
            g.db_session.rollback()

    def handler(exc):
        code = getattr(exc, "code", 500) or 500
        if code >= 500:
            rollback_request_session()
        text = messages.get(code, messages[500])()
        if code == 429 and request.endpoint == "auth.login":
            text = _("登录尝试次数过多，请 15 分钟后再试；如忘记密码，请联系本单位管理员重置")
        if code == 413 and (request.path.startswith("/api/") or request.is_json):
            # a JSON body (an answer, a sign-in), not an upload: the API's error shape, saying so
            return {"error": {"code": "too_large", "message": _("请求内容过大（上限 %(size)s），请缩短后重试",
                                                                size=_size_label(app.config["MAX_CONTENT_LENGTH"]))}}, code
        if request.path.startswith("/api/"):
            return {"error": {"code": str(code), "message": text}}, code
        return render_template("error.html", code=code, message=text), code

    for code in messages:
        app.register_error_handler(code, handler)

    from sqlalchemy.exc import DataError

    def out_of_range(exc):
        """A value the database cannot hold (a page number past 2**63, an over-long text on
        PostgreSQL) is the client's bad input: 400, not a server error. The request boundary
        rolls the transaction back because the answer is 4xx."""
        app.logger.warning("bad input refused by the database: %s", exc)
        rollback_request_session()
        from werkzeug.exceptions import BadRequest

        return handler(BadRequest())

    app.register_error_handler(DataError, out_of_range)  # PostgreSQL: integer/bigint out of range, value too long
    app.register_error_handler(OverflowError, out_of_range)  # SQLite: Python int too large to convert to SQLite INTEGER
