"""The one-year storage clock of hazardous waste and the declared capacity of storage places.

危险废物贮存一般不超过一年: the year is the waste's, not the move's. It starts on the day the waste was generated
(a merged batch keeps the oldest day of what went into it) and runs whether or not the containers were ever put
into storage. Waste received on a manifest starts a new year for its receiver, on the day of receipt.
"""
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_CEILING, Decimal

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm.attributes import flag_modified

from ...clock import china_date
from ...errors import DomainError
from ...extensions import db
from ..alerts.models import Alert
from ..alerts.services import N_, raise_alert
from ..ledger.models import LedgerEvent
from .models import Batch, Container, StorageFacility

CUSTODY_EVENTS = ("picked_up", "handed_over", "delivered", "received", "refused")
# Containers still kept by someone (not on the road, not consumed by a merge, not treated): their clock runs.
KEPT_STATUSES = ("created", "stored", "retrieved", "received")
# Reaching this share of the declared capacity raises an alert, once per crossing.
ALERT_SHARE = Decimal("0.9")


# --- the clock ---------------------------------------------------------------------------------

def receipt_event(container: Container) -> LedgerEvent | None:
    """The receipt by which the container's current keeper took it over, when its last custody step was one.
    A manifest line may carry a whole batch: its events name the batch, not each container."""
    whole_batch = (LedgerEvent.batch_id == container.batch_id) & LedgerEvent.container_id.is_(None)
    last = db.session.scalar(select(LedgerEvent).where(
        or_(LedgerEvent.container_id == container.id, whole_batch), LedgerEvent.event_type.in_(CUSTODY_EVENTS))
        .order_by(LedgerEvent.occurred_at.desc(), LedgerEvent.id.desc()).limit(1))
    return last if last is not None and last.event_type == "received" else None


def keeper_id(container: Container) -> int:
    """The organisation keeping the container: the receiver that received it, else its producer."""
    receipt = receipt_event(container)
    return receipt.organisation_id if receipt is not None else container.batch.organisation_id


def _utc(instant):
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)


def clock_start(container: Container) -> date:
    """The day the container's storage year started: its receipt (for the receiver), else its batch's clock."""
    receipt = receipt_event(container)
    return china_date(_utc(receipt.occurred_at)) if receipt is not None else container.batch.clock_from


def year_after(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


@dataclass(frozen=True)
class Clock:
    container: Container
    started_on: date
    received: bool  # the receiver's own clock

    @property
    def due_on(self) -> date:
        return year_after(self.started_on)

    def age_days(self, today: date) -> int:
        return (today - self.started_on).days

    def days_left(self, today: date) -> int:
        return (self.due_on - today).days


def clock_of(container: Container) -> Clock:
    receipt = receipt_event(container)
    if receipt is not None:
        return Clock(container, china_date(_utc(receipt.occurred_at)), True)
    return Clock(container, container.batch.clock_from, False)


def oldest_clock(containers) -> Clock | None:
    clocks = [clock_of(c) for c in containers]
    return min(clocks, key=lambda c: (c.started_on, c.container.id)) if clocks else None


# --- volumes -----------------------------------------------------------------------------------

def container_volume_l(container: Container) -> int | None:
    """The container's share of its batch's recorded volume (by mass, rounded up to the litre); None when the
    batch has no volume. No density is assumed."""
    batch = container.batch
    if batch.volume_l is None or not batch.quantity_g:
        return None
    share = Decimal(batch.volume_l) * container.quantity_g / batch.quantity_g
    return int(share.to_integral_value(rounding=ROUND_CEILING))


# --- capacity ----------------------------------------------------------------------------------

@dataclass
class Usage:
    """What a facility holds against what it declared, in the unit of its declaration (grams or litres)."""
    unit: str  # 't' or 'm3'
    declared: int
    used: int
    without_volume: list[str] = field(default_factory=list)  # codes of stored containers with no volume

    @property
    def share(self) -> Decimal:
        return Decimal(self.used) / self.declared if self.declared else Decimal(0)

    @property
    def percent(self) -> int:
        return int((self.share * 100).to_integral_value(rounding=ROUND_CEILING)) if self.used else 0

    @property
    def at_alert_level(self) -> bool:
        return self.share >= ALERT_SHARE


def stored_in(facility: StorageFacility) -> list[Container]:
    return list(db.session.scalars(select(Container).join(Batch, Container.batch_id == Batch.id).where(
        Container.facility_id == facility.id, Container.status == "stored").order_by(Container.id)))


def _amount(facility: StorageFacility, container: Container) -> int | None:
    return container.quantity_g if facility.capacity_unit == "t" else container_volume_l(container)


def facility_usage(facility: StorageFacility) -> Usage:
    declared = facility.capacity_g if facility.capacity_unit == "t" else facility.capacity_l
    usage = Usage(facility.capacity_unit, declared or 0, 0)
    for container in stored_in(facility):
        amount = _amount(facility, container)
        if amount is None:
            usage.without_volume.append(container.code)
        else:
            usage.used += amount
    return usage


def format_amount(unit: str, amount: int) -> str:
    """Grams as t, litres as m³, exact to the gram or litre."""
    size = Decimal(1_000_000) if unit == "t" else Decimal(1000)
    label = "t" if unit == "t" else "m³"
    return f"{(Decimal(amount) / size).normalize():f} {label}"


def require_room(facility: StorageFacility, container: Container) -> Usage:
    """Refuse an intake that the facility's declared capacity cannot take (422, field 'facility').
    A capacity in m³ needs the waste's volume: a batch without one is refused with that reason."""
    # on PostgreSQL two intakes into the same facility queue here, so both cannot take the last cubic metre
    db.session.execute(select(StorageFacility.id).where(StorageFacility.id == facility.id).with_for_update())
    usage = facility_usage(facility)
    amount = _amount(facility, container)
    if amount is None:
        message = _("The capacity of %(facility)s is declared in m³, but batch %(batch)s has no volume recorded: "
                    "record its volume before storing it here.", facility=facility.name, batch=container.batch_id)
        raise DomainError(message, fields={"facility": message}, code="volume_unknown")
    if usage.used + amount > usage.declared:
        message = _("%(facility)s holds %(used)s of its declared %(declared)s; %(amount)s more would exceed it.",
                    facility=facility.name, used=format_amount(usage.unit, usage.used),
                    declared=format_amount(usage.unit, usage.declared), amount=format_amount(usage.unit, amount))
        raise DomainError(message, fields={"facility": message}, code="over_capacity")
    return usage


# --- the 90 % alert ------------------------------------------------------------------------------

NEAR_CAPACITY = "facility_near_capacity"


def _last_capacity_alert(facility_id: int) -> Alert | None:
    return db.session.scalar(select(Alert).where(Alert.kind == NEAR_CAPACITY, Alert.object_type == "facility",
                                                 Alert.object_id == facility_id).order_by(Alert.id.desc()).limit(1))


def follow_capacity(facility: StorageFacility, now: datetime) -> Alert | None:
    """Raise one alert when the facility's stock reaches 90 % of its declared capacity. The crossing ends
    when the stock falls below 90 % again; the next crossing is a new alert with its own dedup key."""
    usage = facility_usage(facility)
    last = _last_capacity_alert(facility.id)
    crossing_open = last is not None and not last.params.get("crossing_ended_at")
    if not usage.at_alert_level:
        if crossing_open:
            last.params = {**last.params, "crossing_ended_at": now.isoformat()}
            flag_modified(last, "params")
        return None
    if crossing_open:
        return None
    crossing = (last.params.get("crossing", 0) if last else 0) + 1
    return raise_alert(
        NEAR_CAPACITY, f"{NEAR_CAPACITY}:facility:{facility.id}:{crossing}", severity="warning",
        organisation=facility.organisation, district_code=facility.site.district_code,
        object_type="facility", object_id=facility.id,
        message_key=N_("Storage facility %(facility)s holds %(used)s, %(percent)s %% of its declared capacity of "
                       "%(declared)s."),
        params={"facility": facility.name, "crossing": crossing, "unit": usage.unit, "used_amount": usage.used,
                "declared_amount": usage.declared, "percent": usage.percent,
                "used": format_amount(usage.unit, usage.used), "declared": format_amount(usage.unit, usage.declared)})
