"""The one next step of a partner case, derived from where the case stands.

The case page opens with it: a treater coming back to a case reads what to do before reading
the case. The order follows the work's priorities (docs/domain.md, "The flow, step by step"):
what must not wait (an urgent task, a relayed event, a closing to record) comes before the
safety steps, and those before the ordinary rhythm of contact. A pure function of
:class:`CaseFacts`, so every state is tested by a table.
"""

from __future__ import annotations

from dataclasses import dataclass

from partnercontact.i18n import _l


@dataclass(frozen=True)
class CaseFacts:
    """What the next step depends on; the page's loader reads it from the case's records."""

    closed: bool = False
    closing_to_record: bool = False
    urgent_tasks_open: int = 0
    relayed_events_open: int = 0
    paused: bool = False
    # The newest suitability decision: "contact", "no_contact" or None (not decided yet).
    suitability: str | None = None
    reached: bool = False
    planned: bool = False
    # Her answer to the offer (vocabulary.ANSWERS).
    answer: str = "pending"
    contact_ended: bool = False
    risk_review_due: bool = False
    sessions_to_book: int = 0


@dataclass(frozen=True)
class NextStep:
    key: str
    # Where on the case page (a section's anchor) or which page (an endpoint) it is done.
    anchor: str | None
    # False when nothing is to be done now (the step says why).
    actionable: bool = True


NEXT_STEP_LABELS = {
    "closed": _l("Nothing: the contact is closed."),
    "urgent_task": _l("Handle the urgent task."),
    "relayed_event": _l("Act on what the client side relayed."),
    "closing": _l("Record how the contact closed."),
    "paused": _l("Wait: she said it is not safe now. Lift the pause when she says it is."),
    "suitability": _l("Decide whether contact with her is suitable."),
    "no_contact": _l("Nothing: the assessment says she is not to be contacted."),
    "declined": _l("Nothing for now: she declined or ended the contact. The offer stands."),
    "first_contact": _l("Make the first contact: a letter, a text or a first call."),
    "plan": _l("Agree her safe-contact plan with her."),
    "answer": _l("Record her answer to the offer of contact."),
    "risk_review": _l("Review the risk assessment: its review date has passed."),
    "book_session": _l("Book the next contact session."),
    "keep_in_touch": _l("Keep in touch as her plan says."),
}


def next_step(facts: CaseFacts) -> NextStep:
    """The first of the case's steps still to take, in the order of priority."""
    if facts.closed:
        return NextStep("closed", None, actionable=False)
    if facts.urgent_tasks_open:
        return NextStep("urgent_task", "urgent")
    if facts.relayed_events_open:
        return NextStep("relayed_event", "relay")
    if facts.closing_to_record:
        return NextStep("closing", "relay")
    if facts.paused:
        return NextStep("paused", "contact-paused", actionable=False)
    if facts.suitability is None:
        return NextStep("suitability", "suitability")
    if facts.suitability != "contact":
        return NextStep("no_contact", None, actionable=False)
    if facts.contact_ended or facts.answer == "declined":
        return NextStep("declined", None, actionable=False)
    if not facts.reached:
        return NextStep("first_contact", "attempts")
    if not facts.planned:
        return NextStep("plan", "safe_contact")
    if facts.answer == "pending":
        return NextStep("answer", "answer")
    if facts.risk_review_due:
        return NextStep("risk_review", "risk")
    if facts.sessions_to_book:
        return NextStep("book_session", "sessions")
    return NextStep("keep_in_touch", None, actionable=False)
