"""Why a concern report (orosanmälan, 14 kap. 1 § SoL) was made, on either side."""

from __future__ import annotations

from partnercontact.i18n import _l

CONCERN_REASONS = {
    "physical_violence": _l("Physical violence against the child"),
    "psychological_violence": _l("Psychological violence against the child"),
    "sexual_abuse": _l("Sexual abuse"),
    "neglect": _l("Neglect"),
    "witnessing_violence": _l("The child witnesses violence"),
    "other": _l("Other"),
}
