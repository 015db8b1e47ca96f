"""The wall, record by record: every route about one record, asked by every role about its
own case, a colleague's case in the same clinic, a case in another clinic, and a record that
does not exist.

The expectations are written out per audience below. Whatever is not the asker's own answers
404, and the 404 is the same page whether the record exists or not.
"""

from __future__ import annotations

import pytest
from flask import Flask
from werkzeug.routing import Rule

from partnercontact.policy import Role
from partnercontact.policy.access import is_public
from tests.factories import Factory
from tests.helpers import csrf_token, log_in, masked, sample_url, text_of, use_api_token
from tests.web.world import World, build_world

RECORD_ARGUMENTS = {"client_id", "consent_id", "case_id"}

# For each blueprint: the role whose records its routes are about, and what that role gets
# for a record of its own case and of a colleague's case in the same clinic. Everyone else,
# and every case in another clinic, gets 404.
OWN = {
    "client_side": (Role.CLIENT_TREATER, {"own": 200, "colleague": 404}),
    "partner_side": (Role.PARTNER_TREATER, {"own": 200, "colleague": 404}),
    # Managers audit the whole clinic's consents: a colleague's case is still their clinic's.
    "management": (Role.MANAGER, {"own": 200, "colleague": 200}),
    # The API answers exactly as the pages of the same audience.
    "api_clients": (Role.CLIENT_TREATER, {"own": 200, "colleague": 404}),
    "api_partner_cases": (Role.PARTNER_TREATER, {"own": 200, "colleague": 404}),
    "api_management": (Role.MANAGER, {"own": 200, "colleague": 200}),
}
# The clinic's messaging as a whole and Twilio's webhooks name no case in their URLs; nor do
# one's own calendar, its feed and reminders (a reminder's id is not a case's, and the
# service answers 404 for anyone else's).
NO_RECORDS = {"public", "account", "admin", "outbound", "webhooks", "calendar"}
# The API's document and its page describe the API and hold no record.
NO_RECORDS |= {"api-docs", "api_docs_page"}
NO_RECORDS |= {"api_calendar"}


def _record_rules(app: Flask) -> list[Rule]:
    return [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        and not is_public(app.view_functions[rule.endpoint])
        and rule.arguments & RECORD_ARGUMENTS
    ]


def test_every_blueprint_has_written_expectations(app: Flask) -> None:
    blueprints = {rule.endpoint.split(".")[0] for rule in app.url_map.iter_rules()}
    assert blueprints - {"static"} <= set(OWN) | NO_RECORDS
    for rule in _record_rules(app):
        assert rule.endpoint.split(".")[0] in OWN, rule.endpoint


@pytest.fixture
def world(factory: Factory, clock) -> World:
    return build_world(factory, clock)


@pytest.mark.parametrize("role", list(Role), ids=lambda role: role.value)
def test_a_record_route_answers_only_about_the_askers_own_records(
    app: Flask, world: World, clock, role: Role
) -> None:
    client = app.test_client()
    log_in(client, world.accounts[role], clock)
    use_api_token(client, world.accounts[role])
    token = csrf_token(client, "/account/")
    failures = []
    for rule in _record_rules(app):
        owner, expected_for_owner = OWN[rule.endpoint.split(".")[0]]
        unknown = rule.arguments - RECORD_ARGUMENTS
        answers = {}
        for name in ("own", "colleague", "foreign", "missing"):
            case = getattr(world, name)
            mine = role is owner and not unknown
            expected = expected_for_owner.get(name, 404) if mine else 404
            url = sample_url(rule, case.url_values)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                if method != "GET" and expected != 404:
                    continue  # the asker's own records are not changed here
                response = client.open(url, method=method, data={"csrf_token": token})
                status = response.status_code
                ok = status == 404 if expected == 404 else status < 400
                if not ok:
                    failures.append(f"{method} {url} ({name}) as {role}: {status}, want {expected}")
                if method == "GET" and status == 404:
                    answers[name] = masked(text_of(response))
        if len(set(answers.values())) > 1:
            failures.append(f"{rule.rule} as {role}: 404 pages differ: {sorted(answers)}")
    assert failures == []
