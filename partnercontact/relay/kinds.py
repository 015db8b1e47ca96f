"""The closed vocabularies of the relay: what may cross, what gates it, what the partner side
did with it."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from partnercontact.i18n import _l

if TYPE_CHECKING:
    from partnercontact.clinics.models import Clinic


class RelayKind(StrEnum):
    TREATMENT_STARTED = "treatment_started"
    SESSION_MISSED = "session_missed"
    DROPPED_OUT = "dropped_out"
    TREATMENT_COMPLETED = "treatment_completed"
    ENDED_BY_CLINIC = "ended_by_clinic"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    # The client's treater asks the partner side to act on a raised risk: a consultation
    # between the treaters, never passed on to her as such.
    RISK_SIGNAL = "risk_signal"


# The kinds that say his treatment ended, one way or another.
ENDINGS: frozenset[RelayKind] = frozenset(
    {RelayKind.DROPPED_OUT, RelayKind.TREATMENT_COMPLETED, RelayKind.ENDED_BY_CLINIC}
)

# The consent scope each kind needs on the event's date. A withdrawn consent has no scope to
# ask: it always crosses, so the partner side knows to stop acting on it. A risk signal
# crosses whatever the scopes say: it is a consultation between the two treaters about a risk
# to her, which the consent form tells the client, not news to pass on to her.
SCOPE_NEEDED: dict[RelayKind, str | None] = {
    RelayKind.TREATMENT_STARTED: "tell_in_treatment",
    RelayKind.SESSION_MISSED: "tell_when_ended",
    RelayKind.DROPPED_OUT: "tell_when_ended",
    RelayKind.TREATMENT_COMPLETED: "tell_when_ended",
    RelayKind.ENDED_BY_CLINIC: "tell_when_ended",
    RelayKind.CONSENT_WITHDRAWN: None,
    RelayKind.RISK_SIGNAL: None,
}

# Keyed by the kind's value too: a RelayKind is the string it names.
LABELS: dict[str, Any] = {
    RelayKind.TREATMENT_STARTED: _l("Treatment started"),
    RelayKind.SESSION_MISSED: _l("Session missed"),
    RelayKind.DROPPED_OUT: _l("Dropped out of treatment"),
    RelayKind.TREATMENT_COMPLETED: _l("Treatment completed"),
    RelayKind.ENDED_BY_CLINIC: _l("Treatment ended by the clinic"),
    RelayKind.CONSENT_WITHDRAWN: _l("Consent withdrawn"),
    RelayKind.RISK_SIGNAL: _l("Risk signal from the client's treater"),
}

# Why the client's treater signals a risk: a closed list, the only thing besides the urgency
# that a signal carries. Keys are stored; the pages show the labels.
RISK_REASONS = {
    "threats": _l("Threats against her"),
    "escalating_control": _l("Escalating control"),
    "separation": _l("A separation is near or has happened"),
    "children_concern": _l("Concern for the children"),
    "weapons": _l("Access to weapons"),
    "new_violence": _l("New violence disclosed"),
    "other_serious": _l("Another serious risk"),
    # Sent by the service itself when the client's treater records an assessment rated high.
    "high_assessment": _l("A risk assessment of the client came out high"),
}
HIGH_ASSESSMENT = "high_assessment"
# What the client's treater chooses from when signalling by hand.
RISK_REASONS_BY_HAND = {key: label for key, label in RISK_REASONS.items() if key != HIGH_ASSESSMENT}
URGENT = "urgent"
SOON = "soon"
RISK_URGENCIES = {
    URGENT: _l("Urgent: act within hours"),
    SOON: _l("Soon: act within days"),
}


def time_to_act(clinic: Clinic, kind: str, urgency: str | None = None) -> timedelta:
    """How long the partner side has to act on a relayed event before the clinic's managers
    are told: a risk signal by its urgency, any other event ("inform her if she wishes") by
    the clinic's hours for relay tasks."""
    if kind != RelayKind.RISK_SIGNAL:
        return timedelta(hours=clinic.relay_task_hours)
    hours = clinic.risk_signal_urgent_hours if urgency == URGENT else clinic.risk_signal_soon_hours
    return timedelta(hours=hours)


# What the partner-contact treater did with an event: the task is "inform her if she wishes"
# (INFORM_OUTCOMES), or, for a risk signal, act on it with the client's treater
# (RISK_SIGNAL_OUTCOMES); OUTCOMES is every key the table accepts.
INFORM_OUTCOMES = {
    "informed_phone": _l("Informed by phone"),
    "informed_sms": _l("Informed by text message"),
    "informed_letter": _l("Informed by letter"),
    "informed_session": _l("Informed in a session"),
    "not_wanted": _l("She did not want to be told"),
    "unreachable": _l("She could not be reached"),
}
RISK_SIGNAL_OUTCOMES = {
    "consulted": _l("Talked it through with the client's treater"),
    "safety_reviewed": _l("Her safety was reviewed with her"),
    "unreachable": _l("She could not be reached"),
}
OUTCOMES = {**INFORM_OUTCOMES, **RISK_SIGNAL_OUTCOMES}


def outcomes_for(kind: str) -> dict[str, Any]:
    """What may be recorded as done with an event of ``kind``: a risk signal is never passed
    on to her, so none of its outcomes says she was told of it."""
    return RISK_SIGNAL_OUTCOMES if kind == RelayKind.RISK_SIGNAL else INFORM_OUTCOMES


# How the closing of a partner contact went, once the client's treatment has ended.
CLOSING_OUTCOMES = {
    "held": _l("A closing session was held"),
    "declined": _l("She did not want a closing session"),
    "unreachable": _l("She could not be reached"),
}

# Consultation requests between the two treaters, both ways: why one asks the other for a
# talk. The same short list on both sides, and none of it says anything of her: a request
# from the partner side must read the same whether she was reached, accepted or declined.
CONSULTATION_REASONS = {
    "risk": _l("Talk through the risk"),
    "coordination": _l("Coordinate the work on the case"),
    "ending": _l("Plan around the end of his treatment"),
}
CLIENT_SIDE = "client"
PARTNER_SIDE = "partner"
SIDES = (CLIENT_SIDE, PARTNER_SIDE)
