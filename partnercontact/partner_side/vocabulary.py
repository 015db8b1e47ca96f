"""The closed lists of the partner side, with the labels the pages show.

Every choice a partner-contact treater makes from a list is one of these keys; the database
stores the key, the pages show the label.
"""

from __future__ import annotations

from partnercontact.assessments.concerns import CONCERN_REASONS as CONCERN_REASONS
from partnercontact.assessments.instruments import RISK_LEVELS as RISK_LEVELS
from partnercontact.assessments.instruments import instrument_labels
from partnercontact.i18n import _l

# The partner's answer to the offer of contact.
ANSWERS = {
    "pending": _l("No answer yet"),
    "accepted": _l("Accepted"),
    "declined": _l("Declined"),
    "unreachable": _l("Unreachable"),
}

SUITABILITY_DECISIONS = {
    "contact": _l("Contact the partner"),
    "no_contact": _l("Do not contact the partner"),
}
# Why partner contact is not suitable (docs/domain.md, "Step 3: suitability").
NO_CONTACT_REASONS = {
    "long_time_without_contact": _l("No contact between them for a long time"),
    "sheltered_housing": _l("She lives in sheltered housing"),
    "abroad": _l("She lives abroad"),
    "controlling_pattern": _l("A strongly controlling pattern: contact could raise the risk"),
    "other": _l("Other (see note)"),
}

CHANNELS = {
    "phone": _l("Phone"),
    "sms": _l("Text message"),
    "letter": _l("Letter"),
}
# What the partner herself consents to (her own consent, separate from the client's).
PARTNER_SCOPES = {
    "contact_phone": _l("Contact by phone"),
    "contact_sms": _l("Contact by text message"),
    "contact_letter": _l("Contact by letter"),
    "sms_reminders": _l("Reminders by text message"),
    "told_when_ended": _l("Be told when he ends treatment"),
}

ATTEMPT_OUTCOMES = {
    "reached": _l("Reached"),
    "no_answer": _l("No answer"),
    "not_safe": _l("Not safe to talk"),
    "wrong_number": _l("Wrong number"),
}

# The instruments and their items, the risk levels and the reasons for a concern report are
# shared with the client side's records (partnercontact.assessments).
INSTRUMENTS = instrument_labels()

WEEKDAYS = {
    "1": _l("Monday"),
    "2": _l("Tuesday"),
    "3": _l("Wednesday"),
    "4": _l("Thursday"),
    "5": _l("Friday"),
    "6": _l("Saturday"),
    "7": _l("Sunday"),
}

# Why a manager rejects a threat warning (docs/domain.md, "Step 11: threat warnings").
THREAT_WARNING_REJECTIONS = {
    "not_imminent": _l("The threat is not imminent enough to override her choice"),
    "reached_otherwise": _l("She is being warned another way (police or social services)"),
    "contact_raises_risk": _l("Contact from the clinic could raise the risk to her"),
    "already_warned": _l("She has already been warned"),
}

# The safety steps a manager may override once, for one contact (rules.check_safety_steps).
OVERRIDABLE_STEPS = {
    "suitability": _l("No suitability decision allowing contact yet"),
    "first_contact": _l("Before her plan, only the first-contact path is open"),
    "plan": _l("She has been reached: her safe-contact plan is not recorded yet"),
    "plan_fit": _l("The contact does not fit her safe-contact plan"),
}
# Why the clinic must reach her outside the steps.
OVERRIDE_REASONS = {
    "imminent_threat": _l("An imminent threat she must be warned of"),
    "authority_request": _l("Police or social services ask the clinic to reach her"),
    "child_safety": _l("A child's safety requires reaching her"),
}

# Every kind of contact with her the rules of contact are consulted for.
CONTACT_KINDS = {
    "letter": _l("A letter"),
    "sms": _l("A text message"),
    "phone": _l("A phone call"),
    "session": _l("Booking a contact session"),
    "invitation": _l("An invitation to her message channel"),
    "relay_outcome": _l("Telling her of a relayed event"),
}


# The outcome questions at a held session or a call that reached her, each with its closed
# list of answers ("did not ask" in each: a question is never forced on her).
NOT_ASKED = "not_asked"
OUTCOME_ANSWERS = {"yes": _l("Yes"), "no": _l("No"), NOT_ASKED: _l("Did not ask")}
OUTCOME_FEAR = {
    "less": _l("Less afraid than at the last contact"),
    "same": _l("As afraid as at the last contact"),
    "more": _l("More afraid than at the last contact"),
    NOT_ASKED: _l("Did not ask"),
}
OUTCOME_CHILDREN = {
    "yes": _l("Yes"),
    "no": _l("No"),
    "no_children": _l("No children concerned"),
    NOT_ASKED: _l("Did not ask"),
}
OUTCOME_SAFE = {
    "yes": _l("Yes"),
    "partly": _l("Partly"),
    "no": _l("No"),
    NOT_ASKED: _l("Did not ask"),
}
OUTCOME_QUESTIONS = {
    "physical_violence": (_l("New physical violence since the last contact?"), OUTCOME_ANSWERS),
    "threats": (_l("New threats since the last contact?"), OUTCOME_ANSWERS),
    "control": (_l("Controlling behaviour since the last contact?"), OUTCOME_ANSWERS),
    "fear": (_l("Her fear compared with the last contact"), OUTCOME_FEAR),
    "children_exposed": (
        _l("Children exposed to violence or threats since the last contact?"),
        OUTCOME_CHILDREN,
    ),
    "feels_safe": (_l("Does she feel safe now?"), OUTCOME_SAFE),
}
