"""Each organisation's own keys, for partners that run their own server.

A local organisation gets, the first time it needs them, an Ed25519 key pair that signs
the files it sends and an X25519 key pair that files sent to it are encrypted to. The
private halves are kept encrypted under ``CASEWORK_FIELD_KEYS`` (bound to the
organisation and the key's use), never shown, logged or put in an audit entry.

The public halves leave as a **key card**: one line of text an administrator gives the
partner by a safe channel. Since that channel could be tampered with, both supervisors
then read the **fingerprint** (SHA-256 over both public keys, in 8 groups of 4 Crockford
base-32 characters) aloud to each other, by voice, before the partnership is active.
"""

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.identity import crypto

CARD_PREFIX = "casework-key-card-v1:"
KEY_BYTES = 32
FINGERPRINT_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
FINGERPRINT_CHARS = 32  # 160 bits of the SHA-256
NAME_MAX = 200


class OrganisationKey(models.Model):
    """A local organisation's key pairs: public halves in the clear, private halves encrypted."""

    organisation = models.OneToOneField("access.Organisation", on_delete=models.PROTECT, related_name="+")
    signing_public = models.CharField(max_length=64, editable=False)
    agreement_public = models.CharField(max_length=64, editable=False)
    signing_private = models.TextField(editable=False)
    agreement_private = models.TextField(editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = "organisation key"

    def __str__(self):
        return f"key of organisation {self.organisation_id}"

    @property
    def fingerprint(self) -> str:
        return fingerprint(unb64(self.signing_public), unb64(self.agreement_public))

    def signer(self) -> Ed25519PrivateKey:
        raw = crypto.decrypt(self.signing_private, _context(self.organisation_id, "signing"))
        return Ed25519PrivateKey.from_private_bytes(unb64(raw))

    def agreement(self) -> X25519PrivateKey:
        raw = crypto.decrypt(self.agreement_private, _context(self.organisation_id, "agreement"))
        return X25519PrivateKey.from_private_bytes(unb64(raw))


def _context(organisation_id: int, use: str) -> str:
    # Bound to the organisation and the use: a private key copied to another row fails.
    return f"orgkey:{organisation_id}:{use}"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64(text: str) -> bytes:
    """URL-safe base64 with or without padding; ValueError when it is not."""
    if not isinstance(text, str):
        raise ValueError("not text")
    try:
        return base64.urlsafe_b64decode((text + "=" * (-len(text) % 4)).encode("ascii"))
    except (binascii.Error, UnicodeEncodeError) as error:
        raise ValueError("not base64") from error


def fingerprint(signing_public: bytes, agreement_public: bytes) -> str:
    """32 Crockford base-32 characters of SHA-256(signing key || encryption key), ungrouped."""
    digest = int.from_bytes(hashlib.sha256(signing_public + agreement_public).digest()[:20], "big")
    chars = [FINGERPRINT_ALPHABET[(digest >> (5 * shift)) & 31] for shift in range(FINGERPRINT_CHARS)]
    return "".join(reversed(chars))


def grouped(compact: str) -> str:
    """A fingerprint as it is read aloud: ``7X3Q M9PD K4AB ...``."""
    return " ".join(compact[start : start + 4] for start in range(0, len(compact), 4))


def _raw_public(key: Ed25519PublicKey | X25519PublicKey) -> bytes:
    return key.public_bytes_raw()


@transaction.atomic
def organisation_key(organisation) -> OrganisationKey:
    """The organisation's keys, made the first time they are asked for. Only a local
    organisation has private keys here: a remote one is known by its key card."""
    if organisation.is_remote:
        raise ValueError("A remote organisation's private keys are not kept here.")
    found = OrganisationKey.objects.filter(organisation=organisation).first()
    if found is not None:
        return found
    signing, agreement = Ed25519PrivateKey.generate(), X25519PrivateKey.generate()
    key = OrganisationKey(
        organisation=organisation,
        signing_public=b64(_raw_public(signing.public_key())),
        agreement_public=b64(_raw_public(agreement.public_key())),
        signing_private=crypto.encrypt(b64(signing.private_bytes_raw()), _context(organisation.pk, "signing")),
        agreement_private=crypto.encrypt(b64(agreement.private_bytes_raw()), _context(organisation.pk, "agreement")),
    )
    try:
        with transaction.atomic():
            key.save()
    except IntegrityError:  # made at the same moment by another request: use that one
        return OrganisationKey.objects.get(organisation=organisation)
    return key


@transaction.atomic
def reseal_private_keys() -> int:
    """Re-encrypt every organisation's private keys under the newest key of
    ``CASEWORK_FIELD_KEYS`` (run with field key rotation, before an old key is removed);
    returns how many were resealed. The keys themselves, and so the fingerprints, stay."""
    newest, resealed = crypto.newest_key_id(), 0
    for key in OrganisationKey.objects.select_for_update().order_by("pk"):
        stale = [
            use for use in ("signing", "agreement") if crypto.token_key_id(getattr(key, f"{use}_private")) != newest
        ]
        for use in stale:
            context = _context(key.organisation_id, use)
            setattr(
                key, f"{use}_private", crypto.encrypt(crypto.decrypt(getattr(key, f"{use}_private"), context), context)
            )
        if stale:
            key.save(update_fields=[f"{use}_private" for use in stale])
            resealed += 1
    return resealed


def reseal_packet_identities() -> int:
    """Identity values of packets still on their way that are still under
    ``CASEWORK_FIELD_KEYS`` (built before per-case keys): sealed again under the receiving
    organisation's key (closed packets hold none); returns how many packets changed."""
    from casework.partners.models import Packet  # lazy: models.py imports this module at its end

    resealed = 0
    for packet in Packet.objects.select_for_update().exclude(identity={}).order_by("pk"):
        stale = [name for name, token in packet.identity.items() if not crypto.is_sealed(token)]
        for name in stale:
            packet.identity[name] = packet.seal_identity(name, packet.open_identity(name))
        if stale:
            packet.save(update_fields=["identity", "updated_at"])
            resealed += 1
    return resealed


# Key cards ------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyCard:
    """What a partner's key card says: its name and its two public keys (raw bytes)."""

    name: str
    signing: bytes
    agreement: bytes

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.signing, self.agreement)


def key_card(organisation) -> str:
    """The organisation's key card: ``casework-key-card-v1:`` and base64url JSON of its
    name and both public keys. Public, but given by a safe channel all the same."""
    key = organisation_key(organisation)
    body = {"name": organisation.name, "signing": key.signing_public, "agreement": key.agreement_public}
    return CARD_PREFIX + b64(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode())


def read_card(text: str) -> KeyCard:
    """A pasted key card, or ValidationError saying what is wrong with it (line breaks and
    spaces from a wrapped paste are ignored)."""
    compact = "".join(text.split())
    if not compact.startswith(CARD_PREFIX):
        raise ValidationError(
            _("This is not a casework key card: it should begin with “%(prefix)s”.") % {"prefix": CARD_PREFIX}
        )
    try:
        body = json.loads(unb64(compact[len(CARD_PREFIX) :]).decode())
        name, signing, agreement = body["name"], unb64(body["signing"]), unb64(body["agreement"])
        if not isinstance(name, str) or len(signing) != KEY_BYTES or len(agreement) != KEY_BYTES:
            raise ValueError("wrong shape")
        Ed25519PublicKey.from_public_bytes(signing)
        # A low-order point agrees on nothing (every shared secret the same): refused here,
        # not at the first packet sealed to it.
        X25519PrivateKey.generate().exchange(X25519PublicKey.from_public_bytes(agreement))
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, RecursionError):
        raise ValidationError(_("This key card is damaged or incomplete: ask the partner to send it again.")) from None
    name = " ".join(name.split())
    if not name or len(name) > NAME_MAX:
        raise ValidationError(_("This key card names no organisation (or too long a name): ask for it again."))
    return KeyCard(name=name, signing=signing, agreement=agreement)
