"""The consent form texts: complete in both languages, versioned, and chosen by date."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from partnercontact.client_side.consent.errors import ConsentFormError, NoConsentForm
from partnercontact.client_side.consent.forms import (
    CONSENTS_DIR,
    SCOPES,
    all_forms,
    form_in_force,
    form_version,
    parse_form,
)


def test_every_version_exists_in_swedish_and_english_with_every_scope() -> None:
    forms = all_forms()
    versions = {(form.version, form.language) for form in forms}
    for version in {form.version for form in forms}:
        assert {(version, "sv"), (version, "en")} <= versions
    for form in forms:
        assert sorted(form.scopes) == sorted(SCOPES)
        assert all(text.strip() for text in form.scopes.values())


@pytest.mark.parametrize(
    ("language", "child", "crime"),
    [
        ("sv", "14 kap. 1 §", "10 kap. 23 §"),
        ("en", "chapter 14, section 1", "chapter 10, section 23"),
    ],
)
def test_the_form_names_both_exceptions_to_confidentiality(
    language: str, child: str, crime: str
) -> None:
    form = form_in_force(language, date(2026, 12, 1))
    text = " ".join(section.body for section in form.sections).replace("\n", " ")
    assert child in text and crime in text
    assert "destroy" in form.attestation["copies"] or "förstörs" in form.attestation["copies"]


def test_the_form_in_force_depends_on_the_date(tmp_path: Path) -> None:
    source = (CONSENTS_DIR / "v1.sv.toml").read_text()
    (tmp_path / "v1.sv.toml").write_text(source)
    newer = source.replace("version = 1", "version = 2").replace(
        "valid_from = 2026-01-01", "valid_from = 2027-03-01"
    )
    (tmp_path / "v2.sv.toml").write_text(newer)
    assert form_in_force("sv", date(2027, 2, 28), tmp_path).version == 1
    assert form_in_force("sv", date(2027, 3, 1), tmp_path).version == 2
    assert form_version(1, "sv", tmp_path).valid_from == date(2026, 1, 1)
    with pytest.raises(NoConsentForm):
        form_in_force("sv", date(2025, 12, 31), tmp_path)
    with pytest.raises(NoConsentForm):
        form_in_force("fi", date(2027, 3, 1), tmp_path)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda s: s.replace("contact_sms =", "contact_fax ="), "scopes must be exactly"),
        (lambda s: s.replace('signature = "Underskrift"\n', ""), "attestation lacks signature"),
        (lambda s: s.replace('title = "Samtycke till partnerkontakt"\n', ""), "missing 'title'"),
        (lambda s: s.replace("version = 1", "version = 3"), "v3.sv.toml"),
    ],
)
def test_a_malformed_form_is_refused_naming_the_problem(tmp_path: Path, edit, message) -> None:
    path = tmp_path / "v1.sv.toml"
    path.write_text(edit((CONSENTS_DIR / "v1.sv.toml").read_text()))
    with pytest.raises(ConsentFormError, match=message):
        parse_form(path)


@pytest.mark.parametrize(
    ("language", "heading", "words"),
    [
        ("sv", "När risken ökar", "Oavsett vad du väljer nedan"),
        ("en", "When the risk rises", "Whatever you choose below"),
    ],
)
def test_the_form_tells_him_that_a_raised_risk_is_consulted_on_whatever_he_chooses(
    language: str, heading: str, words: str
) -> None:
    # Risk signals cross whatever the scopes say; from version 2 the form says so.
    form = form_in_force(language, date(2026, 12, 14))
    assert form.version == 2
    (section,) = [section for section in form.sections if section.heading == heading]
    assert words in section.body
    earlier = form_in_force(language, date(2026, 12, 13))
    assert earlier.version == 1  # a published version is never changed
