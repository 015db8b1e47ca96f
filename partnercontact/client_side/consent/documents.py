"""The signed copy of a consent: attaching it, reading it back, and destroying it.

The copy is sealed under a data key of its own, so destroying it at case end is shredding
one key (:func:`partnercontact.crypto.service.shred_data_key`): the ciphertext, and every
backup of it, becomes unreadable, while the consent's metadata stays for audit.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING

from sqlalchemy import delete, select

from partnercontact.audit.service import record_event
from partnercontact.audit.tags import AuditAction
from partnercontact.client_side.cases.models import TreatmentEpisode
from partnercontact.client_side.cases.service import client_for
from partnercontact.client_side.consent.errors import ConsentInvalid
from partnercontact.client_side.consent.models import Consent, ConsentDocument
from partnercontact.crypto.service import (
    create_data_key,
    load_data_key,
    seal_bytes,
    shred_data_key,
    unseal_bytes,
)
from partnercontact.db import db
from partnercontact.errors import Conflict, NotFound
from partnercontact.i18n import _l
from partnercontact.runtime import current_runtime

if TYPE_CHECKING:
    from partnercontact.auth.models import User

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
# The destruction rule written on the consent when its episode ends.
RULE_CASE_END = "case_end"

# What a signed copy may be, recognised by its first bytes and by nothing the sender claims.
_SIGNATURES = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}
_EXTENSIONS = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
}
_FILENAMES = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}


@dataclass(frozen=True)
class SignedCopy:
    media_type: str
    content: bytes

    @property
    def extension(self) -> str:
        return _FILENAMES[self.media_type]


def sniff_media_type(content: bytes) -> str | None:
    """The media type ``content`` really is, among those accepted, or None."""
    for media_type, signatures in _SIGNATURES.items():
        if any(content.startswith(signature) for signature in signatures):
            return media_type
    return None


def _check_upload(filename: str, declared_type: str | None, content: bytes) -> str:
    """The sniffed media type of an acceptable upload, or :class:`ConsentInvalid`."""
    if not content:
        raise ConsentInvalid(_l("Choose the file with the signed copy."), field="document")
    if len(content) > MAX_DOCUMENT_BYTES:
        raise ConsentInvalid(
            _l("The file is too large: a signed copy may be at most 10 MB."), field="document"
        )
    claimed = _EXTENSIONS.get(PurePath(filename or "").suffix.lower())
    if claimed is None:
        raise ConsentInvalid(
            _l("The signed copy must be a PDF, PNG or JPEG file."), field="document"
        )
    actual = sniff_media_type(content)
    declared = (declared_type or "").split(";")[0].strip().lower()
    browser_guess_is_vague = declared in ("", "application/octet-stream")
    if actual != claimed or not (browser_guess_is_vague or declared == actual):
        raise ConsentInvalid(
            _l("The file's content is not what its name says: upload a real PDF, PNG or JPEG."),
            field="document",
        )
    return actual


def _consent_of_own_client(actor: User, client_id: uuid.UUID, consent_id: uuid.UUID) -> Consent:
    client = client_for(actor, client_id)
    episode_ids = [episode.id for episode in client.episodes]
    consent = db.session.scalar(
        select(Consent).where(Consent.id == consent_id, Consent.episode_id.in_(episode_ids))
    )
    if consent is None:
        raise NotFound(_l("There is no such consent."), field="consent")
    return consent


def _audit(action: AuditAction, actor_id: int | None, clinic_id: int, consent: Consent) -> None:
    record_event(
        action,
        actor_id=actor_id,
        clinic_id=clinic_id,
        resource_type="consent",
        resource_id=str(consent.id),
    )


def attach_signed_copy(
    actor: User,
    client_id: uuid.UUID,
    consent_id: uuid.UUID,
    *,
    filename: str,
    declared_type: str | None,
    content: bytes,
) -> Consent:
    """Seal the signed paper under a new data key of its own and end "signature pending".

    Checks everything before writing: a refused upload stores nothing.
    """
    consent = _consent_of_own_client(actor, client_id, consent_id)
    if not consent.is_active or consent.form_of_consent != "written":
        raise Conflict(
            _l("A signed copy can be attached only to a written consent in force."),
            field="consent",
        )
    if consent.document_attached_at is not None:
        raise Conflict(_l("This consent already has its signed copy."), field="document")
    media_type = _check_upload(filename, declared_type, content)

    runtime = current_runtime()
    data_key = create_data_key("consent_document", keyring=runtime.keyring, clock=runtime.clock)
    document = ConsentDocument(
        id=uuid.uuid4(),
        consent_id=consent.id,
        data_key_id=data_key.id,
        media_type=media_type,
        size_bytes=len(content),
    )
    document.content_ct = seal_bytes(
        data_key,
        content,
        keyring=runtime.keyring,
        table="consent_document",
        column="content",
        row_id=document.id,
    )
    consent.document_key_id = data_key.id
    consent.document_attached_at = runtime.clock.now()
    db.session.add(document)
    db.session.flush()
    _audit(AuditAction.CONSENT_DOCUMENT_ATTACHED, actor.id, actor.clinic_id, consent)
    return consent


def read_signed_copy(actor: User, client_id: uuid.UUID, consent_id: uuid.UUID) -> SignedCopy:
    """The signed paper, for the client's own treater; audited as a read."""
    consent = _consent_of_own_client(actor, client_id, consent_id)
    document = db.session.scalar(
        select(ConsentDocument).where(ConsentDocument.consent_id == consent.id)
    )
    if document is None:
        raise NotFound(_l("This consent has no signed copy."), field="document")
    runtime = current_runtime()
    content = unseal_bytes(
        load_data_key(document.data_key_id),
        document.content_ct,
        keyring=runtime.keyring,
        table="consent_document",
        column="content",
        row_id=document.id,
    )
    _audit(AuditAction.CONSENT_DOCUMENT_VIEWED, actor.id, actor.clinic_id, consent)
    return SignedCopy(media_type=document.media_type, content=content)


def destroy_signed_copies(episode: TreatmentEpisode, *, actor_id: int | None) -> int:
    """Crypto-shred the signed copy of every consent of ``episode``; return how many.

    Each consent keeps a content-free record: when, by which rule, and the digest of the
    destroyed key's id. Safe to run twice: a destroyed copy is not destroyed again.
    """
    runtime = current_runtime()
    consents = db.session.scalars(
        select(Consent).where(
            Consent.episode_id == episode.id,
            Consent.document_key_id.is_not(None),
            Consent.document_destroyed_at.is_(None),
        )
    ).all()
    for consent in consents:
        data_key = load_data_key(consent.document_key_id)
        digest = shred_data_key(data_key, clock=runtime.clock, actor_id=actor_id)
        # The ciphertext is useless now; removing it keeps nothing that looks like a copy.
        db.session.execute(delete(ConsentDocument).where(ConsentDocument.consent_id == consent.id))
        consent.document_destroyed_at = runtime.clock.now()
        consent.document_destruction_rule = RULE_CASE_END
        consent.document_key_digest = digest
        db.session.flush()
        _audit(AuditAction.CONSENT_DOCUMENT_DESTROYED, actor_id, consent.clinic_id, consent)
    return len(consents)
