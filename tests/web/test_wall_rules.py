"""The rules of the role table of docs/domain.md that are not about what a role reads (those are
checked by the canaries, one crawl per role, in test_canaries.py)."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from partnercontact.client_side.cases.models import Client, TreatmentEpisode
from partnercontact.client_side.consent.models import Consent
from partnercontact.db import db
from partnercontact.partner_side.models import PartnerCase
from partnercontact.partner_side.service import PartnerCaseNotFound, pick_up
from tests.factories import Account, Factory
from tests.helpers import log_in, masked, text_of
from tests.partners.conftest import handed_over_case
from tests.web.canary import (
    seed_case,
    seed_partner_side,
)


def _case_without_partner_work(
    factory: Factory, clock, tag: str, number: int, client_treater: Account | None = None
):
    holder = factory.partner_treater()
    case = seed_case(
        factory,
        clock,
        tag=tag,
        number=number,
        client_treater=client_treater or factory.client_treater(),
        partner_treater=holder,
        partner_side_work=False,
    )
    return case, holder.user, db.session.get(PartnerCase, case.case_id)


def test_the_client_treater_cannot_tell_whether_the_partner_was_reached(
    app: Flask, factory: Factory, clock
) -> None:
    """His page about the client is the same before and after all the partner-side work."""
    treater = factory.client_treater()
    case, holder, partner_case = _case_without_partner_work(factory, clock, "Blind", 7, treater)
    browser = app.test_client()
    log_in(browser, treater, clock)
    page = f"/client/{case.client_id}"
    before = masked(text_of(browser.get(page)))
    assert seed_partner_side(holder, partner_case, "Blind")
    assert masked(text_of(browser.get(page))) == before


def _client_side_rows() -> list[tuple]:
    db.session.expire_all()
    rows: list[tuple] = []
    for model in (Client, TreatmentEpisode, Consent):
        for row in db.session.scalars(select(model)):
            columns = vars(row).items()
            rows.append(tuple(sorted((k, repr(v)) for k, v in columns if not k.startswith("_"))))
    return sorted(rows)


def test_nothing_the_partner_side_records_reaches_the_client_sides_tables(
    factory: Factory, clock
) -> None:
    _, holder, partner_case = _case_without_partner_work(factory, clock, "Rad", 8)
    before = _client_side_rows()
    assert seed_partner_side(holder, partner_case, "Rad")
    assert _client_side_rows() == before


def test_one_person_never_treats_both_sides_of_a_case(factory: Factory, clock) -> None:
    client_treater = factory.client_treater()
    waiting = handed_over_case(factory, clock, client_treater=client_treater)
    with pytest.raises(PartnerCaseNotFound):
        pick_up(client_treater.user, waiting.id)
