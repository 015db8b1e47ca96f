"""The managers' access log, and the alert every manager and administrator sees when the
audit log's check failed."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from partnercontact.audit.access_log import ACTION_LABELS, PARTNER_SIDE_ACTIONS, grouped_actions
from partnercontact.audit.models import AuditEvent
from partnercontact.audit.runs import record_verification, run_verification
from partnercontact.audit.service import record_event
from partnercontact.audit.tags import AuditAction, Outcome
from partnercontact.audit.verify import VerifyResult
from partnercontact.clock import FixedClock
from partnercontact.db import db
from partnercontact.policy import Role
from tests.factories import Account, Factory
from tests.helpers import log_in, text_of

PAGE = "/management/access-log"
_ENTRY = re.compile(r'<tr class="log-entry">\s*<td>([^<]*)</td>')
# The seeded entries by their time on the clinic's clocks (Stockholm, UTC+1 in January): the
# page shows no sequence number, so an entry is known by its time.
SEEDED_TIMES = {
    "2026-01-10 11:00": "opened",
    "2026-01-12 11:00": "case",
    "2026-01-14 00:30": "purge",
    "2026-01-14 11:00": "started",
    "2026-01-14 12:00": "foreign",
}


@dataclass
class Log:
    manager: Account
    treater: Account
    partner_treater: Account
    stranger: Account  # a treater of another clinic
    episode: uuid.UUID
    partner_case: uuid.UUID
    foreign_episode: uuid.UUID
    seqs: dict[str, int]


def _event(clock: FixedClock, at: datetime, name: str, seqs: dict[str, int], **fields) -> None:
    clock.set(at)
    seqs[name] = record_event(**fields).seq


@pytest.fixture
def log(factory: Factory, clock: FixedClock) -> Log:
    manager = factory.manager()
    treater = factory.client_treater()
    partner_treater = factory.partner_treater()
    other = factory.clinic()
    stranger = factory.client_treater(clinic=other)
    clinic_id = manager.user.clinic_id
    episode, partner_case, foreign_episode = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    seqs: dict[str, int] = {}
    _event(
        clock,
        datetime(2026, 1, 10, 10, 0, tzinfo=UTC),
        "opened",
        seqs,
        action=AuditAction.CLIENT_VIEWED,
        actor_id=treater.user.id,
        clinic_id=clinic_id,
        resource_type="episode",
        resource_id=str(episode),
    )
    _event(
        clock,
        datetime(2026, 1, 12, 10, 0, tzinfo=UTC),
        "case",
        seqs,
        action=AuditAction.PARTNER_CASE_VIEWED,
        actor_id=partner_treater.user.id,
        clinic_id=clinic_id,
        resource_type="partner_case",
        resource_id=str(partner_case),
    )
    # 00:30 on the 14th on the clinic's clocks (Stockholm), though still the 13th in UTC.
    _event(
        clock,
        datetime(2026, 1, 13, 23, 30, tzinfo=UTC),
        "purge",
        seqs,
        action=AuditAction.SMS_FAILED,
        actor_id=None,
        clinic_id=clinic_id,
        resource_type="sms_message",
        resource_id="17",
        outcome=Outcome.FAILED,
    )
    _event(
        clock,
        datetime(2026, 1, 14, 10, 0, tzinfo=UTC),
        "started",
        seqs,
        action=AuditAction.EPISODE_STARTED,
        actor_id=treater.user.id,
        clinic_id=clinic_id,
        resource_type="episode",
        resource_id=str(episode),
    )
    _event(
        clock,
        datetime(2026, 1, 14, 11, 0, tzinfo=UTC),
        "foreign",
        seqs,
        action=AuditAction.CLIENT_VIEWED,
        actor_id=stranger.user.id,
        clinic_id=other.id,
        resource_type="episode",
        resource_id=str(foreign_episode),
    )
    db.session.commit()
    # The manager logs in (and reads the log) weeks later, outside the periods filtered on.
    clock.set(datetime(2026, 2, 2, 9, 0, tzinfo=UTC))
    return Log(
        manager, treater, partner_treater, stranger, episode, partner_case, foreign_episode, seqs
    )


def _as(client: FlaskClient, account: Account, clock: FixedClock) -> FlaskClient:
    log_in(client, account, clock)
    return client


def _names(body: str) -> list[str]:
    """The listed entries, top to bottom: a seeded one by its name, any other by its time."""
    return [SEEDED_TIMES.get(time, f"other {time}") for time in _ENTRY.findall(body)]


def _listed(client: FlaskClient, query: str = "") -> list[str]:
    response = client.get(f"{PAGE}?{query}" if query else PAGE)
    assert response.status_code == 200, text_of(response)
    return _names(text_of(response))


def test_every_action_has_a_label_and_a_group_and_the_partner_side_only_two() -> None:
    assert set(ACTION_LABELS) == set(AuditAction)
    grouped = [value for _, members in grouped_actions() for value, _ in members]
    assert sorted(grouped) == sorted(
        [a.value for a in AuditAction if a not in PARTNER_SIDE_ACTIONS]
        + ["partner_side.changed", "partner_side.read"]
    )
    assert AuditAction.THREAT_WARNING_RECORDED not in grouped


def test_the_clinics_entries_are_listed_newest_first_with_names_and_references(
    client: FlaskClient, log: Log, clock: FixedClock
) -> None:
    _as(client, log.manager, clock)
    response = client.get(PAGE)
    body = text_of(response)
    listed = _names(body)
    assert [name for name in listed if not name.startswith("other")] == [
        "started",
        "purge",
        "case",
        "opened",
    ]
    assert "data-seq" not in body
    assert (
        f'{log.treater.user.display_name} <span class="username">({log.treater.username})' in body
    )
    # Cases by their neutral reference only, never the whole id.
    assert f"<code>{log.episode.hex[:8]}</code>" in body
    assert f"<code>{log.partner_case.hex[:8]}</code>" in body
    assert "2026-01-14 00:30" in body  # the clinic's clocks, not UTC


def test_another_clinics_entries_never_appear(
    client: FlaskClient, log: Log, clock: FixedClock
) -> None:
    _as(client, log.manager, clock)
    body = text_of(client.get(PAGE))
    assert "foreign" not in _names(body)
    assert log.foreign_episode.hex[:8] not in body
    assert log.stranger.username not in body
    # Not even by asking for it.
    assert _listed(client, f"record_type=episode&record_id={log.foreign_episode}") == []
    response = client.get(f"{PAGE}?actor={log.stranger.user.id}")
    assert response.status_code == 400 and 'id="actor-error"' in text_of(response)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("date_from=2026-01-12&date_to=2026-01-13", ["case"]),
        ("date_from=2026-01-14&date_to=2026-01-14", ["started", "purge"]),
        ("date_to=2026-01-10", ["opened"]),
        ("actor={treater}&date_to=2026-01-14", ["started", "opened"]),
        ("actor=system&date_to=2026-01-31", ["purge"]),
        ("action=partner_side.read", ["case"]),
        ("action=partner_side.changed&date_to=2026-01-31", ["purge"]),
        ("action=client.viewed", ["opened"]),
        ("record_type=episode&record_id={episode}", ["started", "opened"]),
        ("record_type=episode&record_id={reference}", ["started", "opened"]),
        ("record_type=partner_case", ["case"]),
        ("actor={treater}&action=episode.started&date_from=2026-01-14", ["started"]),
    ],
)
def test_filters_give_exactly_the_matching_entries(
    client: FlaskClient, log: Log, clock: FixedClock, query: str, expected: list[str]
) -> None:
    _as(client, log.manager, clock)
    query = query.format(
        treater=log.treater.user.id, episode=log.episode, reference=log.episode.hex[:8]
    )
    assert _listed(client, query) == expected


def test_a_record_shows_everyone_who_touched_it_and_each_entry_links_there(
    client: FlaskClient, log: Log, clock: FixedClock
) -> None:
    _as(client, log.manager, clock)
    body = text_of(client.get(PAGE))
    link = f"{PAGE}?record_type=episode&amp;record_id={log.episode}"
    assert link in body
    assert _listed(client, link.split("?")[1].replace("&amp;", "&")) == ["started", "opened"]


def test_pages_of_fifty_keep_the_filters(client: FlaskClient, log: Log, clock: FixedClock) -> None:
    for _ in range(54):
        record_event(
            AuditAction.CLIENT_VIEWED,
            actor_id=log.treater.user.id,
            clinic_id=log.manager.user.clinic_id,
            resource_type="client",
            resource_id=str(uuid.uuid4()),
        )
    db.session.commit()
    _as(client, log.manager, clock)
    first = text_of(client.get(f"{PAGE}?action=client.viewed"))
    assert len(_ENTRY.findall(first)) == 50
    (older,) = re.findall(r'href="([^"]+)" rel="next"', first)
    assert older.startswith(f"{PAGE}?action=client.viewed&amp;before=")
    assert 'rel="prev"' not in first
    second = text_of(client.get(older.replace("&amp;", "&")))
    names = _names(second)
    assert len(names) == 5 and names[-1] == "opened"
    assert f'href="{PAGE}?action=client.viewed"' in second
    assert 'rel="next"' not in second


def test_reading_the_log_is_logged(client: FlaskClient, log: Log, clock: FixedClock) -> None:
    _as(client, log.manager, clock)
    client.get(PAGE)
    db.session.expire_all()
    views = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == AuditAction.ACCESS_LOG_VIEWED.value)
    ).all()
    assert [(e.actor_id, e.clinic_id, e.resource_type) for e in views] == [
        (log.manager.user.id, log.manager.user.clinic_id, "audit_log")
    ]


@pytest.mark.parametrize(
    ("query", "field", "kept"),
    [
        ("date_from=2026-13-01", "date_from", 'value="2026-13-01"'),
        ("date_from=20260101", "date_from", 'value="20260101"'),
        ("date_from=2026-02-01&date_to=2026-01-01", "date_to", 'value="2026-01-01"'),
        ("action=client.burned", "action", None),
        ("actor=999999", "actor", None),
        ("actor=nobody", "actor", None),
        ("record_type=episode&record_id=" + "a" * 129, "record_id", 'value="' + "a" * 129),
        ("record_type=episode&record_id=a%20b", "record_id", 'value="a b"'),
        ("record_id=abc", "record_type", 'value="abc"'),
        ("record_type=diary", "record_type", None),
        # Not offered: a case's letters and text messages, listed, would say she got them.
        ("record_type=sms_message&record_id=17", "record_type", None),
        ("action=partner.threat_warning_recorded", "action", None),
        ("action=message.sms_queued", "action", None),
        ("page=0", "page", None),
        ("colour=red", "colour", None),
    ],
)
def test_bad_filters_answer_400_on_their_field_keeping_the_input(
    client: FlaskClient, log: Log, clock: FixedClock, query: str, field: str, kept: str | None
) -> None:
    _as(client, log.manager, clock)
    response = client.get(f"{PAGE}?{query}")
    body = text_of(response)
    assert response.status_code == 400
    if field in ("page", "colour"):  # not a field of the form: said at its top
        assert 'class="notice notice-error" role="alert"' in body
        assert field in body
    else:
        assert f'id="{field}-error"' in body
    if kept:
        assert kept in body
    assert _ENTRY.findall(body) == []


@pytest.mark.parametrize("role", [Role.CLIENT_TREATER, Role.PARTNER_TREATER, Role.ADMIN])
def test_only_managers_may_read_the_access_log(
    app: Flask, log: Log, factory: Factory, clock: FixedClock, role: Role
) -> None:
    client = _as(app.test_client(), factory.account(role), clock)
    response = client.get(PAGE)
    assert response.status_code == 403
    assert log.episode.hex[:8] not in text_of(response)


# --- the alert -------------------------------------------------------------------------------

ALERT = "audit-alert"
COMMAND = "partnercontact audit verify --head"


def _failed_check(clock: FixedClock) -> None:
    record_verification(
        VerifyResult(False, 6, 7, "row 7 does not match its MAC: it was altered"),
        trigger="nightly",
        started_at=clock.now(),
        finished_at=clock.now(),
        night=clock.now().date(),
    )
    db.session.commit()


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        (Role.MANAGER, True),
        (Role.ADMIN, True),
        (Role.CLIENT_TREATER, False),
        (Role.PARTNER_TREATER, False),
    ],
)
def test_a_failed_check_alerts_managers_and_administrators_on_every_page(
    app: Flask, factory: Factory, clock: FixedClock, role: Role, sees: bool
) -> None:
    client = _as(app.test_client(), factory.account(role), clock)
    assert ALERT not in text_of(client.get("/account/"))
    clock.set(datetime(2026, 1, 15, 2, 30, tzinfo=UTC))
    _failed_check(clock)
    clock.advance(hours=5)

    for page in ("/account/", "/"):
        body = text_of(client.get(page, follow_redirects=True))
        assert (ALERT in body) is sees, page
        assert (COMMAND in body) is sees
        # When, on the clinic's clocks (Stockholm, UTC+1 in January).
        assert ("2026-01-15 03:30" in body) is sees


def test_the_alert_goes_when_a_check_finds_the_log_intact(
    app: Flask, factory: Factory, clock: FixedClock
) -> None:
    client = _as(app.test_client(), factory.manager(), clock)
    _failed_check(clock)
    assert ALERT in text_of(client.get("/account/"))

    clock.advance(minutes=10)
    assert run_verification("command").result.ok
    assert ALERT not in text_of(client.get("/account/"))


def test_no_check_for_two_days_alerts_too(app: Flask, factory: Factory, clock: FixedClock) -> None:
    client = _as(app.test_client(), factory.admin(), clock)
    run_verification("nightly", night=clock.now().date())
    assert ALERT not in text_of(client.get("/account/"))
    clock.advance(hours=49)
    client = _as(app.test_client(), factory.admin(), clock)
    body = text_of(client.get("/account/"))
    assert ALERT in body and COMMAND in body


def test_the_access_log_shows_the_last_check(
    client: FlaskClient, log: Log, clock: FixedClock
) -> None:
    _as(client, log.manager, clock)
    assert "does not match its MAC" not in text_of(client.get(PAGE))
    _failed_check(clock)
    assert "<code>row 7 does not match its MAC: it was altered</code>" in text_of(client.get(PAGE))
