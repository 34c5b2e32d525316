"""Storage alerts: hazardous waste kept longer than a year, storage places at 90 % of their capacity."""
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ...accounts.models import Organisation
from ...clock import china_date
from ...extensions import db
from ..alerts.services import N_, raise_alert, register_scanner
from .models import Batch, Container, Site, StorageFacility
from .storage import KEPT_STATUSES, clock_of, follow_capacity, keeper_id

OVER_YEAR = "storage_over_year"

# Which message: where the container is and whose clock runs.
MESSAGES = {
    "stored": N_("Hazardous waste %(waste_code)s in container %(code)s has been kept since %(since)s, more than "
                 "one year (now stored in %(facility)s)."),
    "unstored": N_("Hazardous waste %(waste_code)s in container %(code)s has been kept since %(since)s, more than "
                   "one year, without being put into storage."),
    "received": N_("Hazardous waste %(waste_code)s in container %(code)s was received on %(since)s and has been "
                   "kept by its receiver for more than one year."),
}


@register_scanner
def hazardous_storage_over_one_year(now: datetime) -> int:
    """One alert per container kept more than a year after its clock started (generation, the oldest date of a
    merge, or its receipt), stored or not; the receiver's clock is a finding of its own."""
    today = china_date(now)
    # a year is at least 365 days, and a receipt only ever starts a later clock than the batch's:
    # the batch's clock is a safe first filter
    candidates = list(db.session.scalars(
        select(Container).join(Batch, Container.batch_id == Batch.id)
        .where(Container.status.in_(KEPT_STATUSES), Batch.stream == "hazardous",
               Batch.clock_from < today - timedelta(days=365))
        .options(joinedload(Container.batch), joinedload(Container.facility).joinedload(StorageFacility.site))
        .order_by(Container.id)))
    raised = 0
    for container in candidates:
        clock = clock_of(container)
        if clock.due_on >= today:  # a year old today is not yet more than a year
            continue
        raised += _raise_over_year(container, clock) is not None
    return raised


def _raise_over_year(container: Container, clock):
    batch, facility = container.batch, container.facility
    keeper = db.session.get(Organisation, keeper_id(container)) if clock.received else batch.organisation
    key = f"{OVER_YEAR}:container:{container.id}"
    if clock.received:
        key += f":received:{keeper.id}"
    where = "received" if clock.received else ("stored" if facility is not None else "unstored")
    district = facility.site.district_code if facility is not None else (
        batch.site.district_code if batch.site is not None and not clock.received else keeper.district_code)
    return raise_alert(
        OVER_YEAR, key, severity="critical", organisation=keeper, district_code=district,
        object_type="container", object_id=container.id, message_key=MESSAGES[where],
        params={"code": container.code, "waste_code": batch.waste_code, "since": clock.started_on.isoformat(),
                "due_on": clock.due_on.isoformat(), "facility": facility.name if facility else ""})


@register_scanner
def facility_near_capacity(now: datetime) -> int:
    """Catches crossings the intake did not see (a declared capacity lowered, stock corrected)."""
    return sum(follow_capacity(facility, now) is not None
               for facility in db.session.scalars(select(StorageFacility).join(Site)))
