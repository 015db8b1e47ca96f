"""Changes to an account end what was made under the old one: API tokens die on a password
change, a second-factor reset, an administrator's password reset and a role change, and stay
dead. A password an administrator gave must be replaced before anything else opens. A
username is refused with one answer, whatever the reason."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from partnercontact.audit.models import AuditEvent
from partnercontact.auth.models import User
from partnercontact.auth.service import change_password, reset_second_factor
from partnercontact.auth.tokens import issue_token
from partnercontact.db import db
from partnercontact.policy import Role
from tests.factories import Account, Factory
from tests.helpers import api_token, log_in, submit, text_of

API = "/api/v1/clients"
_ONE_TIME = re.compile(r'<code class="one-time-password">([^<]+)</code>')


def _answers(app: Flask, secret: str) -> int:
    return app.test_client().get(API, headers={"Authorization": f"Bearer {secret}"}).status_code


def _audited(action: str) -> int:
    return db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
    )


def _admin_browser(app: Flask, factory: Factory, clock) -> tuple[Account, FlaskClient]:
    admin = factory.admin()
    browser = app.test_client()
    log_in(browser, admin, clock)
    return admin, browser


def _change_role(browser: FlaskClient, user: User, role: Role) -> None:
    response = submit(browser, f"/admin/users/{user.id}/role", {"role": role.value})
    assert response.status_code == 302, text_of(response)


def test_a_token_dies_when_its_owner_changes_password(app: Flask, factory: Factory) -> None:
    treater = factory.client_treater()
    secret = api_token(treater)
    assert _answers(app, secret) == 200
    change_password(
        treater.user,
        current=treater.password,
        new="a new and long secret",
        repeat="a new and long secret",
    )
    db.session.commit()
    assert _answers(app, secret) == 401


def test_a_token_dies_when_the_second_factor_is_reset(app: Flask, factory: Factory) -> None:
    admin, treater = factory.admin(), factory.client_treater()
    secret = api_token(treater)
    reset_second_factor(admin.user, treater.user)
    db.session.commit()
    assert _answers(app, secret) == 401
    assert _audited("auth.api_token_revoked") == 1


def test_a_token_is_bound_to_the_enrolment_it_was_made_under(
    app: Flask, factory: Factory, clock
) -> None:
    treater = factory.client_treater()
    secret = api_token(treater)
    # A new enrolment that revoked nothing (as if the revocation had been missed).
    clock.advance(minutes=1)
    treater.user.totp_enrolled_at = clock.now()
    db.session.commit()
    assert _answers(app, secret) == 401


def test_an_administrators_password_reset_gives_a_one_time_password_and_ends_tokens(
    app: Flask, factory: Factory, clock
) -> None:
    _, browser = _admin_browser(app, factory, clock)
    treater = factory.client_treater()
    secret = api_token(treater)
    treater_browser = app.test_client()
    log_in(treater_browser, treater, clock)

    page = f"/admin/users/{treater.user.id}/reset-password"
    assert browser.get(page).status_code == 200
    response = submit(browser, page, {})
    assert response.status_code == 200
    one_time = _ONE_TIME.search(text_of(response)).group(1)

    assert _answers(app, secret) == 401
    assert treater_browser.get("/client/").status_code == 302  # the session ended
    assert _audited("user.password_reset") == 1
    # The old password no longer works; the one-time password does, once, for the change.
    old = submit(
        app.test_client(), "/login", {"username": treater.username, "password": treater.password}
    )
    assert old.status_code == 401
    clock.advance(seconds=31)
    again = app.test_client()
    log_in(again, Account(treater.user, one_time, treater.totp_secret), clock)
    assert again.get("/client/").headers["Location"].endswith("/account/")


def test_a_role_change_ends_tokens_and_changing_it_back_does_not_revive_them(
    app: Flask, factory: Factory, clock
) -> None:
    _, browser = _admin_browser(app, factory, clock)
    treater = factory.client_treater()
    first = api_token(treater)
    page = browser.get(f"/admin/users/{treater.user.id}/role")
    assert page.status_code == 200 and 'name="role"' in text_of(page)

    _change_role(browser, treater.user, Role.PARTNER_TREATER)
    assert _answers(app, first) == 401
    db.session.refresh(treater.user)
    assert treater.user.role == Role.PARTNER_TREATER.value
    second = api_token(treater)  # made under the new role
    partner_api = "/api/v1/partner-cases"
    assert (
        app.test_client()
        .get(partner_api, headers={"Authorization": f"Bearer {second}"})
        .status_code
        == 200
    )

    _change_role(browser, treater.user, Role.CLIENT_TREATER)
    assert _answers(app, first) == 401
    assert _answers(app, second) == 401
    assert _audited("user.role_changed") == 2


def test_an_administrator_cannot_change_their_own_role_or_give_the_same_one(
    app: Flask, factory: Factory, clock
) -> None:
    admin, browser = _admin_browser(app, factory, clock)
    treater = factory.client_treater()
    response = submit(browser, f"/admin/users/{admin.user.id}/role", {"role": "manager"})
    assert response.status_code == 400
    response = submit(browser, f"/admin/users/{treater.user.id}/role", {"role": "client_treater"})
    assert response.status_code == 400 and 'id="role-error"' in text_of(response)
    response = submit(browser, f"/admin/users/{treater.user.id}/role", {"role": "boss"})
    assert response.status_code == 400
    db.session.refresh(admin.user)
    assert admin.user.role == "admin" and _audited("user.role_changed") == 0


def test_a_first_login_with_a_given_password_must_change_it_first(
    app: Flask, factory: Factory, clock
) -> None:
    _, admin_browser = _admin_browser(app, factory, clock)
    given = "given by the administrator"
    created = submit(
        admin_browser,
        "/admin/users",
        {
            "username": "nora.vik",
            "display_name": "Nora Vik",
            "role": "client_treater",
            "password": given,
        },
    )
    assert created.status_code == 302
    user = db.session.scalar(select(User).where(User.username == "nora.vik"))
    assert user.must_change_password

    browser = app.test_client()
    response = submit(browser, "/login", {"username": "nora.vik", "password": given})
    # A new account enrols its second factor first, then lands on the password change.
    assert response.headers["Location"].endswith("/login/enrol")
    secret = re.search(r"secret=([A-Z2-7]+)", text_of(browser.get("/login/enrol"))).group(1)
    account = Account(user, given, secret)
    response = submit(browser, "/login/enrol", {"code": account.code(clock)})
    # Logged in, behind the page of recovery codes, whose way on leads to the password.
    assert response.status_code == 200 and 'id="recovery-codes"' in text_of(response)
    onward = re.search(r'class="button primary" href="([^"]+)"', text_of(response)).group(1)
    landing = browser.get(onward)
    assert landing.headers["Location"].endswith("/account/")
    page = browser.get("/account/")
    assert page.status_code == 200 and "administratör" in text_of(page)
    for elsewhere in ("/client/", "/account/tokens", "/partner/", "/admin/users"):
        answer = browser.get(elsewhere)
        assert answer.status_code == 302, elsewhere
        assert answer.headers["Location"].endswith("/account/"), elsewhere
    # The language switch still works (it is public, as logging out is).
    assert (
        submit(browser, "/account/", {"locale": "en", "next": "/account/"}, "/language").status_code
        == 302
    )
    # The API answers nothing for the account either.
    db.session.refresh(user)
    token = issue_token(user, label="Koppling").secret
    db.session.commit()
    assert _answers(app, token) == 401

    # The one-time password cannot simply be given again as the new one.
    same = submit(
        browser,
        "/account/",
        {"current_password": given, "new_password": given, "repeat_password": given},
        "/account/password",
    )
    assert same.status_code == 400
    new = "a password of my very own"
    changed = submit(
        browser,
        "/account/",
        {"current_password": given, "new_password": new, "repeat_password": new},
        "/account/password",
    )
    assert changed.status_code == 302
    db.session.refresh(user)
    assert not user.must_change_password

    clock.advance(seconds=31)
    again = app.test_client()
    log_in(again, Account(user, new, secret), clock)
    assert again.get("/client/").status_code == 200
    assert "administratör" not in text_of(again.get("/account/"))


def test_a_username_taken_in_another_clinic_gets_the_same_answer_as_a_bad_one(
    app: Flask, factory: Factory, clock
) -> None:
    _, browser = _admin_browser(app, factory, clock)
    elsewhere = factory.client_treater(clinic=factory.clinic("Annan mottagning"))

    def refusal(username: str) -> str:
        response = submit(
            browser,
            "/admin/users",
            {
                "username": username,
                "display_name": "Ny Person",
                "role": "manager",
                "password": "a long initial secret",
            },
        )
        assert response.status_code in (400, 409)
        return re.search(r'id="username-error">([^<]+)<', text_of(response)).group(1)

    taken_elsewhere = refusal(elsewhere.username)
    bad = refusal("no spaces!")
    assert taken_elsewhere == bad
    assert "Välj ett annat användarnamn" in bad
