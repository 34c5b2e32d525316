"""The big screen (信息大厅): one full-screen page for the command centre's wall, fed by a JSON endpoint it polls.

Every figure comes from the ledger: tonnes from the statistics layer (figures()), flows from the transfer
manifests, capacity from the licences, the ticker from the alerts and the latest ledger events. The page keeps
its last data while the server is away and picks up again when it answers.

The public variant (/command/screen/public) shows what the platform publishes anyway: tonnes, flows between
districts, the licensed facilities (licences are public information, see auth.can_read_licences_of), the number
of public reports per district and of open alerts. It names no generator and shows no alert's text.
"""
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from flask import Blueprint, current_app, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from ..accounts.models import Organisation
from ..auth import is_admin, regulator_of, regulator_required
from ..clock import CHINA, china_today
from ..errors import DomainError
from ..extensions import db, limiter
from ..jurisdiction import area_prefix, in_jurisdiction, jurisdiction_code
from ..regulatory import geo
from ..regulatory.alerts.forms import SEVERITY_CHOICES
from ..regulatory.alerts.models import SEVERITIES, Alert
from ..regulatory.alerts.services import alert_message, alerts_visible_to
from ..regulatory.batches.forms import EVENT_LABELS, STREAM_CHOICES
from ..regulatory.batches.models import Batch
from ..regulatory.ledger.models import LedgerEvent
from ..regulatory.licences.models import Licence
from ..regulatory.licences.services import licence_capacity
from ..regulatory.manifests.models import Manifest, ManifestLine
from ..regulatory.models import Division
from .statistics import division_within, figures, scope_division
from .statistics.aggregate import fresh_figures

bp = Blueprint("command_screen", __name__, url_prefix="/command/screen")

GRAMS_PER_TONNE = Decimal(1_000_000)
TICKER_SIZE = 12
ACTIVITY_SIZE = 8
GAUGE_COUNT = 4
CODE_COUNT = 5
# the wall polls its data this often unless SCREEN_POLL_SECONDS says otherwise (the browser test polls fast)
DEFAULT_POLL_SECONDS = 30
# and its data is recomputed at most this often (SCREEN_CACHE_SECONDS), whatever the number of walls
DEFAULT_CACHE_SECONDS = 10
_CACHE: dict[tuple, tuple[float, dict]] = {}
SEVERITY_LABELS = dict(SEVERITY_CHOICES)
# a manifest counts as a flow once it is on its way; drafts and cancelled ones moved nothing
MOVED_STATES = ("submitted", "in_transit", "handed_over", "delivered", "received", "partly_received", "treated")

# (division code, first day, last day) → {district code: (reports, still open)}; filled by the areas that
# hold public reports (participation), so that portal never imports them
REPORT_COUNTERS: list[Callable[[str, date, date], dict[str, tuple[int, int]]]] = []


# (user, division code) → the cases past their time limit the user may see there (coordination registers it)
CASE_COUNTERS: list[Callable[[object, str], int]] = []


def _register(registry: list, counter: Callable) -> Callable:
    if counter not in registry:
        registry.append(counter)
    return counter


def register_report_counter(counter: Callable) -> Callable:
    return _register(REPORT_COUNTERS, counter)


def register_case_counter(counter: Callable) -> Callable:
    return _register(CASE_COUNTERS, counter)


@dataclass
class Scope:
    """The division the screen shows (the city or one district) and the period of its figures."""
    code: str
    public: bool
    year: int

    @property
    def prefix(self) -> str:
        return area_prefix(self.code)

    @property
    def start(self) -> date:
        return date(self.year, 1, 1)

    @property
    def end(self) -> date:
        """The year's last day (figures() includes it)."""
        return date(self.year, 12, 31)


# --- views ---------------------------------------------------------------------------------------

@bp.get("")  # /command/screen, as DESIGN.md promises it
@regulator_required
def wall():
    return _render(_scope(public=False))


@bp.get("/data.json")
@regulator_required
@fresh_figures
def data():
    return _answer(_scope(public=False))


@bp.get("/public")
def public_wall():
    return _render(_scope(public=True))


@bp.get("/public/data.json")
@limiter.limit(lambda: current_app.config["RATELIMIT_PUBLIC"])
@fresh_figures
def public_data():
    return _answer(_scope(public=True))


@bp.get("/districts.geojson")
def districts():
    response = jsonify(geo.district_boundaries())
    response.cache_control.max_age = 86400
    response.cache_control.public = True
    return response


def _render(scope: Scope):
    endpoint = "command_screen.public_data" if scope.public else "command_screen.data"
    page = "command_screen.public_wall" if scope.public else "command_screen.wall"
    division = db.session.get(Division, scope.code)
    home = _viewer_home(scope.public)
    districts = db.session.scalars(select(Division).where(Division.level == "county",
                                                          Division.code.startswith(area_prefix(home)))
                                   .order_by(Division.code))
    return render_template("command/screen.html", scope=scope, division=division, districts=list(districts),
                           data_url=url_for(endpoint, division=scope.code),
                           page_url=url_for(page),
                           city_url=None if scope.code == home else url_for(page),
                           poll_ms=int(current_app.config.get("SCREEN_POLL_SECONDS", DEFAULT_POLL_SECONDS) * 1000))


def _answer(scope: Scope):
    response = jsonify(_recent_data(scope))
    response.cache_control.no_store = True
    return response


def _recent_data(scope: Scope) -> dict:
    """The wall's data, computed at most once every SCREEN_CACHE_SECONDS per process for all the walls and browsers
    that see the same thing (division, public or not, the department whose alerts they list): a control room
    of many screens polling together costs one computation."""
    ttl = current_app.config.get("SCREEN_CACHE_SECONDS", DEFAULT_CACHE_SECONDS)
    key = (scope.code, scope.public, None if scope.public else _alert_view())
    now = time.monotonic()
    cached = _CACHE.get(key)
    if cached is None or now - cached[0] >= ttl:
        cached = _CACHE[key] = (now, screen_data(scope))
    return cached[1]


def _alert_view() -> str:
    """Whose alerts the viewer lists: a regulator's department (alerts_visible_to), or all of them for admins."""
    regulator = regulator_of(current_user)
    return regulator.department.value if regulator is not None and not is_admin(current_user) else "*"


def _viewer_home(public: bool) -> str:
    """The division a viewer's screen opens on and may not leave: the statistics layer's scope of the user (a
    county regulator's county, else the city); the whole city on the public screen."""
    return jurisdiction_code() if public else scope_division(current_user)


def _scope(public: bool) -> Scope:
    """The requested division within what the viewer may see (403 outside a county regulator's county, 422 for
    anything but the city or one of its districts), and the year."""
    code = division_within(_viewer_home(public), request.args.get("division") or None)
    if code != jurisdiction_code() and (len(code) != 6 or db.session.get(Division, code) is None):
        message = _("Choose the city or one of its districts.")
        raise DomainError(message, fields={"division": message}, status=422, code="invalid")
    return Scope(code=code, public=public, year=china_today().year)


# --- the data ------------------------------------------------------------------------------------

def screen_data(scope: Scope) -> dict:
    """Everything the wall shows, for one division and year."""
    generated = _tonnes_by("generated", "stream", scope)
    utilised = _tonnes_by("utilised", "stream", scope)
    disposed = _tonnes_by("disposed", "stream", scope)
    return {
        "division": _division(scope.code),
        "districts": _districts(scope),
        "year": scope.year,
        "updated_at": datetime.now(UTC).astimezone(CHINA).strftime("%H:%M:%S"),
        "streams": [{"stream": key, "label": str(label), "generated": _text(generated.get(key)),
                     "utilised": _text(utilised.get(key)), "disposed": _text(disposed.get(key))}
                    for key, label in STREAM_CHOICES],
        "totals": _totals(generated, utilised, disposed),
        "codes": _codes(scope),
        "flows": _flows(scope),
        "facilities": _facilities(scope),
        "alerts": _alerts(scope),
        "reports": _reports(scope),
        "trend": _trend(scope),
        "activity": _activity(scope),
        **({} if scope.public or not CASE_COUNTERS else
           {"cases_overdue": sum(counter(current_user, scope.code) for counter in CASE_COUNTERS)}),
    }


def _tonnes_by(measure: str, group: str, scope: Scope) -> dict[str, Decimal]:
    rows = figures(measure, group_by=(group,), start=scope.start, end=scope.end, division=scope.code)
    return {str(row[group]): row["tonnes"] for row in rows}


def _text(tonnes: Decimal | None) -> str:
    return str((tonnes or Decimal(0)).quantize(Decimal("0.001")))


def _totals(generated: dict, utilised: dict, disposed: dict) -> dict:
    """The year's tonnes and the utilisation rate: utilised ÷ generated (综合利用率), none before anything was
    generated."""
    total = sum(generated.values(), Decimal(0))
    used = sum(utilised.values(), Decimal(0))
    rate = None if not total else str((used * 100 / total).quantize(Decimal("0.1")))
    return {"generated": _text(total), "utilised": _text(used), "disposed": _text(sum(disposed.values(), Decimal(0))),
            "utilisation_rate": rate}


def _codes(scope: Scope) -> list[dict]:
    """The waste codes generated most this year, with the tonnes generated and received of each."""
    generated = _tonnes_by("generated", "code", scope)
    received = _tonnes_by("received", "code", scope)
    top = sorted(generated, key=lambda code: (-generated[code], code))[:CODE_COUNT]
    return [{"code": code, "generated": _text(generated[code]), "received": _text(received.get(code))}
            for code in top]


def _division(code: str) -> dict:
    division = db.session.get(Division, code)
    return {"code": code, "name": division.name if division else code, "city": code == jurisdiction_code()}


def _districts(scope: Scope) -> list[dict]:
    """The county-level divisions inside the scope, with the year's tonnes generated (the map's colours)."""
    generated = _tonnes_by("generated", "district", scope)
    rows = db.session.scalars(select(Division).where(Division.level == "county",
                                                     Division.code.startswith(scope.prefix)).order_by(Division.code))
    return [{"code": d.code, "name": d.name, "generated": _text(generated.get(d.code)),
             "center": _point(d.center_lon, d.center_lat)} for d in rows]


def _point(lon, lat) -> list[float] | None:
    return None if lon is None or lat is None else [float(lon), float(lat)]


def _flows(scope: Scope) -> list[dict]:
    """Tonnes shipped this year under manifests from a district to a receiving facility, for manifests leaving or
    entering the scope. Receivers outside the city carry no point: the page draws them at the map's edge."""
    receiver = Organisation.__table__.alias("receiver")
    origin = Division.__table__.alias("origin")
    start, end = _instants(scope)
    touches = (Manifest.origin_district_code.startswith(scope.prefix)
               | Manifest.destination_district_code.startswith(scope.prefix))
    rows = db.session.execute(
        select(Manifest.origin_district_code, origin.c.name, origin.c.center_lon, origin.c.center_lat,
               receiver.c.name, receiver.c.lat, receiver.c.lon, Manifest.destination_district_code,
               func.sum(ManifestLine.quantity_g))
        .join(ManifestLine, ManifestLine.manifest_id == Manifest.id)
        .join(receiver, receiver.c.id == Manifest.receiver_org_id)
        .join(origin, origin.c.code == Manifest.origin_district_code)
        .where(Manifest.state.in_(MOVED_STATES), Manifest.submitted_at >= start, Manifest.submitted_at < end, touches)
        .group_by(Manifest.origin_district_code, origin.c.name, origin.c.center_lon, origin.c.center_lat,
                  receiver.c.id, receiver.c.name, receiver.c.lat, receiver.c.lon, Manifest.destination_district_code))
    return [_flow(*row) for row in rows]


def _flow(origin_code, origin_name, origin_lon, origin_lat, receiver_name, lat, lon, destination, grams) -> dict:
    inside = in_jurisdiction(destination)
    target = _point(lon, lat) if inside else None
    if inside and target is None:
        centre = db.session.get(Division, destination)
        target = _point(centre.center_lon, centre.center_lat) if centre else None
    return {"from": _point(origin_lon, origin_lat), "from_name": origin_name, "to": target, "to_name": receiver_name,
            "outside": not inside, "tonnes": _text(Decimal(grams or 0) / GRAMS_PER_TONNE)}


def _instants(scope: Scope) -> tuple[datetime, datetime]:
    """The scope's year in China, as UTC instants for timestamp columns."""
    return (datetime(scope.year, 1, 1, tzinfo=CHINA).astimezone(UTC),
            datetime(scope.year + 1, 1, 1, tzinfo=CHINA).astimezone(UTC))


def _facilities(scope: Scope) -> list[dict]:
    """The licensed facilities of the scope whose annual capacity is most used (received plus on its way)."""
    licences = db.session.scalars(
        select(Licence).join(Organisation, Organisation.id == Licence.organisation_id)
        .where(Licence.status == "active", Licence.valid_until >= china_today(),
               Organisation.district_code.startswith(scope.prefix)))
    gauges = []
    for licence in licences:
        capacity = licence_capacity(licence, scope.year)
        share = Decimal(capacity.used_g * 100) / capacity.total_g if capacity.total_g else Decimal(0)
        gauges.append({"name": licence.organisation.name, "used_pct": float(share.quantize(Decimal("0.01"))),
                       "used": _text(Decimal(capacity.used_g) / GRAMS_PER_TONNE),
                       "capacity": _text(Decimal(capacity.total_g) / GRAMS_PER_TONNE)})
    return sorted(gauges, key=lambda g: -g["used_pct"])[:GAUGE_COUNT]


def _alerts(scope: Scope) -> dict:
    """Open alerts of the scope by severity; the regulator's screen also lists the latest with their text."""
    if scope.public:
        visible = select(Alert)
    else:
        visible = alerts_visible_to(current_user)
    open_alerts = visible.where(Alert.status != "closed", Alert.district_code.startswith(scope.prefix))
    rows = open_alerts.subquery()
    by_severity = dict(db.session.execute(select(rows.c.severity, func.count()).group_by(rows.c.severity)).all())
    answer = {"open": sum(by_severity.values()),
              "by_severity": [{"severity": severity, "label": str(SEVERITY_LABELS[severity]),
                               "count": by_severity.get(severity, 0)} for severity in reversed(SEVERITIES)]}
    if not scope.public:
        latest = db.session.scalars(open_alerts.order_by(Alert.created_at.desc(), Alert.id.desc()).limit(TICKER_SIZE))
        answer["items"] = [{"id": a.id, "text": alert_message(a), "severity": a.severity,
                            "severity_label": str(SEVERITY_LABELS.get(a.severity, a.severity)),
                            "time": _local_time(a.created_at)}
                           for a in latest]
    return answer


def _local_time(instant: datetime) -> str:
    return instant.astimezone(CHINA).strftime("%m-%d %H:%M")


def _reports(scope: Scope) -> list[dict]:
    """Public reports per district this year (all of them, and those still open), from the registered counters."""
    counts: dict[str, list[int]] = {}
    for counter in REPORT_COUNTERS:
        for code, (total, still_open) in counter(scope.code, scope.start, scope.end).items():
            entry = counts.setdefault(code, [0, 0])
            entry[0] += total
            entry[1] += still_open
    names = dict(db.session.execute(select(Division.code, Division.name).where(Division.code.in_(counts))).all())
    return [{"code": code, "name": names.get(code, code), "total": total, "open": still_open}
            for code, (total, still_open) in sorted(counts.items())]


def _trend(scope: Scope) -> dict:
    """Tonnes generated and utilised in each of the last 12 months in China (this one included)."""
    today = china_today()
    months = [_month_back(today, back) for back in range(11, -1, -1)]
    first = date(months[0][0], months[0][1], 1)
    series = {}
    for measure in ("generated", "utilised"):
        rows = figures(measure, group_by=("month",), start=first, end=scope.end, division=scope.code)
        series[measure] = {row["month"]: row["tonnes"] for row in rows}
    keys = [f"{year:04d}-{month:02d}" for year, month in months]
    return {"months": keys, "names": {"generated": _("Generated"), "utilised": _("Utilised")},
            **{measure: [_text(values.get(key)) for key in keys] for measure, values in series.items()}}


def _month_back(today: date, back: int) -> tuple[int, int]:
    index = today.year * 12 + today.month - 1 - back
    return index // 12, index % 12 + 1


def _activity(scope: Scope) -> list[dict]:
    """The latest ledger events of the scope: what happened, where and how much, without the organisation."""
    rows = db.session.execute(
        select(LedgerEvent.id, LedgerEvent.event_type, LedgerEvent.occurred_at, LedgerEvent.quantity_g,
               Division.name, Batch.waste_code)
        .join(Organisation, Organisation.id == LedgerEvent.organisation_id)
        .join(Division, Division.code == Organisation.district_code)
        .join(Batch, Batch.id == LedgerEvent.batch_id)
        .where(Organisation.district_code.startswith(scope.prefix))
        .order_by(LedgerEvent.id.desc()).limit(ACTIVITY_SIZE))
    return [{"id": event_id, "event": str(EVENT_LABELS.get(kind, kind)), "time": _local_time(at),
             "district": district, "code": code,
             "tonnes": None if grams is None else _text(Decimal(grams) / GRAMS_PER_TONNE)}
            for event_id, kind, at, grams, district, code in rows]
