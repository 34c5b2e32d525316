"""The published signing keys (public, no token) and their rotation and revocation (the organisation's admins)."""
from datetime import datetime
from typing import Annotated, Literal

from flask import g, jsonify
from flask_babel import gettext as _
from flask_login import current_user
from pydantic import AwareDatetime, Field

from ... import auth
from ...accounts.models import Organisation
from ...api import api, paginate, token_required
from ...api.schemas import Input, OrgRef, Output, Page, PageQuery, endpoint
from ...errors import DomainError, NotFound
from ...extensions import db
from . import services

KeyId = Annotated[str, Field(max_length=32)]


class SigningKeyOut(Output):
    key_id: str = Field(description="fingerprint: SHA-256 of the algorithm and the raw public key, 16 hex digits")
    algorithm: Literal["ed25519"]
    status: Literal["active", "retired", "revoked"]
    organisation: OrgRef
    public_key: str = Field(description="the raw public key, base64")
    public_key_pem: str = Field(description="the same key as SubjectPublicKeyInfo PEM")
    valid_from: datetime
    retired_at: datetime | None = Field(description="when a rotation replaced it; its signatures stay valid")
    revoked_at: datetime | None = Field(description="signatures made from this time on are invalid")
    revocation_reason: str | None


class SigningKeyQuery(PageQuery):
    organisation: str | None = Field(None, max_length=18, description="one organisation's keys, by credit code")


class RevokeKey(Input):
    reason: str = Field(min_length=1, max_length=1000)
    revoked_at: AwareDatetime | None = Field(None, description="when the key stopped being trustworthy (with its zone); "
                                                                "default now")


@api.get("/signing-keys")
@endpoint("The public keys that sign manifest steps, of every organisation or of one (verify exports offline "
          "with scripts/verify_manifest.py)", tags=["signatures"], query=SigningKeyQuery,
          response=Page[SigningKeyOut])
def signing_keys_index(query: SigningKeyQuery):
    org_id = None
    if query.organisation:
        org = db.session.scalar(db.select(Organisation).where(Organisation.uscc == query.organisation.upper()))
        if org is None:
            message = _("No organisation has this credit code.")
            raise DomainError(message, fields={"organisation": message})
        org_id = org.id
    return paginate(services.organisation_keys(org_id), services.key_json, default_size=100)


@api.get("/signing-keys/<key_id>")
@endpoint("One public signing key", tags=["signatures"], response=SigningKeyOut, path={"key_id": KeyId})
def signing_keys_show(key_id: str):
    return jsonify(services.key_json(_key(key_id)))


@api.post("/signing-keys/rotate")
@endpoint("Rotate the token's organisation's key: a new key signs from now, the old one is retired and still "
          "verifies what it signed (administrators of the organisation)", tags=["signatures"],
          response=SigningKeyOut, status=201, responses={403: None})
@token_required
def signing_keys_rotate():
    org = auth.require_manage_org(current_user, g.get("api_org"))
    key = services.rotate_key(org, current_user)
    db.session.commit()
    return jsonify(services.key_json(key)), 201


@api.post("/signing-keys/<key_id>/revoke")
@endpoint("Revoke a key from a time (default now): signatures made before it stay valid, later ones are invalid "
          "(administrators of the key's organisation)", tags=["signatures"], body=RevokeKey,
          response=SigningKeyOut, path={"key_id": KeyId}, responses={403: None, 409: None})
@token_required
def signing_keys_revoke(key_id: str, body: RevokeKey):
    key = _key(key_id)
    auth.require_manage_org(current_user, key.organisation)
    services.revoke_key(key, current_user, body.reason, body.revoked_at)
    db.session.commit()
    return jsonify(services.key_json(key))


def _key(key_id: str):
    key = services.key_by_id(key_id)
    if key is None:
        raise NotFound(_("No signing key has this id."))
    return key
