"""The case page is made of sections, each contributed by the module that owns its records.

A module registers a loader with :func:`case_section`; the case page calls every loader for
the case it shows and includes each section's template in ``order``. A loader receives the
acting treater and the partner case (already checked by ``partner_case_for``) and returns the
data its template reads as ``section.data``; it must load through the partner services, which
audit their reads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from partnercontact.auth.models import User
from partnercontact.partner_side.models import PartnerCase

Loader = Callable[[User, PartnerCase], Any]


@dataclass(frozen=True)
class Section:
    name: str
    order: int
    template: str
    loader: Loader


@dataclass(frozen=True)
class RenderedSection:
    name: str
    template: str
    data: Any


_SECTIONS: dict[str, Section] = {}


def case_section(name: str, *, order: int, template: str) -> Callable[[Loader], Loader]:
    def register(loader: Loader) -> Loader:
        if name in _SECTIONS and _SECTIONS[name].loader is not loader:
            raise RuntimeError(f"case section {name!r} is registered twice")
        _SECTIONS[name] = Section(name, order, template, loader)
        return loader

    return register


def sections_for(actor: User, partner_case: PartnerCase) -> list[RenderedSection]:
    ordered = sorted(_SECTIONS.values(), key=lambda section: section.order)
    return [
        RenderedSection(section.name, section.template, section.loader(actor, partner_case))
        for section in ordered
    ]
