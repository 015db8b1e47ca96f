"""The partner-contact treater's case work through the API: the inbox and picking up, the case
as its page shows it, the contact work, the clinical records, the relay inbox, and the wall:
a colleague's case and every partner-side operation asked by the client's treater answer as
if nothing were there."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from partnercontact.client_side.cases.ending import end_episode, start_treatment
from partnercontact.client_side.cases.models import TreatmentEpisode
from partnercontact.db import db
from partnercontact.partner_side.models import ContactAttempt
from partnercontact.partner_side.service import pick_up
from partnercontact.relay.models import RelayOutcome
from tests.cases_built import first_steps_taken
from tests.factories import Factory
from tests.helpers import api_token, log_in, sample_url, text_of
from tests.partners.conftest import HandedOver, handed_over_case
from tests.ratings import rated

PREFIX = "/api/v1/partner-cases"


class Api:
    """One token's requests, as an integration would send them."""

    def __init__(self, app: Flask, secret: str) -> None:
        self.client = app.test_client()
        self.headers = {"Authorization": f"Bearer {secret}"}

    def get(self, path: str):  # type: ignore[no-untyped-def]
        return self.client.get(PREFIX + path, headers=self.headers)

    def post(self, path: str, body: dict | None = None, method: str = "POST"):  # type: ignore[no-untyped-def]
        return self.client.open(PREFIX + path, method=method, json=body or {}, headers=self.headers)


@pytest.fixture
def handed_over(factory: Factory, clock) -> HandedOver:
    client_treater = factory.client_treater()
    partner_case = handed_over_case(factory, clock, client_treater=client_treater)
    return HandedOver(client_treater, factory.partner_treater(), partner_case)


@pytest.fixture
def held(handed_over: HandedOver) -> HandedOver:
    pick_up(handed_over.partner_treater.user, handed_over.case.id)
    db.session.commit()
    return handed_over


@pytest.fixture
def api(app: Flask, held: HandedOver) -> Api:
    return Api(app, api_token(held.partner_treater))


def _refused(response, status: int, field: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.get_json()
    assert response.get_json()["field"] == field, response.get_json()


# --- the inbox and picking up ----------------------------------------------------------------


def test_a_waiting_hand_over_is_offered_to_the_clinics_partner_treaters_only(
    app: Flask, factory: Factory, handed_over: HandedOver, clock
) -> None:
    first = Api(app, api_token(handed_over.partner_treater))
    second = Api(app, api_token(factory.partner_treater()))
    elsewhere = Api(app, api_token(factory.partner_treater(clinic=factory.clinic())))
    case_id = str(handed_over.case.id)

    for treater in (first, second):
        inbox = treater.get("")
        assert inbox.status_code == 200
        [waiting] = inbox.get_json()["waiting"]
        # What the inbox page shows of a waiting hand-over, and nothing more.
        assert waiting == {
            "case_id": case_id,
            "reference": case_id.replace("-", "")[:8],
            "handed_over_on": clock.now().date().isoformat(),
            "partner_name": "Maja Påhittad",
            "protected": False,
        }
        assert inbox.get_json()["held"] == []
    assert elsewhere.get("").get_json()["waiting"] == []
    assert elsewhere.get(f"/{case_id}").status_code == 404
    assert elsewhere.post(f"/{case_id}/pick-up").status_code == 404

    # Before anyone holds it, the case shows that it waits, and nothing of her.
    waiting_case = first.get(f"/{case_id}")
    assert waiting_case.status_code == 200
    assert waiting_case.get_json() == {
        "id": case_id,
        "reference": case_id.replace("-", "")[:8],
        "held": False,
        "protected_identity": False,
    }
    _refused(first.post(f"/{case_id}/attempts", {"channel": "sms"}), 409, "case")

    picked = first.post(f"/{case_id}/pick-up")
    assert picked.status_code == 200 and picked.get_json()["held"] is True
    [mine] = first.get("").get_json()["held"]
    assert (mine["case_id"], mine["partner_name"], mine["answer"]) == (
        case_id,
        "Maja Påhittad",
        "pending",
    )
    # Now it is a colleague's: gone from the other's inbox, and not found.
    assert second.get("").get_json() == {"waiting": [], "held": [], "open_urgent_tasks": 0}
    assert second.get(f"/{case_id}").status_code == 404
    assert second.post(f"/{case_id}/pick-up").status_code == 404
    response = second.post(f"/{case_id}/attempts", {"channel": "sms", "outcome": "reached"})
    assert response.status_code == 404
    assert "Maja" not in text_of(response)
    assert db.session.scalar(select(func.count()).select_from(ContactAttempt)) == 0


def test_a_protected_partner_is_listed_without_her_name(
    app: Flask, factory: Factory, clock
) -> None:
    handed_over_case(factory, clock, protected=True, name="Skyddad Påhittad")
    treater = Api(app, api_token(factory.partner_treater()))
    [waiting] = treater.get("").get_json()["waiting"]
    assert waiting["partner_name"] is None and waiting["protected"] is True
    # Whoever takes her on is named for her, and then sees her details.
    picked = treater.post(f"/{waiting['case_id']}/pick-up")
    assert picked.get_json()["protected_identity"] is True
    partner = treater.get(f"/{waiting['case_id']}").get_json()["partner"]
    assert partner["visible"] is True
    assert partner["handovers"][0]["name"] == "Skyddad Påhittad"


def test_the_case_shows_what_its_page_shows(api: Api, held: HandedOver, clock) -> None:
    case = api.get(f"/{held.case.id}")
    assert case.status_code == 200
    answer = case.get_json()
    assert answer["held"] is True
    [note] = answer["partner"]["handovers"]
    assert note["name"] == "Maja Påhittad" and note["address"] == "Storgatan 1, 123 45 Lindvik"
    assert note["relation"] == "former" and note["kind"] == "initial"
    assert answer["partner"]["colleagues"] == []  # only offered for a protected partner
    assert answer["safe_contact_plan"] is None and answer["send_decisions"] is None
    assert answer["answers"]["current"] == "pending"
    assert answer["attempts"]["items"] == [] and answer["attempts"]["required"] >= 1
    assert answer["relay"]["events"] == [] and answer["relay"]["closing_open"] is False

    marked = api.post(f"/{held.case.id}/protected")
    assert marked.status_code == 200 and marked.get_json()["protected_identity"] is True
    assert api.get(f"/{held.case.id}").get_json()["send_decisions"] == []


# --- the contact work ------------------------------------------------------------------------


def test_attempts_and_her_answer(api: Api, held: HandedOver, clock) -> None:
    case = f"/{held.case.id}"
    an_hour_ago = (clock.now() - timedelta(hours=1)).isoformat()
    first_text = {"channel": "sms", "outcome": "reached", "attempted_at": an_hour_ago}
    # No one has decided yet whether contact with her is suitable.
    _refused(api.post(f"{case}/attempts", first_text), 409, "channel")
    assert api.post(f"{case}/suitability", {"decision": "contact"}).status_code == 201
    # His consent covers a first contact by letter or text message, not by phone.
    refused = api.post(
        f"{case}/attempts",
        {"channel": "phone", "outcome": "no_answer", "attempted_at": an_hour_ago},
    )
    _refused(refused, 409, "channel")
    # Only true says she called in or that it was safe to talk: nothing that merely looks
    # like yes.
    for flag in ("called_in", "safe_to_talk"):
        _refused(
            api.post(
                f"{case}/attempts",
                {"channel": "phone", "outcome": "reached", "attempted_at": an_hour_ago, flag: 1},
            ),
            422,
            flag,
        )

    recorded = api.post(f"{case}/attempts", first_text)
    assert recorded.status_code == 201
    attempt = recorded.get_json()
    assert (attempt["channel"], attempt["outcome"], attempt["marked_unreachable"]) == (
        "sms",
        "reached",
        False,
    )
    _refused(
        api.post(
            f"{case}/attempts",
            {"channel": "sms", "outcome": "reached", "attempted_at": "2999-01-01T10:00:00Z"},
        ),
        422,
        "attempted_at",
    )

    today = clock.now().date().isoformat()
    _refused(
        api.post(f"{case}/answers", {"answer": "accepted", "answered_on": today}), 400, "scopes"
    )
    _refused(api.post(f"{case}/answers", {"answer": "maybe"}), 422, "answer")
    _refused(api.post(f"{case}/answers", {"answer": "accepted", "mood": "x"}), 422, "mood")
    accepted = api.post(
        f"{case}/answers",
        {"answer": "accepted", "answered_on": today, "scopes": ["contact_sms", "told_when_ended"]},
    )
    assert accepted.status_code == 201
    assert accepted.get_json()["consent"] == {
        "given_on": today,
        "withdrawn_on": None,
        "scopes": ["contact_sms", "told_when_ended"],
    }

    shown = api.get(case).get_json()
    assert shown["answers"]["current"] == "accepted"
    assert [row["answer"] for row in shown["answers"]["history"]] == ["accepted"]
    assert [a["id"] for a in shown["attempts"]["items"]] == [attempt["id"]]

    withdrawn = api.post(f"{case}/consent/withdrawal", {"withdrawn_on": today})
    assert withdrawn.status_code == 200 and withdrawn.get_json()["withdrawn_on"] == today
    _refused(api.post(f"{case}/consent/withdrawal", {"withdrawn_on": today}), 409, "consent")
    ended = api.post(f"{case}/end-contact", {"ended_on": today})
    assert ended.status_code == 200 and ended.get_json()["contact_ended_on"] == today
    assert api.get(case).get_json()["threat_warnings"]["may_record"] is True


def test_suitability_plan_threat_warning_and_send_decisions(
    api: Api, held: HandedOver, clock
) -> None:
    case = f"/{held.case.id}"
    _refused(api.post(f"{case}/suitability", {"decision": "no_contact"}), 400, "reason")
    _refused(
        api.post(f"{case}/suitability", {"decision": "no_contact", "reason": "other"}),
        400,
        "note",
    )
    decided = api.post(
        f"{case}/suitability",
        {"decision": "no_contact", "reason": "other", "note": "Han bor hos henne igen."},
    )
    assert decided.status_code == 201 and decided.get_json()["note"] == "Han bor hos henne igen."
    clock.advance(minutes=5)
    assert api.post(f"{case}/suitability", {"decision": "contact"}).status_code == 201
    suitability = api.get(case).get_json()["suitability"]
    assert suitability["current"]["decision"] == "contact"
    assert [row["decision"] for row in suitability["history"]] == ["contact", "no_contact"]

    _refused(api.post(f"{case}/safe-contact-plan", {"channels": ["phone"]}), 400, "safe_days")
    plan = api.post(
        f"{case}/safe-contact-plan",
        {
            "channels": ["sms", "phone"],
            "safe_days": ["3", "1"],
            "safe_from": "09:00",
            "safe_until": "16:30",
            "sender_name": "Tandvården",
        },
    )
    assert plan.status_code == 201
    assert plan.get_json() == api.get(case).get_json()["safe_contact_plan"]
    assert plan.get_json()["channels"] == ["phone", "sms"]
    assert plan.get_json()["safe_days"] == ["1", "3"] and plan.get_json()["version"] == 1

    # A threat warning is for a partner who opted out.
    _refused(api.post(f"{case}/threat-warnings", {"reason": "Han har hotat."}), 409, "reason")
    api.post(f"{case}/end-contact", {"ended_on": clock.now().date().isoformat()})
    warned = api.post(f"{case}/threat-warnings", {"reason": "Han har hotat."})
    assert warned.status_code == 201 and warned.get_json()["confirmed_at"] is None
    _refused(api.post(f"{case}/threat-warnings", {"reason": "a\x00b"}), 422, "reason")

    # A send decision is for a protected partner only.
    decision = {"channel": "letter", "reason": "Kallelse till avslutningssamtal"}
    _refused(api.post(f"{case}/send-decisions", decision), 409, "channel")
    api.post(f"{case}/protected")
    assert api.post(f"{case}/send-decisions", decision).status_code == 201
    [shown] = api.get(case).get_json()["send_decisions"]
    assert (shown["channel"], shown["used_at"]) == ("letter", None)


# --- the clinical records --------------------------------------------------------------------


def test_risk_children_plans_concerns_and_escalations(api: Api, held: HandedOver, clock) -> None:
    case = f"/{held.case.id}"
    today = clock.now().date().isoformat()
    _refused(
        api.post(
            f"{case}/risk-assessments",
            {
                "instrument": "sara",
                "assessed_on": today,
                "ratings": rated("sara"),
                "level": "high",
                "next_review_on": today,
            },
        ),
        400,
        "next_review_on",
    )
    unrated = {**rated("sara"), "denial": None}
    _refused(
        api.post(
            f"{case}/risk-assessments",
            {"instrument": "sara", "assessed_on": today, "ratings": unrated, "level": "high"},
        ),
        400,
        "item_denial",
    )
    risk = api.post(
        f"{case}/risk-assessments",
        {
            "instrument": "sara",
            "assessed_on": today,
            "ratings": {**rated("sara"), "escalation": "present"},
            "level": "high",
            "notes": "Eskalerande.",
        },
    )
    assert risk.status_code == 201 and risk.get_json()["urgent_task_opened"] is True
    assert risk.get_json()["ratings"]["escalation"] == "present"
    [task] = [
        t for t in api.get(case).get_json()["urgent_tasks"] if t["for_role"] == "partner_treater"
    ]
    _refused(api.post(f"{case}/urgent-tasks/{task['id']}/handling", {}), 400, "handling")
    handled = api.post(f"{case}/urgent-tasks/{task['id']}/handling", {"handling": "Ringde henne."})
    assert handled.status_code == 200 and handled.get_json()["handling"] == "Ringde henne."
    assert (
        api.post(f"{case}/urgent-tasks/{uuid.uuid4()}/handling", {"handling": "x"}).status_code
        == 404
    )

    _refused(api.post(f"{case}/children", {"label": "AB", "age": 30}), 400, "age")
    child = api.post(f"{case}/children", {"label": "AB", "age": 7, "lives_with_client": True})
    assert child.status_code == 201
    child_id = child.get_json()["id"]
    changed = api.post(f"{case}/children/{child_id}", {"label": "AB", "age": 8}, method="PUT")
    assert changed.status_code == 200 and changed.get_json()["age"] == 8

    first = api.post(f"{case}/children/{child_id}/safety-plan", {"content": "Skolan vet."})
    second = api.post(f"{case}/children/{child_id}/safety-plan", {"content": "Mormor hämtar."})
    assert (first.status_code, second.get_json()["version"]) == (201, 2)
    assert api.post(f"{case}/safety-plan", {"content": "Väska packad."}).status_code == 201
    plans = api.get(case).get_json()["safety_plans"]
    assert [p["child"] and p["child"]["label"] for p in plans] == [None, "AB"]
    assert plans[1]["current"]["content"] == "Mormor hämtar."
    [earlier] = plans[1]["earlier"]
    version = api.get(f"{case}/safety-plans/{earlier['id']}")
    assert version.status_code == 200 and version.get_json()["content"] == "Skolan vet."

    _refused(
        api.post(
            f"{case}/concern-reports",
            {
                "reported_on": today,
                "board": "Socialnämnden i Lindvik",
                "reason": "neglect",
                "child_id": str(uuid.uuid4()),
            },
        ),
        400,
        "child_id",
    )
    report = api.post(
        f"{case}/concern-reports",
        {
            "reported_on": today,
            "board": "Socialnämnden i Lindvik",
            "reason": "neglect",
            "child_id": child_id,
        },
    )
    assert report.status_code == 201
    assert report.get_json()["child"] == {"id": child_id, "label": "AB"}
    assert report.get_json()["made_by"] == held.partner_treater.user.display_name

    escalated = api.post(f"{case}/escalations", {"reason": "risk_consultation"})
    assert escalated.status_code == 201 and escalated.get_json()["urgency"] == "normal"
    _refused(api.post(f"{case}/escalations", {"reason": "risk_consultation"}), 409, "reason")
    [shown] = api.get(case).get_json()["escalations"]
    assert shown["handled_at"] is None and shown["reason"] == "risk_consultation"


# --- the relay inbox -------------------------------------------------------------------------


def test_a_dropout_reaches_the_relay_inbox_and_its_outcome_is_recorded(
    app: Flask, factory: Factory, api: Api, held: HandedOver, clock
) -> None:
    client_id = db.session.get(TreatmentEpisode, held.case.episode_id).client_id
    today = clock.now().date()
    start_treatment(held.client_treater.user, client_id, started_on=today)
    end_episode(held.client_treater.user, client_id, ended_on=today, outcome="dropped_out")
    db.session.commit()

    inbox = api.get("/relay-events")
    assert inbox.status_code == 200
    [event] = inbox.get_json()["events"]
    assert event["kind"] == "dropped_out" and event["open"] is True
    assert (event["case_id"], event["occurred_on"]) == (str(held.case.id), today.isoformat())
    assert [c["case_id"] for c in inbox.get_json()["closing"]] == [str(held.case.id)]

    outcome_url = f"/{held.case.id}/relay-events/{event['id']}/outcomes"
    # A colleague, and another clinic's partner treater, find nothing there.
    for other in (factory.partner_treater(), factory.partner_treater(clinic=factory.clinic())):
        stranger = Api(app, api_token(other))
        assert stranger.get("/relay-events").get_json() == {"events": [], "closing": []}
        response = stranger.post(outcome_url, {"outcome": "informed_phone"})
        assert response.status_code == 404
    yesterday = (today - timedelta(days=1)).isoformat()
    _refused(
        api.post(outcome_url, {"outcome": "informed_phone", "outcome_on": yesterday}),
        400,
        "outcome_on",
    )
    _refused(api.post(outcome_url, {"outcome": "told him"}), 422, "outcome")
    # A call is a contact with her: not before the safety steps.
    _refused(
        api.post(outcome_url, {"outcome": "informed_phone", "outcome_on": today.isoformat()}),
        409,
        "outcome",
    )
    assert db.session.scalar(select(func.count()).select_from(RelayOutcome)) == 0

    first_steps_taken(held.partner_treater.user, held.case.id, clock)
    db.session.commit()
    recorded = api.post(outcome_url, {"outcome": "informed_phone", "outcome_on": today.isoformat()})
    assert recorded.status_code == 201
    [event] = api.get("/relay-events").get_json()["events"]
    assert event["open"] is False
    assert event["outcomes"] == [{"outcome": "informed_phone", "outcome_on": today.isoformat()}]
    [on_case] = api.get(f"/{held.case.id}").get_json()["relay"]["events"]
    assert on_case == {k: v for k, v in event.items() if k not in ("case_id", "reference")}

    closed = api.post(
        f"/{held.case.id}/closing", {"outcome": "held", "closed_on": today.isoformat()}
    )
    assert closed.status_code == 200 and closed.get_json()["closing_open"] is False
    assert api.get("/relay-events").get_json()["closing"] == []
    # The page agrees.
    browser = app.test_client()
    log_in(browser, held.partner_treater, clock)
    assert "Informerad per telefon" in text_of(browser.get(f"/partner/cases/{held.case.id}"))


# --- the wall ----------------------------------------------------------------------------------


def test_the_client_treater_reaches_no_partner_side_operation(app: Flask, held: HandedOver) -> None:
    # His own client's case, handed over by himself: still nothing of the partner side.
    client = app.test_client()
    headers = {"Authorization": f"Bearer {api_token(held.client_treater)}"}
    rules = [
        rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api_partner_cases.")
    ]
    assert len(rules) > 20
    failures = []
    for rule in rules:
        url = sample_url(rule, {"case_id": held.case.id})
        expected = 404 if rule.arguments else 403
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, json={}, headers=headers)
            if response.status_code != expected or "Maja" in text_of(response):
                failures.append(f"{method} {url}: {response.status_code}")
    assert failures == []
