"""Registering clients: validated, sealed, audited, and visible only to their treater."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import func, select, text

from partnercontact.audit.models import AuditEvent
from partnercontact.auth.service import change_role
from partnercontact.client_side.cases.ending import start_treatment
from partnercontact.client_side.cases.errors import ClientNotFound
from partnercontact.client_side.cases.models import Client, TreatmentEpisode
from partnercontact.client_side.cases.service import client_for, clients_of
from partnercontact.db import db
from partnercontact.identifiers import normalise_personal_id, normalise_phone
from tests.cases_built import client_of
from tests.factories import Factory
from tests.helpers import log_in, masked, sql_statements, submit, text_of

VALID = {
    "name": "Kalle Testsson",
    "personal_id": "19811218-9876",
    "phone": "070-123 45 67",
    "language": "sv",
}


def _count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_client_treater_registers_a_client_with_a_first_episode(
    client, factory: Factory, clock
) -> None:
    log_in(client, factory.client_treater(), clock)
    response = submit(client, "/client/new", VALID)
    assert response.status_code == 302
    page = text_of(client.get(response.headers["Location"]))
    assert "Kalle Testsson" in page and "19811218-9876" in page and "+46701234567" in page
    assert "Bedömning" in page
    assert _count(TreatmentEpisode) == 1
    assert "Kalle Testsson" in text_of(client.get("/client/"))
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"client.registered", "episode.opened", "client.viewed"} <= actions


def test_my_clients_page_shows_each_clients_episode_as_it_stands(
    client, factory: Factory, clock
) -> None:
    treater = factory.client_treater()
    waiting = client_of(treater.user, name="Klient Påhittad Väntar")
    started = client_of(treater.user, name="Klient Påhittad Började")
    start_treatment(treater.user, started, started_on=clock.now().date())
    db.session.commit()
    log_in(client, treater, clock)
    rows = text_of(client.get("/client/")).split("<tr>")
    [waiting_row] = [row for row in rows if "Klient Påhittad Väntar" in row]
    [started_row] = [row for row in rows if "Klient Påhittad Började" in row]
    assert "Bedömning" in waiting_row and "I behandling" not in waiting_row
    assert "I behandling" in started_row and "Bedömning" not in started_row
    # Each name links to its own client.
    assert f"/client/{waiting}" in waiting_row and f"/client/{started}" in started_row


def test_names_and_numbers_are_not_stored_in_plain_text(client, factory: Factory, clock) -> None:
    log_in(client, factory.client_treater(), clock)
    submit(client, "/client/new", VALID)
    db.session.rollback()
    row = db.session.execute(text("SELECT * FROM client")).one()
    stored = b"".join(v if isinstance(v, bytes) else str(v).encode() for v in row)
    for secret in (b"Kalle", b"19811218", b"701234567"):
        assert secret not in stored


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        # A typo in the last digit is named as such, not blamed on the format.
        ({"personal_id": "19811218-9877"}, "personal_id", "sista siffra"),
        ({"personal_id": "20991301-1234"}, "personal_id", "inte ett riktigt datum"),
        ({"personal_id": "1981-12-18"}, "personal_id", "ååååmmdd-nnnn"),
        ({"phone": "12"}, "phone", "telefonnumret"),
        ({"phone": ""}, "phone", None),
        ({"name": "  "}, "name", None),
    ],
)
def test_bad_input_names_the_field_keeps_the_rest_and_writes_nothing(
    client, factory: Factory, clock, change: dict, field: str, message: str | None
) -> None:
    log_in(client, factory.client_treater(), clock)
    response = submit(client, "/client/new", {**VALID, **change})
    assert response.status_code == 400
    page = text_of(response)
    assert f'id="{field}-error"' in page
    if message:
        assert message in page.lower()
    if field != "name":
        assert 'value="Kalle Testsson"' in page
    assert _count(Client) == 0 and _count(TreatmentEpisode) == 0


def test_another_treater_cannot_open_or_list_the_client(app, factory: Factory, clock) -> None:
    owner, colleague = app.test_client(), app.test_client()
    log_in(owner, factory.client_treater(), clock)
    log_in(colleague, factory.client_treater(), clock)
    location = submit(owner, "/client/new", VALID).headers["Location"]
    assert colleague.get(location).status_code == 404
    assert "Kalle" not in text_of(colleague.get("/client/"))


def test_a_treater_moved_to_another_role_loads_nothing_of_her_clients(factory: Factory) -> None:
    treater = factory.client_treater().user
    client_id = client_of(treater, name="Klient Påhittad Kvar")
    db.session.commit()
    assert [listed.id for listed in clients_of(treater)] == [client_id]

    change_role(factory.admin().user, treater, "manager")
    db.session.commit()
    # The client still names her as its treater; the role no longer opens the record.
    assert db.session.get(Client, client_id).treater_id == treater.id
    assert clients_of(treater) == []
    with pytest.raises(ClientNotFound):
        client_for(treater, client_id)


@pytest.mark.parametrize("role", ["partner_treater", "manager", "admin"])
def test_other_roles_cannot_reach_a_client(app, factory: Factory, clock, role: str) -> None:
    owner, other = app.test_client(), app.test_client()
    log_in(owner, factory.client_treater(), clock)
    location = submit(owner, "/client/new", VALID).headers["Location"]
    log_in(other, getattr(factory, role)(), clock)
    response = other.get(location)
    # The same answer as for a client that does not exist.
    assert response.status_code == 404
    assert masked(text_of(response)) == masked(text_of(other.get(f"/client/{uuid.uuid4()}")))
    assert "Kalle" not in text_of(response)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("19811218-9876", "198112189876"),
        ("811218-9876", "198112189876"),
        ("811218+9876", "188112189876"),
        ("19811278-0005", "198112780005"),  # a coordination number: day + 60
    ],
)
def test_personal_identity_numbers_are_normalised(raw: str, expected: str) -> None:
    assert normalise_personal_id(raw, today=date(2026, 1, 1)) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("070-123 45 67", "+46701234567"),
        ("+46 70 123 45 67", "+46701234567"),
        ("0046701234567", "+46701234567"),
        ("+358 40 123 4567", "+358401234567"),
    ],
)
def test_phone_numbers_are_normalised(raw: str, expected: str) -> None:
    assert normalise_phone(raw) == expected


def test_my_clients_page_asks_the_database_the_same_number_of_times_for_two_clients_as_for_six(
    client, factory: Factory, clock
) -> None:
    """The list shows every client's name and episode in a fixed number of queries: a query
    per client would make the page slower with every client a treater has had."""
    treater = factory.client_treater()
    log_in(client, treater, clock)

    def counted() -> tuple[int, str]:
        client.get("/client/")  # what only a first visit does (its session's touch) is done
        db.session.expire_all()
        with sql_statements() as sent:
            page = text_of(client.get("/client/"))
        return len(sent), page

    for number in range(2):
        client_of(treater.user, name=f"Klient Påhittad {number}")
    few, page = counted()
    assert "Klient Påhittad 1" in page
    for number in range(2, 6):
        client_of(treater.user, name=f"Klient Påhittad {number}")
    many, page = counted()
    assert many == few
    assert all(f"Klient Påhittad {number}" in page for number in range(6))
