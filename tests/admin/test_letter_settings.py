"""The clinic's settings for letters: the return address on envelopes, the phone number letters
give, who signs them. What goes on an envelope may not name the clinic or what it does; each
refusal names its field and changes nothing."""

from __future__ import annotations

import pytest

from partnercontact.clinics.errors import ClinicSettingsInvalid
from partnercontact.clinics.models import Clinic
from partnercontact.clinics.service import create_clinic, update_settings
from partnercontact.db import db
from partnercontact.demo import seed_demo
from tests.admin.test_accounts_and_settings import SETTINGS as ACCOUNT_SETTINGS
from tests.factories import Factory
from tests.helpers import log_in, submit, text_of

SETTINGS = {**ACCOUNT_SETTINGS, "name": "Mottagningen mot våld i Tallbo"}


def test_the_letter_settings_are_saved_tidied(client, factory: Factory, clock) -> None:
    admin = factory.admin()
    log_in(client, admin, clock)
    page = text_of(client.get("/admin/clinic"))
    for name in ("postal_address", "phone", "letter_signatory"):
        assert f'name="{name}"' in page
    response = submit(
        client,
        "/admin/clinic",
        {
            **SETTINGS,
            "postal_address": "  Box 12 \r\n\r\n 123 45 Tallbo ",
            "phone": " 0123-456 78 ",
            "letter_signatory": " Kim Berg, kurator ",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    clinic = db.session.get(Clinic, admin.user.clinic_id)
    assert (clinic.postal_address, clinic.phone, clinic.letter_signatory) == (
        "Box 12\n123 45 Tallbo",
        "0123-456 78",
        "Kim Berg, kurator",
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"postal_address": "Våldsmottagningen\nBox 12"}, "postal_address"),
        ({"postal_address": "Behandlingsenheten, Box 12"}, "postal_address"),
        ({"postal_address": "Mottagningen mot våld i Tallbo\nBox 12"}, "postal_address"),
        ({"postal_address": "\n".join(f"Rad {n}" for n in range(6))}, "postal_address"),
        ({"postal_address": "Box " + "1" * 300}, "postal_address"),
        ({"phone": "ring växeln"}, "phone"),
        ({"phone": "0" * 40}, "phone"),
        ({"letter_signatory": "K" * 201}, "letter_signatory"),
        ({"name": "Tallbogården", "neutral_sender_name": "Tallbogården"}, "neutral_sender_name"),
    ],
)
def test_a_bad_letter_setting_names_its_field_and_changes_nothing(
    client, factory: Factory, clock, changes: dict[str, str], field: str
) -> None:
    admin = factory.admin()
    log_in(client, admin, clock)
    clinic = db.session.get(Clinic, admin.user.clinic_id)
    before = (clinic.name, clinic.postal_address, clinic.phone, clinic.letter_signatory)
    response = submit(client, "/admin/clinic", {**SETTINGS, **changes})
    assert response.status_code == 400
    assert f'id="{field}-error"' in text_of(response)
    db.session.expire_all()
    clinic = db.session.get(Clinic, admin.user.clinic_id)
    assert (clinic.name, clinic.postal_address, clinic.phone, clinic.letter_signatory) == before


def test_a_renamed_clinic_may_not_keep_its_name_in_the_return_address(
    factory: Factory,
) -> None:
    admin = factory.admin()
    clinic = db.session.get(Clinic, admin.user.clinic_id)
    update_settings(admin.user, clinic, {"postal_address": "Lindviksgården\nBox 7"})
    db.session.commit()
    with pytest.raises(ClinicSettingsInvalid) as caught:
        update_settings(admin.user, clinic, {"name": "Lindviksgården"})
    assert caught.value.field == "postal_address"
    db.session.rollback()


def test_a_short_name_inside_another_word_is_not_the_clinic_s_name(app) -> None:
    clinic = create_clinic("Box", "Tallbo samtal", postal_address="Boxholm 1\n590 10 Boxholm")
    assert clinic.postal_address == "Boxholm 1\n590 10 Boxholm"


def test_the_demo_clinic_can_send_letters(app) -> None:
    clinic = seed_demo(is_development=True)
    assert clinic.postal_address and clinic.phone and clinic.letter_signatory
