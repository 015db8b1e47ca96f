"""Ending a treatment episode destroys the signed consent and keeps its metadata."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from partnercontact.audit.models import AuditEvent
from partnercontact.client_side.cases.ending import end_episode
from partnercontact.client_side.cases.errors import ClientInvalid
from partnercontact.client_side.cases.models import TreatmentEpisode
from partnercontact.client_side.consent.documents import read_signed_copy
from partnercontact.client_side.consent.errors import ConsentInvalid
from partnercontact.client_side.consent.models import Consent, ConsentDocument
from partnercontact.client_side.consent.service import record_consent
from partnercontact.crypto.errors import KeyShredded
from partnercontact.crypto.models import DataKey
from partnercontact.crypto.service import shred_digest, unseal_bytes
from partnercontact.db import db
from partnercontact.errors import Conflict, NotFound
from partnercontact.runtime import current_runtime
from tests.cases_built import client_of, signed_consent_of
from tests.factories import Factory
from tests.helpers import log_in, submit, text_of


@pytest.fixture
def treater(factory: Factory):
    return factory.client_treater()


def test_case_end_shreds_the_signed_copy_and_keeps_a_content_free_record(treater, clock) -> None:
    client_id = client_of(treater.user)
    consent = signed_consent_of(treater.user, client_id, clock)
    document = db.session.scalar(select(ConsentDocument))
    captured = (document.id, bytes(document.content_ct))  # what a backup would still hold
    key_id = consent.document_key_id

    end_episode(treater.user, client_id, ended_on=clock.now().date(), outcome="dropped_out")
    db.session.commit()

    with pytest.raises(KeyShredded):
        unseal_bytes(
            db.session.get(DataKey, key_id),
            captured[1],
            keyring=current_runtime().keyring,
            table="consent_document",
            column="content",
            row_id=captured[0],
        )
    assert db.session.get(DataKey, key_id).wrapped is None
    assert db.session.scalar(select(func.count()).select_from(ConsentDocument)) == 0
    with pytest.raises(NotFound):
        read_signed_copy(treater.user, client_id, consent.id)
    db.session.rollback()

    kept = db.session.get(Consent, consent.id)
    assert kept.state == "given" and kept.contact_letter and kept.signed_on == clock.now().date()
    assert kept.document_destruction_rule == "case_end"
    assert kept.document_destroyed_at == clock.now()
    assert kept.document_key_digest == shred_digest(key_id)
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"episode.ended", "datakey.shredded", "consent.document_destroyed"} <= actions


def test_an_ended_episode_takes_no_new_consent(treater, clock) -> None:
    client_id = client_of(treater.user)
    end_episode(treater.user, client_id, ended_on=clock.now().date(), outcome="dropped_out")
    db.session.commit()
    with pytest.raises(Conflict):
        record_consent(
            treater.user,
            client_id,
            language="sv",
            scopes=["contact_sms"],
            place="Lindvik",
            signed_on=clock.now().date(),
            attested_details_given=True,
        )
    with pytest.raises(Conflict):
        end_episode(treater.user, client_id, ended_on=clock.now().date(), outcome="completed")


@pytest.mark.parametrize(
    ("outcome", "days", "field"),
    [
        ("vanished", 0, "outcome"),
        ("completed", 0, "outcome"),  # never started: it cannot be completed
        ("dropped_out", 1, "ended_on"),
        ("dropped_out", -1, "ended_on"),
    ],
)
def test_bad_endings_name_the_field_and_change_nothing(
    treater, clock, outcome, days, field
) -> None:
    client_id = client_of(treater.user)
    signed_consent_of(treater.user, client_id, clock)
    with pytest.raises((ClientInvalid, ConsentInvalid, Conflict)) as refused:
        end_episode(
            treater.user,
            client_id,
            ended_on=clock.now().date() + timedelta(days=days),
            outcome=outcome,
        )
    assert refused.value.field == field
    db.session.rollback()
    episode = db.session.scalar(select(TreatmentEpisode))
    assert episode.ended_on is None and episode.status == "assessment"
    assert db.session.scalar(select(func.count()).select_from(ConsentDocument)) == 1


def test_ending_through_the_page_asks_first_and_shows_the_destruction(
    client, treater, clock
) -> None:
    client_id = client_of(treater.user)
    signed_consent_of(treater.user, client_id, clock)
    log_in(client, treater, clock)
    page = f"/client/{client_id}"
    confirm = text_of(client.get(f"{page}/episode/end"))
    assert "kan inte ångras" in confirm and "förstörs" in confirm
    response = submit(client, f"{page}/episode/end", {"outcome": "", "ended_on": ""})
    assert response.status_code == 400 and 'id="outcome-error"' in text_of(response)
    assert db.session.scalar(select(TreatmentEpisode.ended_on)) is None
    response = submit(
        client,
        f"{page}/episode/end",
        {"outcome": "dropped_out", "ended_on": clock.now().date().isoformat()},
    )
    assert response.status_code == 302
    overview = text_of(client.get(page))
    assert f"Undertecknad kopia förstörd {clock.now().date().isoformat()}" in overview
    assert "Avbrott i förtid" in overview and "Registrera samtycke</a>" not in overview
