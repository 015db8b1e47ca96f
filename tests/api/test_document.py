"""The API's OpenAPI document and its page, and the answers the API gives before any
operation runs (no token, an unknown address, a method the address does not take, a body that
cannot be read): what an integrator reads first, and what a client sees when it gets a request
wrong."""

from __future__ import annotations

import html
from typing import Any

import pytest
import schemathesis
from flask import Flask

from partnercontact.api.docs import METHODS, openapi_path, permissions_by_operation
from partnercontact.api.errors import ErrorOut
from partnercontact.policy import ROLE_PERMISSIONS
from tests.factories import Factory
from tests.helpers import api_token, text_of

DOCUMENT = "/api/v1/openapi.json"
DOCS_PAGE = "/api/v1/docs"
# The document and its page describe the API and are not operations of it.
NOT_OPERATIONS = {DOCUMENT, DOCS_PAGE}
CLIENT = {"name": "Kalle Testsson", "phone": "0701234567", "language": "sv"}


def _document(app: Flask) -> dict[str, Any]:
    response = app.test_client().get(DOCUMENT)
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, item[method])
        for path, item in document["paths"].items()
        for method in METHODS
        if method in item
    ]


def _parameters(document: dict[str, Any], path: str, operation: dict[str, Any]) -> list[dict]:
    return [*document["paths"][path].get("parameters", []), *operation.get("parameters", [])]


def test_the_document_is_served_without_a_token_as_valid_openapi_3(app: Flask) -> None:
    document = _document(app)
    assert document["openapi"].startswith("3.")
    # Raises with the first place the document breaks the OpenAPI 3 schema.
    schemathesis.openapi.from_dict(document).validate()
    schemes = document["components"]["securitySchemes"]
    bearer = [
        name
        for name, scheme in schemes.items()
        if scheme.get("type") == "http" and scheme.get("scheme") == "bearer"
    ]
    assert bearer and document["security"] == [{bearer[0]: []}]
    assert _operations(document)


def test_every_route_under_the_api_is_in_the_document(app: Flask) -> None:
    documented = {(path, method) for path, method, _ in _operations(_document(app))}
    routes = {
        (openapi_path(rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/") and rule.rule not in NOT_OPERATIONS
        for method in rule.methods or ()
        if method.lower() in METHODS
    }
    assert sorted(routes - documented) == []
    assert sorted(documented - routes) == []


def test_every_status_the_framework_can_answer_is_documented(app: Flask) -> None:
    """The statuses an operation answers before or around its own code, whoever wrote it: 401
    without a token, 404 for a record the role may not see or an id that is not one, 403 for
    a role without the permission, 400 and 422 for a body or query that cannot be read."""
    document = _document(app)
    permissions = permissions_by_operation()
    missing = []
    for path, method, operation in _operations(document):
        statuses = set(operation["responses"])
        expected = {"401"}
        parameters = _parameters(document, path, operation)
        if any(parameter["in"] == "path" for parameter in parameters):
            expected.add("404")
        elif not all(permissions[(path, method)] in held for held in ROLE_PERMISSIONS.values()):
            expected.add("403")
        if "requestBody" in operation:
            expected |= {"400", "422"}
        if any(parameter["in"] == "query" for parameter in parameters):
            expected.add("422")
        if not expected <= statuses:
            missing.append(f"{method.upper()} {path}: {sorted(expected - statuses)}")
        # No catch-all: each status is written out.
        assert "default" not in statuses, f"{method.upper()} {path}"
        assert permissions.get((path, method)), f"{method.upper()} {path} declares no permission"
    assert missing == []


@pytest.mark.parametrize(
    ("language", "words"),
    [("sv", ("Metod", "Behörighet", "Svar")), ("en", ("Method", "Permission", "Answers"))],
    ids=["swedish", "english"],
)
def test_the_docs_page_shows_every_operation(
    app: Flask, language: str, words: tuple[str, ...]
) -> None:
    document = _document(app)
    response = app.test_client().get(DOCS_PAGE, headers={"Accept-Language": language})
    assert response.status_code == 200
    page = html.unescape(text_of(response))
    assert f'<html lang="{language}">' in page
    assert [word for word in words if word not in page] == []
    absent = [
        f"{method.upper()} {path}"
        for path, method, operation in _operations(document)
        if f"<code>{method.upper()} {path}</code>" not in page
        or operation.get("summary", "") not in page
    ]
    assert absent == []


# --- what the API answers when the request is wrong before any operation runs ----------------


def _is_error(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, text_of(response)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert ErrorOut().validate(body) == {} and body["status"] == status and body["error"]
    assert body.get("field") == field
    return body


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNzd29yZA==",
        "Bearer pc_" + "A" * 43,
        "Bearer pc_" + "A" * 5000,
        "Bearer pc_ÅÄÖ",
        "Bearer pc_\x00",
        "Bearer\tpc_" + "A" * 43,
    ],
    ids=[
        "none",
        "empty",
        "scheme-only",
        "scheme-and-space",
        "basic",
        "unknown-token",
        "long-token",
        "latin-1",
        "nul-byte",
        "tab",
    ],
)
def test_a_request_without_a_valid_token_is_answered_401(
    app: Flask, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = app.test_client().get("/api/v1/clients", headers=headers)
    _is_error(response, 401)
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_token_sent_with_another_scheme_is_not_accepted(app: Flask, factory: Factory) -> None:
    secret = api_token(factory.client_treater())
    api = app.test_client()
    assert (
        api.get("/api/v1/clients", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    )
    _is_error(api.get("/api/v1/clients", headers={"Authorization": f"Basic {secret}"}), 401)
    _is_error(api.get("/api/v1/clients", headers={"Authorization": secret}), 401)


def test_an_unknown_address_and_a_wrong_method_answer_json(app: Flask, factory: Factory) -> None:
    api = app.test_client()
    api.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {api_token(factory.client_treater())}"
    _is_error(api.get("/api/v1/nothing-here"), 404)
    _is_error(api.get("/api/v1/clients/not-an-id"), 404)
    wrong_method = api.delete("/api/v1/clients")
    _is_error(wrong_method, 405)
    assert {"GET", "POST"} <= set(wrong_method.headers["Allow"].split(", "))


# A body that is missing or not JSON reads as an empty object (webargs), so a record route
# can look the record up first and answer 404 about another's record whatever is sent (the wall
# tests); here, without a record, it is refused for what it lacks.
@pytest.mark.parametrize(
    ("request_kwargs", "status", "field"),
    [
        ({}, 422, "language"),
        ({"data": {"name": "Kalle"}}, 422, "language"),
        ({"data": '{"name": "Kalle"}', "content_type": "text/plain"}, 422, "language"),
        ({"data": "{", "content_type": "application/json"}, 400, "json"),
        ({"data": b"\xff", "content_type": "application/json"}, 400, "json"),
        ({"json": [CLIENT]}, 422, "json"),
        ({"json": {**CLIENT, "name": 5}}, 422, "name"),
        ({"json": {**CLIENT, "name": "Kalle\x00"}}, 422, "name"),
        ({"json": {**CLIENT, "nickname": "Kalle"}}, 422, "nickname"),
    ],
    ids=[
        "no-body",
        "form",
        "text",
        "broken-json",
        "not-utf-8",
        "array",
        "number-for-text",
        "nul-byte",
        "unknown-field",
    ],
)
def test_a_body_that_cannot_be_read_is_refused_and_nothing_is_made(
    app: Flask, factory: Factory, request_kwargs: dict[str, Any], status: int, field: str
) -> None:
    treater = factory.client_treater()
    api = app.test_client()
    api.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {api_token(treater)}"
    _is_error(api.post("/api/v1/clients", **request_kwargs), status, field)
    assert api.get("/api/v1/clients").get_json() == []
    # The same request, readable, is taken.
    assert api.post("/api/v1/clients", json=CLIENT).status_code == 201
