"""The hand-over of the partner's details: written once by the client side, never read back."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from partnercontact.audit.models import AuditEvent
from partnercontact.auth.models import User
from partnercontact.client_side.cases.models import Client
from partnercontact.client_side.consent.service import withdraw_consent
from partnercontact.db import db
from partnercontact.errors import Conflict
from partnercontact.partner_side.errors import HandoverInvalid
from partnercontact.partner_side.models import PartnerHandover
from partnercontact.relay.handover import PartnerDetails, hand_over, handovers_seen_by_client_side
from tests.cases_built import client_of, consent_of, signed_consent_of
from tests.factories import Factory
from tests.helpers import log_in, sample_url, submit, text_of

DETAILS = PartnerDetails(
    name="Maja Påhittad",
    phone="070-765 43 21",
    address="Storgatan 1, 123 45 Lindvik",
    relation="former",
    children_in_common="yes",
    protected_identity=False,
)


@pytest.fixture
def treater(factory: Factory):
    return factory.client_treater()


def _notes() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(PartnerHandover))


def test_a_hand_over_is_sealed_on_the_partner_sides_own_key(treater, clock) -> None:
    client_id = client_of(treater.user)
    signed_consent_of(treater.user, client_id, clock)
    stamp = hand_over(treater.user, client_id, DETAILS)
    db.session.commit()
    assert (stamp.kind, stamp.handed_over_on) == ("initial", clock.now().date())
    note = db.session.scalar(select(PartnerHandover))
    assert note.name == "Maja Påhittad" and note.phone == "+46707654321"
    assert b"Maja" not in bytes(note.name_ct) and b"Storgatan" not in bytes(note.address_ct)
    assert note.data_key_id != db.session.get(Client, client_id).data_key_id
    assert (
        db.session.scalar(select(AuditEvent.action).where(AuditEvent.resource_id == str(note.id)))
        == "partner.handed_over"
    )


def test_a_second_hand_over_is_a_correction_beside_the_first(treater, clock) -> None:
    client_id = client_of(treater.user)
    signed_consent_of(treater.user, client_id, clock)
    hand_over(treater.user, client_id, DETAILS)
    hand_over(
        treater.user,
        client_id,
        PartnerDetails(**{**DETAILS.__dict__, "phone": "0731112233"}),
    )
    db.session.commit()
    stamps = handovers_seen_by_client_side(treater.user, client_id)
    assert [stamp.kind for stamp in stamps] == ["initial", "correction"]
    phones = {note.phone for note in db.session.scalars(select(PartnerHandover))}
    assert phones == {"+46707654321", "+46731112233"}


def test_the_client_side_loader_never_loads_the_details(app, treater, clock) -> None:
    client_id = client_of(treater.user)
    signed_consent_of(treater.user, client_id, clock)
    hand_over(treater.user, client_id, DETAILS)
    db.session.commit()
    user_id = treater.user.id
    db.session.expunge_all()
    stamps = handovers_seen_by_client_side(db.session.get(User, user_id), client_id)
    assert len(stamps) == 1
    loaded = [obj for obj in db.session.identity_map.values() if isinstance(obj, PartnerHandover)]
    assert loaded == []


def test_no_hand_over_without_a_consent_that_allows_contact(treater, clock) -> None:
    client_id = client_of(treater.user)
    with pytest.raises(Conflict):
        hand_over(treater.user, client_id, DETAILS)
    consent = consent_of(treater.user, client_id, clock)  # signature pending
    with pytest.raises(Conflict) as pending:
        hand_over(treater.user, client_id, DETAILS)
    assert "undertecknade kopian" in str(pending.value.message) or pending.value.field == "consent"
    withdraw_consent(treater.user, client_id, consent.id, withdrawn_on=clock.now().date())
    db.session.commit()
    with pytest.raises(Conflict):
        hand_over(treater.user, client_id, DETAILS)
    assert _notes() == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "  "}, "partner_name"),
        ({"phone": "12345"}, "partner_phone"),
        ({"phone": "", "address": ""}, "partner_phone"),
        ({"address": "x" * 501}, "partner_address"),
        ({"relation": "neighbour"}, "relation"),
        ({"children_in_common": ""}, "children_in_common"),
    ],
)
def test_bad_details_name_the_field_and_write_nothing(treater, clock, changes, field) -> None:
    client_id = client_of(treater.user)
    signed_consent_of(treater.user, client_id, clock)
    with pytest.raises(HandoverInvalid) as refused:
        hand_over(treater.user, client_id, PartnerDetails(**{**DETAILS.__dict__, **changes}))
    assert refused.value.field == field
    assert _notes() == 0


def test_another_treater_cannot_hand_over_for_someone_elses_client(
    factory: Factory, treater, clock
) -> None:
    client_id = client_of(treater.user)
    signed_consent_of(treater.user, client_id, clock)
    colleague = factory.client_treater()
    with pytest.raises(Exception) as refused:
        hand_over(colleague.user, client_id, DETAILS)
    assert getattr(refused.value, "status", None) == 404
    assert _notes() == 0


# --- the wall, seen from the client treater's browser ----------------------------------

MARKERS = {
    "name": "Markörnamn Qzxv",
    "phone": "+46709990123",
    "phone as typed": "070-999 01 23",
    "address": "Markörgatan 77",
}


def _every_get_page(app, known: dict[str, uuid.UUID]) -> list[str]:
    """A URL for every GET route of the app, with this case's ids where a route takes them."""
    return [
        sample_url(rule, known)
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and rule.endpoint != "static"
    ]


def test_after_hand_over_no_page_for_the_client_treater_shows_the_partner(
    app, client, treater, clock
) -> None:
    client_id = client_of(treater.user)
    consent = signed_consent_of(treater.user, client_id, clock)
    log_in(client, treater, clock)
    page = f"/client/{client_id}"
    response = submit(
        client,
        f"{page}/handover",
        {
            "partner_name": MARKERS["name"],
            "partner_phone": MARKERS["phone as typed"],
            "partner_address": MARKERS["address"],
            "relation": "current",
            "children_in_common": "no",
        },
    )
    assert response.status_code == 302
    seen = text_of(client.get(page))
    assert f"Överlämnat {clock.now().date().isoformat()}" in seen
    assert _notes() == 1

    known = {"client_id": client_id, "consent_id": consent.id}
    crawled = 0
    for url in _every_get_page(app, known):
        response = client.get(url)
        # Bytes, not text: some answers are files (the printed form, the signed copy).
        body = response.get_data() + str(response.headers).encode()
        for what, marker in MARKERS.items():
            assert marker.encode() not in body, f"the partner's {what} appears on {url}"
        crawled += response.status_code == 200
    assert crawled >= 5  # the client's page, the hand-over form, the consent pages, ...
    # The hand-over form comes back empty: a correction is typed anew, not edited.
    form = text_of(client.get(f"{page}/handover"))
    assert 'name="partner_name"' in form and MARKERS["name"] not in form
