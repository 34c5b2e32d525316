"""Storage alerts: hazardous waste stored longer than a year, facilities over capacity."""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm.attributes import flag_modified

from ...extensions import db
from ..alerts.models import Alert
from ..alerts.services import N_, raise_alert, register_scanner
from ..ledger.models import LedgerEvent
from .models import Batch, Container, Site, StorageFacility
from .services import facility_stock_g

OVER_YEAR = "storage_over_year"
OVER_CAPACITY = "facility_over_capacity"


def one_year_before(now: datetime) -> datetime:
    try:
        return now.replace(year=now.year - 1)
    except ValueError:  # 29 February
        return now.replace(year=now.year - 1, day=28)


@register_scanner
def hazardous_storage_over_one_year(now: datetime) -> int:
    """One alert per container still stored more than a year after its last 'stored' event."""
    stored_at = func.max(LedgerEvent.occurred_at)
    rows = db.session.execute(
        select(Container, stored_at.label("stored_at"))
        .join(Batch, Container.batch_id == Batch.id)
        .join(LedgerEvent, (LedgerEvent.container_id == Container.id) & (LedgerEvent.event_type == "stored"))
        .where(Container.status == "stored", Batch.stream == "hazardous")
        .group_by(Container.id)
        .having(stored_at <= one_year_before(now))).all()
    raised = 0
    for container, since in rows:
        batch, facility = container.batch, container.facility
        since = since if since.tzinfo else since.replace(tzinfo=now.tzinfo)
        alert = raise_alert(
            OVER_YEAR, f"{OVER_YEAR}:container:{container.id}", severity="critical",
            organisation=batch.organisation, district_code=facility.site.district_code if facility else None,
            object_type="container", object_id=container.id,
            message_key=N_("Hazardous waste %(waste_code)s in container %(code)s has been stored in %(facility)s "
                           "since %(since)s, more than one year."),
            params={"code": container.code, "waste_code": batch.waste_code, "since": since.date().isoformat(),
                    "facility": facility.name if facility else ""})
        raised += alert is not None
    return raised


def _last_capacity_alert(facility_id: int) -> Alert | None:
    return db.session.scalar(select(Alert).where(Alert.kind == OVER_CAPACITY, Alert.object_type == "facility",
                                                 Alert.object_id == facility_id)
                             .order_by(Alert.id.desc()).limit(1))


def _kg(grams: int) -> str:
    return f"{(Decimal(grams) / 1000).normalize():f}"


@register_scanner
def facility_over_capacity(now: datetime) -> int:
    """One alert per episode in which a facility's stock exceeds its capacity. An episode ends when a scan
    finds the stock back within capacity; the next excess is a new episode with a new dedup key."""
    raised = 0
    for facility in db.session.scalars(select(StorageFacility).join(Site)):
        stock = facility_stock_g(facility.id)
        last = _last_capacity_alert(facility.id)
        episode_open = last is not None and not last.params.get("episode_ended_at")
        if stock <= facility.capacity_g:
            if episode_open:
                last.params = {**last.params, "episode_ended_at": now.isoformat()}
                flag_modified(last, "params")
            continue
        if episode_open:
            continue
        episode = (last.params.get("episode", 0) if last else 0) + 1
        alert = raise_alert(
            OVER_CAPACITY, f"{OVER_CAPACITY}:facility:{facility.id}:{episode}", severity="warning",
            organisation=facility.organisation, district_code=facility.site.district_code,
            object_type="facility", object_id=facility.id,
            message_key=N_("Storage facility %(facility)s holds %(stock_kg)s kg, above its capacity of "
                           "%(capacity_kg)s kg."),
            params={"facility": facility.name, "episode": episode, "stock_g": stock,
                    "stock_kg": _kg(stock), "capacity_kg": _kg(facility.capacity_g),
                    "capacity_g": facility.capacity_g})
        raised += alert is not None
    return raised


