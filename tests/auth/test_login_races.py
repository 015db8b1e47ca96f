"""Logins at the same moment: one code gives one session, and a burst of guesses is checked
no further than the lockout allows."""

from __future__ import annotations

import threading
from collections import Counter

from flask import Flask
from sqlalchemy import func, select

from partnercontact.audit.models import AuditEvent
from partnercontact.auth import service as accounts
from partnercontact.db import db
from partnercontact.runtime import current_runtime
from tests.factories import Factory
from tests.helpers import csrf_token, submit

LANDING = "/client/"


def _burst(browsers, url: str, forms: list[dict[str, str]]) -> Counter:
    """POST ``forms`` to ``url`` from ``browsers``, all released at the same moment."""
    tokens = [csrf_token(browser, url) for browser in browsers]
    start = threading.Barrier(len(browsers))
    statuses: list[int] = []

    def post(browser, token: str, form: dict[str, str]) -> None:
        start.wait()
        statuses.append(browser.post(url, data={"csrf_token": token, **form}).status_code)

    threads = [
        threading.Thread(target=post, args=(browser, token, form))
        for browser, token, form in zip(browsers, tokens, forms, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return Counter(statuses)


def _count(action: str) -> int:
    db.session.rollback()
    return db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
    )


def test_two_logins_at_once_with_one_code_give_one_session(
    app: Flask, factory: Factory, clock
) -> None:
    account = factory.client_treater()
    browsers = [app.test_client() for _ in range(2)]
    for browser in browsers:
        response = submit(
            browser, "/login", {"username": account.username, "password": account.password}
        )
        assert response.headers["Location"].endswith("/login/code")

    code = account.code(clock)
    statuses = _burst(browsers, "/login/code", [{"code": code}] * 2)

    assert statuses == Counter({302: 1, 401: 1})
    logged_in = [browser for browser in browsers if browser.get(LANDING).status_code == 200]
    assert len(logged_in) == 1
    assert _count("auth.login_succeeded") == 1
    assert _count("auth.totp_failed") == 1


def test_one_recovery_code_sent_by_several_logins_at_once_opens_one_session(
    app: Flask, factory: Factory, clock
) -> None:
    account = factory.client_treater()
    (code, *_) = accounts.regenerate_recovery_codes(account.user, password=account.password)
    db.session.commit()
    browsers = [app.test_client() for _ in range(4)]
    for browser in browsers:
        response = submit(
            browser, "/login", {"username": account.username, "password": account.password}
        )
        assert response.headers["Location"].endswith("/login/code")

    statuses = _burst(browsers, "/login/code", [{"code": code}] * 4)

    assert statuses == Counter({302: 1, 401: 3})
    assert _count("auth.recovery_code_used") == 1
    assert _count("auth.login_succeeded") == 1


def test_a_burst_of_wrong_passwords_locks_after_the_allowed_number_and_checks_no_more(
    app: Flask, factory: Factory, clock, monkeypatch
) -> None:
    account = factory.client_treater()
    allowed = current_runtime().config.auth.max_failed_logins
    own_hash = account.user.password_hash
    # Every check of a password against this account's own hash; a refusal of a locked
    # account costs a check against a fixed hash instead, so it takes as long but tests no
    # guess.
    checked: list[str] = []
    check = accounts._password_matches

    def counting(password_hash: str, password: str) -> bool:
        if password_hash == own_hash:
            checked.append(password)
        return check(password_hash, password)

    monkeypatch.setattr(accounts, "_password_matches", counting)
    browsers = [app.test_client() for _ in range(20)]
    guesses = [
        {"username": account.username, "password": f"wrong guess number {n:02d}"} for n in range(20)
    ]

    statuses = _burst(browsers, "/login", guesses)

    assert statuses == Counter({401: 20})
    assert len(checked) == allowed
    assert _count("auth.login_failed") == 20
    assert _count("auth.locked_out") == 1
    # The account is locked: even the right password is refused now, and is not checked.
    right = submit(
        app.test_client(), "/login", {"username": account.username, "password": account.password}
    )
    assert right.status_code == 401
    assert len(checked) == allowed
    # After the lockout it opens again.
    clock.advance(minutes=16)
    right = submit(
        app.test_client(), "/login", {"username": account.username, "password": account.password}
    )
    assert right.headers["Location"].endswith("/login/code")


def test_a_right_password_does_not_use_up_an_attempt(app: Flask, factory: Factory) -> None:
    account = factory.client_treater()
    allowed = current_runtime().config.auth.max_failed_logins
    browser = app.test_client()
    for _ in range(allowed - 1):
        submit(browser, "/login", {"username": account.username, "password": "not it at all"})
    for _ in range(3):
        right = submit(
            app.test_client(),
            "/login",
            {"username": account.username, "password": account.password},
        )
        assert right.headers["Location"].endswith("/login/code")
    assert _count("auth.locked_out") == 0
