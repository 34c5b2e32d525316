"""Declarations (申报): prefilled from the register (itself derived from the ledger) and the manifests,
edited by the enterprise only with a comment, checked against the ledger (mass balance) at submission,
accepted or returned with a reason by the regulator of the enterprise's district."""
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ... import audit, auth
from ...accounts.models import Organisation
from ...errors import Conflict, DomainError, Forbidden, NotFound
from ...extensions import db
from ...inputs import MAX_RECORD_GRAMS
from ...outbox import send_message
from ...types import utcnow
from ...workflow import Transition, Workflow
from ..manifests.models import Manifest, ManifestLine
from ..register import month_bounds, monthly_register, parse_month, this_month
from .models import FIGURES, KINDS, STATUSES, Declaration, DeclarationFigure

EDITABLE = ("draft", "returned")
KIND_LABELS = {"monthly": _l("Monthly"), "annual": _l("Annual")}
STATUS_LABELS = {"draft": _l("Draft"), "submitted": _l("Submitted"), "returned": _l("Returned"),
                 "accepted": _l("Accepted")}
FIGURE_LABELS = {"generated": _l("Generated"), "stock": _l("In storage at the period's end"),
                 "transferred_out": _l("Transferred out"), "treated": _l("Utilised or treated on site")}
# the figure as it reads inside a sentence: "declared 4.0 t transferred out"
FIGURE_PHRASES = {"generated": _l("generated"), "stock": _l("in storage"),
                  "transferred_out": _l("transferred out"), "treated": _l("utilised or treated on site")}
MAX_GRAMS = MAX_RECORD_GRAMS  # a declared figure is an Integer column (int4 on PostgreSQL)


def _invalid(field: str, message: str, status: int = 422) -> DomainError:
    return DomainError(message, fields={field: message}, status=status,
                       code="invalid" if status == 422 else "bad_request")


def tonnes(grams: int) -> str:
    """4_600_000 → '4.6', 4_000_000 → '4.0', 1_234 → '0.001'."""
    text = f"{(Decimal(grams) / 1_000_000).quantize(Decimal('0.001')):f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


# --- periods -------------------------------------------------------------------------------------

def parse_period(kind: str, text: str) -> tuple[date, date]:
    """The first and last day of 'YYYY-MM' (monthly) or 'YYYY' (annual); not in the future."""
    if kind not in KINDS:
        raise _invalid("kind", _("Choose monthly or annual."))
    text = (text or "").strip()
    if kind == "monthly":
        try:
            start = parse_month(text)
        except DomainError:
            raise _invalid("period", _("Enter the month as YYYY-MM.")) from None
        end = date(start.year + start.month // 12, start.month % 12 + 1, 1) - timedelta(days=1)
    else:
        if not (len(text) == 4 and text.isdigit() and 2000 <= int(text) <= 2100):
            raise _invalid("period", _("Enter the year as YYYY."))
        start, end = date(int(text), 1, 1), date(int(text), 12, 31)
    if start > this_month():
        raise _invalid("period", _("A period that has not begun cannot be declared."))
    return start, end


def period_filter(text: str | None) -> tuple[str | None, date | None]:
    """A list filter: '2025-05' → (monthly, 1 May 2025), '2025' → (annual, 1 January 2025), '' → no filter.
    The text has been checked against YYYY(-MM) already."""
    if not text:
        return None, None
    if len(text) == 4:
        return "annual", date(int(text), 1, 1)
    return "monthly", date(int(text[:4]), int(text[5:7]), 1)


def _months(start: date, end: date) -> list[date]:
    months, month = [], start
    while month <= min(end, this_month()):
        months.append(month)
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return months


# --- figures from the ledger --------------------------------------------------------------------

def ledger_figures(org: Organisation, start: date, end: date) -> dict[str, dict[str, int]]:
    """Per waste code, the period's figures as the register derives them from the ledger: flows summed over
    the months, the stock as at the last month's end."""
    result: dict[str, dict[str, int]] = {}
    months = _months(start, end)
    for index, month in enumerate(months):
        for row in monthly_register(org, month).rows:
            figures = result.setdefault(row.waste_code, dict.fromkeys(FIGURES, 0))
            for name in ("generated", "transferred_out", "treated"):
                figures[name] += row.grams[name]
            if index == len(months) - 1:
                figures["stock"] = row.grams["stock"]
    return {code: figures for code, figures in sorted(result.items()) if any(figures.values())}


def period_manifests(org: Organisation, start: date, end: date) -> list[dict]:
    """The manifests under which the organisation's waste was picked up during the period, per line."""
    begin, _unused = month_bounds(start)
    _unused, finish = month_bounds(date(end.year, end.month, 1))
    rows = db.session.execute(
        select(Manifest.id, Manifest.number, ManifestLine.waste_code, ManifestLine.quantity_g)
        .join(ManifestLine, ManifestLine.manifest_id == Manifest.id)
        .where(Manifest.generator_org_id == org.id, Manifest.picked_up_at >= begin, Manifest.picked_up_at < finish)
        .order_by(Manifest.number, ManifestLine.position))
    return [{"id": id_, "number": number, "waste_code": code, "quantity_g": grams} for id_, number, code, grams in rows]


# --- reading -------------------------------------------------------------------------------------

def declarations_query(user, *, kind=None, status=None, period_start=None, district=None, organisation_id=None):
    """A select() of the declarations the user may see, newest period first; regulators never see drafts."""
    query = auth.scope_to_viewer(select(Declaration), user, Declaration.organisation_id, Declaration.district_code)
    if auth.regulator_of(user) is not None and not auth.is_admin(user):
        query = query.where(Declaration.status != "draft")
    if kind in KINDS:
        query = query.where(Declaration.kind == kind)
    if status in STATUSES:
        query = query.where(Declaration.status == status)
    if period_start is not None:
        query = query.where(Declaration.period_start == period_start)
    if district:
        query = query.where(Declaration.district_code == district)
    if organisation_id:
        query = query.where(Declaration.organisation_id == organisation_id)
    return query.order_by(Declaration.period_start.desc(), Declaration.id.desc())


def get_declaration(user, declaration_id: int) -> Declaration:
    """The declaration if the user may see it: its enterprise's members, its district's regulators once
    submitted, admins. Anyone else gets 404."""
    declaration = db.session.get(Declaration, declaration_id)
    if declaration is None or not (
            auth.is_admin(user) or auth.is_member(user, declaration.organisation_id)
            or (declaration.status != "draft" and auth.jurisdiction_covers(user, declaration.district_code))):
        raise NotFound(_("Not found."))
    return declaration


def allowed_actions(user, declaration: Declaration) -> list[str]:
    return DECLARATION.allowed_actions(declaration, user)


def _enterprise(declaration: Declaration, user, _org) -> bool:
    return auth.is_org_office(user, declaration.organisation_id)


def _regulator(declaration: Declaration, user, _org) -> bool:
    return auth.jurisdiction_covers(user, declaration.district_code)


def _with_reason(_declaration: Declaration, _user, _org, fields: dict) -> dict:
    reason = fields.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise _invalid("reason", _("Enter text."))
    reason = (reason or "").strip() or None
    if not reason:
        raise _invalid("reason", _("Give the reason for returning the declaration."))
    return {"reason": reason}


# the state machine as data: (status, action) → next status, the party that takes the action, guard
DECLARATION = Workflow("declaration", Declaration, STATUSES, [
    Transition("draft", "submit", "submitted", "enterprise"),
    Transition("returned", "submit", "submitted", "enterprise"),
    Transition("submitted", "accept", "accepted", "regulator"),
    Transition("submitted", "return", "returned", "regulator", _with_reason),
], parties={"enterprise": _enterprise, "regulator": _regulator}, label=_l("declaration"),
    state_labels=STATUS_LABELS,
    refusals={"enterprise": _l("Only the enterprise's administrators and staff submit its declarations."),
              "regulator": _l("Only a regulator of the enterprise's district reviews its declarations.")})
TRANSITIONS = DECLARATION.table


# --- the enterprise ------------------------------------------------------------------------------

def create_declaration(actor, org: Organisation, kind: str, period: str) -> Declaration:
    """A draft for the period, every figure prefilled from the ledger. The caller commits."""
    if org is None or not auth.is_member(actor, org.id):
        raise NotFound(_("Not found."))
    if not auth.is_org_office(actor, org.id):
        raise Forbidden(_("Only the enterprise's administrators and staff submit its declarations."))
    auth.require_verified(org)
    start, end = parse_period(kind, period)
    if db.session.scalar(select(Declaration.id).where(Declaration.organisation_id == org.id,
                                                      Declaration.kind == kind, Declaration.period_start == start)):
        raise DomainError(_("This period has already been declared."), fields={"period": _(
            "This period has already been declared.")}, code="conflict", status=409)
    declaration = Declaration(organisation_id=org.id, district_code=org.district_code, kind=kind,
                              period_start=start, period_end=end, status="draft", created_by_id=actor.id,
                              manifests=period_manifests(org, start, end), differences=[])
    for code, figures in ledger_figures(org, start, end).items():
        for name in FIGURES:
            declaration.figures.append(DeclarationFigure(waste_code=code, figure=name, ledger_g=figures[name],
                                                         declared_g=figures[name]))
    db.session.add(declaration)
    db.session.flush()
    audit.record("declaration.create", declaration, actor=actor, organisation_id=org.id,
                 after={"kind": kind, "period": declaration.period_label})
    return declaration


def _grams(value, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_GRAMS:
        raise _invalid(field, _("Enter a quantity in grams, zero or more."))
    return value


def update_figures(actor, declaration: Declaration, entries: list, note: str | None = None) -> Declaration:
    """Change declared figures. A figure that departs from the ledger needs a comment saying why; both
    values are kept. Everything is checked before anything changes. The caller commits."""
    if not auth.is_org_office(actor, declaration.organisation_id):
        raise Forbidden(_("Only the enterprise's administrators and staff submit its declarations."))
    if declaration.status not in EDITABLE:
        raise Conflict(_("A submitted or accepted declaration cannot be changed."))
    if not isinstance(entries, list):
        raise _invalid("figures", _("Give the figures as a list."), status=400)
    changes = []
    for index, entry in enumerate(entries):
        field = f"figures[{index}]"
        if not isinstance(entry, dict):
            raise _invalid(field, _("Each figure is an object."), status=400)
        figure = declaration.figure(str(entry.get("waste_code", "")), str(entry.get("figure", "")))
        if figure is None:
            raise _invalid(field, _("This waste code and figure are not in the declaration."))
        declared = _grams(entry.get("declared_g"), f"{field}.declared_g")
        comment = entry.get("comment")
        if comment is not None and not isinstance(comment, str):
            raise _invalid(f"{field}.comment", _("Enter text."))
        comment = (comment or "").strip() or None
        if declared != figure.ledger_g and not comment:
            raise _invalid(f"{field}.comment", _("Say why the declared figure differs from the ledger."))
        changes.append((figure, declared, comment))
    if note is not None and not isinstance(note, str):
        raise _invalid("note", _("Enter text."))
    before = {f"{f.waste_code}:{f.figure}": f.declared_g for f, _d, _c in changes}
    for figure, declared, comment in changes:
        figure.declared_g, figure.comment = declared, comment
    if note is not None:
        declaration.note = note.strip() or None
    audit.record("declaration.update", declaration, actor=actor, organisation_id=declaration.organisation_id,
                 before=before, after={f"{f.waste_code}:{f.figure}": f.declared_g for f, _d, _c in changes})
    return declaration


def balance_differences(declaration: Declaration) -> list[dict]:
    """The mass-balance check: every declared figure against the ledger as it stands now, per waste code
    (a code the ledger has and the declaration lacks counts as declared 0)."""
    ledger = ledger_figures(declaration.organisation, declaration.period_start, declaration.period_end)
    differences = []
    for code in sorted(set(ledger) | set(declaration.waste_codes)):
        for name in FIGURES:
            figure = declaration.figure(code, name)
            declared = figure.declared_g if figure else 0
            actual = ledger.get(code, {}).get(name, 0)
            if declared != actual:
                differences.append({"waste_code": code, "figure": name, "declared_g": declared, "ledger_g": actual})
    return differences


def difference_text(difference: dict) -> str:
    """'900-249-08: declared 4.0 t transferred out, ledger 4.6 t'."""
    return _("%(code)s: declared %(declared)s t %(figure)s, ledger %(ledger)s t", code=difference["waste_code"],
             declared=tonnes(difference["declared_g"]), figure=FIGURE_PHRASES[difference["figure"]],
             ledger=tonnes(difference["ledger_g"]))


def submit_declaration(actor, declaration: Declaration, entries: list | None = None,
                       note: str | None = None) -> Declaration:
    """Submit (or resubmit after a return), recording the mass-balance differences for the regulator."""
    DECLARATION.check(declaration, "submit", actor)
    if entries or note is not None:
        update_figures(actor, declaration, entries or [], note)
    declaration.differences = balance_differences(declaration)
    DECLARATION.step(declaration, "submit", actor, values={"submitted_at": utcnow(), "submitted_by_id": actor.id,
                                                           "return_reason": None},
                     organisation_id=declaration.organisation_id,
                     audit_after={"differences": len(declaration.differences)})
    return declaration


# --- the regulator -------------------------------------------------------------------------------

def review_declaration(actor, declaration: Declaration, decision: str, reason: str | None = None) -> Declaration:
    """Accept, or return with a reason the enterprise sees. The caller commits."""
    if decision not in ("accept", "return"):
        raise _invalid("decision", _("Choose accept or return."))
    step = DECLARATION.step(declaration, decision, actor, fields={"reason": reason},
                            values={"reviewed_at": utcnow(), "reviewed_by_id": actor.id},
                            organisation_id=declaration.organisation_id)
    declaration.return_reason = step.sealed.get("reason")
    _tell_enterprise(declaration)
    return declaration


def _tell_enterprise(declaration: Declaration) -> None:
    user = declaration.submitted_by
    if user is None or not user.email:
        return
    subject = _("Declaration %(period)s: %(status)s", period=declaration.period_label,
                status=STATUS_LABELS[declaration.status])
    body = declaration.return_reason or subject
    send_message(user.email, subject, body, user=user)
