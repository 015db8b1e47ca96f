"""Hostile input: schemathesis drives every operation of the OpenAPI document as every role,
and each answer must be one the document promises: never a server error, a documented status,
the declared content type, a body that matches its schema, a refusal for input the document
calls invalid, 405 with ``Allow`` for a method the address does not take, and 401 for the same
request without its token (schemathesis's standard checks).

The operations are read from the document the app serves when the test runs, so an operation
added tomorrow is covered without touching this file. The requests reach a seeded world: path
parameters are often the ids of real records (the role's own case first, then a colleague's,
one waiting for pick-up, another clinic's), so they reach the services as well as the 404.
"""

from __future__ import annotations

import contextvars
import copy
from collections.abc import Iterable
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from sqlalchemy import select

from partnercontact.api.docs import METHODS, permissions_by_operation
from partnercontact.db import db
from partnercontact.partner_side.escalations import Escalation
from partnercontact.partner_side.models import Child, SafetyPlan, UrgentTask
from partnercontact.partner_side.scheduling.models import ContactSession, StaffReminder
from partnercontact.policy import ROLE_PERMISSIONS, Role
from partnercontact.relay.models import RelayEvent
from tests.factories import Factory
from tests.helpers import api_token
from tests.web.canary import CanaryWorld, build_canary_world

DOCUMENT = "/api/v1/openapi.json"

# Path parameters naming records below a case, and where their real ids are; any other name
# is only ever generated, so it names a record that does not exist.
RECORDS = {
    "child_id": Child,
    "plan_id": SafetyPlan,
    "task_id": UrgentTask,
    "event_id": RelayEvent,
    "session_id": ContactSession,
    "reminder_id": StaffReminder,
    "escalation_id": Escalation,
}

# Every check schemathesis has but one: "positive data acceptance" expects each request the
# document calls valid to succeed, but a service refuses valid-looking input for reasons a
# schema cannot state (a date in the future, a consent already withdrawn) with a documented
# 400. Whether the document's refusals are right is status_code_conformance's job.
CHECKS = {"positive_data_acceptance": {"enabled": False}}

# Bounded so that the file runs in a few minutes on two cores however many operations the
# document holds. The operations a role may use get the coverage phase (boundary, missing and
# wrongly typed values of every input, and methods the address does not take) and a few
# generated requests; those it may not use are refused by the policy before their input is
# read, so two generated requests show that the refusal is a documented one.
HELD = settings(
    max_examples=6,
    derandomize=True,
    database=None,
    deadline=None,
    # One seeded world serves every request of a test: function-scoped on purpose; and the
    # world makes the first draws slow.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
REFUSED = settings(HELD, max_examples=2)
# A method no operation takes is enough to show the 405 and its Allow header.
UNEXPECTED_METHODS = ["PATCH"]


# PostgreSQL only: it is the stricter of the two databases. It refuses a NUL byte in text, an
# integer outside its column's range and text longer than its column, all of which SQLite
# stores, so an input reaching the database unchecked shows here as a 500 and would pass
# unseen on SQLite; and one database keeps the file within its time.
@pytest.fixture
def backend() -> str:
    return "postgresql"


@pytest.fixture(params=list(Role), ids=lambda role: role.value)
def role(request: pytest.FixtureRequest) -> Role:
    return request.param


# The administrator runs the installation, not cases: no operation of the API is theirs
# (test_the_administrator_may_use_no_operation holds that).
HELD_ROLES = [Role.CLIENT_TREATER, Role.PARTNER_TREATER, Role.MANAGER]


@pytest.fixture(params=HELD_ROLES, ids=lambda role: role.value)
def held_role(request: pytest.FixtureRequest) -> Role:
    return request.param


@pytest.fixture(autouse=True)
def _node_id(request: pytest.FixtureRequest) -> None:
    # schemathesis 4.32 names each operation's report by rewriting the test item's private
    # ``_nodeid``, which pytest 9.2 no longer has; giving it one lets the per-operation
    # reports work (and is harmless once schemathesis stops reading it).
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


class _OwnContexts:
    """The app as a WSGI server runs it: each request in a context of its own. Otherwise every
    request would share the test's application context, and with it ``g``, where Flask-Login
    keeps the user it found: after one request without a token every later one would be
    anonymous (IsolatedClient in tests/conftest.py does the same for the test client)."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        return contextvars.Context().run(self.app, environ, start_response)


def _document(app: Flask, role: Role, *, held: bool) -> dict[str, Any]:
    """The served document with only the operations ``role`` may use (``held``) or may not."""
    response = app.test_client().get(DOCUMENT)
    assert response.status_code == 200
    document = copy.deepcopy(response.get_json())
    permissions = permissions_by_operation()
    paths = {}
    for path, item in document["paths"].items():
        kept = {
            key: value
            for key, value in item.items()
            if key not in METHODS
            or (permissions.get((path, key)) in ROLE_PERMISSIONS[role]) == held
        }
        if any(method in kept for method in METHODS):
            paths[path] = kept
    document["paths"] = paths
    return document


def _schema(app: Flask, document: dict[str, Any], secret: str, **config: Any) -> Any:
    schema = schemathesis.openapi.from_dict(
        document,
        config=schemathesis.Config.from_dict(
            {"auth": {"openapi": {"token": {"bearer": secret}}}, "checks": CHECKS, **config}
        ),
    )
    schema.app = _OwnContexts(app)
    return schema


def _real_ids(world: CanaryWorld) -> dict[str, list[str]]:
    """Every real id of each record parameter, the role's own case's first."""
    cases = [world.own, world.colleague, world.waiting, world.foreign]
    ids = {name: [str(case.url_values[name]) for case in cases] for name in world.own.url_values}
    for name, model in RECORDS.items():
        query = select(model.id)
        if hasattr(model, "partner_case_id"):
            query = query.order_by(model.partner_case_id != world.own.case_id)
        ids[name] = [str(record_id) for record_id in db.session.scalars(query)]
    return ids


def _with_examples(document: dict[str, Any], ids: dict[str, list[str]]) -> dict[str, Any]:
    """Give each path parameter naming a record the own case's id as its example: the
    coverage phase builds its valid requests from examples, so they reach a real record."""
    for item in document["paths"].values():
        for operation in [item, *(item[method] for method in METHODS if method in item)]:
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "path" and ids.get(parameter["name"]):
                    parameter["example"] = ids[parameter["name"]][0]
    return document


@pytest.fixture
def held_operations(app: Flask, held_role: Role, request: pytest.FixtureRequest) -> Any:
    """The operations ``role`` may use, over a seeded world."""
    role = held_role
    document = _document(app, role, held=True)
    assert document["paths"], f"{role.value} may use no operation of the API"
    world: CanaryWorld = request.getfixturevalue("world")
    ids = _real_ids(world)
    schema = _schema(
        app,
        _with_examples(document, ids),
        api_token(world.accounts[role]),
        phases={"coverage": {"unexpected-methods": UNEXPECTED_METHODS}},
    )

    # The fuzzing phase draws path parameters as generated, as the own case's records, or as
    # any mix of real records (a colleague's child under one's own case, say).
    @schema.hook
    def before_generate_path_parameters(context: Any, strategy: Any) -> Any:
        names = [parameter.name for parameter in context.operation.path_parameters]
        if not names or not all(ids.get(name) for name in names):
            return strategy
        own = {name: ids[name][0] for name in names}
        mixed = st.fixed_dictionaries({name: st.sampled_from(ids[name]) for name in names})
        return st.one_of(strategy, st.just(own), mixed)

    return schema


@pytest.fixture
def refused_operations(app: Flask, factory: Factory, role: Role) -> Any:
    """The operations ``role`` may not use: the policy refuses them before any record is
    read, so they need no world."""
    document = _document(app, role, held=False)
    assert document["paths"], f"{role.value} may use every operation of the API"
    return _schema(
        app,
        document,
        api_token(factory.account(role)),
        phases={"examples": {"enabled": False}, "coverage": {"enabled": False}},
        generation={"mode": "positive"},
    )


@pytest.fixture
def world(factory: Factory, clock) -> CanaryWorld:
    return build_canary_world(factory, clock)


held = schemathesis.pytest.from_fixture("held_operations")
refused = schemathesis.pytest.from_fixture("refused_operations")


def test_the_administrator_may_use_no_operation(app: Flask) -> None:
    assert _document(app, Role.ADMIN, held=True)["paths"] == {}


@held.parametrize()
@HELD
def test_what_a_role_may_use_answers_only_as_documented(case: Any) -> None:
    case.call_and_validate()


@refused.parametrize()
@REFUSED
def test_what_a_role_may_not_use_is_refused_as_documented(case: Any) -> None:
    case.call_and_validate()
