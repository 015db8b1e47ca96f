"""The relay table can carry nothing but case, kind, date and who recorded it."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import insert, inspect
from sqlalchemy.exc import IntegrityError

from partnercontact.client_side.cases.ending import start_treatment
from partnercontact.client_side.cases.models import TreatmentEpisode
from partnercontact.db import db
from partnercontact.relay.models import RelayEvent
from tests.cases_built import client_of

# Adding a column here is a decision about the wall, to be taken on purpose: no column may
# hold free text, or anything else than these facts could cross.
RELAY_EVENT_COLUMNS = {
    "id": "UUID",
    "episode_id": "UUID",
    "kind": "VARCHAR(24)",
    "occurred_on": "DATE",
    "recorded_by_id": "INTEGER",
    "recorded_at": "TIMESTAMP",
    # A risk signal's: keys of closed lists, refused by the database outside them.
    "reason": "VARCHAR(24)",
    "urgency": "VARCHAR(8)",
}
RELAY_OUTCOME_COLUMNS = {
    "id": "UUID",
    "event_id": "UUID",
    "partner_case_id": "UUID",
    "outcome": "VARCHAR(24)",
    "outcome_on": "DATE",
    "recorded_by_id": "INTEGER",
    "recorded_at": "TIMESTAMP",
}


def _columns(table: str) -> dict[str, str]:
    found = {}
    for column in inspect(db.engine).get_columns(table):
        type_name = str(column["type"]).upper()
        # Dialects spell the same types differently (CHAR(32) for a UUID on SQLite, a time
        # zone on PostgreSQL); what matters is the kind of value a column can hold.
        if type_name in ("CHAR(32)", "UUID"):
            type_name = "UUID"
        if type_name.startswith(("TIMESTAMP", "DATETIME")):
            type_name = "TIMESTAMP"
        found[column["name"]] = type_name
    return found


@pytest.mark.parametrize(
    ("table", "columns"),
    [("relay_event", RELAY_EVENT_COLUMNS), ("relay_outcome", RELAY_OUTCOME_COLUMNS)],
)
def test_the_relay_tables_have_exactly_their_columns(app, table, columns) -> None:
    assert _columns(table) == columns


def test_the_database_refuses_a_kind_outside_the_closed_list(app, factory, clock) -> None:
    treater = factory.client_treater()
    client_id = client_of(treater.user)
    start_treatment(treater.user, client_id, started_on=clock.now().date())
    db.session.commit()
    episode_id = db.session.scalar(
        db.select(TreatmentEpisode.id).where(TreatmentEpisode.client_id == client_id)
    )
    row = {
        "id": uuid.uuid4(),
        "episode_id": episode_id,
        "occurred_on": clock.now().date(),
        "recorded_by_id": treater.user.id,
        "recorded_at": clock.now(),
    }
    db.session.execute(insert(RelayEvent).values(kind="session_missed", **row))
    db.session.rollback()
    with pytest.raises(IntegrityError):
        db.session.execute(
            insert(RelayEvent).values(kind="he said she should call", **{**row, "id": uuid.uuid4()})
        )
        db.session.flush()
    db.session.rollback()
