"""A photo or a PDF with a message in her own channel.

- :func:`prepare`: what a file may be, judged by its bytes only (never its name or the type
  the browser claims): a JPEG, PNG or WebP photo, or a PDF, at most :data:`MAX_FILE_BYTES`.
  A photo is decoded and encoded again without any of its metadata; the bytes she sent are
  never stored.
- :func:`write_from_her` / :func:`write_to_her`: a message with a file; the file is checked
  before anything is written, so a refused file leaves no message behind.
- :func:`attachments_for_her` / :func:`attachments_for_treater`: what each message of a
  thread carries (kind and size, no content), for the pages listing the thread.
- :func:`open_for_her` / :func:`open_for_treater`: the file itself; audited. Another case's
  file is not found, exactly as a missing one.
- :func:`purge_with_bodies`: a file is emptied when its message's text is (the retention
  purge calls it right after :func:`portal_messages.purge_expired_bodies`).

Every write and every opening is audited with no content. Functions flush, never commit.
"""

from __future__ import annotations

import functools
import io
import uuid
import warnings
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError
from sqlalchemy import CursorResult, Select, bindparam, select, update

from partnercontact.audit.tags import AuditAction
from partnercontact.auth.models import User
from partnercontact.crypto.service import load_data_key, seal_bytes, unseal_bytes
from partnercontact.db import db
from partnercontact.errors import DomainError, NotFound
from partnercontact.i18n import _l
from partnercontact.partner_side import portal_messages
from partnercontact.partner_side.models import PartnerCase
from partnercontact.partner_side.portal_access import PortalIdentity, audit_her, case_of
from partnercontact.partner_side.portal_attachments_models import (
    JPEG,
    PDF,
    PNG,
    PortalAttachment,
)
from partnercontact.partner_side.portal_messages_models import PortalMessage
from partnercontact.partner_side.service import audit, held_case_for, is_named_for
from partnercontact.runtime import current_runtime

MAX_FILE_BYTES = 10 * 1024 * 1024
# A phone's photo has 12 to 24 million pixels. A decoded image takes three or
# four bytes a pixel in memory whatever its file size: a few kilobytes of PNG can claim
# billions of pixels (a decompression bomb), so the size is checked from the header, before
# any pixel is decoded, well under Pillow's own limit.
MAX_PIXELS = 40_000_000
FIELD = "attachment"

SEALED_TABLE = "portal_attachment"
SEALED_COLUMN = "content"

# Pillow opens only these formats here, whatever else it could read: each parser is attack
# surface, and some (EPS) would start external programs.
_PILLOW_FORMATS = ("JPEG", "PNG", "WEBP")
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1")
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
_JPEG_QUALITY = 88
_FILE_NAMES = {JPEG: "foto.jpg", PNG: "foto.png", PDF: "dokument.pdf"}


class AttachmentRefused(DomainError):
    """A file that cannot be attached; ``field`` is ``attachment``."""


class AttachmentTooLarge(AttachmentRefused):
    status = 413


class PortalAttachmentNotFound(NotFound):
    """No such file in the viewer's thread: missing, of another case, cleared or erased."""


@dataclass(frozen=True)
class Prepared:
    """A file ready to be stored: what it is and the bytes to keep."""

    media_type: str
    content: bytes


@dataclass(frozen=True)
class AttachmentEntry:
    """A file as a thread lists it: no content, no name."""

    id: uuid.UUID
    message_id: uuid.UUID
    media_type: str
    size_bytes: int
    purged: bool

    @property
    def is_photo(self) -> bool:
        return self.media_type != PDF

    @property
    def size_kb(self) -> int:
        return max(1, round(self.size_bytes / 1024))


@dataclass(frozen=True)
class AttachmentFile:
    """The file to hand out. ``file_name`` is neutral ("foto.jpg"): the name it lands under
    in a downloads folder tells nothing."""

    content: bytes
    media_type: str
    file_name: str


def _refused(message: object) -> AttachmentRefused:
    return AttachmentRefused(message, field=FIELD)


def _not_found() -> PortalAttachmentNotFound:
    return PortalAttachmentNotFound(_l("There is no such file."), field="attachment_id")


# --- what a file may be ------------------------------------------------------------------------


def prepare(content: bytes) -> Prepared:
    """The file to store for ``content``, or :class:`AttachmentRefused` naming the field
    ``attachment`` (:class:`AttachmentTooLarge`, status 413, past :data:`MAX_FILE_BYTES`).

    The kind comes from the first bytes only. A PDF is kept as it is; a photo is decoded and
    encoded again, upright, with nothing but its pixels (see :func:`_clean_photo`)."""
    if not content:
        raise _refused(_l("The file is empty."))
    if len(content) > MAX_FILE_BYTES:
        raise AttachmentTooLarge(_l("A file may be at most 10 MB."), field=FIELD)
    if content.startswith(b"%PDF-"):
        return Prepared(PDF, content)
    if content[4:8] == b"ftyp" and content[8:12] in _HEIF_BRANDS:
        raise _refused(
            _l(
                "Photos in HEIC format cannot be attached here. Save the photo as JPEG, or "
                "take a screenshot of it and attach that."
            )
        )
    if (
        content.startswith(b"\xff\xd8\xff")
        or content.startswith(b"\x89PNG\r\n\x1a\n")
        or (content.startswith(b"RIFF") and content[8:12] == b"WEBP")
    ):
        return _clean_photo(content)
    raise _refused(_l("Only a photo (JPEG, PNG or WebP) or a PDF can be attached."))


def _clean_photo(content: bytes) -> Prepared:
    """The photo's pixels and nothing else, re-encoded.

    A photo carries where and when it was taken and with what (EXIF, with GPS coordinates
    that can lead to her home), XMP, IPTC, comments and colour profiles that name devices.
    None of it is copied: the EXIF orientation is applied to the pixels first, so the photo
    stays upright; a colour profile is applied and replaced by plain sRGB; then the pixels
    are pasted into a new, empty image and that is encoded. JPEG stays JPEG and PNG stays
    PNG; WebP becomes PNG with transparency, JPEG without."""
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its limit and twice it: make it an error too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content), formats=_PILLOW_FORMATS) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise _too_many_pixels()
                source_format = image.format
                image.load()
                icc = image.info.get("icc_profile")
                ImageOps.exif_transpose(image, in_place=True)
                has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
                    image.mode == "P" and "transparency" in image.info
                )
                if has_alpha:
                    mode, out_format = "RGBA", "PNG"
                else:
                    mode = "L" if image.mode in ("1", "L") else "RGB"
                    out_format = "PNG" if source_format == "PNG" else "JPEG"
                pixels = _in_srgb(image, icc, mode)
            # A new, empty image: no info, no EXIF, no comment, no profile to carry over.
            clean = Image.new(mode, pixels.size)
            clean.paste(pixels)
            del pixels
            out = io.BytesIO()
            if out_format == "JPEG":
                clean.save(out, "JPEG", quality=_JPEG_QUALITY)
            else:
                clean.save(out, "PNG")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels() from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        raise _refused(
            _l("The photo could not be read. Try another copy of it, or a screenshot.")
        ) from None
    return Prepared(JPEG if out_format == "JPEG" else PNG, out.getvalue())


def _too_many_pixels() -> AttachmentRefused:
    return _refused(
        _l(
            "The photo has too many pixels (at most %(max)d million). Attach a smaller copy.",
            max=MAX_PIXELS // 1_000_000,
        )
    )


def _in_srgb(image: Image.Image, icc: bytes | None, mode: str) -> Image.Image:
    """``image`` in ``mode``, converted from its embedded colour profile ``icc`` to sRGB so
    its colours look as they did with the profile; a profile that does not apply is left
    out (the colours may then shift a little)."""
    if icc and mode != "L":
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(image, source, _SRGB, outputMode=mode)
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            converted = None
        if converted is not None:
            return converted
    return image.convert(mode)


# --- writing -----------------------------------------------------------------------------------


def _store(partner_case: PartnerCase, message: PortalMessage, prepared: Prepared) -> None:
    runtime = current_runtime()
    attachment = PortalAttachment(
        id=uuid.uuid4(),
        message_id=message.id,
        partner_case_id=partner_case.id,
        data_key_id=partner_case.data_key_id,
        media_type=prepared.media_type,
        size_bytes=len(prepared.content),
        added_at=runtime.clock.now(),
    )
    attachment.content_ct = seal_bytes(
        load_data_key(partner_case.data_key_id),
        prepared.content,
        keyring=runtime.keyring,
        table=SEALED_TABLE,
        column=SEALED_COLUMN,
        row_id=attachment.id,
    )
    db.session.add(attachment)
    db.session.flush()


def write_from_her(
    identity: PortalIdentity, body: str | None, content: bytes | None
) -> PortalMessage:
    """Her message (see :func:`portal_messages.write_from_her`) with the file ``content``,
    if any. The file is prepared first: a refused file writes nothing."""
    prepared = prepare(content) if content is not None else None
    message = portal_messages.write_from_her(identity, body)
    if prepared is not None:
        partner_case = case_of(identity)
        _store(partner_case, message, prepared)
        audit_her(AuditAction.PORTAL_ATTACHMENT_FROM_HER, partner_case)
    return message


def write_to_her(
    actor: User, case_id: uuid.UUID, body: str | None, content: bytes | None
) -> PortalMessage:
    """A message to her from ``actor`` (see :func:`portal_messages.write_to_her`) with the
    file ``content``, if any; prepared like hers, before anything is written."""
    prepared = prepare(content) if content is not None else None
    message = portal_messages.write_to_her(actor, case_id, body)
    if prepared is not None:
        partner_case = held_case_for(actor, case_id, audited=False)
        _store(partner_case, message, prepared)
        audit(AuditAction.PORTAL_ATTACHMENT_TO_HER, actor, partner_case)
    return message


# --- reading -----------------------------------------------------------------------------------


def _entries(rows: list[PortalAttachment]) -> dict[uuid.UUID, list[AttachmentEntry]]:
    by_message: dict[uuid.UUID, list[AttachmentEntry]] = defaultdict(list)
    for row in rows:
        by_message[row.message_id].append(
            AttachmentEntry(
                id=row.id,
                message_id=row.message_id,
                media_type=row.media_type,
                size_bytes=row.size_bytes,
                purged=row.purged_at is not None,
            )
        )
    return dict(by_message)


def _listed(partner_case_id: uuid.UUID, *, hers: bool) -> list[PortalAttachment]:
    # Metadata only: the sealed file is deferred, never loaded for a list.
    return list(db.session.scalars(_listing(hers), {"case_id": partner_case_id}))


@functools.cache
def _listing(hers: bool) -> Select[PortalAttachment]:
    # Built once for each side: her thread and the case page list them on every view.
    query = (
        select(PortalAttachment)
        .join(PortalMessage, PortalMessage.id == PortalAttachment.message_id)
        .where(PortalAttachment.partner_case_id == bindparam("case_id"))
        .order_by(PortalAttachment.added_at, PortalAttachment.id)
    )
    return query.where(PortalMessage.cleared_at.is_(None)) if hers else query


def attachments_for_her(identity: PortalIdentity) -> dict[uuid.UUID, list[AttachmentEntry]]:
    """The files of her thread (messages she has not cleared), by message id. Reads no file
    and writes no audit entry: the thread they belong to is audited as read."""
    return _entries(_listed(identity.partner_case_id, hers=True))


def _case_for_staff(actor: User, case_id: uuid.UUID) -> PartnerCase:
    """The case ``actor`` holds and, for a protected partner, is named for; anyone else
    finds no file at all."""
    partner_case = held_case_for(actor, case_id, audited=False)
    if not is_named_for(actor, partner_case):
        raise _not_found()
    return partner_case


def attachments_for_treater(
    actor: User, case_id: uuid.UUID
) -> dict[uuid.UUID, list[AttachmentEntry]]:
    """Every file of the case's thread, by message id (no content; the thread is audited)."""
    partner_case = _case_for_staff(actor, case_id)
    return _entries(_listed(partner_case.id, hers=False))


def _attachment(
    partner_case_id: uuid.UUID, attachment_id: uuid.UUID, *, hers: bool
) -> PortalAttachment:
    query = (
        select(PortalAttachment)
        .join(PortalMessage, PortalMessage.id == PortalAttachment.message_id)
        .where(
            PortalAttachment.id == attachment_id,
            PortalAttachment.partner_case_id == partner_case_id,
            PortalAttachment.purged_at.is_(None),
        )
    )
    if hers:
        query = query.where(PortalMessage.cleared_at.is_(None))
    attachment = db.session.scalar(query)
    if attachment is None or attachment.content_ct is None:
        raise _not_found()
    return attachment


def _file(attachment: PortalAttachment) -> AttachmentFile:
    assert attachment.content_ct is not None  # checked by _attachment
    content = unseal_bytes(
        load_data_key(attachment.data_key_id),
        attachment.content_ct,
        keyring=current_runtime().keyring,
        table=SEALED_TABLE,
        column=SEALED_COLUMN,
        row_id=attachment.id,
    )
    return AttachmentFile(content, attachment.media_type, _FILE_NAMES[attachment.media_type])


def open_for_her(identity: PortalIdentity, attachment_id: uuid.UUID) -> AttachmentFile:
    """A file of her own thread. Missing, of another case, on a message she cleared or
    erased with its message's text: :class:`PortalAttachmentNotFound`, the same for all."""
    attachment = _attachment(identity.partner_case_id, attachment_id, hers=True)
    opened = _file(attachment)
    audit_her(AuditAction.PORTAL_ATTACHMENT_OPENED_BY_HER, case_of(identity))
    return opened


def attachment_for_treater(
    actor: User, case_id: uuid.UUID, attachment_id: uuid.UUID
) -> AttachmentEntry:
    """What a file of the case is (kind and size), for the page that asks before it is
    opened; reads no content."""
    partner_case = _case_for_staff(actor, case_id)
    attachment = _attachment(partner_case.id, attachment_id, hers=False)
    return _entries([attachment])[attachment.message_id][0]


def open_for_treater(actor: User, case_id: uuid.UUID, attachment_id: uuid.UUID) -> AttachmentFile:
    """A file of the case's thread, for its holder (named for her, if she is protected).
    A file of another case is not found, exactly as a missing one. Audited."""
    partner_case = _case_for_staff(actor, case_id)
    opened = _file(_attachment(partner_case.id, attachment_id, hers=False))
    audit(AuditAction.PORTAL_ATTACHMENT_OPENED, actor, partner_case)
    return opened


# --- retention ---------------------------------------------------------------------------------


def purge_with_bodies(now: datetime) -> int:
    """Empty every file whose message's text has been emptied (the clinic's
    ``portal_message_days``); the row stays, marked ``purged_at``. How many were emptied.

    One core UPDATE: nothing is unsealed to clear it."""
    result = db.session.execute(
        update(PortalAttachment)
        .where(
            PortalAttachment.purged_at.is_(None),
            PortalAttachment.message_id.in_(
                select(PortalMessage.id).where(PortalMessage.body_purged_at.is_not(None))
            ),
        )
        .values(content_ct=None, purged_at=now)
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)
    return int(result.rowcount or 0)
