"""The client's treater through the API: the episode and its sessions, consent metadata, the
hand-over, each as the pages do it, with the same refusals, the same wall, and the same events
reaching the partner side."""

from __future__ import annotations

import uuid
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from partnercontact.client_side.cases.models import TreatmentEpisode, TreatmentSession
from partnercontact.client_side.consent.models import Consent
from partnercontact.db import db
from partnercontact.partner_side.models import PartnerCase, PartnerHandover
from partnercontact.partner_side.relay_inbox import open_tasks
from partnercontact.partner_side.service import pick_up
from partnercontact.relay.models import RelayEvent
from tests.cases_built import attach_pdf, client_of, signed_consent_of
from tests.factories import Account, Factory
from tests.helpers import api_token, log_in, text_of
from tests.partners.conftest import handed_over_case

PARTNER = {
    "partner_name": "Vera Påhittad",
    "partner_phone": "070-111 22 33",
    "partner_address": "Gränden 4\n123 45 Lindvik",
    "relation": "former",
    "children_in_common": "no",
}


def _api(app: Flask, account: Account) -> FlaskClient:
    api = app.test_client()
    api.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {api_token(account)}"
    return api


def _client_of_case(case: PartnerCase):  # type: ignore[no-untyped-def]
    return db.session.get(TreatmentEpisode, case.episode_id).client_id


def _count(model: type) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_treatment_is_started_attended_and_ended(app: Flask, factory: Factory, clock) -> None:
    treater = factory.client_treater()
    client_id = client_of(treater.user)
    opened = clock.now().date()
    clock.advance(days=2)
    today = clock.now().date()
    api = _api(app, treater)
    base = f"/api/v1/clients/{client_id}"

    started = api.post(f"{base}/episode/start", json={"started_on": opened.isoformat()})
    assert started.status_code == 200
    assert started.get_json()["status"] == "in_treatment"
    assert started.get_json()["started_on"] == opened.isoformat()

    for day, attendance in ((opened, "attended"), (today, "cancelled")):
        answer = api.post(
            f"{base}/sessions", json={"held_on": day.isoformat(), "attendance": attendance}
        )
        assert answer.status_code == 201, answer.get_json()
        assert answer.get_json()["attendance"] == attendance
    listed = api.get(f"{base}/sessions")
    assert listed.status_code == 200
    assert [s["attendance"] for s in listed.get_json()] == ["cancelled", "attended"]
    assert {s["episode_id"] for s in listed.get_json()} == {started.get_json()["id"]}

    ended = api.post(
        f"{base}/episode/end", json={"outcome": "completed", "ended_on": today.isoformat()}
    )
    assert ended.status_code == 200
    assert (ended.get_json()["status"], ended.get_json()["ended_on"]) == (
        "completed",
        today.isoformat(),
    )
    # The page shows the same episode.
    browser = app.test_client()
    log_in(browser, treater, clock)
    page = text_of(browser.get(f"/client/{client_id}"))
    assert "Avslutad behandling" in page and "Avbokat i förväg" in page
    # An ended episode takes nothing more.
    again = api.post(
        f"{base}/sessions", json={"held_on": today.isoformat(), "attendance": "attended"}
    )
    assert again.status_code == 409 and again.get_json()["field"] == "episode"


def test_consents_are_recorded_listed_and_withdrawn_as_metadata(
    app: Flask, factory: Factory, clock
) -> None:
    treater = factory.client_treater()
    client_id = client_of(treater.user)
    today = clock.now().date()
    api = _api(app, treater)
    base = f"/api/v1/clients/{client_id}"

    recorded = api.post(
        f"{base}/consents",
        json={
            "language": "sv",
            "scopes": ["contact_phone", "tell_when_ended"],
            "place": "Lindvik",
            "signed_on": today.isoformat(),
            "attested_details_given": True,
        },
    )
    assert recorded.status_code == 201
    consent = recorded.get_json()
    assert consent["state"] == "signature_pending" and consent["signed_copy"] == "pending"
    assert consent["scopes"] == ["contact_phone", "tell_when_ended"]
    assert (consent["form_version"], consent["form_language"]) == (1, "sv")
    assert consent["allows_partner_contact"] is False

    # The signed copy is attached on the page; the API then shows it in force, and only that.
    attach_pdf(treater.user, client_id, db.session.get(Consent, uuid.UUID(consent["id"])))
    listed = api.get(f"{base}/consents")
    assert listed.status_code == 200
    (shown,) = listed.get_json()
    assert (shown["state"], shown["signed_copy"], shown["allows_partner_contact"]) == (
        "given",
        "attached",
        True,
    )
    assert "%PDF" not in text_of(listed) and "content" not in shown

    withdrawn = api.post(
        f"{base}/consents/{consent['id']}/withdrawal", json={"withdrawn_on": today.isoformat()}
    )
    assert withdrawn.status_code == 200
    assert (withdrawn.get_json()["state"], withdrawn.get_json()["withdrawn_on"]) == (
        "withdrawn",
        today.isoformat(),
    )
    clock.advance(minutes=5)
    refused = api.post(
        f"{base}/refusals",
        json={
            "language": "en",
            "place": "Lindvik",
            "refused_on": today.isoformat(),
            "treatment_continues": True,
            "team_decided_on": today.isoformat(),
        },
    )
    assert refused.status_code == 201
    assert refused.get_json()["state"] == "refused"
    assert refused.get_json()["treatment_continues"] is True
    assert refused.get_json()["scopes"] == []
    states = [item["state"] for item in api.get(f"{base}/consents").get_json()]
    assert states == ["refused", "withdrawn"]
    # The partner side is told the consent was withdrawn, as from the page.
    assert [event.kind for event in db.session.scalars(select(RelayEvent))] == ["consent_withdrawn"]


def test_the_hand_over_says_when_and_never_shows_the_details_back(
    app: Flask, factory: Factory, clock
) -> None:
    treater = factory.client_treater()
    client_id = client_of(treater.user)
    api = _api(app, treater)
    base = f"/api/v1/clients/{client_id}"
    signed_consent_of(treater.user, client_id, clock)

    first = api.post(f"{base}/handover", json=PARTNER)
    assert first.status_code == 201
    assert first.get_json() == {
        "kind": "initial",
        "handed_over_on": clock.now().date().isoformat(),
        "partner": 1,
    }
    correction = api.post(f"{base}/handover", json={**PARTNER, "partner_phone": "0709998877"})
    assert correction.status_code == 201 and correction.get_json()["kind"] == "correction"
    assert _count(PartnerHandover) == 2

    client = api.get(base)
    assert [stamp["kind"] for stamp in client.get_json()["handovers"]] == [
        "initial",
        "correction",
    ]
    # Nothing the client side reads in the API holds what was handed over.
    for answer in (first, correction, client, api.get(f"{base}/consents")):
        body = text_of(answer)
        assert "Vera" not in body and "Gränden" not in body and "111 22 33" not in body
    assert api.get(f"{base}/handover").status_code == 405


def test_refusals_name_their_field_and_write_nothing(app: Flask, factory: Factory, clock) -> None:
    treater = factory.client_treater()
    client_id = client_of(treater.user)
    signed = client_of(treater.user, name="Olle Testsson")
    consent = signed_consent_of(treater.user, signed, clock)
    today = clock.now().date()
    tomorrow = (today + timedelta(days=1)).isoformat()
    api = _api(app, treater)
    base = f"/api/v1/clients/{client_id}"
    consent_body = {
        "language": "sv",
        "scopes": ["contact_letter"],
        "place": "Lindvik",
        "signed_on": today.isoformat(),
        "attested_details_given": True,
    }
    refusal_body = {
        "language": "sv",
        "place": "Lindvik",
        "refused_on": today.isoformat(),
        "treatment_continues": False,
        "team_decided_on": today.isoformat(),
    }
    cases = [
        (f"{base}/episode/start", {"started_on": tomorrow}, 400, "started_on"),
        (f"{base}/episode/start", {}, 422, "started_on"),
        (f"{base}/episode/end", {"outcome": "completed", "ended_on": today.isoformat()}, 409,
         "outcome"),
        (f"{base}/episode/end", {"outcome": "vanished", "ended_on": today.isoformat()}, 422,
         "outcome"),
        (f"{base}/episode/end", {"outcome": "dropped_out", "ended_on": tomorrow}, 400,
         "ended_on"),
        (f"{base}/sessions", {"held_on": today.isoformat(), "attendance": "attended"}, 409,
         "episode"),
        (f"{base}/sessions", {"held_on": today.isoformat(), "attendance": "late"}, 422,
         "attendance"),
        (f"{base}/consents", {**consent_body, "scopes": []}, 400, "scopes"),
        (f"{base}/consents", {**consent_body, "scopes": ["tell_everything"]}, 422, "scopes.0"),
        (f"{base}/consents", {**consent_body, "attested_details_given": False}, 400,
         "attested_details_given"),
        (f"{base}/consents", {**consent_body, "form_of_consent": "verbal"}, 400,
         "form_of_consent"),
        (f"{base}/consents", {**consent_body, "place": "Lind\x00vik"}, 422, "place"),
        (f"{base}/consents", {**consent_body, "signed_on": tomorrow}, 400, "signed_on"),
        (f"{base}/consents", {**consent_body, "note": "extra"}, 422, "note"),
        (f"{base}/refusals", {**refusal_body, "team_decided_on": tomorrow}, 400,
         "team_decided_on"),
        (f"{base}/refusals", {**refusal_body, "treatment_continues": "maybe"}, 422,
         "treatment_continues"),
        (f"{base}/handover", PARTNER, 409, "consent"),
        (f"/api/v1/clients/{signed}/handover",
         {**PARTNER, "partner_phone": "", "partner_address": " "}, 400, "partner_phone"),
        (f"/api/v1/clients/{signed}/handover", {**PARTNER, "relation": "sister"}, 422,
         "relation"),
        (f"/api/v1/clients/{signed}/consents/{consent.id}/withdrawal",
         {"withdrawn_on": (today - timedelta(days=1)).isoformat()}, 400, "withdrawn_on"),
        (f"/api/v1/clients/{signed}/consents/{consent.id}/withdrawal", {}, 422,
         "withdrawn_on"),
    ]  # fmt: skip
    for url, body, status, field in cases:
        answer = api.post(url, json=body)
        assert (answer.status_code, answer.get_json().get("field")) == (status, field), (
            url,
            body,
            answer.get_json(),
        )
    for path in (base, f"/api/v1/clients/{signed}"):
        (episode,) = api.get(path).get_json()["episodes"]
        assert episode["status"] == "assessment" and episode["ended_on"] is None
    assert _count(TreatmentSession) == 0 and _count(PartnerHandover) == 0
    assert [item["state"] for item in api.get(f"{base}/consents").get_json()] == []
    assert [
        (item["state"], item["withdrawn_on"])
        for item in api.get(f"/api/v1/clients/{signed}/consents").get_json()
    ] == [("given", None)]


def test_another_treaters_client_is_not_found_whatever_is_sent(
    app: Flask, factory: Factory, clock
) -> None:
    owner = factory.client_treater()
    client_id = client_of(owner.user)
    consent = signed_consent_of(owner.user, client_id, clock)
    today = clock.now().date().isoformat()
    operations = [
        ("GET", "sessions", None),
        ("GET", "consents", None),
        ("POST", "episode/start", {"started_on": today}),
        ("POST", "episode/end", {"outcome": "dropped_out", "ended_on": today}),
        ("POST", "sessions", {"held_on": today, "attendance": "missed"}),
        ("POST", "refusals", {"language": "sv", "place": "X", "refused_on": today,
                              "treatment_continues": True, "team_decided_on": today}),
        ("POST", f"consents/{consent.id}/withdrawal", {"withdrawn_on": today}),
        ("POST", "handover", PARTNER),
        ("POST", "episode/end", {"outcome": "gone"}),
        ("POST", "handover", {"partner_name": "\x00"}),
    ]  # fmt: skip
    colleague = _api(app, factory.client_treater())
    elsewhere = _api(app, factory.client_treater(clinic=factory.clinic()))
    partner_treater = _api(app, factory.partner_treater())
    for method, path, body in operations:
        for api in (colleague, elsewhere, partner_treater):
            answer = api.open(f"/api/v1/clients/{client_id}/{path}", method=method, json=body)
            assert answer.status_code == 404, (method, path, answer.get_json())
        # Exactly the answer for a client that does not exist.
        missing = colleague.open(f"/api/v1/clients/{consent.id}/{path}", method=method, json=body)
        unseen = colleague.open(f"/api/v1/clients/{client_id}/{path}", method=method, json=body)
        assert missing.get_json() == unseen.get_json()
        # A body that is not JSON at all is no different.
        form = colleague.open(f"/api/v1/clients/{client_id}/{path}", method=method, data={"x": "1"})
        assert form.status_code == 404
    db.session.rollback()
    assert _count(RelayEvent) == 0 and _count(PartnerHandover) == 0
    assert _count(TreatmentSession) == 0
    owners = _api(app, owner)
    (episode,) = owners.get(f"/api/v1/clients/{client_id}").get_json()["episodes"]
    assert episode["status"] == "assessment"
    assert [
        item["state"] for item in owners.get(f"/api/v1/clients/{client_id}/consents").get_json()
    ] == ["given"]


def test_a_dropout_ended_through_the_api_reaches_the_partner_side(
    app: Flask, factory: Factory, clock
) -> None:
    client_treater = factory.client_treater()
    partner_treater = factory.partner_treater()
    case = handed_over_case(factory, clock, client_treater=client_treater)
    pick_up(partner_treater.user, case.id)
    db.session.commit()
    client_id = _client_of_case(case)
    today = clock.now().date().isoformat()
    api = _api(app, client_treater)
    base = f"/api/v1/clients/{client_id}"
    assert api.post(f"{base}/episode/start", json={"started_on": today}).status_code == 200

    ended = api.post(f"{base}/episode/end", json={"outcome": "dropped_out", "ended_on": today})
    assert ended.status_code == 200 and ended.get_json()["status"] == "dropped_out"

    tasks = open_tasks(partner_treater.user)
    assert ("relay", "dropped_out", case.id) in {
        (task.task, task.kind, task.case_id) for task in tasks
    }
    browser = app.test_client()
    log_in(browser, partner_treater, clock)
    home = text_of(browser.get("/partner/"))
    assert "Avbrott i förtid" in home
    assert "Avbrott i förtid" in text_of(browser.get(f"/partner/cases/{case.id}"))
    # And nothing of the partner side comes back to the client side in the answer.
    assert set(ended.get_json()) == {"id", "status", "opened_on", "started_on", "ended_on"}
