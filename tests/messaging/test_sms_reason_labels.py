"""Every reason a rule can give for refusing or cancelling a text has words on her treater's
list of texts: a cancelled text says why in the interface's language, never as a bare code."""

from __future__ import annotations

import re

from partnercontact.config import PROJECT_ROOT
from partnercontact.web.partner_side.messages import SMS_REASON_LABELS

RULE = re.compile(r'rule="([a-z_]+)"')


def test_every_rule_a_refusal_can_name_has_words_for_her_treater() -> None:
    rules = {
        rule
        for path in (PROJECT_ROOT / "partnercontact").rglob("*.py")
        for rule in RULE.findall(path.read_text(encoding="utf-8"))
    }
    assert {"not_safe_now", "plan_fit", "protected"} <= rules  # the scan finds them
    assert sorted(rules - SMS_REASON_LABELS.keys()) == []
