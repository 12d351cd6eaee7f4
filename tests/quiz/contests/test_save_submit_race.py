"""A save racing a submit is either graded or refused, never acknowledged and then left out."""
from __future__ import annotations

import threading
import time

from question_bank.db import begin_write
from quiz.contests.attempts import save_response, start_attempt, submit_attempt
from quiz.contests.models import Attempt, AttemptQuestion
from tests.factories import make_bank, make_contest, make_paper, make_question, make_unit, make_user


def test_a_save_in_flight_when_a_submit_arrives_is_graded(session_factory):
    """Invariant: a save is acknowledged only after it is committed, and a submit grades every
    acknowledged save. The save holds its transaction open while the submit arrives; the submit
    must wait for it (SQLite: BEGIN IMMEDIATE; PostgreSQL: the save locks the attempt row FOR
    SHARE) and then grade the saved answer. Without the lock the submit grades a score of 0."""
    setup = session_factory()
    unit = make_unit(setup)
    bank = make_bank(setup, unit)
    question = make_question(setup, bank, "true_false")  # key: True, no option shuffling to map
    contest = make_contest(setup, make_paper(setup, bank, questions=[question], points=10))
    cadre = make_user(setup, unit=unit)
    attempt, _ = start_attempt(setup, cadre, contest)
    setup.commit()
    attempt_id, cadre_id = attempt.id, cadre.id
    question_id = setup.query(AttemptQuestion.question_id).filter_by(attempt_id=attempt_id).scalar()
    setup.close()

    saver = session_factory()
    begin_write(saver)  # as the API does: a writer's transaction starts before its first read
    result = save_response(saver, saver.get(type(cadre), cadre_id), saver.get(Attempt, attempt_id), question_id, True, seq=1)
    assert result.stored

    outcome: dict = {}

    def submit():
        submitter = session_factory()
        try:
            begin_write(submitter)
            done = submit_attempt(submitter, submitter.get(type(cadre), cadre_id), submitter.get(Attempt, attempt_id))
            submitter.commit()
            outcome["score"] = done.score
        except Exception as exc:  # surfaced by the assertion below
            outcome["error"] = exc
        finally:
            submitter.close()

    thread = threading.Thread(target=submit)
    thread.start()
    time.sleep(0.5)
    saver.commit()  # the save is acknowledged only now
    saver.close()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert "error" not in outcome, outcome.get("error")
    assert outcome["score"] == 10
