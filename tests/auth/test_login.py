"""Logging in: password, lockout, the second factor, CSRF."""

from __future__ import annotations

from sqlalchemy import func, select

from partnercontact.audit.models import AuditEvent
from partnercontact.auth.models import User
from partnercontact.db import db
from tests.factories import Factory
from tests.helpers import csrf_token, log_in, submit, text_of

LANDING = "/client/"


def test_a_client_treater_logs_in_with_password_and_code(client, factory: Factory, clock) -> None:
    account = factory.client_treater()
    response = log_in(client, account, clock)
    assert response.headers["Location"].endswith(LANDING)
    page = client.get(LANDING)
    assert page.status_code == 200
    assert account.user.display_name in text_of(page)


def test_wrong_password_is_refused_with_the_same_answer_as_an_unknown_user(
    client, factory: Factory
) -> None:
    account = factory.client_treater()
    wrong = submit(client, "/login", {"username": account.username, "password": "wrong" * 4})
    unknown = submit(client, "/login", {"username": "nobody.here", "password": "wrong" * 4})
    assert wrong.status_code == unknown.status_code == 401
    message = "Inloggningen misslyckades"
    assert message in text_of(wrong) and message in text_of(unknown)
    assert client.get(LANDING).status_code == 302


def test_the_username_is_kept_after_a_failed_login(client, factory: Factory) -> None:
    account = factory.client_treater()
    response = submit(client, "/login", {"username": account.username, "password": "x" * 12})
    assert f'value="{account.username}"' in text_of(response)


def test_account_locks_after_repeated_failures_and_opens_after_the_lockout(
    client, factory: Factory, clock
) -> None:
    account = factory.client_treater()
    for _ in range(5):
        submit(client, "/login", {"username": account.username, "password": "not-it-at-all"})
    refused = submit(client, "/login", {"username": account.username, "password": account.password})
    assert refused.status_code == 401
    assert "Inloggningen misslyckades" in text_of(refused)
    locked = db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "auth.locked_out")
    )
    assert locked == 1
    clock.advance(minutes=16)
    assert log_in(client, account, clock).status_code == 302
    assert client.get(LANDING).status_code == 200


def test_a_disabled_account_cannot_log_in(client, factory: Factory) -> None:
    account = factory.client_treater()
    account.user.disabled_at = account.user.created_at
    db.session.commit()
    response = submit(
        client, "/login", {"username": account.username, "password": account.password}
    )
    assert response.status_code == 401


def test_a_post_without_csrf_token_is_refused(client, factory: Factory) -> None:
    account = factory.client_treater()
    client.get("/login")
    response = client.post(
        "/login", data={"username": account.username, "password": account.password}
    )
    assert response.status_code == 400
    assert client.get(LANDING).status_code == 302


def test_a_post_with_another_sessions_token_is_refused(app, factory: Factory) -> None:
    account = factory.client_treater()
    first, second = app.test_client(), app.test_client()
    token = csrf_token(first, "/login")
    second.get("/login")
    response = second.post(
        "/login",
        data={"csrf_token": token, "username": account.username, "password": account.password},
    )
    assert response.status_code == 400


def test_password_alone_does_not_log_in_when_a_code_is_required(client, factory: Factory) -> None:
    account = factory.client_treater()
    response = submit(
        client, "/login", {"username": account.username, "password": account.password}
    )
    assert response.headers["Location"].endswith("/login/code")
    assert client.get(LANDING).status_code == 302


def test_a_wrong_code_is_refused(client, factory: Factory, clock) -> None:
    account = factory.client_treater()
    submit(client, "/login", {"username": account.username, "password": account.password})
    good = account.code(clock)
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    response = submit(client, "/login/code", {"code": wrong})
    assert response.status_code == 401
    assert client.get(LANDING).status_code == 302


def test_a_replayed_code_is_refused(app, factory: Factory, clock) -> None:
    account = factory.client_treater()
    first = app.test_client()
    log_in(first, account, clock)
    code = account.code(clock)
    clock.advance(seconds=5)
    second = app.test_client()
    submit(second, "/login", {"username": account.username, "password": account.password})
    response = submit(second, "/login/code", {"code": code})
    assert response.status_code == 401
    assert second.get(LANDING).status_code == 302
    # The next code, from a later time step, works.
    clock.advance(seconds=30)
    response = submit(second, "/login/code", {"code": account.code(clock)})
    assert response.status_code == 302


def test_the_step_between_password_and_code_expires(client, factory: Factory, clock) -> None:
    account = factory.client_treater()
    submit(client, "/login", {"username": account.username, "password": account.password})
    clock.advance(minutes=6)
    response = client.get("/login/code")
    assert response.headers["Location"].endswith("/login")


def test_a_new_account_enrols_a_second_factor_at_first_login(
    client, factory: Factory, clock
) -> None:
    import re
    from urllib.parse import parse_qs, urlsplit

    import pyotp

    account = factory.partner_treater(second_factor=False)
    response = submit(
        client, "/login", {"username": account.username, "password": account.password}
    )
    assert response.headers["Location"].endswith("/login/enrol")
    page = text_of(client.get("/login/enrol"))
    uri = re.search(r"otpauth://totp/[^<\"]+", page).group(0).replace("&amp;", "&")
    # The QR code as an image document of its own, with its namespace (else nothing shows).
    assert 'src="data:image/svg+xml;charset=utf-8,%3Csvg%20xmlns%3D' in page
    secret = parse_qs(urlsplit(uri).query)["secret"][0]
    assert client.get("/partner/").status_code == 302
    code = pyotp.TOTP(secret).at(clock.now())
    response = submit(client, "/login/enrol", {"code": code})
    assert response.status_code == 200 and 'id="recovery-codes"' in text_of(response)
    assert client.get("/partner/").status_code == 200
    user = db.session.get(User, account.user.id)
    db.session.refresh(user)
    assert user.has_second_factor


def test_an_open_redirect_is_not_followed_after_login(client, factory: Factory, clock) -> None:
    account = factory.client_treater()
    token = csrf_token(client, "/login")
    response = client.post(
        "/login?next=//evil.example/x",
        data={"csrf_token": token, "username": account.username, "password": account.password},
    )
    response = submit(client, "/login/code", {"code": account.code(clock)})
    assert response.headers["Location"].endswith(LANDING)
