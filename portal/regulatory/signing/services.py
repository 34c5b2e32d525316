"""Signing keys of organisations and the canonical form they sign.

Canonical form (the exact bytes a signature covers; scripts/verify_manifest.py repeats it without the app):
JSON in the style of RFC 8785 — object keys sorted (by code point), no whitespace, strings UTF-8 with only the
escapes JSON requires, and only objects, arrays, strings, integers, true, false and null. A float is refused:
quantities are integer grams and money integer fen, and a float's text form is where serialisers disagree.

Private keys are kept encrypted at rest with AES-256-GCM under a key derived from SIGNING_KEY_SECRET (else
SECRET_KEY); the key id is the associated data, so an encrypted key cannot be moved to another row. Keep that
secret off the database host: whoever holds both could sign as any organisation.
"""
import base64
import hashlib
import hmac
import json
import os
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ... import audit
from ...errors import Conflict, DomainError
from ...extensions import db
from ...types import utcnow
from .models import SigningKey

ALGORITHM = "ed25519"
_KEY_CONTEXT = b"wufei signing keys at rest v1"
_CIPHER_PREFIX = "aesgcm1:"


# --- the canonical form ----------------------------------------------------------------------------

def canonical(value) -> bytes:
    """The bytes that are hashed and signed (see the module docstring)."""
    _check_canonical(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _check_canonical(value, path: str = "$") -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{path}: object keys must be strings, not {key!r}")
            _check_canonical(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_canonical(item, f"{path}[{i}]")
    elif value is not None and not isinstance(value, (str, int)):  # bool is an int
        raise TypeError(f"{path}: {type(value).__name__} has no canonical form (integers, strings, true, "
                        "false, null, arrays and objects only)")


def utc_text(moment: datetime) -> str:
    """A time inside a signed payload: UTC, microseconds, a Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# --- private keys at rest --------------------------------------------------------------------------

def _wrapping_key() -> bytes:
    secret = current_app.config.get("SIGNING_KEY_SECRET") or current_app.config["SECRET_KEY"]
    return hmac.new(secret.encode("utf-8"), _KEY_CONTEXT, hashlib.sha256).digest()


def _encrypt(private_raw: bytes, key_id: str) -> str:
    nonce = os.urandom(12)
    return _CIPHER_PREFIX + b64(nonce + AESGCM(_wrapping_key()).encrypt(nonce, private_raw, key_id.encode()))


def _decrypt(stored: str, key_id: str) -> bytes:
    blob = base64.b64decode(stored.removeprefix(_CIPHER_PREFIX))
    return AESGCM(_wrapping_key()).decrypt(blob[:12], blob[12:], key_id.encode())


# --- keys --------------------------------------------------------------------------------------------

def fingerprint(public_raw: bytes) -> str:
    """The key id: the first 16 hex digits of SHA-256 over the algorithm and the raw public key."""
    return hashlib.sha256(ALGORITHM.encode() + b"|" + public_raw).hexdigest()[:16]


def _new_key(org, actor, now: datetime) -> SigningKey:
    private = Ed25519PrivateKey.generate()
    public_raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    private_raw = private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                        serialization.NoEncryption())
    key_id = fingerprint(public_raw)
    return SigningKey(key_id=key_id, organisation_id=org.id, organisation=org, algorithm=ALGORITHM,
                      public_key=b64(public_raw), private_key_encrypted=_encrypt(private_raw, key_id),
                      valid_from=now, created_by_id=getattr(actor, "id", None))


def current_key(org_id: int) -> SigningKey | None:
    return db.session.scalar(select(SigningKey).where(SigningKey.organisation_id == org_id,
                                                      SigningKey.retired_at.is_(None)))


def active_key(org, actor=None) -> SigningKey:
    """The organisation's active key, created on its first signature. Two first signatures at once: the unique
    index on active keys lets one insert win; the other takes the winner's key."""
    key = current_key(org.id)
    if key is not None:
        return key
    key = _new_key(org, actor, utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(key)
    except IntegrityError:
        return current_key(org.id)
    audit.record("signing_key.create", key, actor=actor, organisation_id=org.id,
                 after={"key_id": key.key_id, "algorithm": key.algorithm})
    return key


def rotate_key(org, actor) -> SigningKey:
    """Retire the active key (its signatures stay valid) and make a new one active from now."""
    now = utcnow()
    old = db.session.scalar(select(SigningKey).where(SigningKey.organisation_id == org.id,
                                                     SigningKey.retired_at.is_(None)).with_for_update())
    if old is not None:
        old.retired_at = now
        db.session.flush()  # the unique index on active keys must see the old key retired first
    key = _new_key(org, actor, now)
    db.session.add(key)
    db.session.flush()
    audit.record("signing_key.rotate", key, actor=actor, organisation_id=org.id,
                 before={"key_id": old.key_id if old else None}, after={"key_id": key.key_id})
    return key


def revoke_key(key: SigningKey, actor, reason: str, at: datetime | None = None) -> SigningKey:
    """Revoke a key from `at` (default now; earlier when it was compromised earlier): its signatures made
    before that time stay valid, later ones are reported invalid. The next signature makes a new key."""
    now = utcnow()
    at = at or now
    if key.revoked_at is not None:
        raise Conflict(_("This key is already revoked."), code="already_revoked")
    reason = (reason or "").strip()
    if not reason:
        message = _("Say why the key is revoked.")
        raise DomainError(message, fields={"reason": message})
    if at > now or at < key.valid_from:
        message = _("The revocation time must lie between the key's creation and now.")
        raise DomainError(message, fields={"revoked_at": message})
    key.revoked_at, key.revocation_reason = at, reason
    key.retired_at = key.retired_at or now
    db.session.flush()
    audit.record("signing_key.revoke", key, actor=actor, organisation_id=key.organisation_id,
                 after={"key_id": key.key_id, "revoked_at": at.isoformat(), "reason": reason})
    return key


def organisation_keys(org_id: int | None = None):
    """The query of published keys, newest first; one organisation's when org_id is given."""
    query = select(SigningKey).order_by(SigningKey.organisation_id, SigningKey.valid_from.desc(), SigningKey.id.desc())
    return query.where(SigningKey.organisation_id == org_id) if org_id is not None else query


def key_by_id(key_id: str) -> SigningKey | None:
    return db.session.scalar(select(SigningKey).where(SigningKey.key_id == key_id))


# --- signing and verifying ---------------------------------------------------------------------------

def sign(key: SigningKey, message: bytes) -> str:
    private = Ed25519PrivateKey.from_private_bytes(_decrypt(key.private_key_encrypted, key.key_id))
    return b64(private.sign(message))


def signature_valid(key: SigningKey, message: bytes, signature: str) -> bool:
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key.public_key))
    try:
        public.verify(base64.b64decode(signature), message)
    except (InvalidSignature, ValueError):
        return False
    return True


def valid_at(key: SigningKey, moment: datetime) -> bool:
    """Was the key usable at that moment: after its creation and before any revocation. A retired key's
    signatures stay valid: retirement only means it signs nothing new."""
    return key.valid_from <= moment and (key.revoked_at is None or moment < key.revoked_at)


def public_pem(key: SigningKey) -> str:
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key.public_key))
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def key_json(key: SigningKey) -> dict:
    """A published key, as /api/v1/signing-keys lists it and scripts/verify_manifest.py reads it."""
    org = key.organisation
    return {"key_id": key.key_id, "algorithm": key.algorithm, "status": key.status,
            "organisation": {"id": org.id, "uscc": org.uscc, "name": org.name},
            "public_key": key.public_key, "public_key_pem": public_pem(key),
            "valid_from": key.valid_from.isoformat(), "retired_at": _iso(key.retired_at),
            "revoked_at": _iso(key.revoked_at), "revocation_reason": key.revocation_reason}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
