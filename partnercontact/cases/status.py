"""The statuses of a treatment episode, in one place.

An episode is open while its status is in :data:`OPEN`; ending it is final. The labels are
what the pages show.
"""

from __future__ import annotations

from enum import StrEnum

from partnercontact.i18n import _l


class EpisodeStatus(StrEnum):
    ASSESSMENT = "assessment"
    COMPLETED = "completed"
    DROPPED_OUT = "dropped_out"


OPEN = frozenset({EpisodeStatus.ASSESSMENT})
# How an episode may end, as the client treater chooses it.
ENDINGS = (EpisodeStatus.COMPLETED, EpisodeStatus.DROPPED_OUT)

LABELS = {
    EpisodeStatus.ASSESSMENT: _l("Assessment"),
    EpisodeStatus.COMPLETED: _l("Treatment completed"),
    EpisodeStatus.DROPPED_OUT: _l("Ended early (dropout)"),
}
