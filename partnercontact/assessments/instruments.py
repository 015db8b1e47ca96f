"""The risk instruments, item by item, as data.

Each instrument lists what it asks in sections of items, and the scale every item is rated
on. The wording is the project's own: a short reminder of what an item covers, for a treater
trained in the instrument, never the manual's text. The treater rates every item and then
makes the summary judgement (low, moderate, high) that the instrument leaves to them; the
service does not compute a level from the ratings.

An instrument has a version. A recorded assessment stores the version it was rated on, so a
later change to an item list (a new item, a reworded one) gives a new version and never
changes what an earlier assessment says.

Contracts:

- :func:`checked_ratings` accepts a rating for every item of the instrument and nothing else;
  the first item missing or rated off the scale raises :class:`RatingsInvalid` naming that
  item's form field (:func:`item_field`), so a form can point at it;
- :func:`sealed_form` and :func:`from_sealed` turn checked ratings into the text that is
  sealed with the assessment and back.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from partnercontact.errors import DomainError
from partnercontact.i18n import _l

Label = Any  # a lazy translation


class RatingsInvalid(DomainError):
    """An item is not rated, or not on the instrument's scale; ``field`` names its input."""


@dataclass(frozen=True)
class Item:
    key: str
    label: Label


@dataclass(frozen=True)
class Section:
    label: Label
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Instrument:
    key: str
    label: Label
    version: int
    # Rating key -> label, in the order a form offers them.
    scale: Mapping[str, Label]
    # The ratings that count an item as present in the summary line.
    present: frozenset[str]
    sections: tuple[Section, ...]

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(item for section in self.sections for item in section.items)


def _items(*pairs: tuple[str, Label]) -> tuple[Item, ...]:
    return tuple(Item(key, label) for key, label in pairs)


NOT_KNOWN = "unknown"

# Structured professional judgement: absent, partly or possibly present, present.
THREE_STEP = {
    "absent": _l("Absent"),
    "partly": _l("Partly or possibly present"),
    "present": _l("Present"),
    NOT_KNOWN: _l("Too little information to rate"),
}
YES_NO = {
    "no": _l("No"),
    "yes": _l("Yes"),
    NOT_KNOWN: _l("Does not know or did not answer"),
}
HOW_OFTEN = {
    "never": _l("Never"),
    "once": _l("Once"),
    "sometimes": _l("A few times"),
    "often": _l("Often"),
    NOT_KNOWN: _l("Does not know or did not answer"),
}

SARA = Instrument(
    key="sara",
    label=_l("SARA"),
    version=1,
    scale=THREE_STEP,
    present=frozenset({"partly", "present"}),
    sections=(
        Section(
            _l("Criminal history"),
            _items(
                ("family_violence_before", _l("Has been violent towards family members before")),
                ("other_violence_before", _l("Has been violent towards others before")),
                ("supervision_breaches", _l("Has broken the terms of a sentence or supervision")),
            ),
        ),
        Section(
            _l("Psychosocial adjustment"),
            _items(
                ("relationship_problems", _l("Recent problems in close relationships")),
                ("work_problems", _l("Recent problems with work or income")),
                ("violence_in_childhood", _l("Saw or suffered violence at home as a child")),
                ("substance_use", _l("Recent misuse of alcohol or drugs")),
                ("suicidal_or_homicidal", _l("Recent thoughts of killing himself or others")),
                ("psychotic_or_manic", _l("Recent psychotic or manic symptoms")),
                ("personality_anger", _l("Lasting problems with anger, impulses or stability")),
            ),
        ),
        Section(
            _l("Violence in the relationship"),
            _items(
                ("physical_violence", _l("Physical violence against a partner")),
                ("sexual_violence", _l("Sexual violence or sexual jealousy")),
                ("weapons_or_death_threats", _l("Weapons used or believable threats to kill")),
                ("escalation", _l("The violence has recently grown more frequent or severe")),
                ("order_breaches", _l("Has broken a contact ban before")),
                ("denial", _l("Strongly denies or plays down the violence")),
                ("excusing_views", _l("Holds views that excuse violence in a relationship")),
            ),
        ),
        Section(
            _l("The latest incident"),
            _items(
                ("latest_severe", _l("Severe or sexual violence")),
                ("latest_weapons_or_threats", _l("Weapons or believable threats to kill")),
                ("latest_order_breach", _l("A contact ban was broken")),
            ),
        ),
    ),
)

SAM = Instrument(
    key="sam",
    label=_l("SAM"),
    version=1,
    scale=THREE_STEP,
    present=frozenset({"partly", "present"}),
    sections=(
        Section(
            _l("The stalking"),
            _items(
                ("talks_about_her", _l("Talks to others about her")),
                ("contacts_her", _l("Contacts her by message, mail or calls")),
                ("approaches_her", _l("Comes near her, her home or her work")),
                ("meets_her", _l("Seeks her out face to face")),
                ("intimidates", _l("Frightens or pressures her")),
                ("threatens", _l("Threatens her or people close to her")),
                ("violent", _l("Has been violent towards her")),
                ("persistent", _l("Keeps on over a long time")),
                ("breaches", _l("Breaks bans or conditions while doing it")),
                ("escalating", _l("Grows more frequent, intrusive or dangerous")),
            ),
        ),
        Section(
            _l("The person who stalks"),
            _items(
                ("angry", _l("Angry or bitter towards her")),
                ("obsessed", _l("Fixed on her")),
                ("irrational", _l("Thinks in confused or distorted ways")),
                ("unrealistic", _l("Holds unrealistic beliefs about the relationship")),
                ("antisocial", _l("Lives by breaking rules")),
                ("intimacy_problems", _l("Problems in close relationships")),
                ("other_relationship_problems", _l("Problems with family, friends or others")),
                ("distressed", _l("In crisis or great distress")),
                ("substance_problems", _l("Problems with alcohol or drugs")),
                ("work_and_money", _l("Problems with work or money")),
            ),
        ),
        Section(
            _l("Her situation"),
            _items(
                ("inconsistent_behaviour", _l("Her contact with him goes back and forth")),
                ("inconsistent_attitude", _l("Her view of him goes back and forth")),
                ("little_support", _l("Little access to help, support or protection")),
                ("unsafe_home", _l("Her home is not safe")),
                ("caring_for_others", _l("Caring for children or others limits her options")),
                ("her_intimacy_problems", _l("Problems in her close relationships")),
                ("her_other_relationship_problems", _l("Problems with her family or friends")),
                ("her_distress", _l("In crisis or great distress herself")),
                ("her_substance_problems", _l("Problems with alcohol or drugs herself")),
                ("her_work_and_money", _l("Problems with work or money herself")),
            ),
        ),
    ),
)

FREDA_SHORT = Instrument(
    key="freda_short",
    label=_l("FREDA short questions"),
    version=1,
    scale=YES_NO,
    present=frozenset({"yes"}),
    sections=(
        Section(
            _l("Has someone close to her"),
            _items(
                ("hurt", _l("Hurt her physically (hit, pushed, held down)")),
                ("frightened", _l("Threatened her or made her afraid")),
                ("controlled", _l("Controlled whom she meets, where she goes or her money")),
                ("forced_sex", _l("Made her take part in sex she did not want")),
            ),
        ),
    ),
)

FREDA_DESCRIPTION = Instrument(
    key="freda_description",
    label=_l("FREDA description"),
    version=1,
    scale=HOW_OFTEN,
    present=frozenset({"once", "sometimes", "often"}),
    sections=(
        Section(
            _l("In the past year, how often"),
            _items(
                ("physical", _l("Physical violence")),
                ("threats", _l("Threats of violence or of worse")),
                ("degrading", _l("Insults, humiliation, being made small")),
                ("controlling", _l("Control of her days, contacts or phone")),
                ("sexual", _l("Sexual violence or pressure")),
                ("economic", _l("Control of money or debts in her name")),
                ("property", _l("Breaking or taking her things")),
                ("through_children", _l("Violence or threats through the children")),
            ),
        ),
    ),
)

FREDA_DANGER = Instrument(
    key="freda_danger",
    label=_l("FREDA danger assessment"),
    version=1,
    scale=YES_NO,
    present=frozenset({"yes"}),
    sections=(
        Section(
            _l("Danger signs"),
            _items(
                ("more_often_or_worse", _l("The violence has grown more frequent or worse")),
                ("weapon_used", _l("He has used or threatened her with a weapon")),
                ("strangling", _l("He has tried to strangle her")),
                ("weapon_access", _l("He has access to a firearm")),
                ("forced_sex", _l("He has forced her into sex")),
                ("threat_to_kill", _l("He has threatened to kill her")),
                ("jealous_control", _l("He is jealous and controls her daily life")),
                ("violence_in_pregnancy", _l("He was violent while she was pregnant")),
                ("suicide_threats", _l("He has threatened or tried to take his own life")),
                ("threats_to_children", _l("He has threatened to harm the children")),
                ("follows_her", _l("He follows or watches her")),
                ("separation", _l("She has left him, or tried to, in the past year")),
                ("substance_use", _l("He drinks heavily or uses drugs")),
                ("she_fears_death", _l("She believes he could kill her")),
            ),
        ),
    ),
)

CLINICAL = Instrument(
    key="clinical",
    label=_l("Clinical assessment"),
    version=1,
    scale=THREE_STEP,
    present=frozenset({"partly", "present"}),
    sections=(
        Section(
            _l("What the judgement weighs"),
            _items(
                ("recent_violence", _l("Violence in the past months")),
                ("threats", _l("Threats against her or the children")),
                ("weapons", _l("Access to weapons")),
                ("separation", _l("A separation underway or recent")),
                ("escalation", _l("Violence or control growing")),
                ("substances", _l("Alcohol or drugs")),
                ("mental_health", _l("A mental health crisis")),
                ("children", _l("Children exposed")),
                ("her_fear", _l("Her own fear")),
                ("breaches", _l("Bans or conditions broken")),
            ),
        ),
    ),
)

INSTRUMENTS: dict[str, Instrument] = {
    instrument.key: instrument
    for instrument in (FREDA_SHORT, FREDA_DESCRIPTION, FREDA_DANGER, SARA, SAM, CLINICAL)
}
# What the client's treater assesses him with: the instruments about the one who uses violence.
CLIENT_SIDE_INSTRUMENTS = ("sara", "sam", "clinical")

RISK_LEVELS = {
    "low": _l("Low"),
    "moderate": _l("Moderate"),
    "high": _l("High"),
}
HIGH = "high"


def instrument_labels(keys: tuple[str, ...] | None = None) -> dict[str, Label]:
    return {key: INSTRUMENTS[key].label for key in keys or INSTRUMENTS}


def item_field(item: Item) -> str:
    """The name of an item's input on a form, and of the field a refusal names."""
    return f"item_{item.key}"


def checked_ratings(instrument: Instrument, ratings: Mapping[str, str | None]) -> dict[str, str]:
    """``ratings`` (item key -> rating) when every item has one on the scale and nothing
    else is rated; otherwise :class:`RatingsInvalid` on the first item at fault."""
    for number, item in enumerate(instrument.items, start=1):
        if ratings.get(item.key) not in instrument.scale:
            raise RatingsInvalid(
                _l("Rate item %(number)s, “%(item)s”.", number=number, item=item.label),
                field=item_field(item),
            )
    known = {item.key for item in instrument.items}
    strangers = sorted(key for key in ratings if key not in known)
    if strangers:
        raise RatingsInvalid(
            _l(
                "%(instrument)s has no item “%(item)s”.",
                instrument=instrument.label,
                item=strangers[0],
            ),
            field="ratings",
        )
    return {item.key: str(ratings[item.key]) for item in instrument.items}


def sealed_form(ratings: Mapping[str, str]) -> str:
    return json.dumps(dict(ratings), sort_keys=True, separators=(",", ":"))


def from_sealed(text: str | None) -> dict[str, str]:
    return json.loads(text) if text else {}


def _rated_on_current(
    instrument_key: str, version: int | None, text: str | None
) -> tuple[Instrument, dict[str, str]] | None:
    """The instrument and ratings of an assessment rated on the item list this code knows;
    None for one recorded before items were kept, or on another version of the list."""
    instrument = INSTRUMENTS.get(instrument_key)
    ratings = from_sealed(text)
    if instrument is None or version != instrument.version or not ratings:
        return None
    return instrument, ratings


@dataclass(frozen=True)
class RatedItem:
    number: int
    label: Label
    rating: Label


@dataclass(frozen=True)
class RatedSection:
    label: Label
    items: tuple[RatedItem, ...]


def rated_sections(
    instrument_key: str, version: int | None, text: str | None
) -> list[RatedSection]:
    """An assessment's ratings, section by section, for a page. Empty for an assessment
    recorded before items were (no version), or on a version this code no longer lists."""
    rated = _rated_on_current(instrument_key, version, text)
    if rated is None:
        return []
    instrument, ratings = rated
    sections, number = [], 0
    for section in instrument.sections:
        items = []
        for item in section.items:
            number += 1
            rating = ratings.get(item.key)
            items.append(RatedItem(number, item.label, instrument.scale.get(rating or "", rating)))
        sections.append(RatedSection(section.label, tuple(items)))
    return sections


def present_count(
    instrument_key: str, version: int | None, text: str | None
) -> tuple[int, int] | None:
    """(items rated present, items in all), for the summary line; None without ratings."""
    rated = _rated_on_current(instrument_key, version, text)
    if rated is None:
        return None
    instrument, ratings = rated
    present = sum(1 for value in ratings.values() if value in instrument.present)
    return present, len(instrument.items)
