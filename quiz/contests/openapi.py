"""The OpenAPI 3 description of /api/v1, served at ``GET /api/v1/openapi.json``.

Written by hand next to the routes; ``tests/quiz/api/test_openapi.py`` fails when a route is
missing here or a path here has no route, so the two stay in step, and when a write's 413 (a body
over ``MAX_CONTENT_LENGTH``) or a committing call's 503 (``commit_or_error``) is not listed.
"""
from __future__ import annotations

from typing import Any

from quiz.api import bp

ERROR = {"$ref": "#/components/responses/Error"}


def _op(summary: str, *, ok: dict[str, Any] | None = None, body: dict[str, Any] | None = None, status: str = "200",
        errors: tuple[str, ...] = ("401",), extra: dict[str, Any] | None = None, csrf: bool = False) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": {status: {"description": "OK", "content": {"application/json": {"schema": ok or {"type": "object"}}}}}}
    for code in errors:
        op["responses"][code] = ERROR
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if csrf:
        op["parameters"] = [{"$ref": "#/components/parameters/CSRF"}]
    if extra:
        op["responses"].update(extra)
    return op


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


ID = lambda name: {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}  # noqa: E731

SCHEMAS: dict[str, Any] = {
    "Error": {"type": "object", "required": ["error"], "properties": {"error": {
        "type": "object", "required": ["code", "message"],
        "properties": {"code": {"type": "string", "example": "deadline_passed"}, "message": {"type": "string"}}}}},
    "User": {"type": "object", "properties": {
        "id": {"type": "integer"}, "username": {"type": "string"}, "name": {"type": "string"},
        "unit_id": {"type": "integer"}, "unit": {"type": "string"}, "roles": {"type": "array", "items": {"type": "string"}},
        "must_change_password": {"type": "boolean"}}},
    "Session": {"type": "object", "properties": {"user": _ref("User"), "csrf_token": {"type": "string"}}},
    "Contest": {"type": "object", "properties": {
        "id": {"type": "integer"}, "title": {"type": "string"}, "notice": {"type": "string"},
        "opens_at": {"type": "string", "format": "date-time"}, "closes_at": {"type": "string", "format": "date-time"},
        "time_limit_minutes": {"type": ["integer", "null"]}, "attempts_allowed": {"type": "integer"},
        "pass_score": {"type": ["number", "null"]}, "one_page": {"type": "boolean"},
        "phase": {"type": "string", "enum": ["upcoming", "running", "closed"]},
        "integrity": {"type": "object"},
        "my": {"type": "object", "properties": {
            "attempts_used": {"type": "integer"}, "in_progress_attempt_id": {"type": ["integer", "null"]},
            "best_score": {"type": ["number", "null"]}, "last_score": {"type": ["number", "null"]},
            "can_start": {"type": "boolean"}}}}},
    "Question": {"type": "object", "required": ["id", "position", "type", "stem", "options", "blanks", "points"], "properties": {
        "id": {"type": "integer"}, "position": {"type": "integer"},
        "type": {"type": "string", "enum": ["single", "multiple", "true_false", "fill_blank", "short_answer"]},
        "stem": {"type": "string"},
        "options": {"type": "array", "items": {"type": "object", "properties": {"key": {"type": "string"}, "text": {"type": "string"}}}},
        "blanks": {"type": "integer"}, "points": {"type": "number"}}},
    "Result": {"type": "object", "properties": {
        "status": {"type": "string", "enum": ["submitted", "expired"]}, "score": {"type": ["number", "null"]},
        "max_score": {"type": ["number", "null"]}, "passed": {"type": ["boolean", "null"]},
        "needs_marking": {"type": ["boolean", "null"]}, "released": {"type": "boolean"}}},
    "Attempt": {"type": "object", "properties": {
        "id": {"type": "integer"}, "contest_id": {"type": ["integer", "null"]}, "kind": {"type": "string"},
        "number": {"type": "integer"}, "status": {"type": "string", "enum": ["in_progress", "submitted", "expired"]},
        "started_at": {"type": "string", "format": "date-time"}, "deadline": {"type": "string", "format": "date-time"},
        "server_time": {"type": "string", "format": "date-time"}, "remaining_seconds": {"type": "integer"},
        "questions": {"type": "array", "items": _ref("Question")},
        "responses": {"type": "object", "description": "question id -> saved response, in display keys",
                      "additionalProperties": {"type": "object", "properties": {
                          "value": {}, "seq": {"type": "integer"}, "saved_at": {"type": "string", "format": "date-time"}}}},
        "result": {"oneOf": [_ref("Result"), {"type": "null"}]}}},
    "SaveRequest": {"type": "object", "required": ["answer"], "properties": {
        "answer": {"description": "single \"B\"; multiple [\"A\",\"C\"]; true_false true/false; fill_blank [\"…\"]; short_answer \"…\"; null clears"},
        "seq": {"type": "integer", "minimum": 0, "description": "client counter; a lower seq than stored is acknowledged, not stored"}}},
    "SaveResult": {"type": "object", "properties": {
        "saved_at": {"type": "string", "format": "date-time"}, "remaining_seconds": {"type": "integer"},
        "stored": {"type": "boolean", "description": "false: an older save (lower seq) acknowledged without overwriting"}}},
    "Events": {"type": "object", "properties": {
        "tab_switches": {"type": "integer", "minimum": 0, "description": "cumulative count on this attempt"},
        "pastes": {"type": "integer", "minimum": 0, "description": "cumulative count on this attempt"}}},
    "Leaderboard": {"type": "object", "properties": {
        "contest_id": {"type": "integer"}, "phase": {"type": "string"}, "server_time": {"type": "string"},
        "rows": {"type": "array", "items": {"type": "object"}}, "units": {"type": "array", "items": {"type": "object"}}}},
}

PATHS: dict[str, Any] = {
    "/api/v1/session": {
        "post": {**_op("Sign in (JSON only; no CSRF token needed)", ok=_ref("Session"), errors=("400", "401", "413", "429"),
                       body={"type": "object", "required": ["username", "password"],
                             "properties": {"username": {"type": "string"}, "password": {"type": "string"}}}),
                 "security": []},
        "get": _op("The signed-in user and a fresh CSRF token", ok=_ref("Session")),
        "delete": _op("Sign out", csrf=True, errors=("400", "401", "413")),
    },
    "/api/v1/contests": {
        "get": _op("Contests open to me, with my status in each",
                   ok={"type": "object", "properties": {"server_time": {"type": "string"}, "contests": {"type": "array", "items": _ref("Contest")}}}),
    },
    "/api/v1/contests/{contest_id}": {
        "parameters": [ID("contest_id")],
        "get": _op("One contest (the notice page)", ok=_ref("Contest"), errors=("401", "403", "404")),
    },
    "/api/v1/contests/{contest_id}/attempts": {
        "parameters": [ID("contest_id")],
        "post": _op("Start, or resume the attempt in progress (200)", ok=_ref("Attempt"), status="201", csrf=True,
                    errors=("400", "401", "403", "404", "409", "413", "503"),
                    extra={"200": {"description": "the attempt already in progress", "content": {"application/json": {"schema": _ref("Attempt")}}}}),
    },
    "/api/v1/contests/{contest_id}/leaderboard": {
        "parameters": [ID("contest_id"), {"name": "limit", "in": "query", "schema": {"type": "integer", "default": 100, "maximum": 1000}}],
        "get": _op("Leaderboard and per-unit standings, as the contest's visibility and results release allow; read after "
                   "close, it first finalises expired attempts (503 if that cannot be committed)", ok=_ref("Leaderboard"),
                   errors=("401", "404", "503")),
    },
    "/api/v1/attempts/{attempt_id}": {
        "parameters": [ID("attempt_id")],
        "get": _op("My attempt with saved responses and remaining_seconds; past deadline + grace it is finalised first "
                   "(503 if that cannot be committed)", ok=_ref("Attempt"), errors=("401", "404", "503")),
    },
    "/api/v1/attempts/{attempt_id}/responses/{question_id}": {
        "parameters": [ID("attempt_id"), ID("question_id")],
        "put": _op("Save one answer (acknowledged only after commit)", ok=_ref("SaveResult"), body=_ref("SaveRequest"), csrf=True,
                   errors=("400", "401", "404", "409", "413", "422", "503")),
    },
    "/api/v1/attempts/{attempt_id}/submit": {
        "parameters": [ID("attempt_id")],
        "post": _op("Submit (idempotent: graded once, the same result again)", ok=_ref("Result"), csrf=True,
                    errors=("400", "401", "404", "413", "503")),
    },
    "/api/v1/attempts/{attempt_id}/events": {
        "parameters": [ID("attempt_id")],
        "post": _op("Integrity signals: cumulative tab switches and pastes", body=_ref("Events"), csrf=True,
                    ok={"type": "object", "properties": {"status": {"type": "string"}, "tab_switches": {"type": "integer"}, "pastes": {"type": "integer"}}},
                    errors=("400", "401", "404", "413", "422", "503")),
    },
    "/api/v1/openapi.json": {
        "get": {"summary": "This document", "security": [], "responses": {"200": {"description": "OpenAPI 3 document"}}},
    },
}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "组工知识考试平台 attempt API", "version": "1",
             "description": "See docs/api.md. Times are UTC (ISO 8601, Z). Writes need the X-CSRFToken header."},
    "servers": [{"url": "/"}],
    "security": [{"session": []}],
    "paths": PATHS,
    "components": {
        "schemas": SCHEMAS,
        "responses": {"Error": {"description": "An error; message in the user's language",
                                "content": {"application/json": {"schema": _ref("Error")}}}},
        "parameters": {"CSRF": {"name": "X-CSRFToken", "in": "header", "required": True, "schema": {"type": "string"},
                                "description": "the csrf_token from POST/GET /api/v1/session"}},
        "securitySchemes": {"session": {"type": "apiKey", "in": "cookie", "name": "session"}},
    },
}


@bp.get("/openapi.json")
def openapi_document():
    return DOCUMENT
