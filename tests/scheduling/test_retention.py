"""The daily retention purge: consent copies of ended episodes, old text bodies, unmatched
replies; scheduled once a day by the worker."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from partnercontact.client_side.cases.models import TreatmentEpisode
from partnercontact.client_side.consent.models import Consent, ConsentDocument
from partnercontact.crypto.models import DataKey
from partnercontact.db import db
from partnercontact.partner_side.messaging.inbound import receive_inbound
from partnercontact.partner_side.messaging.models import InboundSms, SmsMessage
from partnercontact.partner_side.scheduling import kinds
from partnercontact.retention import schedule_daily_duties
from partnercontact.tasks.queue import dispatch_due
from tests.cases_built import client_of, signed_consent_of
from tests.messaging.rows import case_with_number, sms_row
from tests.scheduling.building import tasks_of


def _purge(clock) -> None:
    schedule_daily_duties()
    dispatch_due()
    db.session.expire_all()


def test_the_purge_is_scheduled_once_a_day_and_runs_at_once_on_a_late_start(app, clock):
    clock.set(clock.now().replace(hour=12))
    schedule_daily_duties()
    schedule_daily_duties()
    (task,) = tasks_of(kinds.RETENTION_PURGE)
    assert task.due_at == clock.now().replace(hour=2)
    dispatch_due()
    clock.advance(days=1)
    schedule_daily_duties()
    assert [t.state for t in tasks_of(kinds.RETENTION_PURGE)] == ["done", "pending"]


def test_a_signed_copy_left_on_an_ended_episode_is_destroyed(app, factory, clock):
    treater = factory.client_treater()
    client_id = client_of(treater.user)
    consent = signed_consent_of(treater.user, client_id, clock)
    # An episode that ended by a path that did not destroy the copy.
    db.session.execute(
        update(TreatmentEpisode)
        .where(TreatmentEpisode.id == consent.episode_id)
        .values(ended_on=clock.now().date())
    )
    db.session.commit()

    _purge(clock)
    consent = db.session.get(Consent, consent.id)
    assert consent.document_destroyed_at is not None
    assert db.session.get(DataKey, consent.document_key_id).is_shredded
    assert db.session.scalars(select(ConsentDocument)).all() == []


def test_a_copy_of_an_episode_still_open_is_kept(app, factory, clock):
    treater = factory.client_treater()
    consent = signed_consent_of(treater.user, client_of(treater.user), clock)
    _purge(clock)
    assert db.session.get(Consent, consent.id).document_destroyed_at is None


def test_the_text_of_an_old_message_is_erased_and_its_record_kept(app, factory, clock):
    phone = "070-111 22 33"
    partner_case = case_with_number(factory, clock, phone)
    old = sms_row(partner_case, phone, state="delivered", at=clock.now() - timedelta(days=91))
    recent = sms_row(partner_case, phone, state="delivered", at=clock.now() - timedelta(days=89))
    waiting = sms_row(partner_case, phone, state="queued", at=clock.now() - timedelta(days=120))

    _purge(clock)
    assert db.session.get(SmsMessage, old.id).body is None
    assert db.session.get(SmsMessage, old.id).state == "delivered"
    assert db.session.get(SmsMessage, recent.id).body
    assert db.session.get(SmsMessage, waiting.id).body


def test_a_reply_nobody_could_be_matched_to_is_deleted_after_thirty_days(app, factory, clock):
    stranger = receive_inbound("SM" + "1" * 32, "+46701234000", "vem är detta?", clock.now())
    db.session.commit()
    reply_id, key_id = stranger.id, stranger.data_key_id
    clock.advance(days=29)
    _purge(clock)
    assert db.session.get(InboundSms, reply_id) is not None

    clock.advance(days=2)
    _purge(clock)
    assert db.session.get(InboundSms, reply_id) is None
    assert db.session.get(DataKey, key_id).is_shredded
