"""危险废物管理计划: the generator files its annual plan (expected quantity per waste code, storage, own
utilisation or disposal, intended receivers); the regulator of its district accepts it or returns it with a
reason. The accepted plan is compared with the declarations and the ledger, and a manifest to a receiver the
plan does not name for the code warns (it does not block: a plan is a forecast, not a licence)."""
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ... import audit, auth
from ...accounts.models import Organisation
from ...clock import china_today
from ...errors import Conflict, DomainError, Forbidden, NotFound
from ...extensions import db
from ...inputs import MAX_RECORD_GRAMS
from ...types import utcnow
from ...workflow import Transition, Workflow
from ..batches.models import StorageFacility
from ..catalogue import lookup_waste_code
from ..declarations.models import Declaration, DeclarationFigure
from ..declarations.services import ledger_figures
from ..licences.services import normalise_method
from ..manifests.models import Manifest, ManifestLine
from ..register import month_bounds
from .models import STATUSES, ManagementPlan, PlanLine, PlanReceiver

EDITABLE = ("draft", "returned")
STATUS_LABELS = {"draft": _l("Draft"), "submitted": _l("Submitted"), "returned": _l("Returned"),
                 "accepted": _l("Accepted")}
MAX_LINES = 100
MAX_RECEIVERS = 20


def _invalid(field: str, message: str) -> DomainError:
    return DomainError(message, fields={field: message})


# --- the state machine ---------------------------------------------------------------------------

def _enterprise(plan: ManagementPlan, user, _org) -> bool:
    return auth.is_org_office(user, plan.organisation_id)


def _regulator(plan: ManagementPlan, user, _org) -> bool:
    return auth.jurisdiction_covers(user, plan.district_code)


def _with_reason(_plan: ManagementPlan, _user, _org, fields: dict) -> dict:
    reason = fields.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise _invalid("reason", _("Enter text."))
    reason = (reason or "").strip()
    if not reason:
        raise _invalid("reason", _("Give the reason for returning the management plan."))
    return {"reason": reason}


def _has_lines(plan: ManagementPlan, _user, _org, _fields: dict) -> None:
    if not plan.lines:
        raise _invalid("lines", _("List at least one waste code with its expected quantity."))


PLAN = Workflow("management_plan", ManagementPlan, STATUSES, [
    Transition("draft", "submit", "submitted", "enterprise", _has_lines),
    Transition("returned", "submit", "submitted", "enterprise", _has_lines),
    Transition("submitted", "accept", "accepted", "regulator"),
    Transition("submitted", "return", "returned", "regulator", _with_reason),
], parties={"enterprise": _enterprise, "regulator": _regulator}, label=_l("management plan"),
    state_labels=STATUS_LABELS,
    refusals={"enterprise": _l("Only the enterprise's administrators and staff file its management plans."),
              "regulator": _l("Only a regulator of the enterprise's district accepts its management plans.")})


def allowed_actions(user, plan: ManagementPlan) -> list[str]:
    return PLAN.allowed_actions(plan, user)


# --- reading -------------------------------------------------------------------------------------

def plans_query(user, *, year=None, status=None, district=None, organisation_id=None):
    """A select() of the plans the user may see, newest year first; regulators never see drafts."""
    query = auth.scope_to_viewer(select(ManagementPlan), user, ManagementPlan.organisation_id,
                                 ManagementPlan.district_code)
    if auth.regulator_of(user) is not None and not auth.is_admin(user):
        query = query.where(ManagementPlan.status != "draft")
    if year:
        query = query.where(ManagementPlan.year == year)
    if status in STATUSES:
        query = query.where(ManagementPlan.status == status)
    if district:
        query = query.where(ManagementPlan.district_code == district)
    if organisation_id:
        query = query.where(ManagementPlan.organisation_id == organisation_id)
    return query.order_by(ManagementPlan.year.desc(), ManagementPlan.id.desc())


def get_plan(user, plan_id: int) -> ManagementPlan:
    """The plan if the user may see it: its enterprise's members, its district's regulators once submitted,
    admins. Anyone else gets 404."""
    plan = db.session.get(ManagementPlan, plan_id)
    if plan is None or not (
            auth.is_admin(user) or auth.is_member(user, plan.organisation_id)
            or (plan.status != "draft" and auth.jurisdiction_covers(user, plan.district_code))):
        raise NotFound(_("Not found."))
    return plan


def accepted_plan(organisation_id: int, year: int) -> ManagementPlan | None:
    return db.session.scalar(select(ManagementPlan).where(
        ManagementPlan.organisation_id == organisation_id, ManagementPlan.year == year,
        ManagementPlan.status == "accepted"))


# --- filing and revising -------------------------------------------------------------------------

def _require_office(actor, org: Organisation) -> None:
    if org is None or not auth.is_member(actor, org.id):
        raise NotFound(_("Not found."))
    if not auth.is_org_office(actor, org.id):
        raise Forbidden(_("Only the enterprise's administrators and staff file its management plans."))


def _check_year(year) -> int:
    latest = china_today().year + 1
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= latest:
        raise _invalid("year", _("Plan a year from 2000 to %(latest)s.", latest=latest))
    return year


def create_plan(actor, org: Organisation, year: int, lines: list, measures: str | None = None) -> ManagementPlan:
    """A draft plan for the year with its lines; one plan per organisation and year. The caller commits."""
    _require_office(actor, org)
    auth.require_verified(org)
    year = _check_year(year)
    if db.session.scalar(select(ManagementPlan.id).where(ManagementPlan.organisation_id == org.id,
                                                         ManagementPlan.year == year)) is not None:
        message = _("A management plan for %(year)s has already been filed; revise that one.", year=year)
        raise Conflict(message, fields={"year": message})
    plan = ManagementPlan(organisation_id=org.id, district_code=org.district_code, year=year, status="draft",
                          created_by_id=actor.id, measures=_measures(measures))
    plan.lines = _build_lines(org, lines)
    db.session.add(plan)
    db.session.flush()
    audit.record("management_plan.create", plan, actor=actor, organisation_id=org.id,
                 after={"year": year, "lines": _lines_snapshot(plan)})
    return plan


def update_plan(actor, plan: ManagementPlan, lines: list, measures: str | None = None) -> ManagementPlan:
    """Revise a draft or returned plan: its lines are replaced as a whole. The caller commits."""
    _require_office(actor, plan.organisation)
    if plan.status not in EDITABLE:
        raise Conflict(_("A submitted or accepted management plan cannot be changed."))
    new_lines = _build_lines(plan.organisation, lines)
    before = _lines_snapshot(plan)
    plan.lines = []
    db.session.flush()  # the old lines go before the new ones take their (plan, code) slots
    plan.lines = new_lines
    plan.measures = _measures(measures)
    plan.revision += 1
    db.session.flush()
    audit.record("management_plan.update", plan, actor=actor, organisation_id=plan.organisation_id,
                 before={"lines": before}, after={"lines": _lines_snapshot(plan), "revision": plan.revision})
    return plan


def _measures(text) -> str | None:
    if text is not None and not isinstance(text, str):
        raise _invalid("measures", _("Enter text."))
    return (text or "").strip()[:4000] or None


def _grams(value, field: str, *, positive: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not (1 if positive else 0) <= value <= MAX_RECORD_GRAMS:
        raise _invalid(field, _("Enter a quantity above zero.") if positive else _("Enter a quantity, zero or more."))
    return value


def _build_lines(org: Organisation, lines) -> list[PlanLine]:
    """Plan lines from [{waste_code, expected_g, facility_id, max_stored_g, own_g, own_method, receiver_ids}],
    every rule checked before anything changes."""
    if not isinstance(lines, list) or not lines:
        raise _invalid("lines", _("List at least one waste code with its expected quantity."))
    if len(lines) > MAX_LINES:
        raise _invalid("lines", _("A plan lists at most %(count)s waste codes.", count=MAX_LINES))
    built, seen = [], set()
    for index, item in enumerate(lines):
        if not isinstance(item, dict):
            raise _invalid(f"lines[{index}]", _("Each line is an object."))
        line = _build_line(org, item, f"lines[{index}]")
        if line.waste_code in seen:
            raise _invalid(f"lines[{index}].waste_code", _("%(code)s is listed twice.", code=line.waste_code))
        seen.add(line.waste_code)
        line.position = index
        built.append(line)
    return built


def _build_line(org: Organisation, item: dict, field: str) -> PlanLine:
    entry = lookup_waste_code(str(item.get("waste_code") or ""))
    if entry is None or not entry.hazardous:
        raise _invalid(f"{field}.waste_code", _("Give a code of the hazardous waste catalogue."))
    expected = _grams(item.get("expected_g"), f"{field}.expected_g", positive=True)
    max_stored = _grams(item.get("max_stored_g") or 0, f"{field}.max_stored_g")
    own = _grams(item.get("own_g") or 0, f"{field}.own_g")
    if own > expected:
        raise _invalid(f"{field}.own_g", _("The enterprise cannot handle more itself than it expects to generate."))
    own_method = None
    if own:
        own_method = normalise_method(item.get("own_method"), f"{field}.own_method")
    facility_id = item.get("facility_id")
    if facility_id is not None:
        facility = db.session.get(StorageFacility, facility_id) if isinstance(facility_id, int) else None
        if facility is None or facility.organisation_id != org.id:
            raise _invalid(f"{field}.facility_id", _("Choose one of the enterprise's storage facilities."))
    receivers = _receivers(item.get("receiver_ids") or [], f"{field}.receiver_ids")
    if expected > own and not receivers:
        raise _invalid(f"{field}.receiver_ids",
                       _("Name the intended receivers of what the enterprise will not handle itself."))
    return PlanLine(waste_code=entry.code, expected_g=expected, facility_id=facility_id, max_stored_g=max_stored,
                    own_g=own, own_method=own_method,
                    receivers=[PlanReceiver(organisation_id=org_id) for org_id in receivers])


def _receivers(ids, field: str) -> list[int]:
    if not isinstance(ids, list) or len(ids) > MAX_RECEIVERS or not all(
            isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise _invalid(field, _("Choose at most %(count)s receivers.", count=MAX_RECEIVERS))
    ids = list(dict.fromkeys(ids))
    found = set(db.session.scalars(select(Organisation.id).where(
        Organisation.id.in_(ids), Organisation.is_receiver.is_(True), Organisation.status == "verified")))
    if missing := [i for i in ids if i not in found]:
        raise _invalid(field, _("Organisation %(id)s is not a verified receiver.", id=missing[0]))
    return ids


def _lines_snapshot(plan: ManagementPlan) -> list[dict]:
    return [{"waste_code": line.waste_code, "expected_g": line.expected_g, "facility_id": line.facility_id,
             "max_stored_g": line.max_stored_g, "own_g": line.own_g, "own_method": line.own_method,
             "receiver_ids": [r.organisation_id for r in line.receivers]} for line in plan.lines]


def submit_plan(actor, plan: ManagementPlan) -> ManagementPlan:
    """Submit (or resubmit after a return) for the acceptance of the district's regulator."""
    PLAN.step(plan, "submit", actor, values={"submitted_at": utcnow(), "submitted_by_id": actor.id,
                                             "return_reason": None},
              organisation_id=plan.organisation_id)
    return plan


def review_plan(actor, plan: ManagementPlan, decision: str, reason: str | None = None) -> ManagementPlan:
    """Accept, or return with a reason the enterprise sees. The caller commits."""
    if decision not in ("accept", "return"):
        raise _invalid("decision", _("Choose accept or return."))
    step = PLAN.step(plan, decision, actor, fields={"reason": reason},
                     values={"reviewed_at": utcnow(), "reviewed_by_id": actor.id},
                     organisation_id=plan.organisation_id)
    plan.return_reason = step.sealed.get("reason")
    return plan


# --- comparisons ---------------------------------------------------------------------------------

def _declared_generated(org_id: int, year: int) -> dict[str, int]:
    """Per code, the quantity generated as declared for the year: the annual declaration when one was
    submitted, otherwise the submitted monthly declarations summed."""
    base = (select(DeclarationFigure.waste_code, func.sum(DeclarationFigure.declared_g))
            .join(Declaration, DeclarationFigure.declaration_id == Declaration.id)
            .where(Declaration.organisation_id == org_id, Declaration.status.in_(("submitted", "accepted")),
                   Declaration.period_start >= date(year, 1, 1), Declaration.period_start <= date(year, 12, 31),
                   DeclarationFigure.figure == "generated")
            .group_by(DeclarationFigure.waste_code))
    annual = dict(db.session.execute(base.where(Declaration.kind == "annual")).all())
    if annual:
        return {code: int(grams) for code, grams in annual.items()}
    return {code: int(grams) for code, grams in db.session.execute(base.where(Declaration.kind == "monthly")).all()}


def _manifested(org_id: int, year: int) -> dict[str, int]:
    """Per code, what left the enterprise under manifests picked up in the year."""
    start, end = month_bounds(date(year, 1, 1))[0], month_bounds(date(year, 12, 1))[1]
    rows = db.session.execute(
        select(ManifestLine.waste_code, func.sum(ManifestLine.quantity_g))
        .join(Manifest, ManifestLine.manifest_id == Manifest.id)
        .where(Manifest.generator_org_id == org_id, Manifest.picked_up_at >= start, Manifest.picked_up_at < end)
        .group_by(ManifestLine.waste_code))
    return {code: int(grams) for code, grams in rows}


def _deviation(actual: int | None, planned: int) -> tuple[int | None, float | None]:
    if actual is None:
        return None, None
    return actual - planned, (round((actual - planned) * 100 / planned, 1) if planned else None)


def compare_plan(plan: ManagementPlan) -> list[dict]:
    """Per waste code: planned, declared and recorded (ledger) generation, planned and manifested transfers,
    each actual figure with its deviation from the plan (grams, and percent of the planned figure)."""
    declared = _declared_generated(plan.organisation_id, plan.year)
    ledger = ledger_figures(plan.organisation, date(plan.year, 1, 1), date(plan.year, 12, 31))
    manifested = _manifested(plan.organisation_id, plan.year)
    codes = sorted({line.waste_code for line in plan.lines} | set(declared) | set(ledger) | set(manifested))
    rows = []
    for code in codes:
        line = plan.line_for(code)
        planned = line.expected_g if line else 0
        planned_transfer = line.transfer_g if line else 0
        generated = ledger.get(code, {}).get("generated", 0)
        row = {"waste_code": code, "in_plan": line is not None, "planned_g": planned,
               "declared_g": declared.get(code), "ledger_g": generated,
               "planned_transfer_g": planned_transfer, "manifested_g": manifested.get(code, 0)}
        row["declared_deviation_g"], row["declared_deviation_pct"] = _deviation(row["declared_g"], planned)
        row["ledger_deviation_g"], row["ledger_deviation_pct"] = _deviation(generated, planned)
        row["transfer_deviation_g"], row["transfer_deviation_pct"] = _deviation(row["manifested_g"],
                                                                                planned_transfer)
        rows.append(row)
    return rows


# --- the manifest's warning ----------------------------------------------------------------------

def receiver_warnings(manifest: Manifest) -> list[str]:
    """The manifest's waste codes for which its receiver is not an intended receiver in the generator's
    accepted plan of the year of pickup; nothing when there is no accepted plan (nothing to compare)."""
    if manifest.receiver_org_id is None or manifest.generator_org_id is None:
        return []
    year = (manifest.planned_pickup_on or china_today()).year
    plan = accepted_plan(manifest.generator_org_id, year)
    if plan is None:
        return []
    warnings = []
    for code in manifest.waste_codes:
        line = plan.line_for(code)
        if line is None:
            warnings.append(_("%(code)s is not in the accepted management plan for %(year)s.", code=code, year=year))
        elif manifest.receiver_org_id not in line.receiver_ids:
            warnings.append(_("%(org)s is not an intended receiver of %(code)s in the accepted management plan "
                              "for %(year)s.", org=manifest.receiver.name, code=code, year=year))
    return warnings

