"""The guards and effects of the manifest's steps.

A guard validates the step's fields against the manifest and returns the fields the signature seals; it
changes nothing, so a refused step leaves the manifest as it was. An effect then carries the step out.
"""
import re
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ...accounts.models import Organisation
from ...auth import require_verified
from ...clock import china_today
from ...errors import Conflict, DomainError
from ...types import utcnow
from ...workflow import SYSTEM, Transition, Workflow
from ..licences.services import lock_licences, normalise_method, require_method_licensed, require_receipt
from ..transfers.services import require_transfer_approval
from ..transport.services import require_leg_documents
from . import custody, services
from .models import RECEIPT_OUTCOMES, REVISION_STATUSES, Manifest, ManifestRevision
from .services import invalid

# A revision is decided inside the manifest's approve/reject steps, which hold the manifest's lock and check
# the parties; its own rows are therefore the system's.
REVISION = Workflow("manifest_revision", ManifestRevision, REVISION_STATUSES, [
    Transition("proposed", "apply", "applied", SYSTEM),
    Transition("proposed", "reject", "rejected", SYSTEM),
], parties={}, label=_l("manifest revision"),
    state_labels={"proposed": _l("Proposed"), "applied": _l("Applied"), "rejected": _l("Rejected")})
REVISABLE_PLAN = services.MANIFEST_FIELDS
REVISABLE_CARRIER = services.CARRIER_FIELDS
REVISABLE_LINE = ("quantity_g", "received_g", "refused_g", "planned_method")
_REVISION_KEY = re.compile(r"^(carriers|lines)\.(\d+)\.(\w+)$")


def _place(fields: dict) -> str | None:
    place = fields.get("place")
    if place is not None and not isinstance(place, str):
        raise invalid("place", _("Enter text."))
    return (place or "").strip()[:300] or None


# --- submit and cancel ---------------------------------------------------------------------------

def _require_party_capabilities(manifest: Manifest) -> None:
    require_verified(manifest.generator)
    if not manifest.receiver.is_verified or not manifest.receiver.is_receiver:
        raise invalid("receiver_id", _("%(org)s is not a verified receiver.", org=manifest.receiver.name))
    for carrier in manifest.carriers:
        org: Organisation = carrier.organisation
        if not org.is_transporter or not org.is_verified:
            raise invalid(f"carriers[{carrier.position}].organisation_id",
                          _("%(org)s is not a verified transporter.", org=org.name))
        for name in ("vehicle_plate", "driver_name", "driver_phone"):
            if not getattr(carrier, name):
                raise invalid(f"carriers[{carrier.position}].{name}", _("This field is required."))


def require_licence_covers(receiver: Organisation, grams_by_code: dict[str, int], on_date: date,
                           excluding_manifest_id: int | None = None) -> None:
    """The receiver's licence must cover every code and have the capacity (received this year and on its way,
    except the manifest excluding_manifest_id); the licence's reason otherwise."""
    for code, grams in sorted(grams_by_code.items()):
        if grams <= 0:
            continue
        try:
            require_receipt(receiver, code, grams, on_date, excluding_manifest_id=excluding_manifest_id)
        except DomainError as exc:
            raise DomainError(exc.message, fields={"receiver_id": exc.message}, code=exc.code) from None


def guard_submit(manifest: Manifest, actor, org, fields: dict) -> dict:
    if not manifest.lines:
        raise invalid("lines", _("List at least one batch or container."))
    if not manifest.carriers:
        raise invalid("carriers", _("Name at least one carrier."))
    if not manifest.emergency_measures.strip():
        raise invalid("emergency_measures", _("Describe the emergency measures."))
    _require_party_capabilities(manifest)
    for line in manifest.lines:
        services._require_not_on_other_manifest(line.batch, line.container, manifest.id, line.position)
    totals: dict[str, int] = {}
    for line in manifest.lines:
        totals[line.waste_code] = totals.get(line.waste_code, 0) + line.quantity_g
    # from here to the commit no other submission to this receiver can count its capacity
    lock_licences(manifest.receiver)
    require_licence_covers(manifest.receiver, totals, max(manifest.planned_delivery_on, china_today()))
    services.require_planned_methods(manifest)
    require_transfer_approval(manifest)
    return {}


def effect_submit(manifest: Manifest, actor, org, sealed: dict, now: datetime) -> None:
    # the guard checked it under lock; the row stays locked until the commit, so this is the same answer
    manifest.transfer_approval = require_transfer_approval(manifest)
    manifest.number = services.allocate_number(now)
    manifest.submitted_at = now
    sealed.update(services.manifest_content(manifest))


def guard_cancel(manifest: Manifest, actor, org, fields: dict) -> dict:
    reason = fields.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise invalid("reason", _("Enter text."))
    return {"reason": (reason or "").strip() or None}


def effect_cancel(manifest: Manifest, actor, org, sealed: dict, now: datetime) -> None:
    manifest.cancelled_at = now


# --- transport -----------------------------------------------------------------------------------

def guard_scan(manifest: Manifest, actor, org, fields: dict) -> dict:
    """A custody transfer: every container scanned, or excused by an exception sealed with the step."""
    scan = services.check_scans(manifest, fields.get("scanned"))
    exceptions = custody.check_exceptions(manifest, fields.get("exceptions"), scan)
    return {**scan, "exceptions": exceptions, "place": _place(fields)}


def guard_carrier_documents(manifest: Manifest, actor, org, fields: dict) -> dict:
    """The leg taking the waste now — the first at pick-up, the next at take-over — must name a vehicle and a
    driver of its carrier whose documents are valid today, under a licence covering the declared classes."""
    leg = manifest.carriers[0] if manifest.state == "submitted" else manifest.next_carrier
    classes = {line.position: line.dangerous_goods_class for line in manifest.lines}
    return {"transport_documents": require_leg_documents(leg, china_today(), classes)}


def effect_pick_up(manifest: Manifest, actor, org, sealed: dict, now: datetime) -> None:
    carrier = manifest.carriers[0]
    manifest.picked_up_at = carrier.took_over_at = now
    manifest.current_leg = 0
    sealed.update(carrier=0, vehicle_plate=carrier.vehicle_plate)
    services.flag_mismatch(manifest, "pick_up", sealed)
    line_data = custody.record_exceptions(manifest, "pick_up", 0, actor, org, sealed, now,
                                          handing_over=manifest.generator)
    services.set_custody_status(manifest, "in_transit")
    services.append_line_events(manifest, "picked_up", actor=actor, organisation=org, occurred_at=now,
                                place=sealed["place"] or manifest.origin, line_data=line_data,
                                data={"carrier": org.uscc, "vehicle_plate": carrier.vehicle_plate})


def effect_hand_over(manifest: Manifest, actor, org, sealed: dict, now: datetime) -> None:
    previous, carrier = manifest.current_carrier, manifest.next_carrier
    previous.handed_over_at = carrier.took_over_at = now
    manifest.current_leg = carrier.position
    sealed.update(from_carrier=previous.position, to_carrier=carrier.position, vehicle_plate=carrier.vehicle_plate)
    services.flag_mismatch(manifest, "hand_over", sealed)
    line_data = custody.record_exceptions(manifest, "hand_over", carrier.position, actor, org, sealed, now,
                                          handing_over=previous.organisation)
    services.append_line_events(manifest, "handed_over", actor=actor, organisation=org, occurred_at=now,
                                place=sealed["place"], line_data=line_data,
                                data={"from": previous.organisation.uscc, "to": org.uscc,
                                      "vehicle_plate": carrier.vehicle_plate})


def effect_deliver(manifest: Manifest, actor, org, sealed: dict, now: datetime) -> None:
    manifest.delivered_at = now
    sealed.update(carrier=manifest.current_leg)
    services.flag_mismatch(manifest, "deliver", sealed)
    line_data = custody.record_exceptions(manifest, "deliver", manifest.current_leg, actor, org, sealed, now,
                                          handing_over=org)
    services.append_line_events(manifest, "delivered", actor=actor, organisation=org, occurred_at=now,
                                place=sealed["place"] or manifest.destination, line_data=line_data,
                                data={"carrier": org.uscc})


# --- receipt and treatment -----------------------------------------------------------------------

def _line_inputs(manifest: Manifest, raw) -> dict[int, dict]:
    """Per-line input keyed by line id; a line may be named by line_id or by position."""
    if not isinstance(raw, list | tuple):
        raise invalid("lines", _("Give the received and refused quantity of every line."))
    by_position = {line.position: line for line in manifest.lines}
    by_id = {line.id: line for line in manifest.lines}
    result = {}
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            raise invalid(f"lines[{index}]", _("Each line is an object."))
        line = by_id.get(item.get("line_id")) if "line_id" in item else by_position.get(item.get("position"))
        if line is None:
            raise invalid(f"lines[{index}]", _("This line is not on the manifest."))
        result[line.id] = item
    missing = [line.position for line in manifest.lines if line.id not in result]
    if missing:
        raise invalid(f"lines[{missing[0]}]", _("Give the received and refused quantity of every line."))
    return result


def _receipt_line(line, item: dict, general_reason: str | None) -> dict:
    field = f"lines[{line.position}]"
    received = services.require_grams(item.get("received_g"), f"{field}.received_g")
    refused = services.require_grams(item.get("refused_g", 0) or 0, f"{field}.refused_g")
    if not services.plausible(received, line.quantity_g):
        raise invalid(f"{field}.received_g", _("%(grams)s g is not plausible for %(shipped)s g shipped: check the "
                                               "weighing.", grams=received, shipped=line.quantity_g))
    if refused > line.quantity_g:
        raise invalid(f"{field}.refused_g", _("More cannot be refused than was shipped."))
    reason = item.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise invalid(f"{field}.reason", _("Enter text."))
    reason = (reason or "").strip() or None
    if refused and not (reason or general_reason):
        raise invalid(f"{field}.reason", _("Give the reason for refusing."))
    return {"line_id": line.id, "position": line.position, "received_g": received, "refused_g": refused,
            "reason": reason}


def _outcome(lines: list[dict], given) -> str:
    if not any(line["received_g"] for line in lines):
        derived = "refused"
    elif any(line["refused_g"] for line in lines):
        derived = "partly"
    else:
        derived = "accepted"
    if given in (None, ""):
        return derived
    if given not in RECEIPT_OUTCOMES:
        raise invalid("outcome", _("Choose accepted, partly or refused."))
    if given != derived:
        raise invalid("outcome", _("The quantities do not fit this outcome."))
    return given


def guard_receive(manifest: Manifest, actor, org, fields: dict) -> dict:
    reason = fields.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise invalid("reason", _("Enter text."))
    reason = (reason or "").strip() or None
    inputs = _line_inputs(manifest, fields.get("lines"))
    lines = [_receipt_line(line, inputs[line.id], reason) for line in manifest.lines]
    outcome = _outcome(lines, fields.get("outcome"))
    if outcome == "refused" and not reason:
        raise invalid("reason", _("Give the reason for refusing."))
    scan = services.check_scans(manifest, fields.get("scanned"), required=False) if fields.get("scanned") else None
    gate = custody.check_gate_weight(manifest, fields)
    totals: dict[str, int] = {}
    for line, values in zip(manifest.lines, lines, strict=True):
        totals[line.waste_code] = totals.get(line.waste_code, 0) + values["received_g"]
    require_licence_covers(manifest.receiver, totals, china_today(), excluding_manifest_id=manifest.id)
    return {"outcome": outcome, "reason": reason, "lines": lines, "gate": gate, **(scan or {})}


def next_state_receive(manifest: Manifest, sealed: dict) -> str:
    return {"accepted": "received", "partly": "partly_received", "refused": "refused"}[sealed["outcome"]]


def effect_receive(manifest: Manifest, actor, org, sealed: dict, now: datetime) -> None:
    manifest.received_at, manifest.receipt_outcome, manifest.refusal_reason = now, sealed["outcome"], sealed["reason"]
    values = {v["line_id"]: v for v in sealed["lines"]}
    for line in manifest.lines:
        line.received_g, line.refused_g = values[line.id]["received_g"], values[line.id]["refused_g"]
        line.refusal_reason = values[line.id]["reason"] or (sealed["reason"] if line.refused_g else None)
    if "scanned" in sealed:
        services.flag_mismatch(manifest, "receive", sealed)
    custody.count_gate_weight(manifest, actor, org, sealed["gate"], now)
    services.set_custody_status(manifest, "received", lines=[line for line in manifest.lines if line.received_g])
    services.append_line_events(manifest, "received", actor=actor, organisation=org, occurred_at=now,
                                place=manifest.destination, quantities={k: v["received_g"] for k, v in values.items()},
                                data={"outcome": sealed["outcome"]})
    services.append_line_events(manifest, "refused", actor=actor, organisation=org, occurred_at=now,
                                place=manifest.destination, quantities={k: v["refused_g"] for k, v in values.items()},
                                data={"reason": sealed["reason"]})


def guard_treat(manifest: Manifest, actor, org, fields: dict) -> dict:
    method = normalise_method(fields.get("method"))
    treated_on = services._date(fields, "treated_on") or china_today()
    if treated_on > china_today():
        raise invalid("treated_on", _("The treatment date cannot be in the future."))
    if treated_on < services.china_date(manifest.received_at):
        raise invalid("treated_on", _("The waste cannot be treated before it was received."))
    received = manifest.received_total_g or 0
    quantity = services.require_grams(fields.get("quantity_g", received), "quantity_g", allow_zero=False)
    if quantity > received:
        raise invalid("quantity_g", _("More cannot be treated than was received."))
    for code in sorted({line.waste_code for line in manifest.lines if line.received_g}):
        require_method_licensed(manifest.receiver, code, method, treated_on)
    return {"method": method, "treated_on": treated_on.isoformat(),
            "quantity_g": quantity}


def effect_treat(manifest: Manifest, actor, org, sealed: dict, now: datetime) -> None:
    manifest.treated_at, manifest.treatment_method = now, sealed["method"]
    manifest.treated_on, manifest.treated_g = date.fromisoformat(sealed["treated_on"]), sealed["quantity_g"]
    received = [line for line in manifest.lines if line.received_g]
    total = sum(line.received_g for line in received)
    shares, given = {}, 0
    for line in received:  # the treated quantity is spread over the lines as received; the rest to the last
        share = sealed["quantity_g"] * line.received_g // total
        shares[line.id] = share
        given += share
    shares[received[-1].id] += sealed["quantity_g"] - given
    services.set_custody_status(manifest, "treated", lines=received)
    services.append_line_events(manifest, "treated", actor=actor, organisation=org, quantities=shares,
                                place=manifest.destination,
                                data={"method": sealed["method"], "treated_on": sealed["treated_on"]})


# --- revisions -----------------------------------------------------------------------------------

def _revision_value(manifest: Manifest, key: str):
    """The current value behind a revisable key, or a field error for a key that cannot be revised."""
    if key in REVISABLE_PLAN:
        return services._plain(getattr(manifest, key))
    match = _REVISION_KEY.match(key)
    if match:
        kind, index, name = match.group(1), int(match.group(2)), match.group(3)
        rows = manifest.carriers if kind == "carriers" else manifest.lines
        allowed = REVISABLE_CARRIER if kind == "carriers" else REVISABLE_LINE
        if index < len(rows) and name in allowed:
            return getattr(rows[index], name)
    raise invalid("changes", _("%(key)s cannot be revised.", key=key))


def _revision_new_value(manifest: Manifest, key: str, value):
    if key in ("planned_pickup_on", "planned_delivery_on"):
        return services._date({key: value}, key).isoformat() if value else None
    if key.startswith("lines.") and key.endswith(".planned_method"):
        line = manifest.lines[int(key.split(".")[1])]
        method = normalise_method(value, key)
        require_method_licensed(manifest.receiver, line.waste_code, method, china_today(), key)
        return method
    if key.startswith("lines."):
        line = manifest.lines[int(key.split(".")[1])]
        grams = services.require_grams(value, key, allow_zero=not key.endswith("quantity_g"))
        if key.endswith("received_g") and not services.plausible(grams, line.quantity_g):
            raise invalid(key, _("%(grams)s g is not plausible for %(shipped)s g shipped: check the weighing.",
                                 grams=grams, shipped=line.quantity_g))
        return grams
    if value is not None and not isinstance(value, str):
        raise invalid(key, _("Enter text."))
    return (value or "").strip()


def guard_revise(manifest: Manifest, actor, org, fields: dict) -> dict:
    if manifest.open_revision is not None:
        raise Conflict(_("Another revision is waiting for approval."), code="revision_pending")
    changes, reason = fields.get("changes"), fields.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise invalid("reason", _("Give the reason for the revision."))
    if not isinstance(changes, dict) or not changes:
        raise invalid("changes", _("Give at least one field and its new value."))
    before, after = {}, {}
    for key, value in changes.items():
        current = _revision_value(manifest, key)
        new = _revision_new_value(manifest, key, value)
        if new != current:
            before[key], after[key] = current, new
    if not after:
        raise invalid("changes", _("The new values are the same as the current ones."))
    if "planned_pickup_on" in after or "planned_delivery_on" in after:
        pickup = after.get("planned_pickup_on", before.get("planned_pickup_on")) or manifest.planned_pickup_on.isoformat()
        delivery = after.get("planned_delivery_on") or manifest.planned_delivery_on.isoformat()
        if delivery < pickup:
            raise invalid("changes", _("The delivery cannot be planned before the pickup."))
    return {"reason": reason.strip(), "before": before, "after": after}


def effect_revise(manifest: Manifest, actor, org, sealed: dict, now: datetime) -> None:
    revision = ManifestRevision(manifest=manifest, reason=sealed["reason"], before=sealed["before"],
                                after=sealed["after"], proposed_by_id=getattr(actor, "id", None),
                                proposed_by_org_id=org.id, proposed_at=now,
                                approvals={str(org.id): {"user_id": getattr(actor, "id", None),
                                                         "at": now.isoformat()}})
    manifest.revisions.append(revision)
    services.db.session.flush()
    sealed["revision_id"] = revision.id
    _apply_if_approved(manifest, revision, actor, org, sealed, now)


def _open_revision(manifest: Manifest, fields: dict) -> ManifestRevision:
    revision = manifest.open_revision
    if revision is None or fields.get("revision_id") not in (None, revision.id):
        raise invalid("revision_id", _("There is no revision waiting for approval."))
    return revision


def guard_approve_revision(manifest: Manifest, actor, org, fields: dict) -> dict:
    revision = _open_revision(manifest, fields)
    if revision.approved_by(org.id):
        raise Conflict(_("Your organisation has already approved this revision."), code="already_approved")
    return {"revision_id": revision.id, "after": revision.after}


def effect_approve_revision(manifest: Manifest, actor, org, sealed: dict, now: datetime) -> None:
    revision = manifest.open_revision
    revision.approvals = {**revision.approvals, str(org.id): {"user_id": getattr(actor, "id", None),
                                                              "at": now.isoformat()}}
    _apply_if_approved(manifest, revision, actor, org, sealed, now)


def guard_reject_revision(manifest: Manifest, actor, org, fields: dict) -> dict:
    revision = _open_revision(manifest, fields)
    reason = fields.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise invalid("reason", _("Give the reason for rejecting the revision."))
    return {"revision_id": revision.id, "reason": reason.strip()}


def effect_reject_revision(manifest: Manifest, actor, org, sealed: dict, now: datetime) -> None:
    REVISION.step(manifest.open_revision, "reject", system=True, organisation_id=org.id,
                  values={"decided_at": now, "rejected_by_org_id": org.id, "rejection_reason": sealed["reason"]})


def _apply_if_approved(manifest: Manifest, revision: ManifestRevision, actor, org, sealed: dict,
                       now: datetime) -> None:
    if any(not revision.approved_by(party) for party in manifest.party_org_ids):
        return
    corrected: dict[int, int] = {}
    for key, value in revision.after.items():
        if key in REVISABLE_PLAN:
            setattr(manifest, key, date.fromisoformat(value) if key.endswith("_on") and value else value)
            continue
        kind, index, name = key.split(".")
        row = (manifest.carriers if kind == "carriers" else manifest.lines)[int(index)]
        setattr(row, name, value)
        if kind == "lines" and name == "received_g" and manifest.received_at is not None:
            corrected[row.id] = value
    REVISION.step(revision, "apply", system=True, organisation_id=org.id, values={"decided_at": now})
    manifest.revision += 1
    sealed.update(applied=True, content=services.manifest_content(manifest))
    if corrected:
        services.append_line_events(manifest, "corrected", actor=actor, organisation=org, quantities=corrected,
                                    occurred_at=now, data={"revision_id": revision.id, "field": "received_g"})
    manifest.updated_at = utcnow()
