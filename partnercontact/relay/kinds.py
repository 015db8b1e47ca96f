"""The closed vocabularies of the relay: what may cross, what gates it, what the partner side
did with it."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from partnercontact.i18n import _l


class RelayKind(StrEnum):
    TREATMENT_STARTED = "treatment_started"
    SESSION_MISSED = "session_missed"
    DROPPED_OUT = "dropped_out"
    TREATMENT_COMPLETED = "treatment_completed"
    ENDED_BY_CLINIC = "ended_by_clinic"
    CONSENT_WITHDRAWN = "consent_withdrawn"


# The kinds that say his treatment ended, one way or another.
ENDINGS: frozenset[RelayKind] = frozenset(
    {RelayKind.DROPPED_OUT, RelayKind.TREATMENT_COMPLETED, RelayKind.ENDED_BY_CLINIC}
)

# The consent scope each kind needs on the event's date. A withdrawn consent has no scope to
# ask: it always crosses, so the partner side knows to stop acting on it.
SCOPE_NEEDED: dict[RelayKind, str | None] = {
    RelayKind.TREATMENT_STARTED: "tell_in_treatment",
    RelayKind.SESSION_MISSED: "tell_when_ended",
    RelayKind.DROPPED_OUT: "tell_when_ended",
    RelayKind.TREATMENT_COMPLETED: "tell_when_ended",
    RelayKind.ENDED_BY_CLINIC: "tell_when_ended",
    RelayKind.CONSENT_WITHDRAWN: None,
}

# Keyed by the kind's value too: a RelayKind is the string it names.
LABELS: dict[str, Any] = {
    RelayKind.TREATMENT_STARTED: _l("Treatment started"),
    RelayKind.SESSION_MISSED: _l("Session missed"),
    RelayKind.DROPPED_OUT: _l("Dropped out of treatment"),
    RelayKind.TREATMENT_COMPLETED: _l("Treatment completed"),
    RelayKind.ENDED_BY_CLINIC: _l("Treatment ended by the clinic"),
    RelayKind.CONSENT_WITHDRAWN: _l("Consent withdrawn"),
}

# What the partner-contact treater did with an event: the task is "inform her if she wishes".
OUTCOMES = {
    "informed_phone": _l("Informed by phone"),
    "informed_sms": _l("Informed by text message"),
    "informed_letter": _l("Informed by letter"),
    "informed_session": _l("Informed in a session"),
    "not_wanted": _l("She did not want to be told"),
    "unreachable": _l("She could not be reached"),
}

# How the closing of a partner contact went, once the client's treatment has ended.
CLOSING_OUTCOMES = {
    "held": _l("A closing session was held"),
    "declined": _l("She did not want a closing session"),
    "unreachable": _l("She could not be reached"),
}
