"""危险废物电子转移联单: the manifest, its parties, lines, signatures, revisions and number counter.

Quantities are integer grams. Timestamps are UTC. Field names are the contract the alert scanners and the
declarations read (delivered_at, received_at, treated_at, planned_delivery_on, lines' quantity_g/received_g).
"""
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...accounts.models import Organisation, User
from ...extensions import db
from ...types import UTCDateTime, utcnow
from ...workflow import status_check
from ..signing.models import SigningKey
from ..transport.models import TransportWorker, Vehicle

STATES = ("draft", "submitted", "in_transit", "handed_over", "delivered", "received", "partly_received",
          "refused", "treated", "cancelled")
# the states in which the waste is on the road
TRANSIT_STATES = ("in_transit", "handed_over")
# submitted but not yet received: the waste is promised to the receiver and counts against its capacity
PENDING_STATES = ("submitted", "in_transit", "handed_over", "delivered")
RECEIPT_OUTCOMES = ("accepted", "partly", "refused")
# what happens to refused waste: a new manifest back to the generator, or on to another licensed receiver
FOLLOW_UP_KINDS = ("return", "forward")
REVISION_STATUSES = ("proposed", "applied", "rejected")
# the custody transfers at which every container must be scanned or excused
CUSTODY_TRANSFERS = ("pick_up", "hand_over", "deliver")
GATE_SOURCES = ("manual", "device")


def _listed(values) -> str:
    return ", ".join(f"'{value}'" for value in values)


class Manifest(db.Model):
    """One manifest per vehicle trip and per 移出人 (generator)."""

    __tablename__ = "manifests"
    __table_args__ = (status_check(STATES, "state"),
                      CheckConstraint("follow_up_kind IN ('return', 'forward')", name="follow_up_kind_known"))

    id: Mapped[int] = mapped_column(primary_key=True)
    # YYYY + 41 + 12 + 6-digit serial, allocated at submission; drafts have none
    number: Mapped[str | None] = mapped_column(String(14), unique=True)
    state: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    generator_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    receiver_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    # the districts a regulator's jurisdiction is matched against: where the waste leaves and arrives
    origin_district_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"), index=True)
    destination_district_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"), index=True)
    deal_ref: Mapped[str | None] = mapped_column(String(60), index=True)
    origin: Mapped[str] = mapped_column(String(300))
    via_points: Mapped[str | None] = mapped_column(Text)
    destination: Mapped[str] = mapped_column(String(300))
    emergency_measures: Mapped[str] = mapped_column(Text, default="")
    planned_pickup_on: Mapped[date] = mapped_column(Date)
    planned_delivery_on: Mapped[date] = mapped_column(Date, index=True)
    # index into carriers of the leg holding the waste now (0 = the first carrier)
    current_leg: Mapped[int] = mapped_column(Integer, default=0)
    receipt_outcome: Mapped[str | None] = mapped_column(String(10))
    refusal_reason: Mapped[str | None] = mapped_column(Text)
    treatment_method: Mapped[str | None] = mapped_column(String(4))
    treated_on: Mapped[date | None] = mapped_column(Date)
    treated_g: Mapped[int | None] = mapped_column(Integer)
    # the labels scanned at a step did not match the containers listed
    count_mismatch: Mapped[bool] = mapped_column(Boolean, default=False)
    count_mismatch_note: Mapped[str | None] = mapped_column(Text)
    # a follow-up manifest carries (part of) the waste another manifest's receiver refused
    follows_manifest_id: Mapped[int | None] = mapped_column(ForeignKey("manifests.id"), index=True)
    follow_up_kind: Mapped[str | None] = mapped_column(String(10))
    # the cross-province approval (跨省转移审批) this manifest draws on, chosen at submission
    transfer_approval_id: Mapped[int | None] = mapped_column(ForeignKey("transfer_approvals.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    picked_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    treated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    generator: Mapped[Organisation] = relationship(foreign_keys=[generator_org_id])
    receiver: Mapped[Organisation] = relationship(foreign_keys=[receiver_org_id])
    created_by: Mapped[User | None] = relationship()
    transfer_approval = relationship("TransferApproval")
    carriers: Mapped[list["ManifestCarrier"]] = relationship(
        back_populates="manifest", cascade="all, delete-orphan", order_by="ManifestCarrier.position")
    lines: Mapped[list["ManifestLine"]] = relationship(
        back_populates="manifest", cascade="all, delete-orphan", order_by="ManifestLine.position")
    signatures: Mapped[list["ManifestSignature"]] = relationship(
        back_populates="manifest", cascade="all, delete-orphan", order_by="ManifestSignature.seq")
    revisions: Mapped[list["ManifestRevision"]] = relationship(
        back_populates="manifest", cascade="all, delete-orphan", order_by="ManifestRevision.id")
    follows: Mapped["Manifest | None"] = relationship(remote_side=[id], back_populates="follow_ups")
    follow_ups: Mapped[list["Manifest"]] = relationship(back_populates="follows", order_by="Manifest.id")
    scan_exceptions: Mapped[list["ManifestScanException"]] = relationship(
        back_populates="manifest", cascade="all, delete-orphan", order_by="ManifestScanException.id")
    gate_weighings: Mapped[list["GateWeighing"]] = relationship(
        back_populates="manifest", cascade="all, delete-orphan", order_by="GateWeighing.id")

    @property
    def total_g(self) -> int:
        return sum(line.quantity_g for line in self.lines)

    @property
    def received_total_g(self) -> int | None:
        if self.received_at is None:
            return None
        return sum(line.received_g or 0 for line in self.lines)

    @property
    def current_carrier(self) -> "ManifestCarrier | None":
        return self.carriers[self.current_leg] if self.current_leg < len(self.carriers) else None

    @property
    def next_carrier(self) -> "ManifestCarrier | None":
        index = self.current_leg + 1
        return self.carriers[index] if index < len(self.carriers) else None

    @property
    def waste_codes(self) -> list[str]:
        return sorted({line.waste_code for line in self.lines})

    @property
    def party_org_ids(self) -> list[int]:
        ids = [self.generator_org_id, *(c.organisation_id for c in self.carriers), self.receiver_org_id]
        return list(dict.fromkeys(ids))

    @property
    def crosses_province(self) -> bool:
        """The receiver is in another province than the generator: a cross-province approval is needed."""
        return self.generator.district_code[:2] != self.receiver.district_code[:2]

    @property
    def gate_weighing(self) -> "GateWeighing | None":
        """The gate weighing the receipt counted (sealed into the receive step)."""
        return next((w for w in self.gate_weighings if w.counted), None)

    @property
    def gate_difference_g(self) -> int | None:
        """Gate weight minus the weight shipped; None before the gate weight is counted."""
        weighing = self.gate_weighing
        return None if weighing is None else weighing.net_g - self.total_g

    @property
    def open_revision(self) -> "ManifestRevision | None":
        return next((r for r in self.revisions if r.status == "proposed"), None)


class ManifestCarrier(db.Model):
    """One 承运人 leg, in order; several for multimodal transport with handovers."""

    __tablename__ = "manifest_carriers"
    __table_args__ = (UniqueConstraint("manifest_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    manifest_id: Mapped[int] = mapped_column(ForeignKey("manifests.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # 0, 1, 2 … in transport order
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    vehicle_plate: Mapped[str] = mapped_column(String(20))
    driver_name: Mapped[str] = mapped_column(String(100))
    driver_phone: Mapped[str] = mapped_column(String(30))
    escort_name: Mapped[str | None] = mapped_column(String(100))
    # the carrier's records the leg names; the text columns above keep what was sealed (see transport/services)
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicles.id"), index=True)
    driver_id: Mapped[int | None] = mapped_column(ForeignKey("transport_workers.id"), index=True)
    escort_id: Mapped[int | None] = mapped_column(ForeignKey("transport_workers.id"), index=True)
    took_over_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handed_over_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    manifest: Mapped[Manifest] = relationship(back_populates="carriers")
    organisation: Mapped[Organisation] = relationship()
    vehicle: Mapped[Vehicle | None] = relationship()
    driver: Mapped[TransportWorker | None] = relationship(foreign_keys=[driver_id])
    escort: Mapped[TransportWorker | None] = relationship(foreign_keys=[escort_id])


class ManifestLine(db.Model):
    """One waste line: a whole batch, or one container of a batch."""

    __tablename__ = "manifest_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    manifest_id: Mapped[int] = mapped_column(ForeignKey("manifests.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), index=True)
    container_id: Mapped[int | None] = mapped_column(ForeignKey("containers.id"), index=True)
    waste_code: Mapped[str] = mapped_column(String(12), index=True)
    waste_name: Mapped[str] = mapped_column(Text)
    hazards: Mapped[str] = mapped_column(String(20), default="")
    form: Mapped[str] = mapped_column(String(20))
    packaging: Mapped[str] = mapped_column(String(100))
    quantity_g: Mapped[int] = mapped_column(Integer)  # shipped
    # R1–R15 / D1–D18 the receiver intends; must be within its licence scope for the code
    planned_method: Mapped[str | None] = mapped_column(String(4))
    # GB 6944 class or division the generator declares for transport (3, 6.1, 9…); None when not declared,
    # which the pick-up names instead of guessing it from the waste code
    dangerous_goods_class: Mapped[str | None] = mapped_column(String(4))
    received_g: Mapped[int | None] = mapped_column(Integer)
    refused_g: Mapped[int | None] = mapped_column(Integer)
    refusal_reason: Mapped[str | None] = mapped_column(Text)
    # on a follow-up manifest: the refused line of the earlier manifest this quantity comes from
    follows_line_id: Mapped[int | None] = mapped_column(ForeignKey("manifest_lines.id"), index=True)

    manifest: Mapped[Manifest] = relationship(back_populates="lines")
    follows_line: Mapped["ManifestLine | None"] = relationship(remote_side=[id])
    batch = relationship("Batch")
    container = relationship("Container")

    @property
    def container_codes(self) -> list[str]:
        """The labels a driver should scan for this line."""
        if self.container is not None:
            return [self.container.code]
        return [c.code for c in self.batch.containers if c.status != "merged"]


class ManifestSignature(db.Model):
    """A step signed by the party allowed to take it. `hash` is the SHA-256 of the step's canonical payload
    (who, when, what, the sealed fields, the previous signature); `signature` is the acting organisation's
    signature over that payload with `signing_key` under `algorithm`. Rows from before keys existed carry
    algorithm "sha256-seal": their `signature` is their hash, which seals the fields but names no key."""

    __tablename__ = "manifest_signatures"
    __table_args__ = (UniqueConstraint("manifest_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    manifest_id: Mapped[int] = mapped_column(ForeignKey("manifests.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))
    from_state: Mapped[str] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sealed: Mapped[dict] = mapped_column(JSON, default=dict)
    hash: Mapped[str] = mapped_column(String(64))
    algorithm: Mapped[str] = mapped_column(String(20))
    signing_key_id: Mapped[int | None] = mapped_column(ForeignKey("signing_keys.id"), index=True)
    signature: Mapped[str] = mapped_column(Text)

    manifest: Mapped[Manifest] = relationship(back_populates="signatures")
    user: Mapped[User | None] = relationship()
    organisation: Mapped[Organisation] = relationship()
    signing_key: Mapped[SigningKey | None] = relationship()


class ManifestRevision(db.Model):
    """A change to sealed fields, proposed by one party with before/after and applied once all approve."""

    __tablename__ = "manifest_revisions"
    __table_args__ = (status_check(REVISION_STATUSES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    manifest_id: Mapped[int] = mapped_column(ForeignKey("manifests.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="proposed", index=True)
    reason: Mapped[str] = mapped_column(Text)
    before: Mapped[dict] = mapped_column(JSON)
    after: Mapped[dict] = mapped_column(JSON)
    # organisation id (as a string key) → {"user_id", "at"}: one approval per party
    approvals: Mapped[dict] = mapped_column(JSON, default=dict)
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    proposed_by_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rejected_by_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    rejection_reason: Mapped[str | None] = mapped_column(Text)

    manifest: Mapped[Manifest] = relationship(back_populates="revisions")
    proposed_by_org: Mapped[Organisation] = relationship(foreign_keys=[proposed_by_org_id])

    def approved_by(self, org_id: int) -> bool:
        return str(org_id) in (self.approvals or {})


class ManifestNumberCounter(db.Model):
    """The last serial given out per prefix (YYYY4112); locked FOR UPDATE inside the submitting transaction,
    so concurrent submissions queue and a rolled-back submission gives its serial back."""

    __tablename__ = "manifest_number_counters"

    prefix: Mapped[str] = mapped_column(String(8), primary_key=True)
    last_serial: Mapped[int] = mapped_column(Integer, default=0)


class ManifestScanException(db.Model):
    """A container of the manifest that was not scanned at a custody transfer, with the reason the signing party
    recorded (and optionally a photo); sealed into that step's signature."""

    __tablename__ = "manifest_scan_exceptions"
    __table_args__ = (UniqueConstraint("manifest_id", "action", "leg", "container_id"),
                      # a list of values, not a status: named _known so it is not taken for a workflow's column
                      CheckConstraint(f"action IN ({_listed(CUSTODY_TRANSFERS)})", name="action_known"))

    id: Mapped[int] = mapped_column(primary_key=True)
    manifest_id: Mapped[int] = mapped_column(ForeignKey("manifests.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    # the carrier leg taking the waste over (pick up, hand over) or delivering it
    leg: Mapped[int] = mapped_column(Integer)
    container_id: Mapped[int] = mapped_column(ForeignKey("containers.id"), index=True)
    container_code: Mapped[str] = mapped_column(String(40))
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    photo_sha256: Mapped[str | None] = mapped_column(String(64))  # the cleaned JPEG, stored by its hash
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    manifest: Mapped[Manifest] = relationship(back_populates="scan_exceptions")
    organisation: Mapped[Organisation] = relationship()
    user: Mapped[User | None] = relationship()


class GateWeighing(db.Model):
    """The net weight of what arrived at the receiver's gate: typed with the weighing ticket's number, or sent by
    the receiver's weighbridge. The one the receipt counted (counted=True) feeds the weight-mismatch alert."""

    __tablename__ = "manifest_gate_weighings"
    __table_args__ = (UniqueConstraint("device_id", "idempotency_key"),
                      CheckConstraint(f"source IN ({_listed(GATE_SOURCES)})", name="source_known"))

    id: Mapped[int] = mapped_column(primary_key=True)
    manifest_id: Mapped[int] = mapped_column(ForeignKey("manifests.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    source: Mapped[str] = mapped_column(String(10))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("weighing_devices.id"), index=True)
    ticket_no: Mapped[str | None] = mapped_column(String(60))
    gross_g: Mapped[int | None] = mapped_column(Integer)
    tare_g: Mapped[int | None] = mapped_column(Integer)
    net_g: Mapped[int] = mapped_column(Integer)
    weighed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    counted: Mapped[bool] = mapped_column(Boolean, default=False)
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    request_hash: Mapped[str | None] = mapped_column(String(64))

    manifest: Mapped[Manifest] = relationship(back_populates="gate_weighings")
    device = relationship("Device")
    recorded_by: Mapped[User | None] = relationship()
