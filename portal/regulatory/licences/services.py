"""Licences: recording and regulating them, and the one answer to "may this organisation receive this?".

The manifests and the marketplace call check_receipt / may_receive / require_receipt; nothing else decides
whether a receiver's 危险废物经营许可证 covers a receipt.
"""
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from ... import audit
from ...accounts.models import Organisation
from ...auth import acts_for_verified_org, can_review_org, orgs_visible_to
from ...clock import CHINA, china_today
from ...errors import Conflict, DomainError, Forbidden
from ...extensions import db
from ...i18n import quantity as format_quantity
from ...workflow import Transition, Workflow
from ..batches.models import Batch
from ..catalogue import default_edition, lookup_waste_code
from ..ledger.models import LedgerEvent
from ..manifests.models import PENDING_STATES, Manifest, ManifestLine
from ..models import WasteCategory, WasteCode
from .models import KINDS, STATUS_LABELS, STATUSES, Licence, LicenceScope

GRAMS_PER_TONNE = 1_000_000
# 利用方式 R1–R15 and 处置方式 D1–D18 as coded in the licence and register guidelines
_METHOD = re.compile(r"^([RD])(\d{1,2})$")
_METHOD_MAX = {"R": 15, "D": 18}
_CATEGORY = re.compile(r"^HW\d{2}$")
_TONNES = re.compile(r"^(\d+(?:\.\d{1,6})?)T$")
_SEPARATORS = re.compile(r"[\s,;，、；]+")

LICENCE_FIELDS = ("number", "organisation_id", "issuing_authority", "issued_on", "valid_from", "valid_until",
                  "status", "kind", "annual_capacity_g", "notes")



def _regulator(licence: Licence, user, _org) -> bool:
    """A regulator whose jurisdiction covers the holder, or a platform admin."""
    return can_review_org(user, licence.organisation)


def _reasoned(_licence: Licence, _user, _org, fields: dict) -> dict:
    reason = (fields.get("reason") or "").strip()
    if not reason:
        message = _l("Give the reason for this decision.")
        raise DomainError(message, fields={"reason": message})
    return {"reason": reason}


# the licence's state machine as data; revocation is final
LICENCE = Workflow("licence", Licence, STATUSES, [
    Transition("active", "suspend", "suspended", "regulator", _reasoned),
    Transition("suspended", "reinstate", "active", "regulator", _reasoned),
    Transition("active", "revoke", "revoked", "regulator", _reasoned),
    Transition("suspended", "revoke", "revoked", "regulator", _reasoned),
], parties={"regulator": _regulator}, label=_l("licence"), state_labels=STATUS_LABELS)
TRANSITIONS = LICENCE.table
ACTIONS = LICENCE.actions

# The order in which one licence is checked; a refusal later in the list came closer to being allowed,
# so with several licences the reason given is the one of the licence that came closest.
REASONS = ("no_licence", "revoked", "suspended", "expired", "code_out_of_scope", "method_out_of_scope",
           "capacity_exceeded", "allowed")


def normalise_method(value, field_name: str = "method") -> str:
    """An R/D code as the licence and register guidelines write it (R9, D10); anything else is refused."""
    text = str(value or "").strip().upper()
    match = _METHOD.match(text)
    if match is None or not 1 <= int(match.group(2)) <= _METHOD_MAX[match.group(1)]:
        message = _("Give a utilisation (R1–R15) or disposal (D1–D18) method.")
        raise DomainError(message, fields={field_name: message})
    return f"{match.group(1)}{int(match.group(2))}"


# --- scope text ----------------------------------------------------------------------------------

@dataclass
class ScopeLine:
    waste_code: str | None
    category_code: str | None
    methods: list[str]
    annual_capacity_g: int | None = None

    @property
    def target(self) -> str:
        return self.waste_code or self.category_code or ""


def parse_scope_text(text: str, field_name: str = "scopes") -> list[ScopeLine]:
    """One scope a line: a waste code (either spelling) or an HW category, its R/D methods and optionally
    its own annual capacity in tonnes, e.g. ``HW08 R9 D10`` or ``900-041-49 D10 200t``. Strict: every
    token must be known, or the whole text is refused with every bad line named."""
    edition = default_edition()
    lines, errors, seen = [], [], set()
    for number, raw in enumerate((text or "").splitlines(), start=1):
        tokens = [t for t in _SEPARATORS.split(raw.strip().upper()) if t]
        if not tokens:
            continue
        try:
            line = _parse_scope_line(tokens, edition, number)
        except ValueError as exc:
            errors.append(str(exc))
            continue
        if line.target in seen:
            errors.append(_("Line %(line)s: %(target)s is listed twice.", line=number, target=line.target))
        seen.add(line.target)
        lines.append(line)
    if not lines and not errors:
        errors.append(_("List at least one waste code or category with its methods."))
    if errors:
        message = " ".join(errors)
        raise DomainError(message, fields={field_name: message})
    return lines


def _parse_scope_line(tokens: list[str], edition, number: int) -> ScopeLine:
    target, rest = tokens[0], tokens[1:]
    waste_code = category_code = None
    if _CATEGORY.match(target):
        if edition is None or not _category_exists(edition.id, target):
            raise ValueError(_("Line %(line)s: %(token)s is not a category of the hazardous waste catalogue.",
                               line=number, token=target))
        category_code = target
    else:
        entry = lookup_waste_code(target, edition) if edition is not None else None
        if entry is None:
            raise ValueError(_("Line %(line)s: %(token)s is not a code of the hazardous waste catalogue.",
                               line=number, token=target))
        waste_code = entry.code
    methods, capacity = [], None
    for token in rest:
        if match := _METHOD.match(token):
            letter, digits = match.group(1), int(match.group(2))
            if not 1 <= digits <= _METHOD_MAX[letter]:
                raise ValueError(_("Line %(line)s: %(token)s is not a utilisation (R1–R15) or disposal "
                                   "(D1–D18) method.", line=number, token=token))
            if f"{letter}{digits}" not in methods:
                methods.append(f"{letter}{digits}")
        elif (match := _TONNES.match(token)) and capacity is None:
            capacity = int(Decimal(match.group(1)) * GRAMS_PER_TONNE)
            if capacity <= 0:
                raise ValueError(_("Line %(line)s: the capacity must be more than zero.", line=number))
        else:
            raise ValueError(_("Line %(line)s: %(token)s is neither a method (R1–R15, D1–D18) nor a capacity "
                               "in tonnes such as 200t.", line=number, token=token))
    if not methods:
        raise ValueError(_("Line %(line)s: give at least one method (R1–R15 or D1–D18) for %(target)s.",
                           line=number, target=target))
    return ScopeLine(waste_code, category_code, methods, capacity)


def _category_exists(edition_id: int, code: str) -> bool:
    return db.session.scalar(select(WasteCategory.id).where(
        WasteCategory.edition_id == edition_id, WasteCategory.code == code)) is not None


def format_scope_text(licence: Licence) -> str:
    """The scope rows in the text form parse_scope_text reads, for editing."""
    lines = []
    for scope in licence.scopes:
        parts = [scope.target, *scope.method_list]
        if scope.annual_capacity_g:
            parts.append(f"{_tonnes(scope.annual_capacity_g)}t")
        lines.append(" ".join(parts))
    return "\n".join(lines)


def _tonnes(grams: int) -> str:
    return format(Decimal(grams) / GRAMS_PER_TONNE, "f").rstrip("0").rstrip(".")


# --- recording and regulating --------------------------------------------------------------------

def require_regulate(user, org: Organisation) -> None:
    """Only a regulator whose jurisdiction covers the holder (or a platform admin) changes its licences."""
    if not can_review_org(user, org):
        raise Forbidden(_l("Only a regulator of the holder's district may record or change its licences."))


def record_licence(user, org: Organisation, *, scopes: list[ScopeLine], **fields) -> Licence:
    """A regulator records a licence with its scope rows."""
    require_regulate(user, org)
    _validate(fields, scopes)
    _require_unique_number(fields["number"])
    licence = Licence(organisation=org, status="active", **fields)
    _set_scopes(licence, scopes)
    db.session.add(licence)
    db.session.flush()
    audit.record("licence.created", licence, actor=user, organisation_id=org.id, after=_snapshot(licence))
    return licence


def require_editable(user, licence: Licence) -> None:
    require_regulate(user, licence.organisation)
    if licence.status == "revoked":
        raise Conflict(_l("A revoked licence cannot be changed."), code="revoked")


def update_licence(user, licence: Licence, *, scopes: list[ScopeLine], **fields) -> Licence:
    require_editable(user, licence)
    _validate(fields, scopes)
    if fields["number"] != licence.number:
        _require_unique_number(fields["number"])
    before = _snapshot(licence)
    for name, value in fields.items():
        setattr(licence, name, value)
    _set_scopes(licence, scopes)
    db.session.flush()
    audit.record("licence.updated", licence, actor=user, organisation_id=licence.organisation_id,
                 before=before, after=_snapshot(licence))
    return licence


def change_licence_status(user, licence: Licence, action: str, reason: str) -> Licence:
    """Suspend, reinstate or revoke, always with a reason; revocation is final."""
    require_regulate(user, licence.organisation)
    reason = (reason or "").strip()
    LICENCE.step(licence, action, user, None, fields={"reason": reason}, values={"status_reason": reason},
                 organisation_id=licence.organisation_id)
    return licence


def _validate(fields: dict, scopes: list[ScopeLine]) -> None:
    errors = {}
    fields["number"] = (fields.get("number") or "").strip()
    if not fields["number"]:
        errors["number"] = _l("Give the licence number.")
    if fields.get("kind") not in KINDS:
        errors["kind"] = _l("Choose the kind of licence.")
    if not fields.get("annual_capacity_g") or fields["annual_capacity_g"] <= 0:
        errors["annual_capacity_g"] = _l("The annual capacity must be more than zero.")
    valid_from, valid_until = fields.get("valid_from"), fields.get("valid_until")
    if valid_from and valid_until and valid_until < valid_from:
        errors["valid_until"] = _l("The licence cannot end before it starts.")
    if not scopes:
        errors["scopes"] = _l("List at least one waste code or category with its methods.")
    oversized = [s.target for s in scopes if s.annual_capacity_g and fields.get("annual_capacity_g")
                 and s.annual_capacity_g > fields["annual_capacity_g"]]
    if oversized:
        errors["scopes"] = _("A scope's capacity cannot exceed the licence's annual capacity: %(targets)s.",
                             targets=", ".join(oversized))
    if errors:
        raise DomainError(next(iter(errors.values())), fields=errors)


def _require_unique_number(number: str) -> None:
    if db.session.scalar(select(Licence.id).where(Licence.number == number)) is not None:
        message = _l("A licence with this number is already recorded.")
        raise Conflict(message, fields={"number": message})


def _set_scopes(licence: Licence, scopes: list[ScopeLine]) -> None:
    licence.scopes = [LicenceScope(position=i, waste_code=s.waste_code, category_code=s.category_code,
                                   methods=",".join(s.methods), annual_capacity_g=s.annual_capacity_g)
                      for i, s in enumerate(scopes)]


def _snapshot(licence: Licence) -> dict:
    data = audit.snapshot(licence, LICENCE_FIELDS)
    data["scopes"] = format_scope_text(licence)
    return data


# --- reading -------------------------------------------------------------------------------------

def licences_visible_to(user):
    """A select() of the licences the user may read. Licences are public information, so a member of a verified
    enterprise looks up any of them (auth.can_read_licences_of); others read their organisations', their
    jurisdiction's, or all."""
    query = select(Licence).join(Organisation, Licence.organisation_id == Organisation.id)
    if acts_for_verified_org():
        return query
    return query.where(Licence.organisation_id.in_(orgs_visible_to(user).with_only_columns(Organisation.id)))


def filter_licences(query, *, status=None, district=None, code=None, expiring_within=None, q=None,
                    capacity=None, today: date | None = None):
    """Narrow licences_visible_to() by the list's filters; an unknown waste code is a field error."""
    if status in STATUSES:
        query = query.where(Licence.status == status)
    if district:
        query = query.where(Organisation.district_code == district)
    if code:
        query = query.where(Licence.id.in_(_licences_covering(code)))
    if expiring_within is not None:
        today = today or china_today()
        query = query.where(Licence.status != "revoked", Licence.valid_until >= today,
                            Licence.valid_until <= today + timedelta(days=expiring_within))
    if q:
        q = q.strip()
        query = query.where(or_(Licence.number.icontains(q, autoescape=True),
                                Organisation.name.icontains(q, autoescape=True)))
    if capacity == "near":
        query = query.where(Licence.id.in_(near_capacity_ids(query, today)))
    return query.order_by(Licence.valid_until, Licence.id)


# A licence whose received and announced waste reaches this share of its annual capacity is near its limit:
# the home of its holder and the regulators' dashboard show it (the receipt check refuses beyond 100 %).
NEAR_CAPACITY_PERCENT = 90


def capacity_percent(licence: Licence) -> int:
    """The share of the licence's annual capacity received or on the way this year, in whole percent."""
    capacity = licence_capacity(licence)
    return capacity.used_g * 100 // capacity.total_g if capacity.total_g else 0


def near_capacity_ids(query, today: date | None = None) -> list[int]:
    """The licences in force among query's whose capacity used this year reached NEAR_CAPACITY_PERCENT.
    The capacity is summed per licence from the manifests, so the few licences in force are checked one by one."""
    today = today or china_today()
    in_force = db.session.scalars(query.where(Licence.status == "active", Licence.valid_until >= today)
                                  .order_by(None))
    return [licence.id for licence in in_force if capacity_percent(licence) >= NEAR_CAPACITY_PERCENT]


def _licences_covering(code: str):
    code = code.strip().upper()
    if _CATEGORY.match(code):
        return select(LicenceScope.licence_id).where(LicenceScope.category_code == code)
    entry = lookup_waste_code(code)
    if entry is None:
        message = _("%(code)s is not in the waste catalogue.", code=code)
        raise DomainError(message, fields={"code": message}, status=400, code="bad_request")
    return select(LicenceScope.licence_id).where(or_(LicenceScope.waste_code == entry.code,
                                                     LicenceScope.category_code == entry.category.code))


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    """The calendar year in China, as UTC instants."""
    start = datetime(year, 1, 1, tzinfo=CHINA).astimezone(UTC)
    end = datetime(year + 1, 1, 1, tzinfo=CHINA).astimezone(UTC)
    return start, end


def _scope_filter(scopes):
    """The WHERE clause matching batches whose code the scope rows cover (None when they cover nothing)."""
    codes = [s.waste_code for s in scopes if s.waste_code]
    categories = [s.category_code for s in scopes if s.category_code]
    if not codes and not categories:
        return None
    return or_(Batch.waste_code.in_(codes), WasteCategory.code.in_(categories))


def received_g(organisation_id: int, scopes, year: int) -> int:
    """Grams the organisation received in the calendar year of waste within the given scope rows,
    summed from the ledger's 'received' events (capacity used is derived, never stored)."""
    covered = _scope_filter(scopes)
    if covered is None:
        return 0
    start, end = _year_bounds(year)
    query = (select(func.coalesce(func.sum(LedgerEvent.quantity_g), 0))
             .join(Batch, LedgerEvent.batch_id == Batch.id)
             .join(WasteCode, Batch.waste_code_id == WasteCode.id)
             .join(WasteCategory, WasteCode.category_id == WasteCategory.id)
             .where(LedgerEvent.event_type == "received", LedgerEvent.organisation_id == organisation_id,
                    LedgerEvent.occurred_at >= start, LedgerEvent.occurred_at < end, covered))
    return int(db.session.scalar(query) or 0)


def in_transit_g(organisation_id: int, scopes, year: int, excluding_manifest_id: int | None = None) -> int:
    """Grams on their way to the organisation under manifests submitted but not yet received, of waste within
    the scope rows, that will count against the year's capacity: those planned for delivery in that year, and
    in the current year also the overdue ones (they arrive now). The manifest being received is excluded,
    since its receipt is what is being checked."""
    covered = _scope_filter(scopes)
    if covered is None:
        return 0
    next_year = date(year + 1, 1, 1)
    this_year = china_today().year
    if year < this_year:
        return 0  # waste still on its way will be received this year, not in a past one
    query = (select(func.coalesce(func.sum(ManifestLine.quantity_g), 0))
             .join(Manifest, ManifestLine.manifest_id == Manifest.id)
             .join(Batch, ManifestLine.batch_id == Batch.id)
             .join(WasteCode, Batch.waste_code_id == WasteCode.id)
             .join(WasteCategory, WasteCode.category_id == WasteCategory.id)
             .where(Manifest.receiver_org_id == organisation_id, Manifest.state.in_(PENDING_STATES),
                    Manifest.planned_delivery_on < next_year, covered))
    if year > this_year:
        query = query.where(Manifest.planned_delivery_on >= date(year, 1, 1))
    if excluding_manifest_id is not None:
        query = query.where(Manifest.id != excluding_manifest_id)
    return int(db.session.scalar(query) or 0)


def lock_licences(org: Organisation) -> None:
    """Hold the organisation's licence rows under SELECT … FOR UPDATE until the transaction ends, so that
    submissions to the same receiver count its capacity one after another (two generators cannot both take
    the last 10 t). SQLite serialises writers anyway and ignores FOR UPDATE."""
    db.session.execute(select(Licence.id).where(Licence.organisation_id == org.id).order_by(Licence.id)
                       .with_for_update()).all()


@dataclass
class Usage:
    """One capacity limit (the licence's or a scope's own) and what counts against it in a year."""
    total_g: int
    received_g: int
    in_transit_g: int

    @property
    def used_g(self) -> int:
        return self.received_g + self.in_transit_g

    @property
    def remaining_g(self) -> int:
        return max(self.total_g - self.used_g, 0)


def _usage(licence: Licence, total_g: int, scopes, year: int, excluding_manifest_id: int | None = None) -> Usage:
    org_id = licence.organisation_id
    return Usage(total_g, received_g(org_id, scopes, year),
                 in_transit_g(org_id, scopes, year, excluding_manifest_id))


@dataclass
class Capacity(Usage):
    year: int = 0
    scopes: list[tuple[LicenceScope, Usage]] = field(default_factory=list)  # the scopes with their own capacity


def licence_capacity(licence: Licence, year: int | None = None) -> Capacity:
    """Received, on its way and remaining annual capacity of a licence and of its scope rows that have their
    own capacity."""
    year = year or china_today().year
    whole = _usage(licence, licence.annual_capacity_g, licence.scopes, year)
    per_scope = [(s, _usage(licence, s.annual_capacity_g, [s], year)) for s in licence.scopes if s.annual_capacity_g]
    return Capacity(whole.total_g, whole.received_g, whole.in_transit_g, year, per_scope)


# --- the receipt check ---------------------------------------------------------------------------

@dataclass
class Decision:
    allowed: bool
    reason_code: str
    message: str
    licence: Licence | None = None
    methods: list[str] = field(default_factory=list)
    remaining_g: int | None = None
    # of the capacity limit that binds: received this year and on its way under submitted manifests
    received_g: int | None = None
    in_transit_g: int | None = None

    def to_dict(self) -> dict:
        return {"allowed": self.allowed, "reason_code": self.reason_code, "message": self.message,
                "licence": None if self.licence is None else {
                    "id": self.licence.id, "number": self.licence.number, "status": self.licence.status,
                    "valid_from": self.licence.valid_from.isoformat(),
                    "valid_until": self.licence.valid_until.isoformat()},
                "methods": self.methods, "remaining_g": self.remaining_g, "received_g": self.received_g,
                "in_transit_g": self.in_transit_g}


def check_receipt(org: Organisation, waste_code: str, quantity_g: int, on_date: date,
                  method: str | None = None, excluding_manifest_id: int | None = None) -> Decision:
    """May org receive quantity_g grams of waste_code on on_date (to treat it by method, when given)?
    The capacity counts what was received this year and what is on its way (except the manifest
    excluding_manifest_id, whose receipt is being checked). The reason says why not."""
    entry = _require_hazardous_entry(waste_code)
    method = normalise_method(method) if method is not None else None
    if not isinstance(quantity_g, int) or isinstance(quantity_g, bool) or quantity_g <= 0:
        message = _l("The quantity must be a whole number of grams above zero.")
        raise DomainError(message, fields={"quantity_g": message})
    if entry is None:
        return Decision(True, "licence_not_required",
                        _("%(code)s is not hazardous waste: no hazardous waste licence is needed.", code=waste_code))
    licences = db.session.scalars(select(Licence).where(Licence.organisation_id == org.id).order_by(
        Licence.valid_until.desc(), Licence.id.desc())).all()
    if not licences:
        return Decision(False, "no_licence",
                        _("%(org)s holds no hazardous waste business licence.", org=org.name))
    decisions = [_check_one(licence, entry, quantity_g, on_date, method, excluding_manifest_id)
                 for licence in licences]
    return max(decisions, key=lambda d: REASONS.index(d.reason_code))  # max() keeps the first of equals


def may_receive(org: Organisation, waste_code: str, quantity_g: int, on_date: date,
                method: str | None = None) -> bool:
    return check_receipt(org, waste_code, quantity_g, on_date, method).allowed


def require_receipt(org: Organisation, waste_code: str, quantity_g: int, on_date: date,
                    method: str | None = None, excluding_manifest_id: int | None = None) -> Decision:
    """check_receipt() for callers that must stop: a refusal raises DomainError(code=reason_code)."""
    decision = check_receipt(org, waste_code, quantity_g, on_date, method, excluding_manifest_id)
    if not decision.allowed:
        raise DomainError(decision.message, code=decision.reason_code)
    return decision


@dataclass
class ReceiverChoice:
    organisation: Organisation
    refusal: Decision | None = None  # the first code the receiver may not take, with the licence's reason


def choose_receivers(grams_by_code: dict[str, int], on_date: date, method: str | None = None,
                     limit: int = 500) -> tuple[list[Organisation], list[ReceiverChoice]]:
    """The verified receivers whose licences cover every code with its quantity (and the method, when
    given), and those left out with the reason; with nothing chosen yet every verified receiver is offered."""
    receivers = db.session.scalars(select(Organisation).where(
        Organisation.is_receiver.is_(True), Organisation.status == "verified").order_by(Organisation.name)
        .limit(limit)).all()
    offered, left_out = [], []
    for org in receivers:
        refusal = next((decision for code, grams in sorted(grams_by_code.items()) if grams > 0
                        if not (decision := check_receipt(org, code, grams, on_date, method)).allowed), None)
        if refusal is None:
            offered.append(org)
        else:
            left_out.append(ReceiverChoice(org, refusal))
    return offered, left_out


def licensed_methods(org: Organisation, waste_code: str, on_date: date) -> list[str] | None:
    """The R/D methods org's licences in force on on_date permit for waste_code; None when the code is not
    hazardous waste (no licence needed)."""
    entry = _require_hazardous_entry(waste_code)
    if entry is None:
        return None
    licences = db.session.scalars(select(Licence).where(Licence.organisation_id == org.id)).all()
    return _sorted_methods({m for licence in licences if _refuse_status_or_date(licence, on_date) is None
                            for s in licence.scopes
                            if s.waste_code == entry.code or s.category_code == entry.category.code
                            for m in s.method_list})


def require_method_licensed(org: Organisation, waste_code: str, method: str, on_date: date,
                            field_name: str = "method") -> None:
    """Treatment (or a planned treatment) by method must be within the scope org holds for waste_code;
    capacity is not counted again here, it was drawn when the waste was received."""
    method = normalise_method(method, field_name)
    methods = licensed_methods(org, waste_code, on_date)
    if methods is None or method in methods:
        return
    if methods:
        message = _("%(org)s is licensed to treat %(code)s only by %(methods)s, not by %(method)s.",
                    org=org.name, code=waste_code, methods=", ".join(methods), method=method)
    else:
        message = _("%(org)s holds no licence in force for %(code)s on that day.", org=org.name, code=waste_code)
    raise DomainError(message, fields={field_name: message}, code="method_out_of_scope")


def _require_hazardous_entry(waste_code: str) -> WasteCode | None:
    """The hazardous catalogue entry; None for a known non-hazardous code; an unknown code is an error."""
    entry = lookup_waste_code(waste_code or "")
    if entry is None:
        message = _("%(code)s is not in the waste catalogue.", code=waste_code)
        raise DomainError(message, fields={"waste_code": message})
    return entry if entry.hazardous else None


def _check_one(licence: Licence, entry: WasteCode, quantity_g: int, on_date: date,
               method: str | None = None, excluding_manifest_id: int | None = None) -> Decision:
    number = licence.number
    refusal = _refuse_status_or_date(licence, on_date)
    if refusal is not None:
        return refusal
    scopes = [s for s in licence.scopes if s.waste_code == entry.code or s.category_code == entry.category.code]
    if not scopes:
        return Decision(False, "code_out_of_scope", _("Licence %(number)s does not cover waste code %(code)s.",
                                                      number=number, code=entry.code), licence)
    methods = _sorted_methods({m for s in scopes for m in s.method_list})
    if method is not None and method not in methods:
        return Decision(False, "method_out_of_scope", _(
            "Licence %(number)s permits %(code)s only by %(methods)s, not by %(method)s.", number=number,
            code=entry.code, methods=", ".join(methods), method=method), licence, methods)
    limits = [(licence.annual_capacity_g, licence.scopes)] + [(s.annual_capacity_g, [s])
                                                              for s in scopes if s.annual_capacity_g]
    usage = min((_usage(licence, total, rows, on_date.year, excluding_manifest_id) for total, rows in limits),
                key=lambda u: u.total_g - u.used_g)
    remaining, counted = usage.remaining_g, (usage.received_g, usage.in_transit_g)
    if quantity_g > remaining:
        return Decision(False, "capacity_exceeded", _(
            "Licence %(number)s has %(remaining)s of annual capacity left in %(year)s (%(received)s received, "
            "%(in_transit)s on its way under submitted manifests); %(quantity)s is more than that.",
            number=number, remaining=format_quantity(remaining) or "0 g", year=on_date.year,
            received=format_quantity(usage.received_g) or "0 g",
            in_transit=format_quantity(usage.in_transit_g) or "0 g",
            quantity=format_quantity(quantity_g)), licence, methods, remaining, *counted)
    return Decision(True, "allowed", _(
        "Licence %(number)s covers %(code)s (%(methods)s); %(remaining)s of annual capacity left in %(year)s.",
        number=number, code=entry.code, methods=", ".join(methods), remaining=format_quantity(remaining),
        year=on_date.year), licence, methods, remaining, *counted)


def _sorted_methods(methods) -> list[str]:
    return sorted(methods, key=lambda m: (m[0], int(m[1:])))


def _refuse_status_or_date(licence: Licence, on_date: date) -> Decision | None:
    number = licence.number
    if licence.status == "revoked":
        return Decision(False, "revoked", _("Licence %(number)s has been revoked.", number=number), licence)
    if licence.status == "suspended":
        return Decision(False, "suspended", _("Licence %(number)s is suspended.", number=number), licence)
    if on_date > licence.valid_until:
        return Decision(False, "expired", _("Licence %(number)s expired on %(date)s.", number=number,
                                            date=format_date(licence.valid_until)), licence)
    if on_date < licence.valid_from:
        return Decision(False, "expired", _("Licence %(number)s is valid only from %(date)s.", number=number,
                                            date=format_date(licence.valid_from)), licence)
    return None
