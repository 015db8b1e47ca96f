"""The statuses of a treatment episode and the moves between them, in one place.

An episode opens in assessment, may start treatment, and ends once: completed (only after
treatment started), dropped out (ended early by the client) or ended by the clinic. Every
other move is refused. The labels are what the pages show.
"""

from __future__ import annotations

from enum import StrEnum

from partnercontact.i18n import _l


class EpisodeStatus(StrEnum):
    ASSESSMENT = "assessment"
    IN_TREATMENT = "in_treatment"
    COMPLETED = "completed"
    DROPPED_OUT = "dropped_out"
    ENDED_BY_CLINIC = "ended_by_clinic"


MOVES: dict[EpisodeStatus, frozenset[EpisodeStatus]] = {
    EpisodeStatus.ASSESSMENT: frozenset(
        {EpisodeStatus.IN_TREATMENT, EpisodeStatus.DROPPED_OUT, EpisodeStatus.ENDED_BY_CLINIC}
    ),
    EpisodeStatus.IN_TREATMENT: frozenset(
        {EpisodeStatus.COMPLETED, EpisodeStatus.DROPPED_OUT, EpisodeStatus.ENDED_BY_CLINIC}
    ),
}
OPEN = frozenset(MOVES)
# How an episode may end, as the client treater chooses it.
ENDINGS = (EpisodeStatus.COMPLETED, EpisodeStatus.DROPPED_OUT, EpisodeStatus.ENDED_BY_CLINIC)


def may_move(current: str, to: str) -> bool:
    return to in MOVES.get(EpisodeStatus(current), frozenset())


LABELS = {
    EpisodeStatus.ASSESSMENT: _l("Assessment"),
    EpisodeStatus.IN_TREATMENT: _l("In treatment"),
    EpisodeStatus.COMPLETED: _l("Treatment completed"),
    EpisodeStatus.DROPPED_OUT: _l("Ended early (dropout)"),
    EpisodeStatus.ENDED_BY_CLINIC: _l("Ended by the clinic"),
}
