"""Her portal as its own app: she redeems an invitation her treater read to her, is given a
codename, logs in with it and her passphrase, and leaves with the quick exit, after which the
old cookie opens nothing. No case id or codename is ever in an address, and the staff app's
addresses do not exist on the portal."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from partnercontact.client_side.cases.ending import end_episode
from partnercontact.client_side.cases.models import TreatmentEpisode
from partnercontact.db import db
from partnercontact.partner_side import portal_access
from partnercontact.partner_side.relay_inbox import record_closing
from partnercontact.portal.models import PortalSession
from partnercontact.tasks.queue import dispatch_due
from tests.messaging.sending import Held

PASSPHRASE = "blå himmel över sjön"
CODENAME = re.compile(r'id="codename">([a-zåäö]+(?:-[a-zåäö]+){2})<')


def _token(client: FlaskClient, page: str) -> str:
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get(page).text)
    assert found, page
    return found.group(1)


def _post(client: FlaskClient, page: str, data: dict[str, str]):
    return client.post(page, data={"csrf_token": _token(client, page), **data})


def _invited(held: Held) -> str:
    invitation = portal_access.invite(held.holder.user, held.case.id)
    db.session.commit()
    return invitation.code


def _redeemed(her: FlaskClient, code: str) -> str:
    answer = _post(
        her, "/invitation", {"code": code, "passphrase": PASSPHRASE, "again": PASSPHRASE}
    )
    assert answer.status_code == 200, answer.text
    found = CODENAME.search(answer.text)
    assert found, answer.text
    return found.group(1)


def _sessions() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(PortalSession))


def test_she_redeems_logs_in_and_leaves_with_the_quick_exit(
    her: FlaskClient, portal_app: Flask, held: Held
) -> None:
    start = her.get("/")
    assert start.status_code == 200
    assert "Det här är inte för nödsituationer" in start.text and "112" in start.text
    assert 'id="quick-exit"' in start.text
    codename = _redeemed(her, _invited(held))
    assert her.get("/start").status_code == 200  # logged in by the redemption
    assert _sessions() == 1

    left = her.post("/exit")
    assert left.status_code == 303
    assert (
        left.headers["Location"] == portal_app.extensions["partnercontact"].config.portal.exit_url
    )
    assert "cookies" in left.headers["Clear-Site-Data"]
    assert _sessions() == 0
    assert her.get("/start").headers["Location"].endswith("/")  # back to the login

    # Logging in again with codename and passphrase.
    wrong = _post(her, "/", {"codename": codename, "passphrase": "fel fras helt och hållet"})
    assert wrong.status_code >= 400 and 'id="passphrase-error"' in wrong.text
    right = _post(her, "/", {"codename": codename, "passphrase": PASSPHRASE})
    assert right.status_code == 302 and right.headers["Location"].endswith("/start")


def test_the_old_cookie_is_dead_after_the_quick_exit(portal_app: Flask, held: Held) -> None:
    her = portal_app.test_client()
    _redeemed(her, _invited(held))
    cookie = her.get_cookie("pc_portal")
    assert cookie is not None
    her.post("/exit")
    replay = portal_app.test_client()
    replay.set_cookie("pc_portal", cookie.value)
    assert replay.get("/start").status_code == 302


def test_the_session_ends_after_ten_idle_minutes_and_after_an_hour(
    her: FlaskClient, held: Held, clock
) -> None:
    _redeemed(her, _invited(held))
    clock.advance(minutes=9)
    assert her.get("/start").status_code == 200
    clock.advance(minutes=11)
    assert her.get("/start").status_code == 302
    assert _sessions() == 0


def test_her_treaters_revocation_ends_her_session_at_once(her: FlaskClient, held: Held) -> None:
    _redeemed(her, _invited(held))
    portal_access.revoke(held.holder.user, held.case.id)
    db.session.commit()
    assert her.get("/start").status_code == 302


def test_her_portal_ends_when_the_clinic_closes_its_contact_with_her(
    her: FlaskClient, held: Held, clock
) -> None:
    codename = _redeemed(her, _invited(held))
    unused = _invited(held)  # a newer invitation, not yet redeemed
    episode = db.session.get(TreatmentEpisode, held.case.episode_id)
    today = clock.now().date()
    end_episode(held.client_treater.user, episode.client_id, ended_on=today, outcome="dropped_out")
    db.session.commit()
    dispatch_due()  # the partner side learns the treatment ended
    record_closing(held.holder.user, held.case.id, outcome="held", closed_on=today)
    db.session.commit()

    assert her.get("/start").status_code == 302  # the open session is dead
    again = _post(her, "/", {"codename": codename, "passphrase": PASSPHRASE})
    assert again.status_code == 400 and 'id="passphrase-error"' in again.text
    late = _post(
        her, "/invitation", {"code": unused, "passphrase": PASSPHRASE, "again": PASSPHRASE}
    )
    assert late.status_code == 400 and 'id="code-error"' in late.text


def test_she_can_close_her_access_herself(her: FlaskClient, held: Held) -> None:
    codename = _redeemed(her, _invited(held))
    closed = _post(her, "/close", {})
    assert closed.status_code == 200
    again = _post(her, "/", {"codename": codename, "passphrase": PASSPHRASE})
    assert again.status_code >= 400


def test_no_case_id_or_codename_in_any_portal_address(
    her: FlaskClient, portal_app: Flask, held: Held
) -> None:
    codename = _redeemed(her, _invited(held))
    secrets = {str(held.case.id), held.case.id.hex, held.case.id.hex[:8], codename}
    rules = [rule.rule for rule in portal_app.url_map.iter_rules()]
    assert not any("<" in rule and "filename" not in rule for rule in rules), rules
    # Every page while she is logged in (she still is at the end); the quick exit, which
    # ends that, last.
    for rule in sorted(rules, key=lambda rule: rule == "/exit"):
        if "<" in rule:
            continue
        if rule == "/exit":
            assert her.get("/start").status_code == 200
        page = her.get(rule)
        for secret in secrets:
            assert secret not in (page.headers.get("Location") or ""), rule
            for link in re.findall(r'(?:href|action|src)="([^"]+)"', page.text):
                assert secret not in link, (rule, link)


def test_a_staff_address_on_the_portal_answers_not_found(her: FlaskClient, app: Flask) -> None:
    for rule in app.url_map.iter_rules():
        if "<" in rule.rule or rule.rule in ("/", "/static/<path:filename>"):
            continue
        assert her.get(rule.rule).status_code in (404, 405), rule.rule


def test_the_portal_pages_are_not_cached_and_allow_no_inline_script(her: FlaskClient) -> None:
    page = her.get("/")
    assert page.headers["Cache-Control"] == "no-store"
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "<script>" not in page.text


def test_a_used_invitation_code_is_refused_on_the_page(her: FlaskClient, held: Held) -> None:
    code = _invited(held)
    _redeemed(her, code)
    her.post("/exit")
    again = _post(her, "/invitation", {"code": code, "passphrase": PASSPHRASE, "again": PASSPHRASE})
    assert again.status_code >= 400 and 'id="code-error"' in again.text


def test_the_two_passphrases_must_match(her: FlaskClient, held: Held) -> None:
    code = _invited(held)
    answer = _post(
        her, "/invitation", {"code": code, "passphrase": PASSPHRASE, "again": PASSPHRASE + "x"}
    )
    assert answer.status_code == 400 and 'id="again-error"' in answer.text
    assert _sessions() == 0
    # The code was not spent by the mistake.
    assert CODENAME.search(
        _post(
            her, "/invitation", {"code": code, "passphrase": PASSPHRASE, "again": PASSPHRASE}
        ).text
    )


# Every route of the portal, by what it answers someone not logged in: a page anyone may see,
# or the way back to the login. A new route must be placed here, or this test fails.
PUBLIC = {
    "portal.log_in",
    "portal.redeem",
    "portal.staying_safe",
    "portal.quick_exit",
    "portal.favicon",
    "portal.choose_language",
    "static",
}
HERS_ONLY = {
    "portal.home",
    "portal.close",
    "portal.write_message",
    "portal.clear_message",
    "portal.open_attachment",
    "portal.not_safe_now",
    "portal.safe_again",
    "portal.requests",
    "portal.ask_to_be_called",
    "portal.report_violence",
    "portal.confirm_session",
    "portal.move_session",
    "portal.ask_to_be_told",
    "portal.my_plan",
    "portal.my_details",
    "portal.remove_my_detail",
    "portal.notices",
}


def test_every_portal_route_is_public_or_hers_only(portal_app: Flask, her: FlaskClient) -> None:
    endpoints = {rule.endpoint for rule in portal_app.url_map.iter_rules()}
    assert endpoints == PUBLIC | HERS_ONLY
    for rule in portal_app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        answer = her.get(rule.rule)
        if rule.endpoint in HERS_ONLY:
            assert answer.status_code == 302 and answer.headers["Location"] == "/", rule.rule
        else:
            assert answer.status_code in (200, 303), rule.rule


def test_the_daily_purge_ends_sessions_past_their_lifetime(
    her: FlaskClient, held: Held, clock
) -> None:
    from partnercontact.retention import purge_expired

    _redeemed(her, _invited(held))
    assert _sessions() == 1
    clock.advance(minutes=61)
    report = purge_expired(clock.now())
    db.session.commit()
    assert report.portal_sessions == 1 and _sessions() == 0
