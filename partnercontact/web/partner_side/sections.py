"""The case page is made of sections, each contributed by the module that owns its records.

A module registers a loader with :func:`case_section`; the case page calls the loaders of the
sections of one view of the case (:data:`VIEWS`: a few tabs, plain links that need no script)
and includes each section's template in ``order``. A loader receives the acting treater and
the partner case (already checked by ``partner_case_for``) and returns the data its template
reads as ``section.data``; it must load through the partner services, which audit their reads.

A view loads only its own sections: a treater reads one part of the case at a time, and the
page costs what that part costs, not what the whole case costs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from partnercontact.auth.models import User
from partnercontact.errors import DomainError
from partnercontact.partner_side.models import PartnerCase


class CaseInvalid(DomainError):
    """A request for a part of the case page that does not exist."""


Loader = Callable[[User, PartnerCase], Any]


@dataclass(frozen=True)
class CaseView:
    key: str
    label: LazyString


# In the order of the tabs; the first is the page a link to the case opens.
VIEWS: tuple[CaseView, ...] = (
    CaseView("now", _l("Current")),
    CaseView("her", _l("About her")),
    CaseView("contact", _l("Contact")),
    CaseView("texts", _l("Texts and letters")),
    CaseView("channel", _l("Her own channel")),
    CaseView("sessions", _l("Contact sessions")),
    CaseView("safety", _l("Risk and safety")),
)
DEFAULT_VIEW = VIEWS[0].key
_VIEWS_BY_KEY = {view.key: view for view in VIEWS}


@dataclass(frozen=True)
class Section:
    name: str
    order: int
    template: str
    view: str
    loader: Loader


@dataclass(frozen=True)
class RenderedSection:
    name: str
    template: str
    data: Any


_SECTIONS: dict[str, Section] = {}
# Every place on the case page a link may point at (a section, or a part of one) and the view
# that shows it.
_VIEW_OF_ANCHOR: dict[str, str] = {}


def case_section(
    name: str, *, order: int, template: str, view: str, anchors: tuple[str, ...] = ()
) -> Callable[[Loader], Loader]:
    """Register a section of the case page, shown in ``view``. ``anchors`` are the ids inside
    its template that links elsewhere point at."""
    if view not in _VIEWS_BY_KEY:
        raise RuntimeError(f"case section {name!r} names an unknown view {view!r}")

    def register(loader: Loader) -> Loader:
        if name in _SECTIONS and _SECTIONS[name].loader is not loader:
            raise RuntimeError(f"case section {name!r} is registered twice")
        _SECTIONS[name] = Section(name, order, template, view, loader)
        for anchor in (name, *anchors):
            if _VIEW_OF_ANCHOR.setdefault(anchor, view) != view:
                raise RuntimeError(f"the anchor {anchor!r} is on two views of the case page")
        return loader

    return register


def view_named(key: str) -> CaseView | None:
    """The view ``key`` names, or None for a key that names none."""
    return _VIEWS_BY_KEY.get(key)


def view_of_anchor(anchor: str) -> str:
    """The view that shows ``anchor``; an anchor no section declares is a mistake in a link."""
    try:
        return _VIEW_OF_ANCHOR[anchor]
    except KeyError:
        raise LookupError(f"no section of the case page has the anchor {anchor!r}") from None


def sections_for(actor: User, partner_case: PartnerCase, view: str) -> list[RenderedSection]:
    ordered = sorted(
        (section for section in _SECTIONS.values() if section.view == view),
        key=lambda section: section.order,
    )
    return [
        RenderedSection(section.name, section.template, section.loader(actor, partner_case))
        for section in ordered
    ]
