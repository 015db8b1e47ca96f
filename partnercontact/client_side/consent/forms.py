"""Consent form texts: one TOML file per version and language under ``consents/``.

A recorded consent names the version and language it was given on, so published files are
never edited; a new version gets a new file and a ``valid_from`` date.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from partnercontact.client_side.consent.errors import ConsentFormError, NoConsentForm
from partnercontact.config import PROJECT_ROOT
from partnercontact.i18n import _l

CONSENTS_DIR = PROJECT_ROOT / "consents"
# The three things a client may agree to (docs/domain.md, "Step 1: the client's consent"),
# with contact split by channel.
SCOPES = ("contact_letter", "contact_phone", "contact_sms", "tell_in_treatment", "tell_when_ended")
# How the pages name each scope, the same wherever a consent is shown.
SCOPE_LABELS = {
    "contact_letter": _l("Contact the partner by letter"),
    "contact_phone": _l("Contact the partner by phone"),
    "contact_sms": _l("Contact the partner by text message"),
    "tell_in_treatment": _l("Tell the partner that the client is in treatment"),
    "tell_when_ended": _l("Tell the partner, if she wishes, when the client ends or drops out"),
}
ATTESTATION_KEYS = ("text", "place_and_date", "signature", "copies")


@dataclass(frozen=True)
class Section:
    heading: str
    body: str


@dataclass(frozen=True)
class ConsentFormText:
    version: int
    language: str
    valid_from: date
    title: str
    sections: tuple[Section, ...]
    scopes: dict[str, str]
    attestation: dict[str, str]


T = TypeVar("T")


def _require(document: dict[str, Any], key: str, kind: type[T], source: str) -> T:
    if key not in document:
        raise ConsentFormError(f"{source}: missing {key!r}")
    value = document[key]
    if not isinstance(value, kind):
        raise ConsentFormError(f"{source}: {key!r} must be {kind.__name__}")
    return value


def parse_form(path: Path) -> ConsentFormText:
    source = path.name
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConsentFormError(f"{source}: not valid TOML: {exc}") from exc
    sections = _require(document, "sections", list, source)
    scopes = _require(document, "scopes", dict, source)
    attestation = _require(document, "attestation", dict, source)
    if sorted(scopes) != sorted(SCOPES):
        raise ConsentFormError(f"{source}: scopes must be exactly {', '.join(SCOPES)}")
    missing = [key for key in ATTESTATION_KEYS if not attestation.get(key)]
    if missing:
        raise ConsentFormError(f"{source}: attestation lacks {', '.join(missing)}")
    parsed_sections = []
    for index, section in enumerate(sections):
        if not isinstance(section, dict) or not section.get("heading") or not section.get("body"):
            raise ConsentFormError(f"{source}: section {index + 1} needs a heading and a body")
        parsed_sections.append(Section(section["heading"], section["body"].strip()))
    form = ConsentFormText(
        version=_require(document, "version", int, source),
        language=_require(document, "language", str, source),
        valid_from=_require(document, "valid_from", date, source),
        title=_require(document, "title", str, source),
        sections=tuple(parsed_sections),
        scopes=dict(scopes),
        attestation=dict(attestation),
    )
    expected_name = f"v{form.version}.{form.language}.toml"
    if path.name != expected_name:
        raise ConsentFormError(f"{source}: a form of this version and language is {expected_name}")
    return form


@cache
def all_forms(directory: Path = CONSENTS_DIR) -> tuple[ConsentFormText, ...]:
    return tuple(parse_form(path) for path in sorted(directory.glob("v*.toml")))


def form_in_force(language: str, on: date, directory: Path = CONSENTS_DIR) -> ConsentFormText:
    """The newest version in ``language`` whose ``valid_from`` is on or before ``on``."""
    candidates = [
        form for form in all_forms(directory) if form.language == language and form.valid_from <= on
    ]
    if not candidates:
        raise NoConsentForm(_l("There is no consent form in that language yet."), field="language")
    return max(candidates, key=lambda form: form.version)


def form_version(version: int, language: str, directory: Path = CONSENTS_DIR) -> ConsentFormText:
    for form in all_forms(directory):
        if form.version == version and form.language == language:
            return form
    raise NoConsentForm(_l("That consent form version does not exist."), field="version")
