"""Messages in her own channel, from the services and her treater's pages: only her treater
writes to her (and, for a protected partner, only if named for her); the body is required and
at most 5000 characters; the text is sealed (not in a database dump) and emptied after the
clinic's keeping time while the content-free record stays; the treater's case page shows the
thread with both sides' read marks and his home page the count of her unread messages."""

from __future__ import annotations

import uuid

import pytest
from flask.testing import FlaskClient
from sqlalchemy import delete, select

from partnercontact.audit.models import AuditEvent
from partnercontact.clinics.models import Clinic
from partnercontact.db import db
from partnercontact.errors import DomainError
from partnercontact.partner_side import portal_access, portal_messages
from partnercontact.partner_side.models import ProtectedAccess
from partnercontact.partner_side.portal_access import PortalIdentity
from partnercontact.partner_side.portal_messages_models import PortalMessage
from partnercontact.retention import purge_expired
from partnercontact.runtime import current_runtime
from tests.cases_built import first_steps_taken
from tests.factories import Factory
from tests.helpers import case_view, log_in, submit, text_of
from tests.messaging.sending import Held, held_for_sms
from tests.partners.test_portal_access import _database_text

PASSPHRASE = "ljus i fönstret varje kväll"
HER_ADDRESS = "198.51.100.23"
TO_HER = "Vi ses på torsdag klockan tio, om det fortfarande passar dig."
FROM_HER = "Det passar. Jag kommer via bakdörren mot parkeringen."


def _ready(factory: Factory, clock, **kwargs: object) -> Held:
    held = held_for_sms(factory, clock, suitable=False, **kwargs)
    first_steps_taken(held.holder.user, held.case.id, clock)
    db.session.commit()
    return held


@pytest.fixture
def ready(factory: Factory, clock) -> Held:
    return _ready(factory, clock)


def _her(held: Held) -> PortalIdentity:
    invitation = portal_access.invite(held.holder.user, held.case.id)
    codename = portal_access.redeem(invitation.code, PASSPHRASE, address=HER_ADDRESS)
    identity = portal_access.log_in(codename, PASSPHRASE, address=HER_ADDRESS)
    db.session.commit()
    return identity


def _tick() -> None:
    """A minute on: messages written at one instant have no order of their own."""
    current_runtime().clock.advance(minutes=1)  # type: ignore[attr-defined]


def _to_her(held: Held, body: str = TO_HER) -> PortalMessage:
    _tick()
    message = portal_messages.write_to_her(held.holder.user, held.case.id, body)
    db.session.commit()
    return message


def _from_her(identity: PortalIdentity, body: str = FROM_HER) -> PortalMessage:
    _tick()
    message = portal_messages.write_from_her(identity, body)
    db.session.commit()
    return message


def _hers(identity: PortalIdentity) -> list[portal_messages.ThreadEntry]:
    """Her view, committed as the portal commits it (the read marks and the audit entry)."""
    thread = portal_messages.thread_for_her(identity)
    db.session.commit()
    return thread


def _theirs(held: Held) -> list[portal_messages.ThreadEntry]:
    thread = portal_messages.thread_for_treater(held.holder.user, held.case.id)
    db.session.commit()
    return thread


def _refused(call, *args) -> DomainError:
    with pytest.raises(DomainError) as refused:
        call(*args)
    db.session.rollback()
    return refused.value


def test_messages_go_both_ways_with_read_marks(ready: Held) -> None:
    identity = _her(ready)
    to_her = _to_her(ready)
    from_her = _from_her(identity)

    mine = _hers(identity)
    assert [(entry.direction, entry.body, entry.new) for entry in mine] == [
        ("to_her", TO_HER, True),
        ("from_her", FROM_HER, False),
    ]
    assert mine[1].read_at is None  # her treater has not read it yet
    assert portal_messages.unread_from_her_count(ready.holder.user) == 1

    theirs = _theirs(ready)
    assert [entry.id for entry in theirs] == [to_her.id, from_her.id]
    assert theirs[0].read_at is not None and theirs[0].author_name
    assert theirs[1].read_at is not None and theirs[1].new
    assert portal_messages.unread_from_her_count(ready.holder.user) == 0
    again = _hers(identity)
    assert not again[0].new and again[1].read_at is not None


def test_clearing_leaves_her_view_and_her_treater_sees_it(ready: Held) -> None:
    identity = _her(ready)
    to_her = _to_her(ready)
    portal_messages.clear_for_her(identity, to_her.id)
    db.session.commit()
    assert _hers(identity) == []
    [entry] = _theirs(ready)
    assert entry.read_at is not None and entry.cleared_at is not None and entry.body == TO_HER


def test_a_message_of_another_case_is_not_found_as_a_missing_one(
    ready: Held, factory: Factory, clock
) -> None:
    identity = _her(ready)
    other = _ready(factory, clock)
    theirs = _to_her(other)
    foreign = _refused(portal_messages.clear_for_her, identity, theirs.id)
    missing = _refused(portal_messages.clear_for_her, identity, uuid.uuid4())
    assert type(foreign) is type(missing)
    assert (foreign.status, foreign.field, str(foreign.message)) == (
        missing.status,
        missing.field,
        str(missing.message),
    )
    assert foreign.status == 404
    assert [entry.body for entry in _hers(identity)] == []


@pytest.mark.parametrize("body", [None, "", "  \n\t ", "x" * 5001])
def test_a_body_empty_or_over_5000_characters_is_refused_on_its_field(
    ready: Held, body: str | None
) -> None:
    identity = _her(ready)
    for refusal in (
        _refused(portal_messages.write_to_her, ready.holder.user, ready.case.id, body),
        _refused(portal_messages.write_from_her, identity, body),
    ):
        assert refusal.field == "body" and refusal.status == 400
    assert db.session.scalars(select(PortalMessage)).all() == []
    _to_her(ready, "x" * 5000)  # the limit itself goes


def test_only_her_treater_writes_to_her_and_reads_the_thread(ready: Held, factory: Factory) -> None:
    other = factory.partner_treater()
    written = _refused(portal_messages.write_to_her, other.user, ready.case.id, TO_HER)
    read = _refused(portal_messages.thread_for_treater, other.user, ready.case.id)
    assert written.status == read.status == 404
    assert portal_messages.unread_from_her_count(other.user) == 0


def test_staff_not_named_for_a_protected_partner_cannot_write_to_her(
    factory: Factory, clock
) -> None:
    held = _ready(factory, clock, protected=True)
    db.session.execute(
        delete(ProtectedAccess).where(ProtectedAccess.user_id == held.holder.user.id)
    )
    db.session.commit()
    refusal = _refused(portal_messages.write_to_her, held.holder.user, held.case.id, TO_HER)
    assert refusal.status == 403 and refusal.field == "body"


def test_the_text_is_not_in_a_database_dump(ready: Held) -> None:
    identity = _her(ready)
    _to_her(ready)
    _from_her(identity)
    dump = _database_text()
    for text in (TO_HER, FROM_HER, "bakdörren", "torsdag klockan tio"):
        assert text not in dump
    events = db.session.scalars(select(AuditEvent)).all()
    assert FROM_HER not in repr([(row.action, row.resource_id) for row in events])


def test_expired_bodies_are_purged_and_the_record_remains(ready: Held, clock) -> None:
    identity = _her(ready)
    old = _to_her(ready)
    clock.advance(days=20)
    recent = _from_her(identity)
    clock.advance(days=11)  # the first is 31 days old, the second 11: the default keeps 30

    report = purge_expired(clock.now())
    db.session.commit()
    db.session.expire_all()
    assert report.portal_message_bodies == 1
    purged = db.session.get(PortalMessage, old.id)
    assert purged is not None and purged.body is None and purged.body_ct is None
    assert purged.body_purged_at == clock.now() and purged.sent_at is not None
    assert db.session.get(PortalMessage, recent.id).body == FROM_HER  # type: ignore[union-attr]
    [entry, kept] = _hers(identity)
    assert entry.purged and entry.body is None and kept.body == FROM_HER
    assert db.session.scalar(
        select(AuditEvent.seq).where(
            AuditEvent.action == "schedule.retention_purged",
            AuditEvent.resource_type == "portal_message",
        )
    )

    # The clinic's own keeping time counts.
    clinic = db.session.get(Clinic, ready.case.clinic_id)
    assert clinic is not None
    clinic.portal_message_days = 5
    db.session.commit()
    assert purge_expired(clock.now()).portal_message_bodies == 1
    db.session.commit()
    assert purge_expired(clock.now()).portal_message_bodies == 0


# --- her treater's pages -------------------------------------------------------------------------


def test_the_case_page_shows_the_thread_and_writes_to_her(
    client: FlaskClient, ready: Held, clock
) -> None:
    identity = _her(ready)
    _to_her(ready)
    _from_her(identity)
    _hers(identity)  # she reads his
    log_in(client, ready.holder, clock)

    home = text_of(client.get("/partner/"))
    assert f'id="work-portal_message-{ready.case.id.hex[:8]}"' in home
    case_page = f"/partner/cases/{ready.case.id}"
    page = text_of(client.get(case_view(ready.case.id, "portal")))
    assert 'id="portal-thread"' in page and TO_HER in page and FROM_HER in page
    assert "Läst av henne" in page
    assert 'id="work-portal_message-' not in text_of(client.get("/partner/"))  # read now

    _tick()
    written = submit(client, f"{case_page}/portal/messages", {"body": "Ett nytt besked."})
    assert written.status_code == 302 and written.headers["Location"].endswith("#portal-messages")
    assert "Ett nytt besked." in text_of(client.get(case_view(ready.case.id, "portal")))
    assert _hers(identity)[-1].body == "Ett nytt besked."

    refused = submit(client, f"{case_page}/portal/messages", {"body": "x" * 5001})
    assert refused.status_code == 400 and 'id="body-error"' in text_of(refused)


def test_another_treater_cannot_read_or_write_her_thread(
    client: FlaskClient, ready: Held, factory: Factory, clock
) -> None:
    _to_her(ready)
    other = factory.partner_treater()
    log_in(client, other, clock)
    page = f"/partner/cases/{ready.case.id}/portal/messages"
    assert client.get(page).status_code == 404
    assert submit(client, "/partner/", {"body": "x"}, action=page).status_code in (400, 404)
    assert TO_HER not in text_of(client.get(case_view(ready.case.id, "portal")))
