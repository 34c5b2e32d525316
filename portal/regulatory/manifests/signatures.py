"""Each manifest step signed with the acting organisation's key; its verdict; the export that verifies offline.

A step's payload (the object whose canonical form — signing/services.py — is signed):
  {"format": "wufei-manifest-step/1", "manifest_id", "manifest_number", "seq", "action", "from_state",
   "to_state", "organisation": {"id", "uscc"}, "user_id", "signed_at": "YYYY-MM-DDTHH:MM:SS.ffffffZ",
   "sealed": <whatever the step sealed>, "previous_signature": <the previous step's signature or null>,
   "algorithm", "key_id"}
The previous signature chains the steps, so a removed or reordered step breaks the next one. `sealed` is taken
as the step produced it: every field another step adds is signed without being named here.
"""
import hashlib
import json
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from ...types import utcnow
from ..signing import services as signing
from .models import Manifest, ManifestSignature
from .services import seal_hash

PAYLOAD_FORMAT = "wufei-manifest-step/1"
EXPORT_FORMAT = "wufei-manifest-export/1"
LEGACY = "sha256-seal"
VERDICT_LABELS = {
    "verified": _l("Verified"), "invalid": _l("Invalid signature"), "key_revoked": _l("Key revoked"),
    "sealed": _l("Hash seal (signed before keys existed)"),
}


def _previous(manifest: Manifest, seq: int) -> ManifestSignature | None:
    earlier = [s for s in manifest.signatures if s.seq < seq]
    return earlier[-1] if earlier else None


def payload(signature: ManifestSignature, manifest: Manifest) -> dict:
    """The signed object of an Ed25519 step, rebuilt from its row."""
    previous = _previous(manifest, signature.seq)
    org = signature.organisation
    return {
        "format": PAYLOAD_FORMAT, "manifest_id": manifest.id, "manifest_number": manifest.number,
        "seq": signature.seq, "action": signature.action, "from_state": signature.from_state,
        "to_state": signature.to_state, "organisation": {"id": org.id, "uscc": org.uscc},
        "user_id": signature.user_id, "signed_at": signing.utc_text(signature.signed_at),
        "sealed": signature.sealed, "previous_signature": previous.signature if previous else None,
        "algorithm": signature.algorithm, "key_id": signature.signing_key.key_id if signature.signing_key else None,
    }


def legacy_payload(signature: ManifestSignature) -> dict:
    """What a sha256-seal row hashed (services.seal_hash)."""
    return {"manifest_id": signature.manifest_id, "action": signature.action,
            "organisation_id": signature.organisation_id, "user_id": signature.user_id,
            "signed_at": signing.utc_text(signature.signed_at), "fields": signature.sealed}


def sign_step(manifest: Manifest, signature: ManifestSignature, key) -> None:
    """Sign a new step (not yet appended to the manifest) with key, which the acting organisation holds.
    The sealed fields pass through JSON first, so that what is signed is exactly what the row keeps."""
    signature.sealed = json.loads(json.dumps(signature.sealed))
    signature.algorithm, signature.signing_key = key.algorithm, key
    message = signing.canonical(payload(signature, manifest))
    signature.hash = hashlib.sha256(message).hexdigest()
    signature.signature = signing.sign(key, message)


@dataclass(frozen=True)
class Verdict:
    status: str  # verified | invalid | key_revoked | sealed
    key_id: str | None
    organisation: str

    @property
    def ok(self) -> bool:
        return self.status in ("verified", "sealed")

    @property
    def label(self) -> str:
        return str(VERDICT_LABELS[self.status])


def verdict(signature: ManifestSignature, manifest: Manifest) -> Verdict:
    """Does the step's row still match what its organisation signed, with a key valid at that time?"""
    org_name = signature.organisation.name
    if signature.algorithm == LEGACY:
        intact = signature.signature == signature.hash == seal_hash(
            manifest_id=signature.manifest_id, action=signature.action, organisation_id=signature.organisation_id,
            user_id=signature.user_id, signed_at=signature.signed_at, sealed=signature.sealed)
        return Verdict("sealed" if intact else "invalid", None, org_name)
    key = signature.signing_key
    if key is None or key.organisation_id != signature.organisation_id or key.algorithm != signature.algorithm:
        return Verdict("invalid", key.key_id if key else None, org_name)
    try:
        message = signing.canonical(payload(signature, manifest))
    except TypeError:
        return Verdict("invalid", key.key_id, org_name)
    if not signing.signature_valid(key, message, signature.signature):
        return Verdict("invalid", key.key_id, org_name)
    if not signing.valid_at(key, signature.signed_at):
        return Verdict("key_revoked", key.key_id, org_name)
    return Verdict("verified", key.key_id, org_name)


def verdicts(manifest: Manifest) -> dict[int, Verdict]:
    """Every step's verdict, by signature id."""
    return {s.id: verdict(s, manifest) for s in manifest.signatures}


def export(manifest: Manifest) -> dict:
    """Everything needed to verify the manifest's steps offline with the published keys
    (scripts/verify_manifest.py EXPORT.json KEYS.json)."""
    steps = []
    for s in manifest.signatures:
        legacy = s.algorithm == LEGACY
        steps.append({"seq": s.seq, "algorithm": s.algorithm,
                      "key_id": None if legacy else s.signing_key.key_id,
                      "organisation": {"id": s.organisation.id, "uscc": s.organisation.uscc,
                                       "name": s.organisation.name},
                      "payload": legacy_payload(s) if legacy else payload(s, manifest),
                      "hash": s.hash, "signature": s.signature})
    return {"format": EXPORT_FORMAT, "exported_at": signing.utc_text(utcnow()),
            "canonical_form": "JSON, keys sorted, no whitespace, UTF-8, integers only (RFC 8785 style); "
                              "ed25519 signs the canonical payload; sha256-seal steps carry the SHA-256 "
                              "hex of it instead and name no key",
            "manifest": {"id": manifest.id, "number": manifest.number, "state": manifest.state,
                         "generator": manifest.generator.uscc, "receiver": manifest.receiver.uscc},
            "steps": steps}
