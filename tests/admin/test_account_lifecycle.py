"""An account's life as the administrator sees it: locked, disabled, never logged in, second
factor not set up; unlocked and reactivated after a confirmation. And the recovery codes a
second factor comes with: shown once, each usable once, made anew after the password."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pyotp
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from partnercontact.audit.models import AuditEvent
from partnercontact.auth.models import RecoveryCode, User
from partnercontact.auth.service import disable_user
from partnercontact.db import db
from tests.factories import Account, Factory
from tests.helpers import log_in, submit, text_of

_CODES = re.compile(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>")


def _audited(action: str) -> int:
    return db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
    )


def _admin_browser(app: Flask, factory: Factory, clock) -> FlaskClient:
    browser = app.test_client()
    log_in(browser, factory.admin(), clock)
    return browser


def _fail_until_locked(app: Flask, account: Account) -> None:
    for _ in range(5):
        browser = app.test_client()
        submit(browser, "/login", {"username": account.username, "password": "wrong guess!"})


def _password_step(app: Flask, account: Account) -> tuple[FlaskClient, str]:
    browser = app.test_client()
    response = submit(
        browser, "/login", {"username": account.username, "password": account.password}
    )
    return browser, response.headers.get("Location", "")


def test_the_list_shows_what_stands_in_each_accounts_way(
    app: Flask, factory: Factory, clock
) -> None:
    admin = _admin_browser(app, factory, clock)
    never = factory.client_treater()
    locked = factory.partner_treater()
    gone = factory.manager()
    _fail_until_locked(app, locked)
    disable_user(None, gone.user)
    db.session.commit()

    page = text_of(admin.get("/admin/users"))

    assert re.search(rf'id="status-{never.user.id}">Har aldrig loggat in<', page)
    assert re.search(rf'id="status-{locked.user.id}">Låst efter misslyckade inloggningar<', page)
    assert re.search(rf'id="status-{gone.user.id}">Avstängt<', page)


def test_a_locked_account_is_unlocked_after_a_confirmation_and_logs_in(
    app: Flask, factory: Factory, clock
) -> None:
    admin = _admin_browser(app, factory, clock)
    treater = factory.client_treater()
    _fail_until_locked(app, treater)
    _, onward = _password_step(app, treater)
    assert "/login/code" not in onward  # locked: the right password does not get through

    page = f"/admin/users/{treater.user.id}/unlock"
    assert "Lås upp" in text_of(admin.get(page))
    db.session.expire_all()
    assert db.session.get(User, treater.user.id).locked_until is not None  # GET changes nothing
    assert submit(admin, page, {}).status_code == 302

    browser = app.test_client()
    log_in(browser, treater, clock)
    assert browser.get("/client/").status_code == 200
    assert _audited("user.unlocked") == 1
    # Unlocking an account that is not locked is refused, and says why.
    again = submit(admin, page, {})
    assert again.status_code == 400 and "Kontot är inte låst." in text_of(again)


def test_a_disabled_account_is_reactivated_and_logs_in_again(
    app: Flask, factory: Factory, clock
) -> None:
    admin = _admin_browser(app, factory, clock)
    treater = factory.partner_treater()
    assert submit(admin, f"/admin/users/{treater.user.id}/disable", {}).status_code == 302
    _, onward = _password_step(app, treater)
    assert "/login/code" not in onward

    detail = text_of(admin.get(f"/admin/users/{treater.user.id}"))
    assert "Återaktivera kontot…" in detail
    assert submit(admin, f"/admin/users/{treater.user.id}/reactivate", {}).status_code == 302

    browser = app.test_client()
    log_in(browser, treater, clock)
    assert browser.get("/partner/").status_code == 200
    assert _audited("user.reactivated") == 1


def _enrol(app: Flask, account: Account, clock) -> tuple[FlaskClient, str, list[str]]:
    """A first login: password, then the new second factor; returns the browser, the TOTP
    secret and the recovery codes the page showed."""
    browser, onward = _password_step(app, account)
    assert onward.endswith("/login/enrol")
    page = text_of(browser.get("/login/enrol"))
    uri = re.search(r"otpauth://totp/[^<\"]+", page).group(0).replace("&amp;", "&")
    secret = parse_qs(urlsplit(uri).query)["secret"][0]
    response = submit(browser, "/login/enrol", {"code": pyotp.TOTP(secret).at(clock.now())})
    assert response.status_code == 200
    codes = _CODES.findall(text_of(response))
    return browser, secret, codes


def test_ten_recovery_codes_are_shown_once_stored_hashed_and_each_works_once(
    app: Flask, factory: Factory, clock
) -> None:
    treater = factory.client_treater(second_factor=False)
    browser, _, codes = _enrol(app, treater, clock)
    assert len(codes) == len(set(codes)) == 10
    assert browser.get("/client/").status_code == 200  # logged in behind the codes page
    stored = db.session.scalars(select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10 and not set(codes) & set(stored)

    clock.advance(minutes=1)
    phone_lost, onward = _password_step(app, treater)
    assert onward.endswith("/login/code")
    used = submit(phone_lost, "/login/code", {"code": codes[3].upper()})
    assert used.status_code == 302 and phone_lost.get("/client/").status_code == 200

    again, _ = _password_step(app, treater)
    refused = submit(again, "/login/code", {"code": codes[3]})
    assert refused.status_code == 401 and again.get("/client/").status_code == 302
    assert _audited("auth.recovery_code_used") == 1
    account_page = text_of(phone_lost.get("/account/"))
    assert re.search(r'id="unused-recovery-codes">9 ', account_page)


def test_new_recovery_codes_need_the_password_and_end_the_old_ones(
    app: Flask, factory: Factory, clock
) -> None:
    treater = factory.partner_treater(second_factor=False)
    browser, _, old = _enrol(app, treater, clock)

    wrong = submit(
        browser, "/account/", {"password": "not my password"}, action="/account/recovery-codes"
    )
    assert wrong.status_code == 400 and 'id="password-error"' in text_of(wrong)
    made = submit(
        browser, "/account/", {"password": treater.password}, action="/account/recovery-codes"
    )
    new = _CODES.findall(text_of(made))
    assert made.status_code == 200 and len(new) == 10 and not set(new) & set(old)

    clock.advance(minutes=1)
    later, _ = _password_step(app, treater)
    assert submit(later, "/login/code", {"code": old[0]}).status_code == 401
    assert submit(later, "/login/code", {"code": new[0]}).status_code == 302
