"""The same inputs through the services and pages that take them, on both databases:
whatever is typed or uploaded, the answer is a result or a refusal naming the field, never a
500 and never a half-written record. Few examples each: every one is a real request."""

from __future__ import annotations

import io

from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from partnercontact.client_side.cases.errors import ClientInvalid
from partnercontact.client_side.cases.models import Client
from partnercontact.client_side.cases.service import register_client
from partnercontact.client_side.consent.models import ConsentDocument
from partnercontact.clock import FixedClock
from partnercontact.db import db
from partnercontact.identifiers import normalise_personal_id, normalise_phone
from tests.cases_built import JPEG, PDF, PNG, client_of, consent_of
from tests.factories import Factory
from tests.helpers import log_in, submit
from tests.properties.profile import APP_PROFILE
from tests.properties.strategies import personal_ids, swedish_phone_written

TYPED = st.text(alphabet="+0123456789 -()./", max_size=16) | st.text(max_size=16)


def test_registering_a_client_stores_the_normal_forms_or_refuses_on_the_field(
    factory: Factory, clock: FixedClock
) -> None:
    treater = factory.client_treater().user
    today = clock.now().date()

    @APP_PROFILE
    @given(
        phone=TYPED | swedish_phone_written().map(lambda pair: pair[0]),
        personal_id=TYPED | personal_ids().map(lambda number: number.written("long-hyphen")),
    )
    def registering(phone: str, personal_id: str) -> None:
        """Catches a client's phone or personal identity number stored as typed, or a bad one
        failing as anything but a refusal naming its field, with nothing written."""
        before = db.session.scalar(select(func.count()).select_from(Client))
        try:
            client = register_client(
                treater, name="Kalle Exempel", personal_id=personal_id, phone=phone, language="sv"
            )
        except ClientInvalid as exc:
            assert exc.field in ("personal_id", "phone")
            db.session.rollback()
            assert db.session.scalar(select(func.count()).select_from(Client)) == before
            return
        db.session.commit()
        assert client.phone == normalise_phone(phone)
        if personal_id.strip():
            assert client.personal_id == normalise_personal_id(personal_id, today=today)

    registering()


UPLOADS = st.tuples(
    st.sampled_from([PDF, PNG, JPEG, b"", b"GIF89a", b"<html>"]).flatmap(
        lambda head: st.binary(max_size=64).map(lambda tail: head + tail)
    ),
    st.text(max_size=24) | st.sampled_from(["samtycke.pdf", "a.PNG", "b.jpeg", "c.gif"]),
    st.sampled_from(["application/pdf", "image/png", "image/jpeg", "text/html", ""]),
)


def test_an_upload_through_the_page_is_kept_or_refused_never_a_500(
    client: FlaskClient, factory: Factory, clock: FixedClock
) -> None:
    treater = factory.client_treater()
    log_in(client, treater, clock)

    def consent_page() -> str:
        client_id = client_of(treater.user)
        consent = consent_of(treater.user, client_id, clock)
        return f"/client/{client_id}/consent/{consent.id}/signed-copy"

    pages = [consent_page()]

    @APP_PROFILE
    @given(upload=UPLOADS)
    def uploading(upload: tuple[bytes, str, str]) -> None:
        """Catches an odd name, type or content ending in a 500, or a refused upload
        stored."""
        content, filename, content_type = upload
        before = db.session.scalar(select(func.count()).select_from(ConsentDocument))
        response = submit(
            client, pages[-1], {"document": (io.BytesIO(content), filename, content_type)}
        )
        assert response.status_code in (302, 400), response.status_code
        db.session.rollback()
        stored = db.session.scalar(select(func.count()).select_from(ConsentDocument))
        assert stored == before + (response.status_code == 302)
        if response.status_code == 302:  # this consent has its copy now: the next one
            pages.append(consent_page())

    uploading()


def test_a_version_too_large_for_the_database_gets_a_400_on_the_register(
    client: FlaskClient, factory: Factory, clock: FixedClock
) -> None:
    """The consent register answered 500 on SQLite for ?version=9223372036854775808."""
    log_in(client, factory.manager(), clock)
    response = client.get(f"/management/consents?version={2**63}")
    assert response.status_code == 400
