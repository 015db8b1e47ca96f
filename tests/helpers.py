"""Driving the app through its pages the way a browser does, CSRF tokens included."""

from __future__ import annotations

import re
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from partnercontact.clock import FixedClock
from partnercontact.db import db
from tests.factories import Account

_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client: FlaskClient, page: str) -> str:
    response = client.get(page)
    match = _TOKEN.search(response.get_data(as_text=True))
    assert match, f"no CSRF token on {page} (status {response.status_code})"
    return match.group(1)


def submit(
    client: FlaskClient, page: str, data: dict[str, str], action: str | None = None
) -> TestResponse:
    """GET ``page`` for its token, then POST ``data`` to ``action`` (default: the page)."""
    token = csrf_token(client, page)
    return client.post(action or page, data={"csrf_token": token, **data})


def log_in(client: FlaskClient, account: Account, clock: FixedClock) -> TestResponse:
    response = submit(
        client, "/login", {"username": account.username, "password": account.password}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    if response.headers["Location"].endswith("/login/code"):
        response = submit(client, "/login/code", {"code": account.code(clock)})
        assert response.status_code == 302, response.get_data(as_text=True)
    return response


def browser_of(app: Flask, account: Account, clock: FixedClock) -> FlaskClient:
    """A browser logged in as ``account``, after the clock has moved past the last one-time
    code (each is used once), so several people can log in within one test."""
    clock.advance(seconds=31)
    browser = app.test_client()
    log_in(browser, account, clock)
    return browser


def posted_at_once(
    browsers: list[FlaskClient], url: str, forms: list[dict[str, str]]
) -> Counter[int]:
    """POST ``forms`` to ``url`` from ``browsers`` (one each) at the same moment; how many
    answers of each status came back."""
    tokens = [csrf_token(browser, url) for browser in browsers]
    db.session.rollback()
    start = threading.Barrier(len(browsers))
    statuses: list[int] = []

    def post(browser: FlaskClient, token: str, form: dict[str, str]) -> None:
        start.wait()
        statuses.append(browser.post(url, data={"csrf_token": token, **form}).status_code)

    threads = [
        threading.Thread(target=post, args=sent)
        for sent in zip(browsers, tokens, forms, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return Counter(statuses)


def text_of(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def sample_url(rule: Rule, values: dict[str, object]) -> str:
    """A URL for ``rule``: ``values`` where it names them, a harmless stand-in elsewhere."""
    arguments = {}
    for name in rule.arguments:
        converter = rule._converters[name]
        if name in values:
            arguments[name] = values[name]
        elif hasattr(converter, "items"):
            arguments[name] = sorted(converter.items)[0]
        elif type(converter).__name__ == "IntegerConverter":
            arguments[name] = 1
        elif type(converter).__name__ == "UUIDConverter":
            arguments[name] = uuid.uuid4()
        else:
            arguments[name] = "x"
    return rule.build(arguments, append_unknown=False)[1]


_UUID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}")
_SHORT_REFERENCE = re.compile(r"<code>[0-9a-f]{8}</code>")


def without_csrf_tokens(text: str) -> str:
    """``text`` with its CSRF tokens replaced: a token is signed with the second it was made
    in, so two answers a moment apart may differ in nothing else."""
    text = _TOKEN.sub('name="csrf_token" value="TOKEN"', text)
    return re.sub(r'value="[^"]*"(?=[^>]*name="csrf_token")', 'value="TOKEN"', text)


def masked(text: str) -> str:
    """``text`` with record ids and CSRF tokens replaced, for comparing two pages that may
    differ only in which record they are about."""
    text = _UUID.sub("ID", without_csrf_tokens(text))
    return _SHORT_REFERENCE.sub("<code>REF</code>", text)


def api_token(account: Account) -> str:
    """A personal API token of ``account``, made through the service as the account page
    makes one."""
    from partnercontact.auth.tokens import issue_token
    from partnercontact.db import db

    secret = issue_token(account.user, label="Testintegration").secret
    db.session.commit()
    return secret


def use_api_token(client: FlaskClient, account: Account) -> str:
    """Make every request of ``client`` carry a token of ``account``; pages ignore it, the
    API (which ignores the session) answers to it."""
    secret = api_token(account)
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    return secret


@contextmanager
def sql_statements() -> Iterator[list[str]]:
    """The SQL sent to the database inside the block."""
    sent: list[str] = []

    def capture(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)


def case_view(case_id: uuid.UUID, section: str | None = None) -> str:
    """The partner case page, on the view (tab) that shows ``section`` (a section or an id
    inside one, as links name it): what a treater reaches by the tab or by a link."""
    path = f"/partner/cases/{case_id}"
    if section is None:
        return path
    from partnercontact.web.partner_side.sections import DEFAULT_VIEW, view_of_anchor

    view = view_of_anchor(section)
    return path if view == DEFAULT_VIEW else f"{path}?view={view}"
