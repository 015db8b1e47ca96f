"""A photo or a PDF with a message in her own channel: a photo is kept upright and without its
metadata (no GPS position, no camera, no comment), never as she sent it; the kind is judged by
the bytes, not by the name; a file too large, unreadable or of another kind is refused on its
field with her text kept. She opens a file of her own thread, named in a form; her treater
only after a page that asks first. Neither the file nor its name is readable in the
database, and it is erased with the message's text."""

from __future__ import annotations

import io
import re
import uuid

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select
from werkzeug.test import TestResponse

from partnercontact.audit.models import AuditEvent
from partnercontact.db import db
from partnercontact.partner_side import portal_attachments
from partnercontact.partner_side.portal_attachments_models import PortalAttachment
from partnercontact.partner_side.portal_messages_models import PortalMessage
from partnercontact.retention import purge_expired
from partnercontact.runtime import current_runtime
from tests.cases_built import first_steps_taken
from tests.factories import Factory
from tests.helpers import case_view, csrf_token, log_in, submit, text_of
from tests.messaging.sending import Held, held_for_sms
from tests.partners.test_portal_access import _database_text
from tests.portal.test_portal_app import _invited, _redeemed

FROM_HER = "Här är ett foto av dörren han slog sönder i går."
FILE_NAME = "dörren-hemma-hos-mig.jpg"
CAMERA = "Kamerafabriken Modell X"
COMMENT = b"inspelat i hallen"
# Latitude and longitude of a place, as degrees, minutes and seconds.
LATITUDE = (59.0, 19.0, 44.0)
LONGITUDE = (18.0, 4.0, 6.0)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _photo_with_gps(width: int = 60, height: int = 30) -> bytes:
    """A JPEG as a phone makes it: EXIF with the camera, the orientation (turn 90° to show it
    upright) and a GPS position, a comment and an XMP packet."""
    image = Image.new("RGB", (width, height), (180, 40, 40))
    image.paste((20, 20, 200), (0, 0, width // 3, height))  # a left band, to see the turn
    exif = Image.Exif()
    exif[0x010F] = CAMERA  # Make
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to show
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", LATITUDE, "E", LONGITUDE
    out = io.BytesIO()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">' + CAMERA.encode() + b"</x:xmpmeta>"
    image.save(out, "JPEG", exif=exif, comment=COMMENT, xmp=xmp)
    return out.getvalue()


def _token(her: FlaskClient) -> str:
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', her.get("/start").text)
    assert found
    return found.group(1)


def _write(
    her: FlaskClient,
    content: bytes | None,
    *,
    name: str = FILE_NAME,
    claimed: str = "image/jpeg",
    body: str = FROM_HER,
) -> TestResponse:
    current_runtime().clock.advance(minutes=1)  # type: ignore[attr-defined]
    data: dict[str, object] = {"csrf_token": _token(her), "body": body}
    if content is not None:
        data["attachment"] = (io.BytesIO(content), name, claimed)
    return her.post("/messages", data=data, content_type="multipart/form-data")


def _open(her: FlaskClient, attachment_id: object) -> TestResponse:
    return her.post(
        "/messages/attachment",
        data={"csrf_token": _token(her), "attachment_id": str(attachment_id)},
    )


def _attachments() -> list[PortalAttachment]:
    db.session.rollback()
    return list(db.session.scalars(select(PortalAttachment).order_by(PortalAttachment.added_at)))


def _stored(attachment: PortalAttachment) -> bytes:
    return portal_attachments._file(attachment).content


def _textarea(page: str) -> str:
    found = re.search(r'<textarea[^>]*name="body"[^>]*>\s*(.*?)</textarea>', page, re.S)
    assert found, page
    return found.group(1)


def _unsigned(page: str) -> str:
    """``page`` without its form tokens, which carry the second they were made."""
    return re.sub(r'name="csrf_token"( type="hidden")? value="[^"]+"', "", page)


def _as_download(answer: TestResponse, media_type: str) -> bytes:
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"] == media_type
    assert answer.headers["Content-Disposition"].startswith("attachment;")
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    return answer.data


def test_her_photo_is_stored_upright_without_its_location_or_any_metadata(
    her: FlaskClient, held: Held
) -> None:
    _redeemed(her, _invited(held))
    original = _photo_with_gps()
    with Image.open(io.BytesIO(original)) as sent:  # what the phone made has it all
        assert sent.getexif().get_ifd(0x8825)[2] == LATITUDE

    answer = _write(her, original)
    assert answer.status_code == 302, answer.text
    [attachment] = _attachments()
    stored = _stored(attachment)
    assert stored != original
    assert attachment.media_type == "image/jpeg" and attachment.size_bytes == len(stored)
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG"
        assert dict(image.getexif()) == {} and image.getexif().get_ifd(0x8825) == {}
        assert not {"exif", "xmp", "comment", "icc_profile"} & set(image.info)
        # Turned as the orientation said: portrait now, the band at the top.
        assert image.size == (30, 60)
        red, green, blue = image.convert("RGB").getpixel((15, 5))  # type: ignore[misc]
        assert blue > 150 and red < 100
    for trace in (CAMERA.encode(), COMMENT, b"Exif", b"xmpmeta"):
        assert trace not in stored

    page = her.get("/start").text
    assert FROM_HER in page and "Foto, 1 kB" in page
    opened = _as_download(_open(her, attachment.id), "image/jpeg")
    assert opened == stored
    assert FILE_NAME not in _open(her, attachment.id).headers["Content-Disposition"]


def test_a_pdf_goes_as_it_is(her: FlaskClient, held: Held) -> None:
    _redeemed(her, _invited(held))
    assert _write(her, PDF, name="polisanmälan.pdf", claimed="application/pdf").status_code == 302
    [attachment] = _attachments()
    assert attachment.media_type == "application/pdf"
    assert "PDF, 1 kB" in her.get("/start").text
    assert _as_download(_open(her, attachment.id), "application/pdf") == PDF


def test_a_png_screenshot_stays_a_png(her: FlaskClient, held: Held) -> None:
    _redeemed(her, _invited(held))
    out = io.BytesIO()
    Image.new("RGBA", (20, 10), (0, 0, 0, 0)).save(out, "PNG")
    assert _write(her, out.getvalue(), name="skärmbild.png", claimed="image/png").status_code == 302
    [attachment] = _attachments()
    assert attachment.media_type == "image/png"
    with Image.open(io.BytesIO(_stored(attachment))) as image:
        assert image.format == "PNG" and image.mode == "RGBA" and image.size == (20, 10)


@pytest.mark.parametrize(
    ("content", "status", "said"),
    [
        (b"Det h\xc3\xa4r \xc3\xa4r bara text.\n", 400, "Bara ett foto (JPEG, PNG eller WebP)"),
        (b"\xff\xd8\xff\xe0 not really a photo", 400, "Fotot gick inte att läsa"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", 400, "HEIC"),
        (b"", 400, "Filen är tom"),
    ],
    ids=["text-named-jpg", "broken-jpeg", "heic", "empty"],
)
def test_a_file_that_is_no_photo_or_pdf_is_refused_on_its_field_with_her_text_kept(
    her: FlaskClient, held: Held, content: bytes, status: int, said: str
) -> None:
    _redeemed(her, _invited(held))
    refused = _write(her, content)
    assert refused.status_code == status
    assert 'id="attachment-error"' in refused.text and said in refused.text
    assert _textarea(refused.text) == FROM_HER  # what she wrote is still there
    assert _attachments() == [] and db.session.scalars(select(PortalMessage)).all() == []


def test_a_decompression_bomb_is_refused_before_it_is_decoded(her: FlaskClient, held: Held) -> None:
    _redeemed(her, _invited(held))
    out = io.BytesIO()
    # 64 million pixels in a few kilobytes.
    Image.new("1", (8000, 8000)).save(out, "PNG")
    assert len(out.getvalue()) < 100_000
    refused = _write(her, out.getvalue(), name="bild.png", claimed="image/png")
    assert refused.status_code == 400
    assert 'id="attachment-error"' in refused.text and "för många pixlar" in refused.text
    assert _textarea(refused.text) == FROM_HER
    assert _attachments() == []


def test_a_file_over_10_mb_is_refused_with_her_text_kept(her: FlaskClient, held: Held) -> None:
    _redeemed(her, _invited(held))
    too_large = PDF + b"0" * (portal_attachments.MAX_FILE_BYTES + 1 - len(PDF))
    refused = _write(her, too_large, name="stor.pdf", claimed="application/pdf")
    assert refused.status_code == 413
    assert 'id="attachment-error"' in refused.text and "högst 10 MB" in refused.text
    assert _textarea(refused.text) == FROM_HER
    assert _attachments() == []
    # The largest file that may go, goes.
    largest = too_large[: portal_attachments.MAX_FILE_BYTES]
    assert _write(her, largest, name="stor.pdf", claimed="application/pdf").status_code == 302


def test_a_request_past_the_portals_limit_says_why_it_was_not_sent(
    her: FlaskClient, held: Held
) -> None:
    """Past 12 MB the request is cut off before its form is read: her text cannot be kept,
    so the page says so (her page's script refuses such a file before it is sent)."""
    _redeemed(her, _invited(held))
    refused = _write(her, PDF + b"0" * (13 * 1024 * 1024), name="stor.pdf")
    assert refused.status_code == 413
    assert 'id="attachment-error"' in refused.text
    assert "Ditt meddelande skickades inte" in refused.text
    assert _attachments() == [] and db.session.scalars(select(PortalMessage)).all() == []


def test_her_text_refused_with_a_good_file_asks_her_to_choose_the_file_again(
    her: FlaskClient, held: Held
) -> None:
    _redeemed(her, _invited(held))
    refused = _write(her, PDF, body="   ", name="a.pdf", claimed="application/pdf")
    assert refused.status_code == 400
    assert 'id="body-error"' in refused.text and "Välj filen igen" in refused.text
    assert _attachments() == []


def test_a_file_of_another_case_is_not_found_like_a_missing_one(
    her: FlaskClient, held: Held, factory: Factory, clock
) -> None:
    _redeemed(her, _invited(held))
    other = held_for_sms(factory, clock)
    first_steps_taken(other.holder.user, other.case.id, clock)
    portal_attachments.write_to_her(other.holder.user, other.case.id, "Till någon annan.", PDF)
    db.session.commit()
    [theirs] = _attachments()

    foreign = _open(her, theirs.id)
    missing = _open(her, uuid.uuid4())
    garbled = _open(her, "inte-ett-id")
    assert foreign.status_code == missing.status_code == garbled.status_code == 404
    assert _unsigned(foreign.text) == _unsigned(missing.text) == _unsigned(garbled.text)
    assert PDF not in foreign.data
    # Nor in the address: the page names no file.
    assert her.get("/messages/attachment").status_code == 302


def test_a_file_to_her_from_her_treater_is_hers_to_open_and_goes_when_she_clears_it(
    her: FlaskClient, held: Held
) -> None:
    _redeemed(her, _invited(held))
    message = portal_attachments.write_to_her(
        held.holder.user, held.case.id, "Här är broschyren.", PDF
    )
    db.session.commit()
    [attachment] = _attachments()
    assert "PDF, 1 kB" in her.get("/start").text
    assert _as_download(_open(her, attachment.id), "application/pdf") == PDF
    cleared = her.post(
        "/messages/clear", data={"csrf_token": _token(her), "message_id": str(message.id)}
    )
    assert cleared.status_code == 302
    assert _open(her, attachment.id).status_code == 404


def test_her_treater_sees_the_file_and_opens_it_only_after_confirming(
    client: FlaskClient, her: FlaskClient, held: Held, factory: Factory, clock
) -> None:
    _redeemed(her, _invited(held))
    _write(her, PDF, name="intyg.pdf", claimed="application/pdf")
    [attachment] = _attachments()
    log_in(client, held.holder, clock)
    case_page = f"/partner/cases/{held.case.id}"
    page = text_of(client.get(case_view(held.case.id, "portal")))
    assert "PDF, 1 kB…" in page and FROM_HER in page
    action = f"{case_page}/portal/attachment"

    asked = submit(client, case_page, {"attachment_id": str(attachment.id)}, action=action)
    assert asked.status_code == 200
    assert asked.headers["Content-Type"].startswith("text/html")
    assert PDF not in asked.data and "Öppna filen" in text_of(asked)
    assert _opened_by_staff() == 0

    confirmed = submit(
        client, case_page, {"attachment_id": str(attachment.id), "confirmed": "yes"}, action=action
    )
    assert _as_download(confirmed, "application/pdf") == PDF
    assert _opened_by_staff() == 1
    assert client.get(action).status_code == 302  # nothing by address

    # Another treater of the clinic finds nothing, exactly as for a file that does not exist.
    other = factory.partner_treater()
    stranger = client.application.test_client()  # a second browser
    log_in(stranger, other, clock)
    for attachment_id in (attachment.id, uuid.uuid4()):
        data = {"attachment_id": str(attachment_id), "confirmed": "yes"}
        answer = submit(stranger, "/partner/", data, action=action)
        assert answer.status_code == 404 and PDF not in answer.data
    own_case_other_file = submit(
        client, case_page, {"attachment_id": str(uuid.uuid4()), "confirmed": "yes"}, action=action
    )
    assert own_case_other_file.status_code == 404


def test_her_treater_attaches_a_photo_without_its_metadata_and_she_opens_it(
    client: FlaskClient, her: FlaskClient, held: Held, clock
) -> None:
    _redeemed(her, _invited(held))
    log_in(client, held.holder, clock)
    page = f"/partner/cases/{held.case.id}/portal/messages"
    body = "Här är en bild av mottagningens entré."

    def send(content: bytes) -> TestResponse:
        data = {
            "csrf_token": csrf_token(client, page),
            "body": body,
            "attachment": (io.BytesIO(content), "entre.jpg", "image/jpeg"),
        }
        return client.post(page, data=data, content_type="multipart/form-data")

    refused = send(b"inte en bild")
    assert refused.status_code == 400 and 'id="attachment-error"' in text_of(refused)
    assert body in text_of(refused)  # what was written is kept
    assert _attachments() == []

    assert send(_photo_with_gps()).status_code == 302
    [attachment] = _attachments()
    stored = _stored(attachment)
    with Image.open(io.BytesIO(stored)) as image:
        assert dict(image.getexif()) == {} and image.size == (30, 60)
    assert "Foto, 1 kB" in her.get("/start").text
    assert _as_download(_open(her, attachment.id), "image/jpeg") == stored
    db.session.rollback()
    assert db.session.scalars(
        select(AuditEvent.actor_id).where(AuditEvent.action == "partner.portal_attachment_to_her")
    ).all() == [held.holder.user.id]


def _opened_by_staff() -> int:
    db.session.rollback()
    return len(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "partner.portal_attachment_opened")
        ).all()
    )


def test_uploads_and_openings_are_audited_without_content(
    client: FlaskClient, her: FlaskClient, held: Held, clock
) -> None:
    _redeemed(her, _invited(held))
    _write(her, _photo_with_gps())
    [attachment] = _attachments()
    _open(her, attachment.id)
    db.session.rollback()
    rows = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action.like("partner.portal_attachment%"))
        .order_by(AuditEvent.seq)
    ).all()
    case = str(held.case.id)
    assert [(r.action, r.actor_id, r.resource_type, r.resource_id) for r in rows] == [
        ("partner.portal_attachment_from_her", None, "partner_case", case),
        ("partner.portal_attachment_opened_by_her", None, "partner_case", case),
    ]
    assert FILE_NAME not in repr([(r.action, r.resource_type, r.resource_id) for r in rows])


def test_neither_the_photo_nor_its_name_is_readable_in_the_database(
    her: FlaskClient, held: Held
) -> None:
    _redeemed(her, _invited(held))
    original = _photo_with_gps(400, 300)
    assert _write(her, original).status_code == 302
    [attachment] = _attachments()
    stored = _stored(attachment)
    dump = _database_text()
    assert FILE_NAME not in dump and "dörren-hemma" not in dump and CAMERA not in dump
    # Any stretch of either image, raw or as hex, is nowhere in the dump.
    for image in (original, stored):
        middle = image[len(image) // 2 : len(image) // 2 + 48]
        assert middle.decode("latin-1") not in dump and middle.hex() not in dump


def test_the_file_is_erased_with_the_message_text(
    client: FlaskClient, her: FlaskClient, portal_app: Flask, held: Held, clock
) -> None:
    _redeemed(her, _invited(held))
    _write(her, PDF, name="intyg.pdf", claimed="application/pdf")
    [attachment] = _attachments()
    clock.advance(days=29)
    assert purge_expired(clock.now()).portal_attachments == 0
    db.session.commit()
    assert _attachments()[0].content_ct is not None

    clock.advance(days=2)
    report = purge_expired(clock.now())
    db.session.commit()
    assert report.portal_message_bodies == 1 and report.portal_attachments == 1
    [erased] = _attachments()
    assert erased.content_ct is None and erased.purged_at is not None
    assert db.session.get(PortalMessage, erased.message_id) is not None  # the record stays
    her = portal_app.test_client()  # her session has long expired
    _redeemed(her, _invited(held))
    page = her.get("/start").text
    assert "PDF: raderad tillsammans med texten" in page
    assert _open(her, attachment.id).status_code == 404
    log_in(client, held.holder, clock)
    action = f"/partner/cases/{held.case.id}/portal/attachment"
    data = {"attachment_id": str(attachment.id), "confirmed": "yes"}
    assert submit(client, f"/partner/cases/{held.case.id}", data, action=action).status_code == 404
    assert purge_expired(clock.now()).portal_attachments == 0  # once only
