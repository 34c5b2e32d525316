"""Business rules of listings, demand posts and saved searches. Services never commit."""
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal import after_commit, audit, auth
from portal.accounts.models import Organisation, User
from portal.clock import china_today
from portal.errors import Conflict, DomainError, Forbidden
from portal.extensions import db
from portal.jurisdiction import jurisdiction_code
from portal.outbox import send_message
from portal.regulatory.catalogue import lookup_waste_code
from portal.regulatory.models import Division, WasteCategory, WasteCode
from portal.types import utcnow
from portal.workflow import SYSTEM, Transition, Workflow

from ..search.index import search_tokens
from ..search.outbox import record_change
from ..search.synonyms import indexed_text, stream_names
from ..signals import demand_published, listing_published
from .forms import STATUS_LABELS
from .models import (
    CURRENCIES,
    DEMAND_STATUSES,
    FORMS,
    LISTING_STATUSES,
    STREAMS,
    SUPPLY,
    UNCODED_STREAMS,
    UNITS,
    Demand,
    Listing,
    ListingPhoto,
    SavedSearch,
    SearchAlert,
)

AUDITED = ("title", "waste_code", "stream", "hazardous", "quantity_g", "reserved_g", "unit", "price_fen",
           "price_unit", "currency", "district_code", "status", "valid_from", "valid_until")


def _member(document, user, _org) -> bool:
    """A member of the owning organisation (listings and demand posts)."""
    return auth.is_member(user, document.organisation_id)


def _publishable(listing: Listing, _user, _org, _fields) -> None:
    """A verified organisation, a validity not yet ended and something left to offer."""
    auth.require_verified(listing.organisation)
    if listing.valid_until is not None and listing.valid_until < china_today():
        message = _l("The listing's validity has ended; extend it before publishing.")
        raise DomainError(message, fields={"valid_until": message})
    if listing.available_g <= 0:
        raise Conflict(_l("Nothing is left to offer."), fields={"quantity": _l("nothing available")})


# the listing lifecycle as data: "member" is a member of the owning organisation, SYSTEM jobs and deals
LISTING = Workflow("listing", Listing, LISTING_STATUSES, [
    *(Transition(state, "publish", "published", "member", _publishable) for state in ("draft", "paused", "expired")),
    Transition("published", "pause", "paused", "member"),
    *(Transition(state, "withdraw", "withdrawn", "member") for state in ("draft", "published", "paused", "expired")),
    Transition("published", "sell_out", "sold_out", SYSTEM),
    Transition("sold_out", "restock", "published", SYSTEM),
    Transition("published", "expire", "expired", SYSTEM),
    Transition("paused", "expire", "expired", SYSTEM),
], parties={"member": _member}, label=_l("listing"), state_labels=STATUS_LABELS)
LISTING_TRANSITIONS = LISTING.table
EDITABLE = ("draft", "published", "paused", "expired")
DEMAND = Workflow("demand", Demand, DEMAND_STATUSES, [
    Transition("draft", "publish", "published", "member"),
    Transition("expired", "publish", "published", "member"),
    *(Transition(state, "close", "closed", "member") for state in ("draft", "published", "expired")),
    Transition("published", "expire", "expired", SYSTEM),
], parties={"member": _member}, label=_l("demand post"), state_labels=STATUS_LABELS)


def listing_actions(listing: Listing) -> list[str]:
    """What a member may do with the listing now (for buttons and the API)."""
    return [t.action for (state, _action), t in LISTING.table.items() if state == listing.status and t.party != SYSTEM]


# --- input ------------------------------------------------------------------------------------

class _Errors(dict):
    def add(self, field: str, message) -> None:
        self.setdefault(field, message)

    def raise_if_any(self) -> None:
        if self:
            raise DomainError(_l("Some fields are not valid."), fields=dict(self))


def _decimal(value, field: str, errors: _Errors) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        errors.add(field, _("Must be a number."))
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        errors.add(field, _("Must be a number."))
        return None
    return number


def _grams(value, unit: str, field: str, errors: _Errors, required: bool = True) -> int | None:
    amount = _decimal(value, field, errors)
    if amount is None:
        if required and field not in errors:
            errors.add(field, _("This field is required."))
        return None
    if amount <= 0:
        errors.add(field, _("A quantity must be greater than zero."))
        return None
    grams = amount * UNITS.get(unit, 1_000_000)
    if grams != grams.to_integral_value() or grams > 10 ** 15:
        errors.add(field, _("Give the quantity to the gram at most."))
        return None
    return int(grams)


def _integer(value, field: str, errors: _Errors) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        errors.add(field, _("Must be a whole number."))
        return None
    try:
        number = int(Decimal(str(value)))
        if Decimal(str(value)) != number:
            raise ValueError
    except (InvalidOperation, ValueError):
        errors.add(field, _("Must be a whole number."))
        return None
    if abs(number) > 10 ** 14:
        errors.add(field, _("This amount is out of range."))
        return None
    return number


def _date(value, field: str, errors: _Errors) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        errors.add(field, _("Give a date as YYYY-MM-DD."))
        return None


def _district(code, errors: _Errors, field: str = "district", required: bool = True) -> str | None:
    if not code:
        if required:
            errors.add(field, _("This field is required."))
        return None
    division = db.session.get(Division, str(code))
    # the marketplace is the city's: a listing's district is one of its county-level units
    if division is None or division.level != "county" or division.parent_code != jurisdiction_code():
        errors.add(field, _("Choose a district of Sanmenxia."))
        return None
    return division.code


def _coordinates(data: dict, errors: _Errors) -> tuple[Decimal | None, Decimal | None]:
    lat, lon = _decimal(data.get("lat"), "lat", errors), _decimal(data.get("lon"), "lon", errors)
    if (lat is None) != (lon is None) and not {"lat", "lon"} & set(errors):
        errors.add("lon" if lon is None else "lat", _("Give both latitude and longitude, or neither."))
        return None, None
    if lat is not None and not -90 <= lat <= 90:
        errors.add("lat", _("A latitude lies between -90 and 90."))
    if lon is not None and not -180 <= lon <= 180:
        errors.add("lon", _("A longitude lies between -180 and 180."))
    q = Decimal("0.000001")
    return (lat.quantize(q) if lat is not None else None), (lon.quantize(q) if lon is not None else None)


def _price(data: dict, errors: _Errors) -> tuple[int | None, str | None]:
    price = _integer(data.get("price"), "price", errors)
    currency = (data.get("currency") or "").strip().upper() or None
    if price is not None and currency is None:
        errors.add("currency", _("A price needs a currency."))
    elif currency is not None and currency not in CURRENCIES:
        errors.add("currency", _("Prices are in CNY."))
    return price, currency


def _catalogue(data: dict, org: Organisation, errors: _Errors) -> dict:
    """waste_code → catalogue entry, stream, hazard flag; a hazardous listing needs the right capability."""
    raw_code = (data.get("waste_code") or "").strip()
    stream = (data.get("stream") or "").strip() or None
    if stream is not None and stream not in STREAMS:
        errors.add("stream", _("Unknown waste stream."))
        return {}
    if not raw_code:
        if stream not in UNCODED_STREAMS:
            errors.add("waste_code", _("Give the waste code, or a stream of construction, household or "
                                       "agricultural waste."))
            return {}
        return {"waste_code_id": None, "waste_code": None, "category_code": None, "stream": stream,
                "hazardous": False}
    entry = lookup_waste_code(raw_code)
    if entry is None:
        errors.add("waste_code", _("%(code)s is not in the waste catalogue.", code=raw_code[:20]))
        return {}
    if entry.hazardous:
        stream = stream if stream in ("hazardous", "medical") else "hazardous"
        if not (org.is_generator or org.is_collector):
            errors.add("waste_code", _("Only a generator or collector of hazardous waste may list hazardous waste."))
    elif stream in ("hazardous", "medical"):
        errors.add("stream", _("%(code)s is not hazardous waste.", code=entry.code))
    return {"waste_code_id": entry.id, "waste_code": entry.code, "category_code": entry.category.code,
            "stream": stream or "industrial", "hazardous": entry.hazardous}


def _site(data: dict, org: Organisation, errors: _Errors):
    site_id = data.get("site_id")
    if not site_id:
        return None
    from portal.regulatory.batches.models import Site

    site = db.session.get(Site, _integer(site_id, "site_id", errors) or 0)
    if site is None or site.organisation_id != org.id:
        errors.add("site_id", _("Choose one of your organisation's sites."))
        return None
    return site


def clean_listing_input(data: dict, org: Organisation) -> dict:
    """Validate listing fields from a form or the API; returns model values or raises with every field error."""
    errors = _Errors()
    values: dict = {}
    title = (data.get("title") or "").strip()
    if not title:
        errors.add("title", _("This field is required."))
    elif len(title) > 200:
        errors.add("title", _("At most %(n)s characters.", n=200))
    description = (data.get("description") or "").strip()
    if len(description) > 5000:
        errors.add("description", _("At most %(n)s characters.", n=5000))
    values.update(title=title, description=description)
    values.update(_catalogue(data, org, errors))
    unit = data.get("unit") or "t"
    if unit not in UNITS:
        errors.add("unit", _("The unit is t or kg."))
        unit = "t"
    form = data.get("form") or "solid"
    if form not in FORMS:
        errors.add("form", _("Unknown physical form."))
    supply = data.get("supply") or "one_off"
    if supply not in SUPPLY:
        errors.add("supply", _("Supply is one-off or continuous."))
    quantity_g = _grams(data.get("quantity"), unit, "quantity", errors)
    monthly_g = duration = None
    if supply == "continuous":
        monthly_g = _grams(data.get("monthly"), unit, "monthly", errors)
        duration = _integer(data.get("duration_months"), "duration_months", errors)
        if duration is None and "duration_months" not in errors:
            errors.add("duration_months", _("This field is required."))
        elif duration is not None and not 1 <= duration <= 120:
            errors.add("duration_months", _("Between 1 and 120 months."))
    price, currency = _price(data, errors)
    # the forms price per tonne whatever the quantity's unit; the API may keep pricing in its quantity's unit
    price_unit = data.get("price_unit") or unit
    if price_unit not in UNITS:
        errors.add("price_unit", _("The unit is t or kg."))
        price_unit = unit
    site = _site(data, org, errors)
    district = _district(data.get("district") or (site.district_code if site else None), errors)
    lat, lon = _coordinates(data, errors)
    if lat is None and site is not None:
        lat, lon = site.lat, site.lon
    valid_from = _date(data.get("valid_from"), "valid_from", errors)
    valid_until = _date(data.get("valid_until"), "valid_until", errors)
    if valid_from and valid_until and valid_until < valid_from:
        errors.add("valid_until", _("The end of validity is before its start."))
    quality = data.get("quality") or {}
    if not isinstance(quality, dict) or len(str(quality)) > 4000:
        errors.add("quality", _("Quality data is a set of named values."))
        quality = {}
    errors.raise_if_any()
    values.update(form=form, unit=unit, supply=supply, quantity_g=quantity_g, monthly_g=monthly_g,
                  duration_months=duration, price_fen=price, price_unit=price_unit, currency=currency or "CNY",
                  site_id=site.id if site else None, district_code=district, lat=lat, lon=lon,
                  valid_from=valid_from, valid_until=valid_until,
                  quality={str(k)[:60]: str(v)[:200] for k, v in quality.items()})
    return values


# --- listings ---------------------------------------------------------------------------------

def touch_listing(listing: Listing) -> None:
    """Recompute the derived search fields and queue the index update; call after every change
    (the deal engine calls it when it reserves or releases quantity)."""
    entry = listing.catalogue_entry
    district = db.session.get(Division, listing.district_code)
    listing.price_per_t_fen = (None if listing.price_fen is None else
                               listing.price_fen * (1_000_000 // UNITS[listing.price_unit]))
    listing.search_text = indexed_text(
        listing.title, listing.description, listing.waste_code, listing.category_code,
        entry.category.name if entry is not None else None, entry.description if entry is not None else None,
        district.name if district else None, stream_names(listing.stream))
    listing.search_tokens = search_tokens(listing.search_text)
    db.session.flush()
    record_change(listing.id)


def create_listing(org: Organisation, data: dict, user: User | None = None) -> Listing:
    """A new listing, as a draft or published at once (data["status"])."""
    auth.require_verified(org)
    status = data.get("status") or "draft"
    if status not in ("draft", "published"):
        raise DomainError(_l("A new listing is a draft or published."), fields={"status": _l("draft or published")})
    values = clean_listing_input(data, org)
    listing = Listing(organisation_id=org.id, status="draft", reserved_g=0, **values)
    if values["waste_code_id"]:
        listing.catalogue_entry = db.session.get(WasteCode, values["waste_code_id"])
    db.session.add(listing)
    db.session.flush()
    audit.record("listing.create", listing, after=audit.snapshot(listing, AUDITED), organisation_id=org.id,
                 actor=user)
    if status == "published":
        transition_listing(listing, "publish", user)
    else:
        touch_listing(listing)
    return listing


def update_listing(listing: Listing, data: dict, user: User | None = None) -> Listing:
    """Change a listing's fields; the quantity may not drop below what deals have reserved."""
    if listing.status not in EDITABLE:
        raise Conflict(_l("A sold-out or withdrawn listing cannot be changed."))
    org = listing.organisation
    auth.require_verified(org)
    merged = {**_as_input(listing), **{k: v for k, v in data.items() if k != "status"}}
    values = clean_listing_input(merged, org)
    if values["quantity_g"] < listing.reserved_g:
        message = _l("Deals have already reserved more than this quantity.")
        raise DomainError(message, fields={"quantity": message})
    before = audit.snapshot(listing, AUDITED)
    for key, value in values.items():
        setattr(listing, key, value)
    listing.catalogue_entry = db.session.get(WasteCode, values["waste_code_id"]) if values["waste_code_id"] else None
    audit.record("listing.update", listing, before=before, after=audit.snapshot(listing, AUDITED),
                 organisation_id=listing.organisation_id, actor=user)
    touch_listing(listing)
    return listing


def _as_input(listing: Listing) -> dict:
    """A listing's current values in the input shape, so a partial update validates as a whole."""
    per_unit = Decimal(UNITS[listing.unit])
    return {
        "title": listing.title, "description": listing.description, "waste_code": listing.waste_code,
        "stream": listing.stream, "form": listing.form, "unit": listing.unit, "supply": listing.supply,
        "quantity": Decimal(listing.quantity_g) / per_unit,
        "monthly": Decimal(listing.monthly_g) / per_unit if listing.monthly_g else None,
        "duration_months": listing.duration_months, "price": listing.price_fen, "price_unit": listing.price_unit,
        "currency": listing.currency if listing.price_fen is not None else None,
        "district": listing.district_code, "lat": listing.lat, "lon": listing.lon, "site_id": listing.site_id,
        "valid_from": listing.valid_from, "valid_until": listing.valid_until, "quality": listing.quality,
    }


def transition_listing(listing: Listing, action: str, user: User | None = None, *, system: bool = False) -> Listing:
    """Move a listing through its lifecycle (see LISTING)."""
    first_publication = listing.published_at is None
    values = {"published_at": listing.published_at or utcnow()} if action == "publish" else {}
    step = LISTING.step(listing, action, user, None, system=system, values=values,
                        organisation_id=listing.organisation_id)
    first_publication = first_publication and step.to_state == "published"
    touch_listing(listing)
    if first_publication:
        notify_saved_searches(listing)
        after_commit.dispatch(listing_published, listing)  # matching: the receivers that may take it
    return listing


def add_photo(listing: Listing, photo, user: User | None = None) -> ListingPhoto:
    from .files import MAX_PHOTOS, store_photo

    if len(listing.photos) >= MAX_PHOTOS:
        message = _l("A listing has at most %(n)s photos.", n=MAX_PHOTOS)
        raise DomainError(message, fields={"photos": message})
    filename, thumbnail = store_photo(photo)
    row = ListingPhoto(listing=listing, filename=filename, thumbnail=thumbnail, width=photo.width,
                       height=photo.height)
    db.session.add(row)
    audit.record("listing.photo", listing, after={"photo": filename}, organisation_id=listing.organisation_id,
                 actor=user)
    return row


def attach_lab_report(listing: Listing, report, original_name: str, user: User | None = None) -> None:
    """Store a checked lab report (files.clean_lab_report) as the listing's."""
    from .files import store_lab_report

    listing.lab_report = store_lab_report(report)
    listing.lab_report_name = (original_name or "report")[:200]
    audit.record("listing.lab_report", listing, after={"lab_report": listing.lab_report},
                 organisation_id=listing.organisation_id, actor=user)


def expire_listings(today: date | None = None) -> int:
    """Published or paused listings past their validity become expired (a scheduled job)."""
    today = today or china_today()
    rows = db.session.scalars(select(Listing).where(Listing.status.in_(("published", "paused")),
                                                    Listing.valid_until < today)).all()
    for listing in rows:
        transition_listing(listing, "expire", system=True)
    return len(rows)


def is_public(listing: Listing) -> bool:
    return listing.status in ("published", "sold_out")


def require_view_listing(user, listing: Listing | None) -> Listing:
    """Published listings are public; drafts and the rest only for the owner (and its regulators)."""
    if listing is None or not (is_public(listing) or auth.can_view_org_data(
            user, listing.organisation_id, listing.organisation.district_code)):
        from portal.errors import NotFound

        raise NotFound(_l("Not found."))
    return listing


def require_edit_listing(user, listing: Listing | None) -> Listing:
    require_view_listing(user, listing)
    auth.require_member_of(user, listing.organisation_id, listing.organisation.district_code)
    return listing


# --- demand -----------------------------------------------------------------------------------

def clean_demand_input(data: dict) -> dict:
    errors = _Errors()
    title = (data.get("title") or "").strip()
    if not title:
        errors.add("title", _("This field is required."))
    elif len(title) > 200:
        errors.add("title", _("At most %(n)s characters.", n=200))
    codes, categories, streams = [], [], []
    for raw in _text_list(data.get("waste_codes")):
        entry = lookup_waste_code(raw)
        if entry is None:
            errors.add("waste_codes", _("%(code)s is not in the waste catalogue.", code=raw[:20]))
        else:
            codes.append(entry.code)
    for raw in _text_list(data.get("categories")):
        if db.session.scalar(select(func.count(WasteCategory.id)).where(WasteCategory.code == raw.upper())):
            categories.append(raw.upper())
        else:
            errors.add("categories", _("%(code)s is not a catalogue category.", code=raw[:20]))
    for raw in _text_list(data.get("streams")):
        if raw in STREAMS:
            streams.append(raw)
        else:
            errors.add("streams", _("Unknown waste stream."))
    if not (codes or categories or streams) and not {"waste_codes", "categories", "streams"} & set(errors):
        errors.add("waste_codes", _("Name at least one waste code, category or stream."))
    unit = data.get("unit") or "t"
    if unit not in UNITS:
        errors.add("unit", _("The unit is t or kg."))
        unit = "t"
    quantity_g = _grams(data.get("quantity"), unit, "quantity", errors, required=False)
    price_min = _integer(data.get("price_min"), "price_min", errors)
    price_max = _integer(data.get("price_max"), "price_max", errors)
    currency = (data.get("currency") or "").strip().upper() or None
    if (price_min is not None or price_max is not None) and currency is None:
        errors.add("currency", _("A price needs a currency."))
    elif currency is not None and currency not in CURRENCIES:
        errors.add("currency", _("Prices are in CNY."))
    if price_min is not None and price_max is not None and price_min > price_max:
        errors.add("price_max", _("The maximum price is below the minimum."))
    radius = _integer(data.get("radius_km"), "radius_km", errors)
    if radius is not None and not 1 <= radius <= 2000:
        errors.add("radius_km", _("Between 1 and 2000 km."))
    district = _district(data.get("district"), errors, required=False)
    lat, lon = _coordinates(data, errors)
    valid_until = _date(data.get("valid_until"), "valid_until", errors)
    errors.raise_if_any()
    return dict(title=title, description=(data.get("description") or "").strip()[:5000], waste_codes=codes,
                categories=categories, streams=streams, quantity_g=quantity_g, price_min_fen=price_min,
                price_max_fen=price_max, currency=currency or "CNY", district_code=district, lat=lat, lon=lon,
                radius_km=radius, valid_until=valid_until)


def _text_list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = value.replace("，", ",").split(",")
    if not isinstance(value, list | tuple):
        return [str(value)]
    return [str(v).strip() for v in value if str(v).strip()]


def _require_receiver(org: Organisation) -> None:
    auth.require_verified(org)
    if not (org.is_receiver or org.is_collector):
        raise Forbidden(_l("Only receivers and collectors post demand."), code="not_receiver")


def create_demand(org: Organisation, data: dict, user: User | None = None) -> Demand:
    _require_receiver(org)
    status = data.get("status") or "draft"
    if status not in ("draft", "published"):
        raise DomainError(_l("A new demand is a draft or published."), fields={"status": _l("draft or published")})
    demand = Demand(organisation_id=org.id, status=status, **clean_demand_input(data))
    db.session.add(demand)
    audit.record("demand.create", demand, after={"title": demand.title, "status": status}, organisation_id=org.id,
                 actor=user)
    if status == "published":
        after_commit.dispatch(demand_published, demand)  # matching: the listings that fit it
    return demand


def update_demand(demand: Demand, data: dict, user: User | None = None) -> Demand:
    if demand.status == "closed":
        raise Conflict(_l("A closed demand cannot be changed."))
    _require_receiver(demand.organisation)
    current = {"title": demand.title, "description": demand.description, "waste_codes": demand.waste_codes,
               "categories": demand.categories, "streams": demand.streams, "unit": "kg",
               "quantity": Decimal(demand.quantity_g) / 1000 if demand.quantity_g else None,
               "price_min": demand.price_min_fen, "price_max": demand.price_max_fen,
               "currency": demand.currency if demand.price_min_fen is not None or demand.price_max_fen is not None
               else None, "radius_km": demand.radius_km, "district": demand.district_code, "lat": demand.lat,
               "lon": demand.lon, "valid_until": demand.valid_until}
    values = clean_demand_input({**current, **{k: v for k, v in data.items() if k != "status"}})
    for key, value in values.items():
        setattr(demand, key, value)
    audit.record("demand.update", demand, after={"title": demand.title}, organisation_id=demand.organisation_id,
                 actor=user)
    return demand


def transition_demand(demand: Demand, action: str, user: User | None = None) -> Demand:
    step = DEMAND.step(demand, action, user, None, organisation_id=demand.organisation_id)
    if step.to_state == "published":
        after_commit.dispatch(demand_published, demand)
    return demand


def require_view_demand(user, demand: Demand | None) -> Demand:
    if demand is None or not (demand.status == "published" or auth.can_view_org_data(
            user, demand.organisation_id, demand.organisation.district_code)):
        from portal.errors import NotFound

        raise NotFound(_l("Not found."))
    return demand


def require_edit_demand(user, demand: Demand | None) -> Demand:
    require_view_demand(user, demand)
    auth.require_member_of(user, demand.organisation_id, demand.organisation.district_code)
    return demand


# --- saved searches ---------------------------------------------------------------------------

MAX_SAVED = 20


def save_search(user: User, name: str, query: str, filters: dict) -> SavedSearch:
    """Keep a search for alerts. Filters are re-validated so an alert can never fail later."""
    from werkzeug.datastructures import MultiDict

    from ..search.params import parse_filters

    parse_filters(MultiDict(filters))
    count = db.session.scalar(select(func.count(SavedSearch.id)).where(SavedSearch.user_id == user.id))
    if count >= MAX_SAVED:
        raise Conflict(_l("You can keep at most %(n)s saved searches.", n=MAX_SAVED))
    saved = SavedSearch(user_id=user.id, name=(name or query or _("My search")).strip()[:100],
                        query=(query or "").strip()[:200], filters={k: str(v) for k, v in filters.items()})
    db.session.add(saved)
    return saved


def delete_saved_search(user: User, saved: SavedSearch | None) -> None:
    if saved is None or saved.user_id != user.id:
        from portal.errors import NotFound

        raise NotFound(_l("Not found."))
    for alert in db.session.scalars(select(SearchAlert).where(SearchAlert.saved_search_id == saved.id)):
        db.session.delete(alert)
    db.session.delete(saved)


def notify_saved_searches(listing: Listing) -> int:
    """Alert every saved search the newly published listing matches: an in-app alert and a mail."""
    from werkzeug.datastructures import MultiDict

    from ..search.backends import SqlBackend
    from ..search.params import parse_filters

    backend = SqlBackend()
    notified = 0
    for saved in db.session.scalars(select(SavedSearch)):
        if auth.is_member(saved.user, listing.organisation_id):
            continue  # one's own listing is no news
        try:
            filters = parse_filters(MultiDict(saved.filters or {}))
        except DomainError:
            continue
        filters.listing_ids = [listing.id]
        conds = backend.conditions(saved.query, filters, None)
        if not db.session.scalar(select(func.count(Listing.id)).where(*conds)):
            continue
        db.session.add(SearchAlert(saved_search_id=saved.id, listing_id=listing.id))
        saved.last_notified_at = utcnow()
        if saved.notify_by_mail and saved.user.email:
            send_message(saved.user.email, _("New listing for your search “%(name)s”", name=saved.name),
                         _("%(title)s has just been published on the marketplace.", title=listing.title),
                         user=saved.user)
        notified += 1
    return notified
