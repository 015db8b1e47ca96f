"""The clinic's statistics as a manager reads them: counted, compared, small numbers hidden.

:func:`statistics_report` is the only way to a :class:`Report`. It counts the acting
manager's own clinic over the chosen period and the period before, hides what
:mod:`.suppression` says must be hidden (over both periods at once, through every
:mod:`.relations` relation), and writes one audit
entry naming the period. Pages, charts and exports read the report and nothing else.
"""

from __future__ import annotations

from partnercontact.audit.service import record_event
from partnercontact.audit.tags import AuditAction
from partnercontact.auth.models import User
from partnercontact.clinics.clock import clinic_today
from partnercontact.errors import Forbidden
from partnercontact.i18n import _l
from partnercontact.partner_side.vocabulary import NO_CONTACT_REASONS
from partnercontact.policy import Permission, can
from partnercontact.relay.kinds import LABELS as RELAY_LABELS
from partnercontact.statistics.counts import (
    NOT_BROKEN_DOWN,
    PeriodCounts,
    clinic_rows,
    count_period,
)
from partnercontact.statistics.periods import Period, default_period, parse_period
from partnercontact.statistics.relations import (
    CHANGE,
    CURRENT,
    MEDIANS,
    PERIODS,
    PREVIOUS,
    SHARES,
    TOTAL,
    cell_key,
    change_inputs,
    report_relations,
)
from partnercontact.statistics.report import (
    HIDDEN,
    NOTHING,
    WITHHELD,
    Figure,
    Line,
    Measure,
    Report,
    Section,
)
from partnercontact.statistics.suppression import hidden_cells

LABELS: dict[str, object] = {
    "asked.share": _l("Share of clients asked about partner contact"),
    "clients.in_treatment": _l("Clients in treatment"),
    "clients.asked": _l("Clients asked about partner contact"),
    "clients.dropouts": _l("Dropouts (ended early)"),
    "consents.given": _l("Consents given"),
    "consents.refused": _l("Consents refused"),
    "consents.withdrawn": _l("Consents withdrawn"),
    "partners.offered": _l("Partners offered contact"),
    "partners.reached": _l("Partners reached"),
    "partners.accepted": _l("Partners who accepted contact"),
    "partners.declined": _l("Partners who declined contact"),
    **{f"not_contacted.{reason}": label for reason, label in NO_CONTACT_REASONS.items()},
    f"not_contacted.{NOT_BROKEN_DOWN}": _l("Reason not broken down (protected personal data)"),
    f"not_contacted.{TOTAL}": _l("Partners not contacted, in all"),
    **{f"relayed.{kind}": RELAY_LABELS[kind] for kind in RELAY_LABELS},
    f"relayed.{TOTAL}": _l("Relayed events, in all"),
    "children.cases": _l("Partner cases with children"),
    "children.concern_reports": _l("Concern reports made"),
    "children.client_concern_reports": _l("Concern reports made by the client's treaters"),
    "consultations.risk_signals": _l("Risk signals from the client's treater"),
    "consultations.asked_by_client_side": _l("Talks asked for by the client's treater"),
    "consultations.asked_by_partner_side": _l("Talks asked for by the partner-contact treater"),
    "consultations.held": _l("Talks held"),
    "timing.median_days": _l("Median days from consent to first offer of contact"),
}

SECTIONS: tuple[tuple[str, object, Measure, object], ...] = (
    (
        "asked",
        _l("Asked about partner contact"),
        Measure.SHARE,
        _l(
            "Of the clients in treatment during the period, the share whose consent or "
            "refusal had been recorded by its end. A national pilot raised this share from "
            "38 % to 68 %."
        ),
    ),
    (
        "clients",
        _l("Clients"),
        Measure.COUNT,
        _l(
            "Clients with a treatment contact (assessment or treatment) open at some time "
            "during the period; dropouts are treatments that ended early in the period."
        ),
    ),
    (
        "consents",
        _l("Consents"),
        Measure.COUNT,
        _l("Consents given or refused with a date in the period, and consents withdrawn in it."),
    ),
    (
        "partners",
        _l("Partners"),
        Measure.COUNT,
        _l(
            "Partners first offered contact in the period (a call, an information letter or a "
            "first text), first reached in it, and those who accepted or declined in it."
        ),
    ),
    (
        "not_contacted",
        _l("Partners not contacted, by reason"),
        Measure.COUNT,
        _l(
            "Cases where the decision in the period was not to contact the partner. For a "
            "partner with protected personal data the reason is not broken down, since it can "
            "say where she lives."
        ),
    ),
    (
        "relayed",
        _l("Relayed events, by kind"),
        Measure.COUNT,
        _l("Events relayed from the client's treatment to partner contact, dated in the period."),
    ),
    (
        "children",
        _l("Children"),
        Measure.COUNT,
        _l(
            "Partner cases open during the period with at least one child recorded, and "
            "concern reports to the social services made in the period by the partner-contact "
            "treaters and by the client's treaters."
        ),
    ),
    (
        "consultations",
        _l("Consultations between the treaters"),
        Measure.COUNT,
        _l(
            "Risk signals the client's treaters sent in the period, talks either treater asked "
            "the other for in it, and talks recorded as held in it."
        ),
    ),
    (
        "timing",
        _l("Time to first offer"),
        Measure.DAYS,
        _l(
            "The median number of days from the client's consent to the first offer of contact "
            "to the partner, over the partners first offered contact in the period."
        ),
    ),
)


def statistics_report(actor: User, period_key: str | None, *, exported: bool = False) -> Report:
    """The report of the actor's clinic for the period ``period_key`` names (the last whole
    month when None). :class:`PeriodInvalid` names the ``period`` field; anyone without
    :attr:`Permission.STATISTICS_VIEW` gets :class:`Forbidden`."""
    if not can(actor, Permission.STATISTICS_VIEW):
        raise Forbidden(_l("Only managers see the clinic's statistics."))
    clinic = actor.clinic
    today = clinic_today(clinic)
    period = default_period(today) if not period_key else parse_period(period_key, today)
    previous = period.previous()
    threshold = max(1, clinic.small_count_threshold)
    # The clinic's rows are read once for both periods shown side by side.
    rows = clinic_rows(clinic, previous.start, period.end)
    current = count_period(clinic, period, rows)
    before = count_period(clinic, previous, rows)
    record_event(
        AuditAction.STATISTICS_EXPORTED if exported else AuditAction.STATISTICS_VIEWED,
        actor_id=actor.id,
        clinic_id=actor.clinic_id,
        resource_type="statistics",
        resource_id=period.key,
    )
    return build_report(clinic.name, period, previous, threshold, current, before)


def build_report(
    clinic_name: str,
    period: Period,
    previous: Period,
    threshold: int,
    current_counts: PeriodCounts,
    previous_counts: PeriodCounts,
) -> Report:
    """The report of two periods' counts, everything :mod:`.suppression` hides hidden in
    both at once: a reader sees the two side by side."""
    current, before = report_figures(current_counts, previous_counts, threshold)
    return Report(
        clinic_name=clinic_name,
        period=period,
        previous=previous,
        threshold=threshold,
        sections=tuple(
            Section(
                key=key,
                title=title,
                measure=measure,
                definition=definition,
                lines=tuple(
                    Line(
                        key=cell.split(".", 1)[1],
                        label=LABELS[cell],
                        current=current[cell],
                        previous=before[cell],
                        is_total=cell.endswith(f".{TOTAL}"),
                    )
                    for cell in current
                    if cell.startswith(f"{key}.")
                ),
            )
            for key, title, measure, definition in SECTIONS
        ),
    )


def cell_counts(counts: PeriodCounts) -> dict[str, int]:
    """Every count of the period under its cell key, in the order the sections show them."""
    cells = {
        "clients.in_treatment": counts.clients_in_treatment,
        "clients.asked": counts.clients_asked,
        "clients.dropouts": counts.dropouts,
        "consents.given": counts.consents_given,
        "consents.refused": counts.consents_refused,
        "consents.withdrawn": counts.consents_withdrawn,
        "partners.offered": counts.partners_offered,
        "partners.reached": counts.partners_reached,
        "partners.accepted": counts.partners_accepted,
        "partners.declined": counts.partners_declined,
    }
    for reason, count in counts.not_contacted.items():
        cells[f"not_contacted.{reason}"] = count
    cells[f"not_contacted.{TOTAL}"] = sum(counts.not_contacted.values())
    for kind, count in counts.relayed.items():
        cells[f"relayed.{kind}"] = count
    cells[f"relayed.{TOTAL}"] = sum(counts.relayed.values())
    cells["children.cases"] = counts.cases_with_children
    cells["children.concern_reports"] = counts.concern_reports
    cells["children.client_concern_reports"] = counts.client_concern_reports
    cells["consultations.risk_signals"] = counts.risk_signals
    cells["consultations.asked_by_client_side"] = counts.consultations_asked_by_client_side
    cells["consultations.asked_by_partner_side"] = counts.consultations_asked_by_partner_side
    cells["consultations.held"] = counts.consultations_held
    return cells


def report_cells(current: PeriodCounts, previous: PeriodCounts) -> dict[str, int]:
    """Every count of both periods and every change between them, under the keys of
    :mod:`.relations` ("current:clients.asked", "change:clients.asked", ...)."""
    now, before = cell_counts(current), cell_counts(previous)
    cells = {cell_key(CURRENT, cell): value for cell, value in now.items()}
    cells |= {cell_key(PREVIOUS, cell): value for cell, value in before.items()}
    cells |= {cell_key(CHANGE, cell): now[cell] - before[cell] for cell in now}
    return cells


def report_hidden(current: PeriodCounts, previous: PeriodCounts, threshold: int) -> frozenset[str]:
    """The cells of :func:`report_cells` that must not be shown."""
    cells = report_cells(current, previous)
    counted = cell_counts(current)
    return hidden_cells(cells, report_relations(counted), threshold, follows=change_inputs(counted))


def report_figures(
    current: PeriodCounts, previous: PeriodCounts, threshold: int
) -> tuple[dict[str, Figure], dict[str, Figure]]:
    """The figures of the two periods by "section.line", small numbers hidden across both."""
    hidden = report_hidden(current, previous, threshold)
    figures = []
    for period, counts in zip(PERIODS, (current, previous), strict=True):
        cells = cell_counts(counts)
        shown = {
            cell: HIDDEN if cell_key(period, cell) in hidden else Figure(value)
            for cell, value in cells.items()
        }
        for share, (part, whole) in SHARES.items():
            shown[share] = _share(shown, cells, part, whole)
        for median, inputs in MEDIANS.items():
            shown[median] = _median(shown, counts, inputs, threshold)
        figures.append(shown)
    return figures[0], figures[1]


def _median(
    figures: dict[str, Figure], counts: PeriodCounts, inputs: tuple[str, ...], threshold: int
) -> Figure:
    """The median days to first offer; withheld ("–" with a note) when the count of partners
    behind it is hidden, or when it is taken over fewer people than the threshold: a median
    of two is close to naming one of them."""
    if any(figures[cell].hidden for cell in inputs):
        return WITHHELD
    if len(counts.days_to_first_offer) < threshold:
        return WITHHELD
    median = counts.median_days_to_first_offer
    return NOTHING if median is None else Figure(median)


def _share(figures: dict[str, Figure], cells: dict[str, int], part: str, whole: str) -> Figure:
    """A share of two counts; withheld ("–" with a note) when either is hidden: with one of
    them shown, the share would give the other back."""
    if figures[part].hidden or figures[whole].hidden:
        return WITHHELD
    if not cells[whole]:
        return NOTHING
    return Figure(round(100 * cells[part] / cells[whole], 1))
