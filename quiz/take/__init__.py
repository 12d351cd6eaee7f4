"""The cadre's contest pages (参加竞赛): my contests, a contest's notice, the attempt page, the
result and review, and the leaderboard.

The attempt page is a shell: ``static/js/attempt.js`` loads the attempt through the JSON API
(``GET /api/v1/attempts/<id>``) and saves every answer through it, with the queue of
``static/js/attempt-queue.js``. No page here renders a question before the attempt is finished,
so no answer key or explanation can reach a browser during an attempt.
"""
from flask import Blueprint

bp = Blueprint("take", __name__)

from quiz.take import views  # noqa: E402,F401
