"""一般工业固体废物转移记录: the transfer record of general industrial solid waste, and its own number counter.

A record moves one batch (all its containers still at the generator) from the generator to a receiver in
three steps: created → shipped → received. A hazardous batch may travel on one only when the generator
declares an item of the exemption list (危险废物豁免管理清单) exempting its transport, and its condition.
Quantities are integer grams; timestamps UTC.
"""
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...accounts.models import Organisation, User
from ...extensions import db
from ...types import UTCDateTime, utcnow
from ...workflow import status_check
from ..batches.models import Batch
from ..models import ExemptionItem

STATES = ("created", "shipped", "received")
STATE_LABELS = {"created": lazy_pgettext("state", "Created"), "shipped": _l("Shipped"), "received": _l("Received")}
PURPOSES = ("utilisation", "disposal", "storage")
PURPOSE_LABELS = {"utilisation": _l("Utilisation"), "disposal": _l("Disposal"), "storage": _l("Storage")}


class GeneralTransfer(db.Model):
    """One 一般工业固体废物转移记录, numbered from its own sequence (never the manifest counter)."""

    __tablename__ = "general_transfers"
    __table_args__ = (status_check(STATES, "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # YB + YYYY + province and prefecture of the jurisdiction + 6-digit serial, e.g. YB20264112000001
    number: Mapped[str] = mapped_column(String(16), unique=True)
    state: Mapped[str] = mapped_column(String(20), default="created", index=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), index=True)
    generator_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    receiver_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    origin_district_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"), index=True)
    destination_district_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    carrier_name: Mapped[str] = mapped_column(String(200))
    vehicle_plate: Mapped[str | None] = mapped_column(String(20))
    quantity_g: Mapped[int] = mapped_column(Integer)
    received_g: Mapped[int | None] = mapped_column(Integer)
    # the exemption applied to a hazardous batch: which item, the condition as declared, and who declared it
    exemption_item_id: Mapped[int | None] = mapped_column(ForeignKey("exemption_items.id"))
    exemption_condition: Mapped[str | None] = mapped_column(Text)
    exemption_declared_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    batch: Mapped[Batch] = relationship()
    generator: Mapped[Organisation] = relationship(foreign_keys=[generator_org_id])
    receiver: Mapped[Organisation] = relationship(foreign_keys=[receiver_org_id])
    exemption_item: Mapped[ExemptionItem | None] = relationship()
    exemption_declared_by: Mapped[User | None] = relationship(foreign_keys=[exemption_declared_by_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS.get(self.state, self.state))

    @property
    def purpose_label(self) -> str:
        return str(PURPOSE_LABELS.get(self.purpose, self.purpose))


class GeneralTransferCounter(db.Model):
    """The last serial given out per prefix (YB + YYYY + 4112), locked FOR UPDATE while a record is created."""

    __tablename__ = "general_transfer_counters"

    prefix: Mapped[str] = mapped_column(String(10), primary_key=True)
    last_serial: Mapped[int] = mapped_column(Integer, default=0)
