"""Cross-province transfer approvals and arrivals from outside the city.

An approval is recorded by a regulator of the generator's district, from the document the approving
authority issued: the approval is an administrative decision, so the regulator's transcription is the record
and no "proposed, then confirmed" state is needed; a generator's unconfirmed copy could not be relied on at
submission anyway. A manifest to a receiver in another province draws on one approval: at submission the
approvals of the pair are locked (SELECT … FOR UPDATE) and what is left of each code is computed from the
manifests already drawing on it, so two submissions cannot both spend the last tonne.
"""
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import false, func, or_, select

from ... import audit, auth
from ...accounts.models import Organisation, Role
from ...clock import china_today
from ...errors import Conflict, DomainError, Forbidden, NotFound
from ...extensions import db
from ...inputs import MAX_RECORD_GRAMS
from ...jurisdiction import area_prefix, in_jurisdiction, manifest_region, province_of
from ..catalogue import lookup_waste_code
from ..manifests.models import Manifest, ManifestLine
from ..models import Division
from .models import IncomingTransfer, IncomingTransferLine, TransferApproval, TransferApprovalLine

GRAMS = {"t": 1_000_000, "kg": 1_000}
_QUANTITY_LINE = re.compile(r"^\s*(\S+)\s+(\d+(?:\.\d+)?)\s*(t|kg)\s*$", re.IGNORECASE)


def invalid(field: str, message) -> DomainError:
    return DomainError(message, fields={field: message})


@dataclass(frozen=True)
class CodeQuantity:
    waste_code: str  # as printed: 900-041-49
    grams: int


# --- parsing -------------------------------------------------------------------------------------

def parse_quantity_lines(text: str, field: str) -> list[CodeQuantity]:
    """'900-041-49 50t' or '900-041-49 1200 kg', one code a line, each code once, hazardous codes only."""
    rows: list[CodeQuantity] = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        if not raw.strip():
            continue
        match = _QUANTITY_LINE.match(raw)
        if match is None:
            raise invalid(field, _("Line %(n)s: write a waste code and a quantity in t or kg, e.g. "
                                   "“900-041-49 50t”.", n=number))
        entry = lookup_waste_code(match.group(1))
        if entry is None or not entry.hazardous:
            raise invalid(field, _("Line %(n)s: %(code)s is not in the hazardous waste catalogue.",
                                   n=number, code=match.group(1)))
        try:
            grams = Decimal(match.group(2)) * GRAMS[match.group(3).lower()]
        except InvalidOperation:
            raise invalid(field, _("Line %(n)s: enter a number.", n=number)) from None
        if grams <= 0 or grams != grams.to_integral_value() or grams > MAX_RECORD_GRAMS:
            raise invalid(field, _("Line %(n)s: the quantity must be a whole number of grams above zero and "
                                   "at most %(tonnes)s t.", n=number, tonnes=MAX_RECORD_GRAMS // 1_000_000))
        if any(row.waste_code == entry.code for row in rows):
            raise invalid(field, _("Line %(n)s: %(code)s is listed twice.", n=number, code=entry.code))
        rows.append(CodeQuantity(entry.code, int(grams)))
    if not rows:
        raise invalid(field, _("List at least one waste code with its quantity."))
    return rows


def format_quantity_lines(lines) -> str:
    return "\n".join(f"{line.waste_code} {tonnes(_grams(line))}t" for line in lines)


def _grams(line) -> int:
    return line.approved_g if isinstance(line, TransferApprovalLine) else line.quantity_g


def tonnes(grams: int) -> str:
    return format(Decimal(grams) / GRAMS["t"], "f").rstrip("0").rstrip(".") or "0"


# --- approvals -----------------------------------------------------------------------------------

def crosses_province(generator: Organisation, receiver: Organisation) -> bool:
    return province_of(generator.district_code) != province_of(receiver.district_code)


def record_approval(user, *, generator: Organisation, receiver: Organisation, number: str,
                    approving_authority: str, valid_from: date, valid_until: date,
                    lines: list[CodeQuantity], notes: str | None = None) -> TransferApproval:
    """A regulator of the generator's district records the approval the authority issued."""
    if not auth.can_review_org(user, generator):
        raise Forbidden(_("Only a regulator of the generator's district records its transfer approvals."))
    if not generator.is_generator:
        raise invalid("generator_id", _("%(org)s is not registered as a generator.", org=generator.name))
    if not receiver.is_receiver:
        raise invalid("receiver_id", _("%(org)s is not registered as a licensed receiver.", org=receiver.name))
    if not crosses_province(generator, receiver):
        raise invalid("receiver_id", _("The receiver is in the generator's province: a transfer within the "
                                       "province needs no cross-province approval."))
    if valid_until < valid_from:
        raise invalid("valid_until", _("The approval cannot end before it starts."))
    number = number.strip()
    if db.session.scalar(select(TransferApproval.id).where(TransferApproval.number == number)) is not None:
        raise Conflict(_("An approval numbered %(number)s is already recorded.", number=number),
                       fields={"number": _("This number is already recorded.")})
    approval = TransferApproval(number=number, approving_authority=approving_authority.strip(),
                                valid_from=valid_from, valid_until=valid_until, generator=generator,
                                receiver=receiver, notes=(notes or "").strip() or None,
                                recorded_by_id=getattr(user, "id", None))
    approval.lines = [TransferApprovalLine(position=i, waste_code=line.waste_code, approved_g=line.grams)
                      for i, line in enumerate(lines)]
    db.session.add(approval)
    db.session.flush()
    audit.record("transfer_approval.created", approval, actor=user, organisation_id=generator.id,
                 after=_snapshot(approval))
    return approval


def _snapshot(approval: TransferApproval) -> dict:
    return {"number": approval.number, "approving_authority": approval.approving_authority,
            "valid_from": approval.valid_from.isoformat(), "valid_until": approval.valid_until.isoformat(),
            "generator": approval.generator.uscc, "receiver": approval.receiver.uscc,
            "lines": {line.waste_code: line.approved_g for line in approval.lines}}


def approvals_visible_to(user):
    """A select() of the approvals the user may read, latest validity first: the regulators of either
    party's district (a regulator of another area: those whose receiver is in it), and the two parties."""
    query = select(TransferApproval).order_by(TransferApproval.valid_until.desc(), TransferApproval.id.desc())
    generator = select(Organisation.district_code).where(Organisation.id == TransferApproval.generator_org_id)
    receiver = select(Organisation.district_code).where(Organisation.id == TransferApproval.receiver_org_id)
    if auth.is_admin(user):
        return query
    if (outside := auth.outside_regulator(user)) is not None:
        prefix = area_prefix(outside.jurisdiction_code)
        return query.where(receiver.scalar_subquery().startswith(prefix))
    regulator = auth.regulator_of(user)
    if regulator is not None:
        if auth.jurisdiction_covers(user, None):  # the whole city
            return query
        code = regulator.jurisdiction_code
        return query.where(or_(generator.scalar_subquery() == code, receiver.scalar_subquery() == code))
    ids = [m.organisation_id for m in user.memberships] if user.is_authenticated else []
    if not ids:
        return query.where(false())
    return query.where(or_(TransferApproval.generator_org_id.in_(ids), TransferApproval.receiver_org_id.in_(ids)))


def get_approval(user, approval_id: int) -> TransferApproval:
    approval = db.session.get(TransferApproval, approval_id)
    if approval is None or db.session.scalar(
            approvals_visible_to(user).where(TransferApproval.id == approval_id).with_only_columns(
                TransferApproval.id)) is None:
        raise NotFound(_("Not found."))
    return approval


def drawn_g(approval_id: int, waste_code: str) -> int:
    """Grams of this code shipped on the non-cancelled manifests drawing on the approval."""
    return db.session.scalar(
        select(func.coalesce(func.sum(ManifestLine.quantity_g), 0))
        .join(Manifest, Manifest.id == ManifestLine.manifest_id)
        .where(Manifest.transfer_approval_id == approval_id, Manifest.state != "cancelled",
               ManifestLine.waste_code == waste_code))


@dataclass(frozen=True)
class Remaining:
    waste_code: str
    approved_g: int
    drawn_g: int

    @property
    def remaining_g(self) -> int:
        return self.approved_g - self.drawn_g


def remaining(approval: TransferApproval) -> list[Remaining]:
    return [Remaining(line.waste_code, line.approved_g, drawn_g(approval.id, line.waste_code))
            for line in approval.lines]


def _grams_by_code(manifest: Manifest) -> dict[str, int]:
    totals: dict[str, int] = {}
    for line in manifest.lines:
        totals[line.waste_code] = totals.get(line.waste_code, 0) + line.quantity_g
    return totals


def _first_line(manifest: Manifest, code: str) -> ManifestLine:
    return next(line for line in manifest.lines if line.waste_code == code)


def _locked_approvals(manifest: Manifest, on_date: date) -> list[TransferApproval]:
    """The pair's approvals valid on the date, locked in id order (so that two submitters queue instead of
    deadlocking) and re-read, so that a waiting submission sees what the first one drew."""
    return list(db.session.scalars(
        select(TransferApproval)
        .where(TransferApproval.generator_org_id == manifest.generator_org_id,
               TransferApproval.receiver_org_id == manifest.receiver_org_id,
               TransferApproval.valid_from <= on_date, TransferApproval.valid_until >= on_date)
        .order_by(TransferApproval.id).with_for_update().execution_options(populate_existing=True)))


def require_transfer_approval(manifest: Manifest) -> TransferApproval | None:
    """Called at submission. A manifest to a receiver in another province needs one approval, valid on the
    submission date, that covers each line's code with enough left; the refusal names the line and code.
    Returns the approval the manifest will draw on (None within the province)."""
    if not crosses_province(manifest.generator, manifest.receiver):
        return None
    today = china_today()
    approvals = _locked_approvals(manifest, today)
    totals = _grams_by_code(manifest)
    for code in sorted(totals):
        if not any(a.approved_g(code) is not None for a in approvals):
            line = _first_line(manifest, code)
            message = _("Line %(n)s: no cross-province transfer approval valid on %(day)s covers %(code)s from "
                        "%(generator)s to %(receiver)s.", n=line.position + 1, day=today.isoformat(), code=code,
                        generator=manifest.generator.name, receiver=manifest.receiver.name)
            raise DomainError(message, fields={f"lines[{line.position}].waste_code": message},
                              code="transfer_approval_missing")
    covering = [a for a in approvals if all(a.approved_g(code) is not None for code in totals)]
    for approval in covering:
        short = [code for code, grams in sorted(totals.items())
                 if approval.approved_g(code) - drawn_g(approval.id, code) < grams]
        if not short:
            return approval
    approval = (covering or approvals)[0]
    code = next(code for code in sorted(totals) if approval.approved_g(code) is None
                or approval.approved_g(code) - drawn_g(approval.id, code) < totals[code])
    line = _first_line(manifest, code)
    left = max(approval.approved_g(code) - drawn_g(approval.id, code), 0) if approval.approved_g(code) else 0
    message = _("Line %(n)s: approval %(number)s has %(left)s t of %(code)s left; this manifest ships "
                "%(wanted)s t.", n=line.position + 1, number=approval.number, left=tonnes(left), code=code,
                wanted=tonnes(totals[code]))
    raise DomainError(message, fields={f"lines[{line.position}].waste_code": message},
                      code="transfer_approval_exhausted")


# --- arrivals from outside the city --------------------------------------------------------------

def record_incoming(user, receiver: Organisation, *, external_number: str, issuing_system: str,
                    origin_district_code: str, generator_name: str, generator_uscc: str | None,
                    received_on: date, lines: list[CodeQuantity], notes: str | None = None) -> IncomingTransfer:
    """A receiver of the city records waste that arrived from a generator outside it under another
    system's manifest, by that manifest's number."""
    member = auth.membership(user, receiver.id)
    if member is None or member.role == Role.DRIVER:
        raise Forbidden(_("Only the receiver's administrators and staff record its arrivals."))
    auth.require_verified(receiver)
    if not receiver.is_receiver:
        raise invalid("receiver_id", _("%(org)s is not registered as a licensed receiver.", org=receiver.name))
    if not in_jurisdiction(receiver.district_code):
        raise invalid("receiver_id", _("Only a receiver in the platform's city records arrivals here."))
    origin = db.session.get(Division, origin_district_code or "")
    if origin is None or origin.level != "county":
        raise invalid("origin_district_code", _("Enter the 6-digit code of a county-level division, e.g. 110101."))
    if in_jurisdiction(origin.code):
        raise invalid("origin_district_code", _("The waste came from within the city: it travels on one of the "
                                                "platform's own manifests."))
    if received_on > china_today():
        raise invalid("received_on", _("The arrival cannot be in the future."))
    external_number, issuing_system = external_number.strip(), issuing_system.strip()
    if external_number.startswith(f"{received_on.year}{manifest_region()}") and len(external_number) == 14:
        raise invalid("external_number", _("This is a number of the platform's own manifests."))
    duplicate = select(IncomingTransfer.id).where(IncomingTransfer.issuing_system == issuing_system,
                                                  IncomingTransfer.external_number == external_number)
    if db.session.scalar(duplicate) is not None:
        raise Conflict(_("Manifest %(number)s of %(system)s is already recorded.", number=external_number,
                         system=issuing_system), fields={"external_number": _("This number is already recorded.")})
    transfer = IncomingTransfer(receiver=receiver, external_number=external_number, issuing_system=issuing_system,
                                origin_district_code=origin.code, generator_name=generator_name.strip(),
                                generator_uscc=(generator_uscc or "").strip().upper() or None,
                                received_on=received_on, notes=(notes or "").strip() or None,
                                recorded_by_id=user.id)
    transfer.lines = [IncomingTransferLine(position=i, waste_code=line.waste_code, quantity_g=line.grams)
                      for i, line in enumerate(lines)]
    db.session.add(transfer)
    db.session.flush()
    audit.record("incoming_transfer.created", transfer, actor=user, organisation_id=receiver.id,
                 after={"external_number": external_number, "issuing_system": issuing_system,
                        "origin": origin.code, "generator": transfer.generator_name,
                        "lines": {line.waste_code: line.quantity_g for line in transfer.lines}})
    return transfer


def incoming_visible_to(user, q: str | None = None):
    """A select() of the arrivals the user may read, newest first; q matches the external number (from its
    start) or the generator's name or credit code."""
    query = select(IncomingTransfer).order_by(IncomingTransfer.received_on.desc(), IncomingTransfer.id.desc())
    receiver = select(Organisation.district_code).where(Organisation.id == IncomingTransfer.receiver_org_id)
    query = auth.scope_to_viewer(query, user, IncomingTransfer.receiver_org_id, receiver.scalar_subquery())
    if q and q.strip():
        text = q.strip()
        query = query.where(or_(IncomingTransfer.external_number.startswith(text, autoescape=True),
                                IncomingTransfer.generator_name.icontains(text, autoescape=True),
                                IncomingTransfer.generator_uscc == text.upper()))
    return query


def get_incoming(user, transfer_id: int) -> IncomingTransfer:
    found = db.session.scalar(incoming_visible_to(user).where(IncomingTransfer.id == transfer_id))
    if found is None:
        raise NotFound(_("Not found."))
    return found
