"""Canaries: unique strings seeded into every field on both sides of the wall, and a crawler
that reads everything a logged-in user can reach, to prove that no string crosses a wall.

Each case of the world gets its own strings, so "my own case" and "a colleague's case" can be
told apart. :func:`leaks` lists every string that reached a role that must never see it.
"""

from __future__ import annotations

import re
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from flask import Flask
from sqlalchemy import select

from partnercontact.auth.models import User
from partnercontact.client_side.cases.concern_reports import record_client_concern_report
from partnercontact.client_side.cases.models import TreatmentEpisode
from partnercontact.client_side.cases.risk_assessments import record_client_assessment
from partnercontact.client_side.cases.service import register_client
from partnercontact.db import db
from partnercontact.identifiers import luhn_ok
from partnercontact.partner_side.models import PartnerCase
from partnercontact.partner_side.service import pick_up
from partnercontact.policy import Role
from partnercontact.relay.handover import PartnerDetails, hand_over
from partnercontact.runtime import current_runtime
from tests.cases_built import signed_consent_of
from tests.factories import Account, Factory
from tests.helpers import log_in, sample_url, use_api_token
from tests.ratings import rated

# Sides of the wall a string can belong to.
CLIENT = "client"
PARTNER = "partner"
# What a manager must see to confirm an escalation; still never the client side's.
ESCALATION = "escalation"
# What she and her treater wrote in her portal: hers to read there, and her treater's.
HER = "her"
# Her login to the portal, by partner case: the portal's crawl logs in with it.
PORTAL_LOGINS: dict[uuid.UUID, tuple[str, str]] = {}

_HREF = re.compile(rb'href="([^"#]+)"')
MAX_PAGES = 400


def personal_id_for(number: int) -> str:
    """A valid, invented personal identity number, different for each ``number``."""
    stem = f"19{70 + number:02d}0{1 + number % 9}1{number % 10}9{number % 10}{number % 10}"
    for digit in "0123456789":
        if luhn_ok(stem[2:] + digit):
            return f"{stem[:8]}-{stem[8:]}{digit}"
    raise AssertionError("no check digit fits")


@dataclass
class SeededCase:
    name: str
    client_id: uuid.UUID
    consent_id: uuid.UUID
    case_id: uuid.UUID
    # marker -> side
    markers: dict[str, str] = field(default_factory=dict)

    @property
    def url_values(self) -> dict[str, uuid.UUID]:
        return {"client_id": self.client_id, "consent_id": self.consent_id, "case_id": self.case_id}


# Seeders, one per partner-side module: each gets (holder, case, marker) and records
# something with the marker in every text field it writes; it returns the markers it used
# with their side.
Seeder = Callable[[User, PartnerCase, Callable[[str], str]], dict[str, str]]
SEEDERS: list[Seeder] = []


def seed_partner_side(holder: User, partner_case: PartnerCase, tag: str) -> dict[str, str]:
    """Record everything the partner side can record on ``partner_case``, with strings
    unique to ``tag``; returns them with their side."""
    markers: dict[str, str] = {}
    for seeder in SEEDERS:
        markers |= seeder(holder, partner_case, lambda what: f"Kanarie{tag}{what}")
        db.session.commit()
    return markers


def seed_client_side(
    treater: User, client_id: uuid.UUID, marker: Callable[[str], str]
) -> dict[str, str]:
    """The client treater's own clinical records, each text field holding a canary."""
    today = current_runtime().clock.now().date()
    record_client_assessment(
        treater,
        client_id,
        instrument="sam",
        assessed_on=today,
        ratings=rated("sam"),
        level="moderate",
        next_review_on=None,
        notes=marker("Klientrisk"),
    )
    record_client_concern_report(
        treater, client_id, reported_on=today, board=marker("Klientnamnd"), reason="neglect"
    )
    db.session.commit()
    return {marker("Klientrisk"): CLIENT, marker("Klientnamnd"): CLIENT}


def seed_case(
    factory: Factory,
    clock,
    *,
    tag: str,
    number: int,
    client_treater: Account,
    partner_treater: Account | None,
    partner_side_work: bool = True,
) -> SeededCase:
    """A case whose every field holds a string unique to it; picked up when a partner treater
    is given, left waiting in the inbox otherwise."""

    def marker(what: str) -> str:
        return f"Kanarie{tag}{what}"

    phone = f"070999{number:04d}"
    client = register_client(
        client_treater.user,
        name=f"{marker('Klientnamn')} Testsson",
        personal_id=personal_id_for(number),
        phone=phone,
        language="sv",
    )
    db.session.commit()
    markers = {
        marker("Klientnamn"): CLIENT,
        personal_id_for(number): CLIENT,
        phone[1:]: CLIENT,
    }
    consent = signed_consent_of(client_treater.user, client.id, clock)
    partner_phone = f"073888{number:04d}"
    hand_over(
        client_treater.user,
        client.id,
        PartnerDetails(
            name=f"{marker('Partnernamn')} Påhittad",
            phone=partner_phone,
            address=f"{marker('Adress')}vägen 3",
            relation="former",
            children_in_common="yes",
            protected_identity=False,
        ),
    )
    db.session.commit()
    markers |= {marker("Partnernamn"): PARTNER, partner_phone[1:]: PARTNER}
    markers[marker("Adress")] = PARTNER
    markers |= seed_client_side(client_treater.user, client.id, marker)
    partner_case = db.session.scalar(
        select(PartnerCase)
        .join(TreatmentEpisode, TreatmentEpisode.id == PartnerCase.episode_id)
        .where(TreatmentEpisode.client_id == client.id)
    )
    if partner_treater is not None:
        pick_up(partner_treater.user, partner_case.id)
        db.session.commit()
        if partner_side_work:
            markers |= seed_partner_side(partner_treater.user, partner_case, tag)
    return SeededCase(tag, client.id, consent.id, partner_case.id, markers)


@dataclass
class CanaryWorld:
    accounts: dict[Role, Account]
    own: SeededCase  # held by the logged-in client and partner treaters
    colleague: SeededCase  # same clinic, other treaters
    waiting: SeededCase  # same clinic, handed over, nobody holds it yet
    foreign: SeededCase  # another clinic

    @property
    def cases(self) -> list[SeededCase]:
        return [self.own, self.colleague, self.waiting, self.foreign]


def build_canary_world(factory: Factory, clock) -> CanaryWorld:
    accounts = {role: factory.account(role) for role in Role}
    own = seed_case(
        factory,
        clock,
        tag="Egen",
        number=1,
        client_treater=accounts[Role.CLIENT_TREATER],
        partner_treater=accounts[Role.PARTNER_TREATER],
    )
    colleague = seed_case(
        factory,
        clock,
        tag="Kollega",
        number=2,
        client_treater=factory.client_treater(),
        partner_treater=factory.partner_treater(),
    )
    waiting = seed_case(
        factory,
        clock,
        tag="Vantar",
        number=3,
        client_treater=factory.client_treater(),
        partner_treater=None,
    )
    elsewhere = factory.clinic()
    foreign = seed_case(
        factory,
        clock,
        tag="Annan",
        number=4,
        client_treater=factory.client_treater(clinic=elsewhere),
        partner_treater=factory.partner_treater(clinic=elsewhere),
    )
    return CanaryWorld(accounts, own, colleague, waiting, foreign)


def allowed_sides(role: Role, case: str) -> set[str]:
    """What ``role`` may read of each case of the world: the wall, written out."""
    if role is Role.CLIENT_TREATER:
        return {CLIENT} if case == "own" else set()
    if role is Role.PARTNER_TREATER:
        if case == "own":
            return {PARTNER, ESCALATION, HER}
        # A waiting hand-over is offered to every partner treater of the clinic, with her name.
        return {PARTNER} if case == "waiting" else set()
    if role is Role.MANAGER:
        return {ESCALATION} if case in ("own", "colleague", "waiting") else set()
    return set()


def crawl(app: Flask, account: Account, clock, starts: Iterable[str]) -> dict[str, bytes]:
    """Every page ``account`` reaches from ``starts`` by following links, GET only."""
    client = app.test_client()
    log_in(client, account, clock)
    use_api_token(client, account)
    seen: dict[str, bytes] = {}
    queue = deque(starts)
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        if url in seen:
            continue
        response = client.get(url)
        assert response.status_code < 500, f"{url} answered {response.status_code}"
        body = response.get_data() + str(response.headers).encode()
        seen[url] = body
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        queue.extend(links_of(url, response.get_data()))
    return seen


def links_of(url: str, page: bytes) -> list[str]:
    """The addresses on this site that ``page`` (at ``url``) links to, static files aside."""
    found = []
    for match in _HREF.finditer(page):
        link = urljoin(url, match.group(1).decode().replace("&amp;", "&"))
        parts = urlsplit(link)
        if parts.netloc or not parts.path.startswith("/") or parts.path.startswith("/static"):
            continue
        found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def reachable(app: Flask, world: CanaryWorld, role: Role, clock) -> dict[str, bytes]:
    """Every page the role's user reaches: by links from the start page, and by asking every
    GET route about every case of the world directly."""
    starts = ["/"]
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        for case in world.cases:
            starts.append(sample_url(rule, case.url_values))
    return crawl(app, world.accounts[role], clock, starts)


def leaks(world: CanaryWorld, role: Role, pages: dict[str, bytes]) -> list[str]:
    """Every string of ``world`` that ``role`` must not read and that ``pages`` contain."""
    found = []
    for name in ("own", "colleague", "waiting", "foreign"):
        case = getattr(world, name)
        allowed = allowed_sides(role, name)
        for marker, side in case.markers.items():
            if side in allowed:
                continue
            for url, body in pages.items():
                if marker.encode() in body:
                    found.append(f"{role.value} sees {side} string {marker!r} of {name} on {url}")
    return found


# The partner side's seeders register themselves; imported last, as they import this module.
import tests.web.canary_seeders  # noqa: E402, F401
