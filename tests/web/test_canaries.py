"""Proof that no string crosses the wall: canaries in every field, every role crawling."""

from __future__ import annotations

import pytest
from flask import Flask

from partnercontact.policy import Permission, Role
from partnercontact.policy.roles import ROLE_PERMISSIONS
from tests.factories import Factory
from tests.web.canary import CanaryWorld, build_canary_world, leaks, reachable


@pytest.fixture
def world(factory: Factory, clock) -> CanaryWorld:
    return build_canary_world(factory, clock)


@pytest.mark.parametrize("role", list(Role), ids=lambda role: role.value)
def test_no_canary_crosses_a_wall(app: Flask, world: CanaryWorld, clock, role: Role) -> None:
    assert leaks(app, world, role, clock) == []


def test_the_holders_see_their_own_canaries(app: Flask, world: CanaryWorld, clock) -> None:
    """The crawl reaches the pages that hold the strings: otherwise it would prove nothing."""
    for role, side in ((Role.CLIENT_TREATER, "client"), (Role.PARTNER_TREATER, "partner")):
        pages = b"".join(reachable(app, world, role, clock).values())
        own = [marker for marker, s in world.own.markers.items() if s == side]
        assert own and all(marker.encode() in pages for marker in own), role


@pytest.mark.parametrize(
    ("role", "extra"),
    [
        (Role.CLIENT_TREATER, {Permission.PARTNER_SIDE_VIEW, Permission.PARTNER_CASES_WORK}),
        (Role.ADMIN, {Permission.PARTNER_SIDE_VIEW, Permission.PARTNER_CASES_WORK}),
        (Role.MANAGER, {Permission.PARTNER_SIDE_VIEW, Permission.PARTNER_CASES_WORK}),
    ],
    ids=["client-treater-given-partner-side", "admin-given-partner-side", "manager-too"],
)
def test_a_broken_policy_line_is_caught_by_the_canaries(
    app: Flask, world: CanaryWorld, clock, monkeypatch: pytest.MonkeyPatch, role, extra
) -> None:
    monkeypatch.setitem(ROLE_PERMISSIONS, role, ROLE_PERMISSIONS[role] | extra)
    assert leaks(app, world, role, clock) != []
