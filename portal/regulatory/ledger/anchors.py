"""External anchors of the ledger: signed checkpoints of every batch's head, and a daily Merkle root over them.

The hash chain shows a changed or removed event while a later event, or the batch's head, still remembers it.
Whoever can delete a chain's newest events and move the batch's head back leaves a shorter chain that verifies.
The anchors remember each head outside the chain:

- a checkpoint (`wufei ledger checkpoint`, hourly) signs, for every batch whose head moved since its newest
  checkpoint, (batch id, head seq, head hash, time), and never signs a head that went back or a chain that fails;
- once a day the same command builds a Merkle root (RFC 6962 tree hash) over the newest checkpoint of every
  batch, signed and chained to the previous day's root; `--export FILE` writes it with its heads as JSON to keep
  away from the platform: whoever holds the file can recompute the root from the heads without any key.

Signatures are HMAC-SHA256 under a key derived from LEDGER_ANCHOR_KEY, else SECRET_KEY. A symmetric key, because
signer and verifier are the same party: the platform checks its own checkpoints and its own exports. It adds no
dependency and no key pair to manage. An intruder with the database alone cannot sign a shortened chain: keep
LEDGER_ANCHOR_KEY (or SECRET_KEY) off the database host. Ed25519 would let third parties check the signature
itself, at the price of a key pair and the cryptography package; the exported root is checkable without it.

This module holds the primitives (keys, signed messages, the Merkle tree, the newest valid checkpoint of a batch);
checkpoints.py writes, exports and verifies with them, services.py compares chains with them.
"""
import hashlib
import hmac
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

from flask import current_app
from sqlalchemy import func, select

from ...extensions import db
from .models import LedgerCheckpoint

KEY_CONTEXT = b"wufei ledger anchors v1"  # derives the anchor key: never the session key itself
HEAD_FORMAT = "wufei-ledger-head/1"
ROOT_FORMAT = "wufei-ledger-root/1"


@dataclass(frozen=True)
class Anchor:
    """A head the chain must still reach: the event at seq `head_seq` has hash `head_hash`."""

    head_seq: int
    head_hash: str
    source: str  # names the checkpoint or exported root, for the report


# --- keys and signatures ---------------------------------------------------------------------------

def _key() -> bytes:
    secret = current_app.config.get("LEDGER_ANCHOR_KEY") or current_app.config["SECRET_KEY"]
    return hmac.new(secret.encode("utf-8"), KEY_CONTEXT, hashlib.sha256).digest()


def key_id() -> str:
    """A public fingerprint of the anchor key: tells which key signed a checkpoint without revealing it."""
    return hashlib.sha256(b"key id|" + _key()).hexdigest()[:16]


def sign(message: str) -> str:
    return hmac.new(_key(), message.encode("utf-8"), hashlib.sha256).hexdigest()


def signature_matches(message: str, signature: str | None) -> bool:
    return signature is not None and hmac.compare_digest(sign(message), signature)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def head_message(batch_id: int, head_seq: int, head_hash: str, taken_at: datetime) -> str:
    """The exact text a checkpoint's signature covers."""
    return f"{HEAD_FORMAT}|{batch_id}|{head_seq}|{head_hash}|{iso(taken_at)}"


def root_message(*, day: date, taken_at: datetime, last_checkpoint_id: int, batch_count: int, root: str,
                 previous_signature: str | None) -> str:
    """The exact text a daily root's signature covers, the previous day's signature included (a chain of days)."""
    return (f"{ROOT_FORMAT}|{day.isoformat()}|{iso(taken_at)}|{last_checkpoint_id}|{batch_count}|{root}|"
            f"{previous_signature or ''}")


def checkpoint_signed(checkpoint: LedgerCheckpoint) -> bool:
    return signature_matches(head_message(checkpoint.batch_id, checkpoint.head_seq, checkpoint.head_hash,
                                          checkpoint.taken_at), checkpoint.signature)


# --- the Merkle tree -------------------------------------------------------------------------------

def leaf_hash(batch_id: int, head_seq: int, head_hash: str) -> bytes:
    return hashlib.sha256(b"\x00" + f"{batch_id}|{head_seq}|{head_hash}".encode("ascii")).digest()


def merkle_root(heads: Iterable[tuple[int, int, str]]) -> str:
    """RFC 6962 Merkle tree hash over (batch id, head seq, head hash) in batch id order, as hex. Pairing
    neighbours level by level and lifting an odd last node unchanged builds exactly RFC 6962's tree."""
    level = [leaf_hash(*head) for head in sorted(heads)]
    if not level:
        return hashlib.sha256(b"").hexdigest()
    while len(level) > 1:
        paired = [hashlib.sha256(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        level = paired + level[len(level) - len(level) % 2:]
    return level[0].hex()


# --- the newest checkpoints ------------------------------------------------------------------------

def label(checkpoint: LedgerCheckpoint) -> str:
    return f"checkpoint {checkpoint.id} of {checkpoint.taken_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def as_anchor(checkpoint: LedgerCheckpoint) -> Anchor:
    return Anchor(checkpoint.head_seq, checkpoint.head_hash, label(checkpoint))


def newest_checkpoint(batch_id: int) -> tuple[LedgerCheckpoint | None, list[LedgerCheckpoint]]:
    """The batch's newest checkpoint signed with the current key, and the newer rows under that key whose
    signature fails (forged, or altered after signing). Rows of another key are left aside: they cannot be
    checked, and `wufei ledger checkpoint` re-signs every head after a change of key."""
    forged = []
    rows = db.session.scalars(select(LedgerCheckpoint).where(LedgerCheckpoint.batch_id == batch_id,
                                                             LedgerCheckpoint.key_id == key_id())
                              .order_by(LedgerCheckpoint.id.desc()))
    for row in rows:
        if checkpoint_signed(row):
            return row, forged
        forged.append(row)
    return None, forged


def newest_checkpoints(up_to_id: int | None = None, signed_with: str | None = None) -> Iterator[LedgerCheckpoint]:
    """The newest checkpoint row of every batch (up to a checkpoint id; under one key, the current by default),
    signatures not yet checked."""
    newest = select(func.max(LedgerCheckpoint.id)).where(LedgerCheckpoint.key_id == (signed_with or key_id()))
    if up_to_id is not None:
        newest = newest.where(LedgerCheckpoint.id <= up_to_id)
    newest = newest.group_by(LedgerCheckpoint.batch_id)
    return iter(db.session.scalars(select(LedgerCheckpoint).where(LedgerCheckpoint.id.in_(newest))
                                   .order_by(LedgerCheckpoint.batch_id)))


def newest_signed_checkpoints() -> tuple[dict[int, LedgerCheckpoint], list[LedgerCheckpoint]]:
    """Every batch's newest valid checkpoint, and the rows found forged on the way (see newest_checkpoint)."""
    valid, forged = {}, []
    for row in newest_checkpoints():
        if checkpoint_signed(row):
            valid[row.batch_id] = row
            continue
        older, more_forged = newest_checkpoint(row.batch_id)
        forged += more_forged
        if older is not None:
            valid[row.batch_id] = older
    return valid, forged
