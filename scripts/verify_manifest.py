#!/usr/bin/env python3
"""Verify a manifest's signed steps offline: python scripts/verify_manifest.py EXPORT.json KEYS.json

EXPORT.json is GET /api/v1/manifests/<id>/export (or the manifest page's download); KEYS.json is
GET /api/v1/signing-keys (a page {"items": [...]}, or a plain list of keys). Nothing else is read: no network,
no database, no wufei code — only the standard library and `cryptography`.

For each step it checks that the canonical form of the payload (JSON, keys sorted, no whitespace, UTF-8,
integers only) carries a valid Ed25519 signature by the key named, that the key belongs to the organisation
named in the payload and was not revoked when the step was signed, and that the payload names the previous
step's signature (so no step was removed or reordered). Steps sealed before keys existed (sha256-seal) are
checked by their SHA-256 only. Prints one line per step, OK or FAIL; exits 1 when any step fails.
"""
import base64
import hashlib
import json
import sys
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def canonical(value) -> bytes:
    _check(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _check(value) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError("object keys must be strings")
            _check(item)
    elif isinstance(value, list):
        for item in value:
            _check(item)
    elif value is not None and not isinstance(value, (str, int)):
        raise ValueError(f"{type(value).__name__} has no canonical form")


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def check_step(step: dict, previous: dict | None, keys: dict) -> str | None:
    """None when the step verifies, else why not."""
    payload = step["payload"]
    try:
        message = canonical(payload)
    except ValueError as exc:
        return f"payload has no canonical form: {exc}"
    if step["algorithm"] == "sha256-seal":
        return None if hashlib.sha256(message).hexdigest() == step["signature"] else "hash does not match"
    if step["algorithm"] != "ed25519" or payload.get("algorithm") != "ed25519":
        return f"unknown algorithm {step['algorithm']!r}"
    key = keys.get(step["key_id"])
    if key is None or payload.get("key_id") != step["key_id"]:
        return f"key {step['key_id']} is not among the published keys"
    if key["algorithm"] != "ed25519":
        return f"key {key['key_id']} is not an ed25519 key"
    if key["organisation"]["uscc"] != payload["organisation"]["uscc"]:
        return f"key {key['key_id']} belongs to {key['organisation']['uscc']}, not {payload['organisation']['uscc']}"
    expected_previous = previous["signature"] if previous else None
    if payload.get("previous_signature") != expected_previous or payload.get("seq") != step["seq"]:
        return "does not follow the previous step (a step was removed, added or reordered)"
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key["public_key"]))
    try:
        public.verify(base64.b64decode(step["signature"]), message)
    except (InvalidSignature, ValueError):
        return "signature does not match the payload"
    signed_at = _time(payload["signed_at"])
    if signed_at < _time(key["valid_from"]):
        return f"signed before key {key['key_id']} existed"
    if key.get("revoked_at") and signed_at >= _time(key["revoked_at"]):
        return f"key {key['key_id']} was revoked at {key['revoked_at']}, before this step was signed"
    return None


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        export = json.load(f)
    with open(argv[2], encoding="utf-8") as f:
        published = json.load(f)
    keys = {k["key_id"]: k for k in (published["items"] if isinstance(published, dict) else published)}
    manifest = export.get("manifest", {})
    print(f"manifest {manifest.get('number') or manifest.get('id')}: {len(export['steps'])} steps")
    failures, previous = 0, None
    for step in export["steps"]:
        problem = check_step(step, previous, keys)
        payload = step["payload"]
        who = step["organisation"]["name"] if step.get("organisation") else "?"
        if problem is None:
            how = (f"key {step['key_id']} of {who}" if step["algorithm"] == "ed25519"
                   else "sha256-seal, sealed before keys existed: integrity only")
            print(f"step {step['seq']} {payload.get('action')}: OK ({how})")
        else:
            failures += 1
            print(f"step {step['seq']} {payload.get('action')}: FAIL ({problem})")
        previous = step
    print("all steps verify" if failures == 0 else f"{failures} step(s) FAIL")
    return 0 if failures == 0 and export["steps"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
