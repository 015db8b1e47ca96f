"""Paging through the access log as a manager does: "Older" and "Newer" go on from the last
entry seen, so no entry shows twice or goes missing when others are written in between, and
the filters stay as chosen on every page."""

from __future__ import annotations

import re
import uuid

import pytest
from flask import Flask
from flask.testing import FlaskClient

from partnercontact.audit.service import record_event
from partnercontact.audit.tags import AuditAction
from partnercontact.clock import FixedClock
from partnercontact.db import db
from partnercontact.web.management.log_places import seal_place
from tests.factories import Account, Factory
from tests.helpers import log_in, text_of

PAGE = "/management/access-log"
# Each seeded entry is about a client whose id ends in the entry's number: the page names a
# client by its whole id, so the number tells which entry a row is.
_NUMBER = re.compile(r"<code>00000000-0000-4000-8000-([0-9]{12})</code>")
_OLDER = re.compile(r'href="([^"]+)" rel="next"')
_NEWER = re.compile(r'href="([^"]+)" rel="prev"')


def _client_id(number: int) -> str:
    return f"00000000-0000-4000-8000-{number:012d}"


def _write(manager: Account, numbers: range, actor: Account, clock: FixedClock | None = None):
    """Entries numbered ``numbers``, in that order; a second apart if ``clock`` is given,
    otherwise all at one moment (as within one busy second)."""
    for number in numbers:
        if clock is not None:
            clock.advance(seconds=1)
        record_event(
            AuditAction.CLIENT_VIEWED,
            actor_id=actor.user.id,
            clinic_id=manager.user.clinic_id,
            resource_type="client",
            resource_id=_client_id(number),
        )
    db.session.commit()


def _page(browser: FlaskClient, url: str) -> tuple[list[int], str | None, str | None]:
    """The numbers listed, newest first, and the links to the older and newer entries."""
    response = browser.get(url.replace("&amp;", "&"))
    body = text_of(response)
    assert response.status_code == 200, body
    older, newer = _OLDER.findall(body), _NEWER.findall(body)
    return (
        [int(number) for number in _NUMBER.findall(body)],
        older[0] if older else None,
        newer[0] if newer else None,
    )


@pytest.fixture
def manager(factory: Factory) -> Account:
    return factory.manager()


@pytest.fixture
def browser(app: Flask, manager: Account, clock: FixedClock) -> FlaskClient:
    client = app.test_client()
    log_in(client, manager, clock)
    return client


QUERY = "?action=client.viewed"


@pytest.mark.parametrize("apart", [True, False], ids=["a-second-apart", "all-at-once"])
def test_older_pages_go_on_where_the_last_one_ended_until_the_first_entry(
    browser: FlaskClient, manager: Account, factory: Factory, clock: FixedClock, apart: bool
) -> None:
    _write(manager, range(120), factory.client_treater(), clock if apart else None)
    first, older, newer = _page(browser, PAGE + QUERY)
    assert first == list(range(119, 69, -1)) and newer is None
    second, older, newer = _page(browser, older)
    assert second == list(range(69, 19, -1)) and newer is not None
    third, last, newer = _page(browser, older)
    assert third == list(range(19, -1, -1)) and last is None
    # And back: "Newer" from the third page is the second again, then the first.
    back, _, newer = _page(browser, newer)
    assert back == second
    assert _page(browser, newer)[0] == first


def test_entries_written_between_two_pages_neither_repeat_nor_push_one_out(
    browser: FlaskClient, manager: Account, factory: Factory, clock: FixedClock
) -> None:
    treater = factory.client_treater()
    _write(manager, range(100), treater, clock)
    first, older, _ = _page(browser, PAGE + QUERY)
    # Seven more are written while the manager reads the first page.
    _write(manager, range(100, 107), treater, clock)
    second, _, newer = _page(browser, older)
    assert second == list(range(49, -1, -1))
    assert set(first).isdisjoint(second) and sorted(first + second) == list(range(100))
    # Going back up shows the first page as it was read, then the newest with the seven.
    assert _page(browser, newer)[0] == first
    newest, _, above = _page(browser, PAGE + QUERY)
    assert newest == list(range(106, 56, -1)) and above is None


def test_the_filters_are_kept_on_every_page(
    browser: FlaskClient, manager: Account, factory: Factory, clock: FixedClock
) -> None:
    chosen, other = factory.client_treater(), factory.client_treater()
    for start in range(0, 120, 10):
        _write(manager, range(start, start + 10), chosen if start % 20 == 0 else other, clock)
    mine = [number for number in range(120) if number // 10 % 2 == 0]
    query = f"?actor={chosen.user.id}&date_from=2000-01-01"
    first, older, _ = _page(browser, PAGE + query)
    assert (
        older is not None and f"actor={chosen.user.id}" in older and "date_from=2000-01-01" in older
    )
    second, last, newer = _page(browser, older)
    assert last is None and f"actor={chosen.user.id}" in (newer or "")
    assert first + second == sorted(mine, reverse=True)


def test_a_place_in_another_clinics_log_tells_nothing_of_its_time(
    browser: FlaskClient, manager: Account, factory: Factory, clock: FixedClock
) -> None:
    _write(manager, range(60), factory.client_treater(), clock)
    stranger = factory.client_treater(clinic=factory.clinic())
    foreign = record_event(
        AuditAction.CLIENT_VIEWED,
        actor_id=stranger.user.id,
        clinic_id=stranger.user.clinic_id,
        resource_type="client",
        resource_id=str(uuid.uuid4()),
    ).seq
    db.session.commit()
    # Older than another clinic's entry: nothing, rather than the entries before its time.
    assert _page(browser, f"{PAGE}?before={seal_place(foreign)}")[0] == []
    # Newer than it: the newest page, as for any place with less than a page above it.
    assert _page(browser, f"{PAGE}?after={seal_place(foreign)}")[0][:3] == [59, 58, 57]


@pytest.mark.parametrize(
    "query", ["before=abc", "after=-1", "before=99999999999999999999", "before=5&after=3"]
)
def test_a_place_that_is_not_one_is_refused(browser: FlaskClient, query: str) -> None:
    response = browser.get(f"{PAGE}?{query}")
    body = text_of(response)
    assert response.status_code == 400
    # Not a field of the form: said at its top, and no entry listed.
    assert 'class="notice notice-error" role="alert"' in body
    assert "log-entry" not in body


@pytest.mark.parametrize("reference", ["1a2b3c49", "1a2b3c4f", "00000000", "ffffffff"])
def test_a_reference_lists_exactly_the_cases_whose_id_starts_with_it(
    browser: FlaskClient, manager: Account, factory: Factory, reference: str
) -> None:
    treater = factory.partner_treater()
    below, above = f"{int(reference, 16) - 1:08x}", f"{int(reference, 16) + 1:08x}"
    ids = {
        "first": f"{reference}-0000-4000-8000-000000000000",
        "last": f"{reference}-ffff-4fff-bfff-ffffffffffff",
        "below": f"{below[-8:]}-ffff-4fff-bfff-ffffffffffff",
        "above": f"{above[-8:]}-0000-4000-8000-000000000000",
    }
    for case_id in ids.values():
        record_event(
            AuditAction.PARTNER_CASE_VIEWED,
            actor_id=treater.user.id,
            clinic_id=manager.user.clinic_id,
            resource_type="partner_case",
            resource_id=case_id,
        )
    db.session.commit()
    body = text_of(browser.get(f"{PAGE}?record_type=partner_case&record_id={reference}"))
    assert body.count('class="log-entry"') == 2
    assert re.findall(r"record_id=([0-9a-f-]{36})", body) == [ids["last"], ids["first"]]


def test_a_link_names_its_place_without_a_number_of_the_chain(
    browser: FlaskClient, manager: Account, factory: Factory
) -> None:
    _write(manager, range(60), factory.client_treater())
    seqs = [str(seq) for seq in range(1, 200)]
    _, older, _ = _page(browser, PAGE + QUERY)
    assert older is not None
    place = re.search(r"before=([^&]+)", older)
    assert place is not None and not place.group(1).isdigit() and place.group(1) not in seqs
    # The same place sealed twice reads differently: no link can be compared with another.
    assert seal_place(5) != seal_place(5)
    # A place altered by one character is refused like any other stranger's.
    token = place.group(1)
    altered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    response = browser.get(f"{PAGE}?before={altered}")
    assert response.status_code == 400 and "log-entry" not in text_of(response)


def test_older_and_newer_at_once_are_refused_even_when_both_are_real_places(
    browser: FlaskClient, manager: Account, factory: Factory
) -> None:
    _write(manager, range(3), factory.client_treater())
    response = browser.get(f"{PAGE}?before={seal_place(3)}&after={seal_place(1)}")
    assert response.status_code == 400 and "log-entry" not in text_of(response)
