"""Every migration runs up and down on SQLite and PostgreSQL, and the models match head; a
data migration also runs on data."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, func, inspect, select, text

import partnercontact.models  # noqa: F401
from partnercontact import migrate
from partnercontact.client_side.cases.models import Client, TreatmentEpisode
from partnercontact.clock import FixedClock
from partnercontact.crypto.keyring import KeyRing
from partnercontact.db import db
from partnercontact.partner_side.messaging.inbound import receive_inbound
from partnercontact.partner_side.messaging.models import SmsMessage, SmsOptOut
from partnercontact.partner_side.models import PartnerCase, PartnerHandover
from partnercontact.partner_side.rules import is_opted_out
from partnercontact.phones import PHONE_INDEX_DOMAIN, phone_index
from partnercontact.runtime import current_runtime
from tests.conftest import PG_MIGRATIONS_ADMIN_URL, PG_MIGRATIONS_URL
from tests.messaging.rows import case_with_number, sms_row


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'migrations.db'}"
    request.getfixturevalue("postgres_databases")
    admin = create_engine(PG_MIGRATIONS_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public AUTHORIZATION pc_app"))
    admin.dispose()
    return PG_MIGRATIONS_URL


def _revisions(url: str) -> list[str]:
    script = ScriptDirectory.from_config(migrate.alembic_config(url))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def test_every_migration_runs_up_and_down(empty_database: str) -> None:
    revisions = _revisions(empty_database)
    assert revisions, "no migrations found"
    for revision in revisions:
        migrate.upgrade(empty_database, revision)
        assert migrate.current_revision(empty_database) == revision
    for revision in reversed(revisions[:-1]):
        migrate.downgrade(empty_database, revision)
        assert migrate.current_revision(empty_database) == revision
    migrate.downgrade(empty_database, "base")
    engine = create_engine(empty_database)
    leftover = set(inspect(engine).get_table_names()) - {"alembic_version"}
    engine.dispose()
    assert leftover == set()


def test_the_models_match_the_newest_migration(empty_database: str) -> None:
    migrate.upgrade(empty_database)
    engine = create_engine(empty_database)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    engine.dispose()
    assert differences == []


def test_migration_files_are_date_prefixed() -> None:
    files = sorted((migrate.MIGRATIONS_DIR / "versions").glob("*.py"))
    assert files
    for path in files:
        assert path.name[:8].isdigit(), path.name


@pytest.mark.parametrize("backend", ["postgresql"])
def test_the_migrated_audit_table_refuses_rewrites_by_the_applications_role(
    app, backend: str
) -> None:
    from sqlalchemy.exc import DBAPIError

    from partnercontact.audit.service import record_event
    from partnercontact.audit.tags import AuditAction

    record_event(AuditAction.AUTH_LOGOUT, actor_id=1, resource_type="user", resource_id="1")
    db.session.commit()
    for statement in (
        "UPDATE audit_event SET action = 'auth.login_succeeded'",
        "DELETE FROM audit_event",
        "TRUNCATE audit_event",
    ):
        with pytest.raises(DBAPIError):
            db.session.execute(text(statement))
        db.session.rollback()
    assert db.session.execute(text("SELECT action FROM audit_event")).scalars().all() == [
        "auth.logout"
    ]


# --- 0015: phone numbers re-normalised with libphonenumber ----------------------------------

HER_NUMBER = "070-765 43 21"
HER_E164 = "+46707654321"
# As numbers were stored before the trunk 0 after +46 was dropped: reaches nobody.
HER_OLD_FORM = "+460707654321"


def _store_the_old_form(partner_case: PartnerCase, keyring: KeyRing, clock: FixedClock) -> None:
    """Her hand-over note, a text sent to her, a carrier opt-out and the client's own number,
    all written as they were before: ``+46070...`` and its blind index."""
    old_index = keyring.blind_index(PHONE_INDEX_DOMAIN, HER_OLD_FORM)
    note = db.session.scalar(
        select(PartnerHandover).where(PartnerHandover.episode_id == partner_case.episode_id)
    )
    note.phone, note.phone_index = HER_OLD_FORM, old_index
    message = sms_row(partner_case, HER_NUMBER, state="delivered")
    message.to_number, message.to_index = HER_OLD_FORM, old_index
    db.session.add(SmsOptOut(phone_index=old_index, source="carrier", opted_out_at=clock.now()))
    episode = db.session.get(TreatmentEpisode, partner_case.episode_id)
    db.session.get(Client, episode.client_id).phone = "+460701234567"
    db.session.commit()


def test_0015_renormalises_stored_numbers_and_her_reply_then_matches_her_case(
    app, factory, clock: FixedClock, database_url: str
) -> None:
    """A number stored as +46070... matched no reply from her phone (Twilio reports
    +4670...); after the migration her reply lands on her case."""
    keyring = current_runtime().keyring
    partner_case = case_with_number(factory, clock, HER_NUMBER)
    _store_the_old_form(partner_case, keyring, clock)
    case_id, episode_id = partner_case.id, partner_case.episode_id
    unmatched = receive_inbound("SM" + "0" * 32, HER_E164, "Hej", clock.now())
    assert unmatched is not None and unmatched.partner_case_id is None
    db.session.rollback()
    db.session.remove()

    migrate.downgrade(database_url, "0014")
    try:
        # Without the key file it cannot read the numbers: it stops and changes nothing.
        with pytest.raises(RuntimeError, match="key file"):
            migrate.upgrade(database_url, "0015")
        assert migrate.current_revision(database_url) == "0014"
        migrate.upgrade(database_url, "0015", keys=lambda: keyring)
    finally:
        migrate.upgrade(database_url, keys=lambda: keyring)

    note = db.session.scalar(
        select(PartnerHandover).where(PartnerHandover.episode_id == episode_id)
    )
    assert note.phone == HER_E164 and note.phone_index == phone_index(HER_NUMBER)
    message = db.session.scalar(select(SmsMessage))
    assert message.to_number == HER_E164 and message.to_index == phone_index(HER_NUMBER)
    assert is_opted_out(phone_index(HER_NUMBER))
    assert db.session.scalar(select(func.count()).select_from(SmsOptOut)) == 1
    episode = db.session.get(TreatmentEpisode, episode_id)
    assert db.session.get(Client, episode.client_id).phone == "+46701234567"

    reply = receive_inbound("SM" + "1" * 32, HER_E164, "Hej", clock.now())
    assert reply is not None and reply.partner_case_id == case_id


def test_0026_down_and_up_keeps_the_relay_and_its_outcomes(
    app, factory, clock: FixedClock, database_url: str
) -> None:
    """Rebuilding the relay tables (SQLite alters a table by copying it) keeps the events and
    what was done with them, though other tables refer to them; going down, the risk signals
    and their outcomes go with the kind."""
    from partnercontact.client_side.cases.ending import start_treatment
    from partnercontact.client_side.cases.risk_signals import raise_risk_signal
    from partnercontact.partner_side.relay_inbox import record_outcome
    from partnercontact.partner_side.service import pick_up
    from partnercontact.relay.models import RelayEvent, RelayOutcome
    from tests.cases_built import first_steps_taken
    from tests.partners.conftest import handed_over_case

    client_treater, partner_treater = factory.client_treater(), factory.partner_treater()
    scopes = ["contact_letter", "contact_phone", "tell_in_treatment"]
    partner_case = handed_over_case(factory, clock, client_treater=client_treater, scopes=scopes)
    pick_up(partner_treater.user, partner_case.id)
    first_steps_taken(partner_treater.user, partner_case.id, clock)
    client_id = db.session.get(TreatmentEpisode, partner_case.episode_id).client_id
    today = clock.now().date()
    started = start_treatment(client_treater.user, client_id, started_on=today)
    signal = raise_risk_signal(client_treater.user, client_id, reason="threats", urgency="soon")
    db.session.commit()
    (event_id,) = db.session.scalars(
        select(RelayEvent.id).where(RelayEvent.kind == "treatment_started")
    ).all()
    for relayed, outcome in ((event_id, "not_wanted"), (signal.id, "consulted")):
        record_outcome(
            partner_treater.user, partner_case.id, relayed, outcome=outcome, outcome_on=today
        )
    db.session.commit()
    assert started is not None
    db.session.remove()

    migrate.downgrade(database_url, "0025")
    migrate.upgrade(database_url)

    assert db.session.scalars(select(RelayEvent.kind)).all() == ["treatment_started"]
    assert db.session.scalars(select(RelayOutcome.outcome)).all() == ["not_wanted"]


def test_0028_down_and_up_keeps_the_signals_a_high_assessment_sent(
    app, factory, clock: FixedClock, database_url: str
) -> None:
    """Going down, the client side's assessments and concern reports go and a signal a high
    assessment sent keeps crossing as "another serious risk"; coming up again, a new high
    assessment signals as before."""
    from partnercontact.auth.models import User
    from partnercontact.client_side.cases.risk_assessments import record_client_assessment
    from partnercontact.relay.models import RelayEvent
    from tests.partners.conftest import handed_over_case
    from tests.ratings import rated

    client_treater = factory.client_treater()
    partner_case = handed_over_case(factory, clock, client_treater=client_treater)
    client_id = db.session.get(TreatmentEpisode, partner_case.episode_id).client_id
    treater_id = client_treater.user.id

    def assess() -> None:
        record_client_assessment(
            db.session.get_one(User, treater_id),
            client_id,
            instrument="sara",
            assessed_on=clock.now().date(),
            ratings=rated("sara", "present"),
            level="high",
            next_review_on=None,
            notes=None,
        )
        db.session.commit()
        db.session.remove()

    assess()
    migrate.downgrade(database_url, "0027")
    assert db.session.scalars(select(RelayEvent.reason)).all() == ["other_serious"]
    assert "client_risk_assessment" not in inspect(db.engine).get_table_names()
    db.session.remove()
    migrate.upgrade(database_url)
    clock.advance(days=1)  # one signal a day
    assess()
    reasons = db.session.scalars(select(RelayEvent.reason).order_by(RelayEvent.recorded_at))
    assert reasons.all() == ["other_serious", "high_assessment"]


def test_0031_ties_each_earlier_note_to_its_case_and_refuses_to_drop_a_second_partner(
    app, factory, clock: FixedClock, database_url: str
) -> None:
    """Coming up, every hand-over note made when an episode had one partner case belongs to
    that case; going down while an episode has a second partner is refused, so her case is
    never lost."""
    from partnercontact.auth.models import User
    from partnercontact.relay.handover import PartnerDetails, hand_over
    from tests.partners.conftest import handed_over_case

    client_treater = factory.client_treater()
    partner_case = handed_over_case(factory, clock, client_treater=client_treater)
    case_id, episode_id = partner_case.id, partner_case.episode_id
    client_id = db.session.get(TreatmentEpisode, episode_id).client_id
    treater_id = client_treater.user.id
    db.session.remove()
    migrate.downgrade(database_url, "0030")
    db.session.remove()

    migrate.upgrade(database_url)

    assert db.session.scalars(select(PartnerHandover.partner_case_id)).all() == [case_id]
    hand_over(
        db.session.get_one(User, treater_id),
        client_id,
        PartnerDetails(
            name="Lina Uppdiktad",
            phone="073-222 11 00",
            address=None,
            relation="current",
            children_in_common="no",
            protected_identity=False,
        ),
        new_partner=True,
    )
    db.session.commit()
    db.session.remove()
    # From 0031 itself: what a later revision's downgrade does is not this test's question.
    migrate.downgrade(database_url, "0031")
    with pytest.raises(RuntimeError, match="more than one partner case"):
        migrate.downgrade(database_url, "0030")
    assert migrate.current_revision(database_url) == "0031"
    migrate.upgrade(database_url)  # the tests after this one run on the newest schema


def test_0033_sets_every_text_without_a_case_waiting_for_the_administrators(
    app, factory, clock: FixedClock, database_url: str
) -> None:
    """Texts kept without a case before 0033 wait for the administrators, with an unknown
    sender; a reply on her case is left as it was; going down keeps both texts."""
    from partnercontact.partner_side.messaging.models import InboundSms

    partner_case = case_with_number(factory, clock, HER_NUMBER)
    sms_row(partner_case, HER_NUMBER, state="delivered")
    hers = receive_inbound("SM" + "2" * 32, HER_E164, "Hej", clock.now())
    unmatched = receive_inbound("SM" + "3" * 32, "+46709998877", "Nytt nummer", clock.now())
    assert hers is not None and unmatched is not None
    hers_id, unmatched_id = hers.id, unmatched.id
    ids = {hers_id: partner_case.id, unmatched_id: None}
    db.session.commit()
    db.session.remove()

    migrate.downgrade(database_url, "0032")
    migrate.upgrade(database_url)

    rows = {row.id: row for row in db.session.scalars(select(InboundSms))}
    assert {row_id: row.partner_case_id for row_id, row in rows.items()} == ids
    assert (rows[unmatched_id].triage_state, rows[unmatched_id].sender) == ("waiting", None)
    assert rows[unmatched_id].body == "Nytt nummer"
    assert (rows[hers_id].triage_state, rows[hers_id].body) == (None, "Hej")
