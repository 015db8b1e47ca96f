"""A JSON body nested deeper than the API reads is refused as a bad body (400, naming the
body) before any parser sees it; Python's parser would give up with a RecursionError, a 500."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from partnercontact.api.bodies import MAX_JSON_DEPTH
from partnercontact.client_side.cases.models import Client
from partnercontact.db import db
from tests.cases_built import client_of
from tests.factories import Factory
from tests.helpers import api_token

CLIENT = {"name": "Kalle Testsson", "phone": "0701234567", "language": "sv"}
DEEP = 5000
BODIES = {
    "arrays": "[" * DEEP + "]" * DEEP,
    "objects": '{"a":' * DEEP + "1" + "}" * DEEP,
    "a-deep-field": '{"name": ' + "[" * DEEP + "]" * DEEP + "}",
    "mixed": '{"name": [' * DEEP + "null" + "]}" * DEEP,
    "unclosed": "[" * DEEP,
}


def _api(app: Flask, factory: Factory) -> tuple[FlaskClient, str]:
    treater = factory.client_treater()
    api = app.test_client()
    api.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {api_token(treater)}"
    return api, str(client_of(treater.user))


def _clients() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Client)) or 0


@pytest.mark.parametrize("body", BODIES.values(), ids=BODIES.keys())
def test_a_deeply_nested_body_is_refused_as_a_bad_body(
    app: Flask, factory: Factory, body: str
) -> None:
    api, client_id = _api(app, factory)
    before = _clients()
    for path in (
        "/api/v1/clients",
        f"/api/v1/clients/{client_id}/episode/start",
        f"/api/v1/clients/{client_id}/handover",
        f"/api/v1/clients/{client_id}/sessions",
    ):
        response = api.post(path, data=body, content_type="application/json")
        assert response.status_code == 400, (path, response.status_code)
        answer = response.get_json()
        assert answer["status"] == 400 and answer["field"] == "json", answer
        assert f"{MAX_JSON_DEPTH}" in answer["error"], answer
    assert _clients() == before


def test_depth_is_counted_outside_strings_only(app: Flask, factory: Factory) -> None:
    api, _ = _api(app, factory)
    brackets = "[{" * DEEP + '\\"' + "}]" * DEEP
    body = json.dumps({**CLIENT, "name": brackets})
    response = api.post("/api/v1/clients", data=body, content_type="application/json")
    # Read as a name (too long a name for the service, but not a body too deep to read).
    assert response.status_code != 400 or response.get_json()["field"] != "json"
    assert response.status_code < 500


def test_a_body_at_the_limit_and_an_ordinary_body_still_work(app: Flask, factory: Factory) -> None:
    api, _ = _api(app, factory)
    before = _clients()
    created = api.post("/api/v1/clients", json=CLIENT)
    assert created.status_code == 201, created.get_json()
    assert _clients() == before + 1
    # As deep as allowed: the body is read, and refused for what it is (a list, not a client).
    at_limit = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    response = api.post("/api/v1/clients", data=at_limit, content_type="application/json")
    assert response.status_code == 422
    too_deep = "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)
    response = api.post("/api/v1/clients", data=too_deep, content_type="application/json")
    assert response.status_code == 400 and response.get_json()["field"] == "json"
