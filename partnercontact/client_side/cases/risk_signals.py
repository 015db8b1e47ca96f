"""The client's treater signals a raised risk to the partner side.

The handbook asks the two treaters to talk as soon as either hears that the violence
escalates, that fear grows, that there is concern for children or that a separation is near;
the client's treater often hears it first. A signal is a relay event of its own kind: a reason
and an urgency from closed lists and nothing else, so no word of what he said crosses. It
crosses whatever the consent lets her be told, because it is a consultation between the
treaters and is never passed on to her as such (the consent form says so).

Contracts:

- only the client's own treater raises a signal (:func:`open_episode_of`): anyone else gets
  the answer for a client that does not exist;
- there must be a partner contact on the episode to signal to (:class:`Conflict` on
  ``reason`` otherwise), and one signal a day per episode (a second is a :class:`Conflict`
  on ``reason``: the first is with the partner side already);
- an assessment rated high sends its own urgent signal under the same two rules, with the
  one reason a treater never picks by hand (:mod:`.risk_assessments`);
- a bad reason or urgency raises :class:`ClientInvalid` naming the field, before anything is
  written.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from sqlalchemy import select

from partnercontact.client_side.cases.episodes import open_episode_of
from partnercontact.client_side.cases.errors import ClientInvalid
from partnercontact.clinics.clock import clinic_today
from partnercontact.db import db
from partnercontact.errors import Conflict
from partnercontact.i18n import _l
from partnercontact.relay.emit import partner_contacts_of, relay
from partnercontact.relay.kinds import RISK_REASONS_BY_HAND, RISK_URGENCIES, RelayKind
from partnercontact.relay.models import RelayEvent

if TYPE_CHECKING:
    from partnercontact.auth.models import User
    from partnercontact.client_side.cases.models import Client, TreatmentEpisode


NO_PARTNER_CONTACT = _l(
    "No partner contact has been handed over for this client, so there is no "
    "partner-contact treater to signal to. Talk to a manager."
)
SENT_TODAY = _l(
    "A risk signal was already sent today and the partner side has it. Call the "
    "partner-contact treater if there is more to it."
)


def raise_risk_signal(
    actor: User, client_id: uuid.UUID, *, reason: str | None, urgency: str | None
) -> RelayEvent:
    """Signal a raised risk in the client's open episode to the partner side."""
    episode = open_episode_of(actor, client_id, for_change=True)
    if reason not in RISK_REASONS_BY_HAND:
        raise ClientInvalid(_l("Choose what the risk is."), field="reason")
    if urgency not in RISK_URGENCIES:
        raise ClientInvalid(_l("Choose how urgent it is."), field="urgency")
    why_not = why_no_signal(actor, episode)
    if why_not is not None:
        raise Conflict(why_not, field="reason")
    return send_signal(actor, episode, reason, urgency)


def why_no_signal(actor: User, episode: TreatmentEpisode) -> object | None:
    """Why no signal can be sent in ``episode`` now (a message), or None when one can. The
    caller holds the episode's lock (``open_episode_of(for_change=True)``), so two signals
    sent at once see each other."""
    if not partner_contacts_of(episode.id):
        return NO_PARTNER_CONTACT
    sent_today = db.session.scalar(
        select(RelayEvent.id).where(
            RelayEvent.episode_id == episode.id,
            RelayEvent.kind == RelayKind.RISK_SIGNAL,
            RelayEvent.occurred_on == clinic_today(actor.clinic),
        )
    )
    return SENT_TODAY if sent_today is not None else None


def send_signal(actor: User, episode: TreatmentEpisode, reason: str, urgency: str) -> RelayEvent:
    """Send a signal :func:`why_no_signal` has allowed, with checked ``reason`` and
    ``urgency``."""
    today = clinic_today(actor.clinic)
    event = relay(actor, episode, RelayKind.RISK_SIGNAL, today, reason=reason, urgency=urgency)
    assert event is not None  # a risk signal needs no scope: it always crosses
    return event


def risk_signals_sent(client: Client) -> list[RelayEvent]:
    """The signals sent in the client's episodes, newest first: what the client's treater sent,
    never what the partner side did with them. For a page that has loaded (and audited) the
    client through ``client_for``."""
    episode_ids = [episode.id for episode in client.episodes]
    return list(
        db.session.scalars(
            select(RelayEvent)
            .where(RelayEvent.episode_id.in_(episode_ids), RelayEvent.kind == RelayKind.RISK_SIGNAL)
            .order_by(RelayEvent.recorded_at.desc())
        )
    )
