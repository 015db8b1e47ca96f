"""Proof that her portal shows her what is hers and nothing else: with canaries in every field
of four cases (her own, a colleague's, one waiting in the inbox, another clinic's), she logs in
and reads everything her portal reaches. She finds what she and her treater wrote to each other,
and no string of the client side, of her treater's own notes, or of any other case."""

from __future__ import annotations

from collections import deque

import pytest
from flask import Flask

from tests.factories import Factory
from tests.web.canary import (
    HER,
    MAX_PAGES,
    PORTAL_LOGINS,
    CanaryWorld,
    build_canary_world,
    links_of,
)


@pytest.fixture
def world(factory: Factory, clock) -> CanaryWorld:
    return build_canary_world(factory, clock)


def _crawl_as_her(portal_app: Flask, world: CanaryWorld) -> dict[str, bytes]:
    her = portal_app.test_client()
    codename, passphrase = PORTAL_LOGINS[world.own.case_id]
    start = her.get("/")
    token = start.text.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    logged_in = her.post(
        "/", data={"csrf_token": token, "codename": codename, "passphrase": passphrase}
    )
    assert logged_in.status_code == 302, logged_in.text
    seen: dict[str, bytes] = {}
    queue = deque(
        ["/start"] + [rule.rule for rule in portal_app.url_map.iter_rules() if "<" not in rule.rule]
    )
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        if url in seen or url in ("/exit", "/close"):
            continue  # leaving would end the crawl's own session
        answer = her.get(url)
        assert answer.status_code < 500, f"{url} answered {answer.status_code}"
        seen[url] = answer.get_data() + str(answer.headers).encode()
        if answer.status_code == 200 and answer.mimetype == "text/html":
            queue.extend(links_of(url, answer.get_data()))
    return seen


def test_her_portal_shows_her_own_messages_and_no_other_string(
    portal_app: Flask, world: CanaryWorld
) -> None:
    pages = _crawl_as_her(portal_app, world)
    everything = b"".join(pages.values())
    hers = [marker for marker, side in world.own.markers.items() if side == HER]
    assert hers and [marker for marker in hers if marker.encode() not in everything] == []
    leaked = [
        f"{side} string {marker!r} of {name} on {url}"
        for name in ("own", "colleague", "waiting", "foreign")
        for marker, side in getattr(world, name).markers.items()
        if not (name == "own" and side == HER)
        for url, body in pages.items()
        if marker.encode() in body
    ]
    assert leaked == []
