"""Recording, refusing and withdrawing the client's consent.

Functions take the acting client treater first, validate everything before writing, flush
and never commit, and write their audit entry in the same transaction. Nothing here turns a
withdrawn consent back into a valid one: a new consent is a new record.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from partnercontact.audit.service import record_event
from partnercontact.audit.tags import AuditAction
from partnercontact.client_side.cases.episodes import open_episode_of
from partnercontact.client_side.cases.models import TreatmentEpisode
from partnercontact.client_side.cases.service import client_for
from partnercontact.client_side.consent.errors import ConsentInvalid
from partnercontact.client_side.consent.forms import SCOPES, form_in_force
from partnercontact.client_side.consent.models import Consent
from partnercontact.db import db
from partnercontact.errors import Conflict, NotFound
from partnercontact.i18n import _l
from partnercontact.relay.emit import relay
from partnercontact.relay.kinds import RelayKind
from partnercontact.runtime import current_runtime

if TYPE_CHECKING:
    from partnercontact.auth.models import User

MAX_PLACE = 100


def _today() -> date:
    return current_runtime().clock.now().date()


def _audit(action: AuditAction, actor: User, consent: Consent) -> None:
    record_event(
        action,
        actor_id=actor.id,
        clinic_id=actor.clinic_id,
        resource_type="consent",
        resource_id=str(consent.id),
    )


def _check_place_and_date(place: str, on: date, field: str) -> str:
    place = place.strip()
    if not place or len(place) > MAX_PLACE:
        raise ConsentInvalid(_l("Enter the place (at most 100 characters)."), field="place")
    if on > _today():
        raise ConsentInvalid(_l("The date cannot be in the future."), field=field)
    return place


def active_consent(episode_id: uuid.UUID) -> Consent | None:
    return db.session.scalar(
        select(Consent).where(
            Consent.episode_id == episode_id,
            Consent.state == "given",
            Consent.withdrawn_on.is_(None),
        )
    )


def _add(
    actor: User,
    episode: TreatmentEpisode,
    language: str,
    action: AuditAction,
    **fields: object,
) -> Consent:
    """Store a consent or refusal on the form version in force today, and audit it."""
    form = form_in_force(language, _today())
    consent = Consent(
        id=uuid.uuid4(),
        clinic_id=actor.clinic_id,
        episode_id=episode.id,
        form_version=form.version,
        form_language=form.language,
        attested_by_id=actor.id,
        recorded_at=current_runtime().clock.now(),
        **fields,
    )
    db.session.add(consent)
    db.session.flush()
    _audit(action, actor, consent)
    return consent


def record_consent(
    actor: User,
    client_id: uuid.UUID,
    *,
    language: str,
    scopes: Iterable[str],
    place: str,
    signed_on: date,
    attested_details_given: bool,
    verbal: bool = False,
) -> Consent:
    """Record the client's consent on the form version in force in ``language`` today."""
    episode = open_episode_of(actor, client_id)
    chosen = set(scopes)
    if not chosen:
        raise ConsentInvalid(
            _l("Choose at least one thing the client consents to."), field="scopes"
        )
    if not chosen <= set(SCOPES):
        raise ConsentInvalid(_l("Unknown consent scope."), field="scopes")
    place = _check_place_and_date(place, signed_on, "signed_on")
    if signed_on < episode.opened_on:
        raise ConsentInvalid(
            _l("The consent cannot be dated before the treatment episode opened."),
            field="signed_on",
        )
    if not attested_details_given:
        raise ConsentInvalid(
            _l("The client must attest that he gave the partner's details."),
            field="attested_details_given",
        )
    if verbal and not actor.clinic.verbal_consent_allowed:
        raise ConsentInvalid(
            _l("The clinic's policy requires a signed consent."), field="form_of_consent"
        )
    if active_consent(episode.id) is not None:
        raise Conflict(
            _l("A consent is already in force; withdraw it before recording a new one."),
            field="consent",
        )
    last_withdrawal = db.session.scalar(
        select(func.max(Consent.withdrawn_on)).where(Consent.episode_id == episode.id)
    )
    # Consents of one episode never overlap, so "the consent in force on a day" is one.
    if last_withdrawal is not None and signed_on < last_withdrawal:
        raise ConsentInvalid(
            _l("A new consent cannot be dated before the previous one was withdrawn."),
            field="signed_on",
        )
    return _add(
        actor,
        episode,
        language,
        AuditAction.CONSENT_RECORDED,
        state="given",
        form_of_consent="verbal" if verbal else "written",
        place=place,
        signed_on=signed_on,
        attested_details_given=True,
        **{scope: scope in chosen for scope in SCOPES},
    )


def record_refusal(
    actor: User,
    client_id: uuid.UUID,
    *,
    language: str,
    place: str,
    refused_on: date,
    treatment_continues: bool,
    team_decided_on: date,
) -> Consent:
    """Record that the client refused, with the team's decision on continuing treatment."""
    episode = open_episode_of(actor, client_id)
    place = _check_place_and_date(place, refused_on, "refused_on")
    if team_decided_on > _today():
        raise ConsentInvalid(_l("The date cannot be in the future."), field="team_decided_on")
    if active_consent(episode.id) is not None:
        raise Conflict(
            _l("A consent is in force; withdraw it instead of recording a refusal."),
            field="consent",
        )
    return _add(
        actor,
        episode,
        language,
        AuditAction.CONSENT_REFUSED,
        state="refused",
        form_of_consent="written",
        place=place,
        signed_on=refused_on,
        attested_details_given=False,
        treatment_continues=treatment_continues,
        team_decided_on=team_decided_on,
        **dict.fromkeys(SCOPES, False),
    )


def withdraw_consent(
    actor: User, client_id: uuid.UUID, consent_id: uuid.UUID, *, withdrawn_on: date
) -> Consent:
    """Withdraw a consent from ``withdrawn_on`` on. It stays on record; it cannot be revived.
    The partner side is always told, so it stops acting on the consent."""
    episode = open_episode_of(actor, client_id, for_change=True)
    consent = db.session.scalar(
        select(Consent).where(Consent.id == consent_id, Consent.episode_id == episode.id)
    )
    if consent is None:
        raise NotFound(_l("There is no such consent."), field="consent")
    if not consent.is_active:
        raise Conflict(_l("Only a consent in force can be withdrawn."), field="consent")
    if withdrawn_on > _today():
        raise ConsentInvalid(_l("The date cannot be in the future."), field="withdrawn_on")
    if withdrawn_on < consent.signed_on:
        raise ConsentInvalid(
            _l("A consent cannot be withdrawn before it was given."), field="withdrawn_on"
        )
    consent.withdrawn_on = withdrawn_on
    consent.withdrawn_by_id = actor.id
    db.session.flush()
    _audit(AuditAction.CONSENT_WITHDRAWN, actor, consent)
    relay(actor, episode, RelayKind.CONSENT_WITHDRAWN, withdrawn_on)
    return consent


def consents_of_client(actor: User, client_id: uuid.UUID) -> list[Consent]:
    """The consent history of the client's episodes, newest first, for his own treater."""
    client = client_for(actor, client_id)
    episode_ids = [episode.id for episode in client.episodes]
    return list(
        db.session.scalars(
            select(Consent)
            .where(Consent.episode_id.in_(episode_ids))
            .order_by(Consent.recorded_at.desc())
        )
    )
