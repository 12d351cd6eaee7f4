"""Each role's landing page. Later features fill their sections; until then each shows an empty state."""
from __future__ import annotations

from flask import redirect, render_template, url_for
from flask_login import current_user

from quiz.auth.access import home_endpoint, role_required
from quiz.home import bp
from quiz.home.services import hr_overview


@bp.route("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for(home_endpoint(current_user)))


@bp.route("/me")
@role_required()
def cadre():
    from quiz.api.common import now
    from quiz.db import get_session
    from quiz.take.queries import my_contests

    return render_template("home/cadre.html", contests=my_contests(get_session(), current_user, now=now()))


@bp.route("/organizer")
@role_required("organizer")
def organizer():
    from quiz.bank.views import bank_rows
    from quiz.db import get_session
    from quiz.manage.views import home_contests

    session = get_session()
    return render_template("home/organizer.html", banks=bank_rows(session, current_user),
                           contests=home_contests(session, current_user._get_current_object()))


@bp.route("/hr")
@role_required("hr")
def hr():
    from quiz.db import get_session

    return render_template("home/hr.html", overview=hr_overview(get_session(), current_user))
