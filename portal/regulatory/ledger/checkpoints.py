"""Writing, exporting and checking the ledger's anchors (see anchors.py for what they are and why).

`wufei ledger checkpoint` calls take_checkpoint(), `--export FILE` export_root(), `wufei ledger verify` adds
verify_roots() and, with --anchor FILE, read_export(). Nothing here commits: the command does.
"""
import json
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select

from ...clock import CHINA
from ...extensions import db
from ...types import utcnow
from ..batches.models import Batch
from . import anchors
from .anchors import Anchor
from .models import LedgerCheckpoint, LedgerRoot
from .services import Problem, verify_batches


@dataclass
class CheckpointRun:
    signed: int = 0  # heads signed by this run
    unchanged: int = 0  # heads already signed as they stand
    refused: dict[int, list[Problem]] = field(default_factory=dict)  # batch id → why its head was not signed
    root: LedgerRoot | None = None  # the day's root, when this run made it


def take_checkpoint(now: datetime | None = None) -> CheckpointRun:
    """Sign the head of every batch whose head moved since its newest checkpoint (or that has none under the
    current key), then make the day's root if the day has none. Safe to repeat: a head already signed is left.

    A head is signed only when its chain verifies against the previous checkpoint: a head that went back, or a
    chain with a hole, is refused and stays reported until someone looks, instead of becoming the new normal."""
    now = now or utcnow()
    run = CheckpointRun()
    known, _forged = anchors.newest_signed_checkpoints()
    heads = db.session.execute(select(Batch.id, Batch.ledger_head_seq, Batch.ledger_head_hash)
                               .where(Batch.ledger_head_seq > 0).order_by(Batch.id)).all()
    moved = [(batch_id, head_seq, head_hash) for batch_id, head_seq, head_hash in heads
             if batch_id not in known or (known[batch_id].head_seq, known[batch_id].head_hash) != (head_seq, head_hash)]
    run.unchanged = len(heads) - len(moved)
    run.refused = verify_batches([batch_id for batch_id, _seq, _hash in moved], known)
    signing_key = anchors.key_id()
    for batch_id, head_seq, head_hash in moved:
        if batch_id in run.refused:
            continue
        db.session.add(LedgerCheckpoint(
            batch_id=batch_id, head_seq=head_seq, head_hash=head_hash, taken_at=now, key_id=signing_key,
            signature=anchors.sign(anchors.head_message(batch_id, head_seq, head_hash, now))))
        run.signed += 1
    db.session.flush()
    day = now.astimezone(CHINA).date()
    if db.session.scalar(select(LedgerRoot.id).where(LedgerRoot.day == day)) is None:
        run.root = make_root(day, now)
    return run


def _heads(up_to_id: int | None, signed_with: str | None = None) -> list[tuple[int, int, str]]:
    return [(c.batch_id, c.head_seq, c.head_hash) for c in anchors.newest_checkpoints(up_to_id, signed_with)]


def make_root(day: date, now: datetime) -> LedgerRoot:
    """The day's Merkle root over the newest checkpoint of every batch, signed and chained to the last root."""
    last_id = db.session.scalar(select(LedgerCheckpoint.id).order_by(LedgerCheckpoint.id.desc()).limit(1)) or 0
    heads = _heads(last_id)
    previous = latest_root()
    values = {"day": day, "taken_at": now, "last_checkpoint_id": last_id, "batch_count": len(heads),
              "root": anchors.merkle_root(heads), "previous_signature": previous.signature if previous else None}
    root = LedgerRoot(**values, key_id=anchors.key_id(), signature=anchors.sign(anchors.root_message(**values)))
    db.session.add(root)
    db.session.flush()
    return root


def latest_root() -> LedgerRoot | None:
    return db.session.scalar(select(LedgerRoot).order_by(LedgerRoot.day.desc()).limit(1))


def _root_values(root: LedgerRoot) -> dict:
    return {"day": root.day, "taken_at": root.taken_at, "last_checkpoint_id": root.last_checkpoint_id,
            "batch_count": root.batch_count, "root": root.root, "previous_signature": root.previous_signature}


def verify_roots() -> list[str]:
    """What is wrong with the daily roots: a signature that fails, a missing day in their chain, or checkpoints
    removed or changed under the latest root (which would otherwise let a batch fall back to an older one)."""
    findings, previous = [], None
    for root in db.session.scalars(select(LedgerRoot).order_by(LedgerRoot.day)):
        if root.key_id != anchors.key_id():
            findings.append(f"root of {root.day}: signed with key {root.key_id}, not the configured key")
        elif not anchors.signature_matches(anchors.root_message(**_root_values(root)), root.signature):
            findings.append(f"root of {root.day}: its signature does not match its content")
        if previous is not None and root.previous_signature != previous.signature:
            findings.append(f"root of {root.day}: the root before it is not the one of {previous.day}")
        previous = root
    if previous is not None and previous.key_id == anchors.key_id():
        heads = _heads(previous.last_checkpoint_id, previous.key_id)
        if (len(heads), anchors.merkle_root(heads)) != (previous.batch_count, previous.root):
            findings.append(f"root of {previous.day}: the checkpoints it covers were removed or changed since")
    return findings


def export_root(root: LedgerRoot) -> dict:
    """The root with everything needed to check it: its heads, how leaves and nodes are hashed, its signature."""
    heads = _heads(root.last_checkpoint_id, root.key_id)
    return {
        "format": anchors.ROOT_FORMAT, "day": root.day.isoformat(), "taken_at": anchors.iso(root.taken_at),
        "last_checkpoint_id": root.last_checkpoint_id, "batch_count": root.batch_count, "root": root.root,
        "tree": "RFC 6962: leaf = SHA-256(0x00 | 'batch_id|head_seq|head_hash'), node = SHA-256(0x01 | left | right),"
                " leaves in batch id order",
        "signature": {"algorithm": "HMAC-SHA256", "key_id": root.key_id, "value": root.signature,
                      "previous": root.previous_signature},
        "heads": [list(head) for head in heads],
    }


def export_json(root: LedgerRoot) -> str:
    """export_root() as JSON text, one head to a line so that the file stays readable with 100,000 batches."""
    exported = export_root(root)
    heads = exported.pop("heads")
    head = json.dumps(exported, ensure_ascii=False, indent=1)[:-2]
    lines = ",\n".join("  " + json.dumps(h) for h in heads)
    return f'{head},\n "heads": [\n{lines}\n ]\n}}\n' if heads else f'{head},\n "heads": []\n}}\n'


class ExportError(ValueError):
    """An exported root that cannot be used: unreadable, or not matching its own heads or signature."""


def read_export(text: str) -> tuple[dict[int, Anchor], list[str]]:
    """The heads of an exported root as anchors (batch id → anchor), and notes on what could not be checked.
    Raises ExportError when the file is not an export or its root does not follow from its heads."""
    try:
        exported = json.loads(text)
        heads = [(int(b), int(s), str(h)) for b, s, h in exported["heads"]]
        values = {"day": date.fromisoformat(exported["day"]), "taken_at": datetime.fromisoformat(exported["taken_at"]),
                  "last_checkpoint_id": int(exported["last_checkpoint_id"]),
                  "batch_count": int(exported["batch_count"]), "root": exported["root"],
                  "previous_signature": exported["signature"]["previous"]}
        signature = exported["signature"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ExportError(f"not an exported ledger root: {exc}") from None
    if exported.get("format") != anchors.ROOT_FORMAT:
        raise ExportError(f"unknown format {exported.get('format')!r}")
    if (len(heads), anchors.merkle_root(heads)) != (values["batch_count"], values["root"]):
        raise ExportError("its root does not follow from its heads")
    notes = []
    if signature.get("key_id") != anchors.key_id():
        notes.append(f"signed with key {signature.get('key_id')}, not the configured key: root checked against its "
                     "heads only")
    elif not anchors.signature_matches(anchors.root_message(**values), signature.get("value")):
        raise ExportError("its signature does not match its content")
    source = f"the exported root of {values['day']}"
    return {batch_id: Anchor(seq, head_hash, source) for batch_id, seq, head_hash in heads}, notes
