"""Open311 GeoReport v2 under /open311/v2/: the report categories as services, reports as requests.

JSON and XML as the spec maps them (a list of objects ⇔ <services><service>…), errors as the spec's
list of {code, description}. Reads need no key; creating a request needs an api_key (a portal API token)."""
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from xml.etree import ElementTree

from flask import Blueprint, Response, current_app, json, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from portal.accounts.services import find_api_token
from portal.errors import DomainError
from portal.extensions import csrf, db, limiter
from portal.regulatory.models import jurisdiction_districts

from .reports import services
from .reports.models import CATEGORY_LABELS, CLOSED_STATUSES, OPEN_STATUSES, Category, Moderation, Report

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")
csrf.exempt(bp)  # machine clients authenticate with api_key, not cookies
limiter.limit(lambda: current_app.config["RATELIMIT_PUBLIC"])(bp)

SPEC_URL = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2025-01-01T00:00:00Z"
MAX_RESULTS = 1000
MAX_SPAN = timedelta(days=90)
# start_date/end_date outside this window are refused: no report predates 2000, and a year ahead leaves room for
# "until the end of the period" queries while keeping the ±90 days arithmetic far from datetime's limits
EARLIEST_DATE = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_DATE_AHEAD = timedelta(days=366)
COORDINATE_RANGES = {"lat": (Decimal(-90), Decimal(90)), "long": (Decimal(-180), Decimal(180))}
# characters XML 1.0 forbids (C0 controls but tab, LF and CR; surrogates; U+FFFE/FFFF) and the DEL/C1 controls
# it discourages: a report's text may carry them, and one of them makes the whole XML document unreadable
XML_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
MIME = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# the element name of one item inside each XML list
XML_ITEMS = {"services": "service", "service_requests": "request", "errors": "error", "attributes": "attribute",
             "endpoints": "endpoint", "formats": "format"}


class Open311Error(Exception):
    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status, self.description = status, description


# --- rendering -----------------------------------------------------------------------------------

def _xml_value(parent, name: str, value) -> None:
    element = ElementTree.SubElement(parent, name)
    if isinstance(value, dict):
        for key, item in value.items():
            _xml_value(element, key, item)
    elif isinstance(value, list):
        for item in value:
            _xml_value(element, XML_ITEMS.get(name, "item"), item)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = XML_UNSAFE.sub("", str(value))


def _to_xml(root: str, body) -> bytes:
    element = ElementTree.Element(root)
    items = body if isinstance(body, list) else None
    if items is None:
        for key, value in body.items():
            _xml_value(element, key, value)
    else:
        for item in items:
            _xml_value(element, XML_ITEMS[root], item)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(element, encoding="utf-8",
                                                                              xml_declaration=False)


def render(fmt: str, root: str, body, status: int = 200) -> Response:
    if fmt == "xml":
        return Response(_to_xml(root, body), status=status, content_type=MIME["xml"])
    return Response(json.dumps(body, ensure_ascii=False), status=status, content_type=MIME["json"])


def _format() -> str:
    """The format the client asked for: the route's fmt, or for a path no route matched, its extension."""
    fmt = (request.view_args or {}).get("fmt") or request.path.rpartition(".")[2]
    return fmt if fmt in MIME else "json"


@bp.errorhandler(Open311Error)
def open311_error(exc: Open311Error):
    return render(_format(), "errors", [{"code": exc.status, "description": exc.description}], exc.status)


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException):
    response = render(_format(), "errors", [{"code": exc.code, "description": exc.description or exc.name}],
                      exc.code)
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


@bp.before_app_request
def unrouted_open311_request():
    """A 404 or 405 under /open311/ in Open311's format: no route matched, so no blueprint handler would see it."""
    routing_error = request.routing_exception
    if request.path.startswith("/open311/") and isinstance(routing_error, HTTPException):
        return http_error(routing_error)
    return None


def _check_jurisdiction() -> None:
    given = request.values.get("jurisdiction_id")
    if given and given != current_app.config["OPEN311_JURISDICTION_ID"]:
        raise Open311Error(404, _("jurisdiction_id %(id)s was not found.", id=given))


def _w3(value: datetime | None) -> str | None:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


# --- discovery and services --------------------------------------------------------------------

@bp.get("/discovery.<any(json,xml):fmt>")
def discovery(fmt):
    base = current_app.config["BASE_URL"]
    return render(fmt, "discovery", {
        "changeset": CHANGESET,
        "contact": _("Sanmenxia Zero-Waste City platform, %(url)s", url=base),
        "key_service": base + url_for("core.home"),
        "endpoints": [{"specification": SPEC_URL, "url": base + url_for("open311.discovery", fmt=fmt).rsplit("/", 1)[0],
                       "changeset": CHANGESET, "type": "production", "formats": ["text/xml", "application/json"]}],
    })


def _service(category: Category) -> dict:
    return {"service_code": category.value, "service_name": str(CATEGORY_LABELS[category]),
            "description": _("Report illegal dumping or burning: %(kind)s", kind=CATEGORY_LABELS[category]),
            "metadata": False, "type": "realtime", "keywords": category.value, "group": "waste"}


@bp.get("/services.<any(json,xml):fmt>")
def service_list(fmt):
    _check_jurisdiction()
    return render(fmt, "services", [_service(c) for c in Category])


def _category(code: str | None) -> Category:
    try:
        return Category(code)
    except ValueError:
        raise Open311Error(404, _("service_code %(code)s was not found.", code=code)) from None


@bp.get("/services/<service_code>.<any(json,xml):fmt>")
def service_definition(service_code, fmt):
    _check_jurisdiction()
    category = _category(service_code)
    return render(fmt, "service_definition", {"service_code": category.value, "attributes": []})


# --- requests ------------------------------------------------------------------------------------

def serialize(report: Report) -> dict:
    """A report as an Open311 request; before moderation only its status, never its text or place."""
    public = report.moderation == Moderation.PUBLIC
    point = services.public_point(report) if public else None
    photo = next((p for p in report.photos if p.kind == "report"), None)
    base = current_app.config["BASE_URL"]
    return {
        "service_request_id": report.tracking_code,
        "status": "open" if report.is_open else "closed",
        "status_notes": report.status_note if public else None,
        "service_name": str(CATEGORY_LABELS[report.category]),
        "service_code": report.category.value,
        "description": report.description if public else None,
        "agency_responsible": services.department_name(report.department),
        "service_notice": None,
        "requested_datetime": _w3(report.created_at),
        "updated_datetime": _w3(report.updated_at),
        "expected_datetime": _w3(report.finish_due),
        "address": (report.address or report.district.name) if public else None,
        "address_id": None,
        "zipcode": None,
        "lat": float(point[0]) if point else None,
        "long": float(point[1]) if point else None,
        "media_url": base + url_for("reports.photo", photo_id=photo.id) if public and photo else None,
    }


def _parse_date(name: str) -> datetime | None:
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(400, _("%(name)s must be a w3 date-time, e.g. 2010-01-01T00:00:00Z.", name=name)) from None
    if value.tzinfo is None:
        raise Open311Error(400, _("%(name)s must include a time zone (Z or +08:00).", name=name))
    if not EARLIEST_DATE <= value <= services.utcnow() + LATEST_DATE_AHEAD:
        raise Open311Error(400, _("%(name)s must lie between 2000 and a year from now.", name=name))
    return value


def _split(name: str) -> list[str]:
    return [v.strip() for v in request.args.get(name, "").split(",") if v.strip()]


@bp.get("/requests.<any(json,xml):fmt>")
def request_list(fmt):
    _check_jurisdiction()
    query = select(Report)
    if ids := _split("service_request_id"):
        query = query.where(Report.tracking_code.in_([i.upper() for i in ids]))  # overrides the other filters
    else:
        query = query.where(Report.moderation == Moderation.PUBLIC)
        start, end = _parse_date("start_date"), _parse_date("end_date")
        if start and end and (end - start > MAX_SPAN or end < start):
            raise Open311Error(400, _("start_date and end_date may span at most 90 days."))
        end = end or (start + MAX_SPAN if start else None)
        start = start or ((end or services.utcnow()) - MAX_SPAN)
        query = query.where(Report.created_at >= start)
        if end:
            query = query.where(Report.created_at <= end)
        if codes := _split("service_code"):
            for code in codes:
                _category(code)
            query = query.where(Report.category.in_(codes))
        statuses = set(_split("status"))
        if statuses - {"open", "closed"}:
            raise Open311Error(400, _("status must be open or closed."))
        if statuses == {"open"}:
            query = query.where(Report.status.in_(OPEN_STATUSES))
        elif statuses == {"closed"}:
            query = query.where(Report.status.in_(CLOSED_STATUSES))
    rows = db.session.scalars(query.order_by(Report.created_at.desc()).limit(MAX_RESULTS))
    return render(fmt, "service_requests", [serialize(r) for r in rows])


@bp.get("/requests/<service_request_id>.<any(json,xml):fmt>")
def request_detail(service_request_id, fmt):
    _check_jurisdiction()
    report = db.session.scalar(select(Report).where(Report.tracking_code == service_request_id.upper()))
    if report is None:
        raise Open311Error(404, _("service_request_id %(id)s was not found.", id=service_request_id))
    return render(fmt, "service_requests", [serialize(report)])


@bp.get("/tokens/<token>.<any(json,xml):fmt>")
def token_detail(token, fmt):
    _check_jurisdiction()
    report = db.session.scalar(select(Report).where(Report.token == token))
    if report is None:
        raise Open311Error(404, _("token %(token)s was not found.", token=token))
    return render(fmt, "service_requests", [{"service_request_id": report.tracking_code, "token": report.token}])


def _coordinate(name: str) -> Decimal | None:
    """lat or long from the form, in degrees within its range, to the micro-degree the reports keep."""
    raw = request.form.get(name, "").strip()
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise Open311Error(400, _("%(name)s must be a number.", name=name)) from None
    if not value.is_finite():
        raise Open311Error(400, _("%(name)s must be a number.", name=name))
    low, high = COORDINATE_RANGES[name]
    if not low <= value <= high:  # before quantize, which fails on 1e999
        raise Open311Error(400, _("%(name)s must lie between %(low)s and %(high)s degrees.", name=name, low=low,
                                  high=high))
    return value.quantize(Decimal("0.000001"))


def _district_named_in(address: str) -> str | None:
    """The county-level unit whose name the address mentions: an address alone cannot be put on a map here."""
    counties = db.session.scalars(jurisdiction_districts())
    for division in counties:
        short = division.name.rstrip("区县市") if len(division.name) > 2 else division.name
        if division.name in address or (len(short) >= 2 and short in address):
            return division.code
    return None


def _new_report_from_form() -> services.NewReport:
    form = request.form
    if not form.get("service_code"):
        raise Open311Error(400, _("service_code was not provided."))
    category = _category(form["service_code"])
    lat, lon = _coordinate("lat"), _coordinate("long")
    address = (form.get("address_string") or "").strip()[:300] or None
    if (lat is None) != (lon is None):
        raise Open311Error(400, _("lat and long must be sent together."))
    district = None
    if lat is None:
        if not address:
            raise Open311Error(400, _("A location was not provided: send lat and long, or address_string."))
        district = _district_named_in(address)
        if district is None:
            raise Open311Error(400, _("address_string must name a district of Sanmenxia, or send lat and long."))
    description = (form.get("description") or "").strip()
    if not description:
        raise Open311Error(400, _("description was not provided."))
    return services.NewReport(category=category.value, description=description[:4000], lat=lat, lon=lon,
                              district_code=district, address=address, contact_email=form.get("email") or None,
                              contact_phone=form.get("phone") or None, source="open311")


@bp.post("/requests.<any(json,xml):fmt>")
@limiter.limit(lambda: current_app.config["REPORT_RATE_LIMIT"])
def create_request(fmt):
    _check_jurisdiction()
    if find_api_token((request.form.get("api_key") or "").strip()) is None:
        raise Open311Error(403, _("Invalid api_key received -- can't proceed with create_request."))
    data = _new_report_from_form()
    try:
        report, _secret = services.submit_report(data)
    except DomainError as exc:
        db.session.rollback()
        raise Open311Error(400, "; ".join(str(m) for m in exc.fields.values()) or str(exc.message)) from None
    db.session.commit()
    notice = _("%(department)s is responsible; expected by %(date)s.",
               department=services.department_name(report.department), date=_w3(report.finish_due))
    return render(fmt, "service_requests", [{"service_request_id": report.tracking_code, "service_notice": notice}],
                  200)
