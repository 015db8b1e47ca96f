"""The wall, route by route: every route in the URL map, every role, every method."""

from __future__ import annotations

import pytest
from flask import Flask

from partnercontact.policy import Permission, Role, can, requires, undeclared_endpoints
from partnercontact.policy.access import declared_permission, is_public
from tests.factories import Factory
from tests.helpers import log_in, sample_url, use_api_token

ROLES = [None, *Role]


def test_every_route_declares_public_or_a_permission(app: Flask) -> None:
    assert undeclared_endpoints(app) == []


def test_a_route_without_a_permission_fails_the_coverage_check_and_is_denied(
    app: Flask, factory: Factory, clock
) -> None:
    def forgotten() -> str:
        return "secret"

    app.add_url_rule("/forgotten", "forgotten", forgotten)
    assert undeclared_endpoints(app) == ["forgotten"]
    admin = factory.admin()
    client = app.test_client()
    log_in(client, admin, clock)
    response = client.get("/forgotten")
    assert response.status_code == 403
    assert "secret" not in response.get_data(as_text=True)


def test_the_coverage_check_accepts_a_declared_route(app: Flask) -> None:
    @requires(Permission.MANAGEMENT_VIEW)
    def declared() -> str:
        return "ok"

    app.add_url_rule("/declared", "declared", declared)
    assert undeclared_endpoints(app) == []


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value if r else "anonymous")
def test_role_by_route(app: Flask, factory: Factory, clock, role: Role | None) -> None:
    client = app.test_client()
    values: dict[str, object] = {}
    if role is not None:
        account = factory.account(role)
        log_in(client, account, clock)
        use_api_token(client, account)
        values["user_id"] = account.user.id
    failures = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        view = app.view_functions[rule.endpoint]
        if is_public(view):
            continue
        permission = declared_permission(view)
        url = sample_url(rule, values)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            status = response.status_code
            location = response.headers.get("Location", "")
            if role is None and rule.rule.startswith("/api/"):
                ok = status == 401
                expected = "401 (the API answers to tokens only)"
            elif role is None:
                ok = status == 302 and "/login" in location
                expected = "redirect to login"
            elif can(type("Actor", (), {"role": role.value, "is_active": True})(), permission):
                ok = status not in (401, 403) and "/login" not in location
                expected = "allowed"
            elif rule.arguments:
                # A route about one record hides whether it exists from the wrong side.
                ok = status == 404
                expected = "404"
            else:
                ok = status == 403
                expected = "403"
            if not ok:
                failures.append(f"{method} {url} as {role}: {status} (expected {expected})")
    assert failures == []
