"""Proof that no string crosses the wall: canaries in every field, every role crawling.

Each role's crawl checks the rules of the role table of docs/domain.md that are about what the role
reads; the test ids name them.
"""

from __future__ import annotations

import pytest
from flask import Flask

from partnercontact.policy import Permission, Role
from partnercontact.policy.roles import ROLE_PERMISSIONS
from tests.factories import Factory
from tests.web.canary import CLIENT, PARTNER, CanaryWorld, build_canary_world, leaks, reachable

RULES = {
    Role.CLIENT_TREATER: "client-treater-never-sees-what-she-said-nor-her-details",
    Role.PARTNER_TREATER: "partner-treater-never-sees-the-client-side",
    Role.MANAGER: "manager-audits-without-clinical-content-or-contact-details",
    Role.ADMIN: "administrator-never-opens-a-case",
}
# The side a role must find its own case's strings on: proof that the crawl reached them.
OWN_SIDE = {Role.CLIENT_TREATER: CLIENT, Role.PARTNER_TREATER: PARTNER}


@pytest.fixture
def world(factory: Factory, clock) -> CanaryWorld:
    return build_canary_world(factory, clock)


@pytest.mark.parametrize("role", list(Role), ids=lambda role: RULES[role])
def test_no_canary_crosses_a_wall(app: Flask, world: CanaryWorld, clock, role: Role) -> None:
    pages = reachable(app, world, role, clock)
    assert leaks(world, role, pages) == []
    if role in OWN_SIDE:
        everything = b"".join(pages.values())
        own = [marker for marker, side in world.own.markers.items() if side == OWN_SIDE[role]]
        assert own and [m for m in own if m.encode() not in everything] == []


@pytest.mark.parametrize(
    "role",
    [Role.CLIENT_TREATER, Role.MANAGER],
    ids=["client-treater-given-the-partner-side", "manager-given-the-partner-side"],
)
def test_a_broken_policy_line_is_caught_by_the_canaries(
    app: Flask, world: CanaryWorld, clock, monkeypatch: pytest.MonkeyPatch, role: Role
) -> None:
    extra = {Permission.PARTNER_SIDE_VIEW, Permission.PARTNER_CASES_WORK}
    monkeypatch.setitem(ROLE_PERMISSIONS, role, ROLE_PERMISSIONS[role] | extra)
    assert leaks(world, role, reachable(app, world, role, clock)) != []
