"""Filling statistic_figures from the ledger with set-based INSERT … SELECT, one statement per measure: the full
rebuild, and the incremental refresh that recomputes only the China days whose events changed.

The refresh reads the ledger past a watermark (the highest event id it has seen). On PostgreSQL ids are taken
when a row is inserted, not when it commits, so a lower id may become visible after a higher one: the ids
missing below the watermark are kept as gaps and looked at again on the next runs (an index lookup each) until
they appear or are older than GAP_WAIT (a rolled-back insert never appears). The ledger's append path is left
alone; `wufei statistics refresh` runs from a timer every minute (or as an RQ job).
"""
from datetime import UTC, date, datetime, timedelta
from functools import wraps

from sqlalchemy import and_, case, delete, func, insert, literal, or_, select
from sqlalchemy.orm import aliased

from ...accounts.models import Organisation
from ...clock import CHINA
from ...extensions import db
from ...jurisdiction import jurisdiction_code, manifest_region, province_of
from ...regulatory.batches.models import Batch, Container, Site
from ...regulatory.ledger.models import LedgerEvent
from ...regulatory.manifests.models import Manifest
from ...regulatory.models import WasteCategory, WasteCode
from ...regulatory.transfers.models import IncomingTransfer, IncomingTransferLine
from ...types import utcnow
from .definitions import BY_NAME, MEASURES_TABLE, PRODUCER, VERSION, Measure
from .models import StatisticFigure, StatisticsState

STALE_AFTER = timedelta(seconds=30)  # what a page may show at most: an appended event is in it within a minute
GAP_WAIT = timedelta(minutes=10)  # longer than any ledger transaction: an id missing longer was rolled back
COUNTED_TYPES = sorted({m.event_type for m in MEASURES_TABLE})
_COLUMNS = ("day", "year", "month", "measure", "stream", "waste_code", "category", "district_code",
            "township_code", "organisation_id", "grams", "events")


# --- the SQL of one measure ----------------------------------------------------------------------

def _china_day(column, dialect: str):
    if dialect == "postgresql":
        return func.cast(func.timezone("Asia/Shanghai", column), db.Date)
    return func.date(column, "+8 hours")


def _corrected_quantities():
    """(batch_id, seq, grams): the quantity of the latest 'corrected' event that changes an event's quantity."""
    fix = aliased(LedgerEvent)
    grams = fix.data[("corrections", "quantity_g")].as_integer()
    target = fix.data["corrects_seq"].as_integer()
    latest = (select(fix.batch_id, target.label("seq"), func.max(fix.seq).label("fix_seq"))
              .where(fix.event_type == "corrected", grams.is_not(None))
              .group_by(fix.batch_id, target).subquery())
    final = aliased(LedgerEvent)
    return (select(latest.c.batch_id, latest.c.seq, final.data[("corrections", "quantity_g")].as_integer()
                   .label("grams"))
            .join(final, and_(final.batch_id == latest.c.batch_id, final.seq == latest.c.fix_seq)).subquery())


def measure_select(measure: Measure, dialect: str, start: datetime | None = None, end: datetime | None = None):
    """SELECT of the measure's rows for statistic_figures, for events that occurred in [start, end) (UTC)."""
    event = LedgerEvent
    producer, actor = aliased(Organisation), aliased(Organisation)
    fixed = _corrected_quantities()
    grams = func.coalesce(fixed.c.grams, event.quantity_g, Container.quantity_g, Batch.quantity_g)
    producer_place = func.coalesce(Site.district_code, producer.district_code)
    place = producer_place if measure.party == PRODUCER else actor.district_code
    organisation = Batch.organisation_id if measure.party == PRODUCER else event.organisation_id
    day = _china_day(event.occurred_at, dialect)
    district = func.substr(place, 1, 6)
    township = case((func.length(place) > 6, place), else_=None)
    year, month = func.extract("year", day), func.extract("month", day)
    if dialect == "postgresql":  # extract answers numeric there
        year, month = func.cast(year, db.SmallInteger), func.cast(month, db.SmallInteger)
    keys = (day, year, month, Batch.stream, Batch.waste_code, WasteCategory.code, district, township, organisation)
    query = (select(*keys[:3], literal(measure.name), *keys[3:], func.sum(grams), func.count())
             .select_from(event)
             .join(Batch, Batch.id == event.batch_id)
             .join(WasteCode, WasteCode.id == Batch.waste_code_id)
             .join(WasteCategory, WasteCategory.id == WasteCode.category_id)
             .join(producer, producer.id == Batch.organisation_id)
             .join(actor, actor.id == event.organisation_id)
             .outerjoin(Site, Site.id == Batch.site_id)
             .outerjoin(Container, Container.id == event.container_id)
             .outerjoin(fixed, and_(fixed.c.batch_id == event.batch_id, fixed.c.seq == event.seq))
             .where(event.event_type == measure.event_type)
             .group_by(*keys))
    if start is not None:
        query = query.where(event.occurred_at >= start, event.occurred_at < end)
    return _with_condition(query, measure.condition, producer_place)


def _with_condition(query, condition: str | None, producer_place):
    city, province = manifest_region(), province_of(jurisdiction_code())
    if condition in ("out_of_city", "out_of_province"):
        query = query.join(Manifest, Manifest.id == LedgerEvent.data["manifest_id"].as_integer()).where(
            Manifest.follows_manifest_id.is_(None))  # waste sent back or on after a refusal left only once
        if condition == "out_of_city":
            return query.where(func.substr(Manifest.destination_district_code, 1, 4) != city)
        return query.where(func.substr(Manifest.destination_district_code, 1, 2) != province)
    if condition == "from_outside_city":
        return query.where(func.substr(producer_place, 1, 4) != city)
    if condition == "from_outside_province":
        return query.where(func.substr(producer_place, 1, 2) != province)
    if condition in ("method_r", "method_d"):
        method = func.upper(LedgerEvent.data["method"].as_string())
        return query.where(method.like("R%" if condition == "method_r" else "D%"))
    return query


def incoming_select(measure: Measure, dialect: str, first: date | None = None, last: date | None = None):
    """SELECT of the measure's rows from arrivals recorded under another system's manifest, received on days in
    [first, last]. The waste code's category is the catalogue's (any edition: a code keeps its category)."""
    receiver = aliased(Organisation)
    category = (select(func.min(WasteCategory.code)).join(WasteCode, WasteCode.category_id == WasteCategory.id)
                .where(WasteCode.code == IncomingTransferLine.waste_code).scalar_subquery())
    day = IncomingTransfer.received_on
    year, month = func.extract("year", day), func.extract("month", day)
    if dialect == "postgresql":
        year, month = func.cast(year, db.SmallInteger), func.cast(month, db.SmallInteger)
    place = receiver.district_code
    keys = (day, year, month, literal("hazardous"), IncomingTransferLine.waste_code, category,
            func.substr(place, 1, 6), case((func.length(place) > 6, place), else_=None), IncomingTransfer.receiver_org_id)
    query = (select(*keys[:3], literal(measure.name), *keys[3:], func.sum(IncomingTransferLine.quantity_g),
                    func.count())
             .select_from(IncomingTransferLine)
             .join(IncomingTransfer, IncomingTransfer.id == IncomingTransferLine.transfer_id)
             .join(receiver, receiver.id == IncomingTransfer.receiver_org_id)
             .group_by(*keys))
    if first is not None:
        query = query.where(day >= first, day <= last)
    if measure.condition == "from_outside_province":
        query = query.where(func.substr(IncomingTransfer.origin_district_code, 1, 2)
                            != province_of(jurisdiction_code()))
    return query


def _insert_measures(start: datetime | None = None, end: datetime | None = None, day: date | None = None) -> None:
    dialect = db.session.get_bind().dialect.name
    target = [StatisticFigure.__table__.c[name] for name in _COLUMNS]
    for measure in MEASURES_TABLE:
        db.session.execute(insert(StatisticFigure.__table__).from_select(
            target, measure_select(measure, dialect, start, end)))
        if measure.incoming:
            db.session.execute(insert(StatisticFigure.__table__).from_select(
                target, incoming_select(measure, dialect, day, day)))


# --- rebuild and refresh -------------------------------------------------------------------------

def _state() -> StatisticsState:
    state = db.session.scalar(select(StatisticsState).where(StatisticsState.id == 1).with_for_update())
    if state is None:
        state = StatisticsState(id=1, last_event_id=0, version=VERSION, gaps={})
        db.session.add(state)
        db.session.flush()
    return state


def rebuild() -> int:
    """Recompute every figure from the whole ledger; returns the number of aggregate rows. The caller commits."""
    state = _state()  # its lock keeps a concurrent refresh out until the commit
    top = db.session.scalar(select(func.max(LedgerEvent.id))) or 0
    db.session.execute(delete(StatisticFigure))
    _insert_measures()
    state.last_event_id, state.gaps, state.version = top, {}, VERSION
    state.rebuilt_at = state.refreshed_at = utcnow()
    return db.session.scalar(select(func.count()).select_from(StatisticFigure)) or 0


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=CHINA).astimezone(UTC)
    return start, start + timedelta(days=1)


def recompute_days(days: set[date]) -> None:
    """Delete and recompute the figures of these China days."""
    for day in sorted(days):
        db.session.execute(delete(StatisticFigure).where(StatisticFigure.day == day))
        _insert_measures(*_day_bounds(day), day=day)


def _as_day(instant) -> date:
    if isinstance(instant, str):
        instant = datetime.fromisoformat(instant)
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(CHINA).date()


def _touched_days(rows) -> set[date]:
    """The China days of the events read, and for corrections the day of the event corrected."""
    days = {_as_day(row.occurred_at) for row in rows if row.event_type in COUNTED_TYPES}
    targets = [(row.batch_id, (row.data or {}).get("corrects_seq")) for row in rows if row.event_type == "corrected"]
    for batch_id, seq in targets:
        if isinstance(seq, int):
            occurred = db.session.scalar(select(LedgerEvent.occurred_at).where(
                LedgerEvent.batch_id == batch_id, LedgerEvent.seq == seq))
            if occurred is not None:
                days.add(_as_day(occurred))
    return days


def _arrival_days(since: datetime | None, now: datetime) -> set[date]:
    """The days received of the arrivals recorded since the last refresh (with GAP_WAIT's margin, for the
    transactions that were open then)."""
    cutoff = (since or now) - GAP_WAIT
    return set(db.session.scalars(select(IncomingTransfer.received_on).where(IncomingTransfer.created_at >= cutoff)))


def refresh() -> int:
    """Recompute the days of the events appended since the last run; returns how many days. The caller commits."""
    state = _state()
    if state.rebuilt_at is None or state.version != VERSION:  # never built, or built with other definitions
        rebuild()
        return -1
    now = utcnow()
    gaps = {int(i): seen for i, seen in (state.gaps or {}).items()}
    watched = LedgerEvent.id > state.last_event_id
    if gaps:
        watched = or_(watched, LedgerEvent.id.in_(list(gaps)))
    rows = db.session.execute(select(LedgerEvent.id, LedgerEvent.batch_id, LedgerEvent.event_type,
                                     LedgerEvent.occurred_at, LedgerEvent.data).where(watched)).all()
    days = _touched_days(rows) | _arrival_days(state.refreshed_at, now)
    recompute_days(days)
    seen = {row.id for row in rows}
    top = max(seen | {state.last_event_id})
    missing = set(range(state.last_event_id + 1, top + 1)) - seen
    stamp = now.isoformat()
    gaps = {i: first for i, first in gaps.items() if i not in seen
            and datetime.fromisoformat(first) > now - GAP_WAIT}
    gaps.update({i: stamp for i in missing if i not in gaps})
    state.last_event_id, state.gaps, state.refreshed_at = top, {str(i): s for i, s in gaps.items()}, now
    return len(days)


def refresh_if_stale(now: datetime | None = None) -> bool:
    """Refresh when the last refresh is older than STALE_AFTER, so that the pages and the API read figures at
    most that old even where no timer runs `wufei statistics refresh`. One request refreshes; the others find
    the state row locked and read the figures as they are. Commits; returns whether it refreshed."""
    now = now or utcnow()
    refreshed = db.session.scalar(select(StatisticsState.refreshed_at).where(StatisticsState.id == 1))
    if refreshed is not None and refreshed > now - STALE_AFTER:
        return False
    if refreshed is not None and db.session.scalar(select(StatisticsState.id).where(
            StatisticsState.id == 1).with_for_update(skip_locked=True)) is None:
        return False
    refresh()
    db.session.commit()
    return True


def fresh_figures(view):
    """A view that reads the statistics: refresh them first when they are stale."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        refresh_if_stale()
        return view(*args, **kwargs)
    return wrapper


def refresh_job() -> int:
    """The RQ job (or timer command): refresh and commit."""
    days = refresh()
    db.session.commit()
    return days


def measure(name: str) -> Measure:
    return BY_NAME[name]
