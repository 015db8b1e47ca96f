"""Management through the API: the same statistics, register and task list as the pages, with
the same numbers hidden and nothing clinical in them."""

from __future__ import annotations

from flask import Flask

from partnercontact.db import db
from partnercontact.partner_side.escalations import raise_escalation
from partnercontact.partner_side.service import pick_up
from tests.cases_built import client_of, signed_consent_of
from tests.factories import Factory
from tests.helpers import api_token, log_in, text_of
from tests.partners.conftest import handed_over_case
from tests.statistics.known_history import seed_known_history


def _get(app: Flask, secret: str, url: str):  # type: ignore[no-untyped-def]
    return app.test_client().get(url, headers={"Authorization": f"Bearer {secret}"})


def _line(answer: dict, section: str, line: str) -> dict:
    found = next(s for s in answer["sections"] if s["key"] == section)
    return next(item for item in found["lines"] if item["key"] == line)


def test_statistics_show_the_pages_numbers_and_hide_the_same_ones(
    app: Flask, factory: Factory, clock
) -> None:
    seeded = seed_known_history(factory, clock)
    secret = api_token(seeded.manager)
    response = _get(app, secret, "/api/v1/management/statistics?period=2026-03")
    assert response.status_code == 200
    answer = response.get_json()
    assert answer["period"]["key"] == "2026-03" and answer["previous"]["key"] == "2026-02"
    treated = _line(answer, "clients", "in_treatment")
    assert (treated["current"]["value"], treated["previous"]["value"]) == (16, 9)
    dropouts = _line(answer, "clients", "dropouts")["current"]
    # A hidden number is not in the answer at all: only that it is hidden.
    assert dropouts == {"value": None, "hidden": True, "text": "<5"}
    assert _line(answer, "timing", "median_days")["current"]["value"] == 6.5
    # The page agrees.
    browser = app.test_client()
    log_in(browser, seeded.manager, clock)
    page = text_of(browser.get("/management/statistics?period=2026-03"))
    assert 'data-line="clients.in_treatment"' in page


def test_a_bad_period_names_the_field(app: Flask, factory: Factory, clock) -> None:
    secret = api_token(factory.manager())
    for period in ("2026-13", "march", "2099-01"):
        response = _get(app, secret, f"/api/v1/management/statistics?period={period}")
        assert response.status_code == 400, period
        assert response.get_json()["field"] == "period"


def test_the_register_lists_consent_metadata_and_filters_like_the_page(
    app: Flask, factory: Factory, clock
) -> None:
    treater = factory.client_treater()
    client_id = client_of(treater.user, name="Klientnamnet Syns Inte")
    consent = signed_consent_of(treater.user, client_id, clock)
    secret = api_token(factory.manager())
    response = _get(app, secret, "/api/v1/management/consents?state=given")
    assert response.status_code == 200
    answer = response.get_json()
    assert [row["consent_id"] for row in answer["rows"]] == [str(consent.id)]
    assert answer["counts"]["given"] == 1
    assert "Klientnamnet" not in response.get_data(as_text=True)
    detail = _get(app, secret, f"/api/v1/management/consents/{consent.id}").get_json()
    assert detail["row"]["state"] == "given"
    assert any(entry["action"] == "consent.recorded" for entry in detail["trail"])

    refused = _get(app, secret, "/api/v1/management/consents?state=refused").get_json()
    assert refused["rows"] == []
    for query, field in (
        ("signed_from=2026-02-30", "signed_from"),
        ("signed_to=", "signed_to"),
        ("version=any", "version"),
        ("state=lost", "state"),
    ):
        bad = _get(app, secret, f"/api/v1/management/consents?{query}")
        assert bad.status_code == 422 and bad.get_json()["field"] == field, query
    backwards = _get(
        app, secret, "/api/v1/management/consents?signed_from=2026-03-01&signed_to=2026-02-01"
    )
    assert backwards.status_code == 400 and backwards.get_json()["field"] == "signed_to"


def test_an_escalation_is_listed_and_handled_once(app: Flask, factory: Factory, clock) -> None:
    case = handed_over_case(factory, clock, client_treater=factory.client_treater())
    holder = factory.partner_treater()
    pick_up(holder.user, case.id)
    escalation = raise_escalation(
        holder.user, case.id, reason="risk_consultation", urgency="urgent"
    )
    db.session.commit()
    secret = api_token(factory.manager())
    tasks = _get(app, secret, "/api/v1/management/tasks").get_json()
    assert [(t["kind"], t["id"], t["urgent"]) for t in tasks] == [
        ("escalation", str(escalation.id), True)
    ]
    url = f"/api/v1/management/escalations/{escalation.id}/handle"
    headers = {"Authorization": f"Bearer {secret}"}
    refused = app.test_client().post(url, json={"outcome": "somehow"}, headers=headers)
    assert refused.status_code == 422 and refused.get_json()["field"] == "outcome"
    handled = app.test_client().post(url, json={"outcome": "consulted"}, headers=headers)
    assert handled.status_code == 200 and handled.get_json()["outcome"] == "consulted"
    assert _get(app, secret, "/api/v1/management/tasks").get_json() == []
    again = app.test_client().post(url, json={"outcome": "consulted"}, headers=headers)
    assert again.status_code == 404


def test_treaters_and_administrators_reach_no_management_operation(
    app: Flask, factory: Factory
) -> None:
    for account in (factory.client_treater(), factory.partner_treater(), factory.admin()):
        secret = api_token(account)
        for url in ("/api/v1/management/statistics", "/api/v1/management/consents"):
            assert _get(app, secret, url).status_code == 403, (account.user.role, url)
