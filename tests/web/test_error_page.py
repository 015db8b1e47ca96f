"""An error page says what went wrong in words; the field a request got wrong is named for
whoever sent it, but a missing page shows no code."""

from __future__ import annotations

import uuid

from tests.factories import Factory
from tests.helpers import log_in, text_of


def test_a_missing_case_shows_no_field_code(client, factory: Factory, clock) -> None:
    log_in(client, factory.partner_treater(), clock)

    missing = client.get(f"/partner/cases/{uuid.uuid4()}")

    assert missing.status_code == 404
    page = text_of(missing)
    assert "<code>case</code>" not in page and "Fält" not in page
