"""The OpenAPI document at /api/v1/openapi.json is in step with the routes."""
from __future__ import annotations

import re

HTTP_METHODS = {"get", "put", "post", "delete", "patch"}


def _routes(app) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found.add((path, method.lower()))
    return found


def _documented(document) -> set[tuple[str, str]]:
    return {(path, method) for path, item in document["paths"].items() for method in item if method in HTTP_METHODS}


def test_every_api_route_is_documented_and_every_documented_path_exists(client, app):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.")
    routes, documented = _routes(app), _documented(document)
    assert routes, "no /api/v1 routes registered"
    assert routes - documented == set(), f"routes missing from the OpenAPI document: {sorted(routes - documented)}"
    assert documented - routes == set(), f"documented paths with no route: {sorted(documented - routes)}"


def test_path_parameters_are_declared(client):
    document = client.get("/api/v1/openapi.json").get_json()
    for path, item in document["paths"].items():
        declared = {p["name"] for p in item.get("parameters", []) if p.get("in") == "path"}
        assert set(re.findall(r"{(\w+)}", path)) == declared, path


def test_every_reference_resolves(client):
    document = client.get("/api/v1/openapi.json").get_json()
    refs = re.findall(r'"\$ref": "#/([^"]+)"', __import__("json").dumps(document))
    for ref in refs:
        node = document
        for part in ref.split("/"):
            assert part in node, ref
            node = node[part]
