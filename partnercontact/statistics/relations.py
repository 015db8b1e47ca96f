"""Every way the published statistics add up, written down once, as data.

A reader of the page, the CSV and XLSX files or the API can subtract. So suppression must
know every sum between the figures published side by side: within a table, across tables,
and between the chosen period and the one shown beside it. This module lists them; the
suppression (:mod:`.suppression`) hides cells until no hidden count can be worked out from
the shown ones through these relations.

A relation says ``total = sum(parts) + rest``. For a total of its section the rest is zero by
construction. Otherwise the rest is something nothing publishes ("asked before the period",
"no answer yet") and is a count too, so a reader knows it is not negative. A reader may also
know it is nothing at all (a clinic's first month, say): where it is, suppression takes the
relation as an exact sum. Where the rest happens to be negative (one client with two
consents in a period), the relation does not hold that time and tells a reader nothing true.

Cell keys are ``"<period>:<section>.<line>"``, period being :data:`CURRENT`,
:data:`PREVIOUS` or :data:`CHANGE` (current minus previous, as the page and the CSV show it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from partnercontact.statistics.counts import NOT_CONTACTED_REASONS, RELAY_KINDS

CURRENT = "current"
PREVIOUS = "previous"
CHANGE = "change"
PERIODS = (CURRENT, PREVIOUS)
TOTAL = "total"


def cell_key(period: str, cell: str) -> str:
    return f"{period}:{cell}"


@dataclass(frozen=True)
class Relation:
    """``total = sum(parts) + rest``.

    ``rest`` names what nothing publishes (for the docs and a reader of the code); None when
    the total is the sum of the parts by construction. ``signed`` parts may be negative (a
    change from the previous period); every other cell, and the rest, is a count.
    """

    total: str
    parts: tuple[str, ...]
    rest: str | None = None
    signed: tuple[str, ...] = ()

    @property
    def members(self) -> tuple[str, ...]:
        return (self.total, *self.parts)


# Within one period, by cell ("section.line").
PERIOD_RELATIONS: tuple[Relation, ...] = (
    Relation(
        f"not_contacted.{TOTAL}",
        tuple(f"not_contacted.{reason}" for reason in NOT_CONTACTED_REASONS),
    ),
    Relation(f"relayed.{TOTAL}", tuple(f"relayed.{kind}" for kind in RELAY_KINDS)),
    Relation("clients.in_treatment", ("clients.asked",), rest="clients not asked by its end"),
    Relation("clients.in_treatment", ("clients.dropouts",), rest="clients who did not drop out"),
    Relation(
        "clients.asked",
        ("consents.given", "consents.refused"),
        rest="clients asked before the period, still in treatment",
    ),
    Relation(
        "partners.offered",
        ("partners.accepted", "partners.declined"),
        rest="partners with no answer yet, or who answered in another period",
    ),
    Relation(
        "partners.reached",
        ("partners.accepted", "partners.declined"),
        rest="partners reached who had not answered",
    ),
    Relation("partners.offered", ("partners.reached",), rest="partners offered, not reached"),
    # Across tables: an ending or a withdrawal crosses to partner contact only where the
    # consent allows it.
    Relation("clients.dropouts", ("relayed.dropped_out",), rest="dropouts the consent kept back"),
    Relation(
        "consents.withdrawn",
        ("relayed.consent_withdrawn",),
        rest="withdrawals with no partner contact to tell",
    ),
    Relation(
        "children.cases",
        ("children.concern_reports",),
        rest="cases with children and no concern report",
    ),
)

# Between the two periods shown side by side: everyone asked by the end of the chosen period
# was asked by the end of the one before or gave or refused consent in it.
CROSS_PERIOD_RELATIONS: tuple[Relation, ...] = (
    Relation(
        cell_key(CURRENT, "clients.asked"),
        (
            cell_key(PREVIOUS, "clients.asked"),
            cell_key(CURRENT, "consents.given"),
            cell_key(CURRENT, "consents.refused"),
        ),
        rest="clients asked twice, or whose treatment ended, counted the other way",
    ),
)

# Figures worked out from counts rather than counted: a share from its two counts, a median
# over the partners first offered contact. Either shows as "–" with a note when a count it
# depends on is hidden; a share of two shown counts gives nothing away that they do not.
SHARES: dict[str, tuple[str, str]] = {"asked.share": ("clients.asked", "clients.in_treatment")}
MEDIANS: dict[str, tuple[str, ...]] = {"timing.median_days": ("partners.offered",)}


def report_relations(cells: Iterable[str]) -> tuple[Relation, ...]:
    """Every relation between the counts ``cells`` (by "section.line") of a report: within
    each period, across the two, and each change as current minus previous."""
    counted = tuple(cells)
    within = tuple(
        Relation(
            cell_key(period, relation.total),
            tuple(cell_key(period, part) for part in relation.parts),
            rest=relation.rest,
        )
        for period in PERIODS
        for relation in PERIOD_RELATIONS
    )
    changes = tuple(
        Relation(
            cell_key(CURRENT, cell),
            (cell_key(PREVIOUS, cell), cell_key(CHANGE, cell)),
            signed=(cell_key(CHANGE, cell),),
        )
        for cell in counted
    )
    return (*within, *CROSS_PERIOD_RELATIONS, *changes)


def change_inputs(cells: Iterable[str]) -> dict[str, tuple[str, str]]:
    """Each change cell and the two cells it is worked out from."""
    return {
        cell_key(CHANGE, cell): (cell_key(CURRENT, cell), cell_key(PREVIOUS, cell))
        for cell in cells
    }
