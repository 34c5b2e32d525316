"""Manifest alerts: receipt not confirmed within 5 working days, in transit longer than planned, weight
received (the gate weight, when the receipt recorded one) differing from weight shipped beyond the stream's
tolerance, received waste not treated in time, and containers missing at a custody transfer.

Each finding is raised once (raise_alert's dedup key) however often `wufei alerts scan` runs. The weight
check also runs in the receipt's own step (states.apply_action), so the regulator sees a mismatch at once
rather than at the next scan.
"""
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import exists, func, or_, select

from ...calendar.services import deadline
from ...clock import china_date
from ...extensions import db
from ..alerts.models import Alert
from ..alerts.services import N_, raise_alert, register_scanner
from ..alerts.settings import refusal_follow_up_days, thresholds
from ..batches.models import Batch

# a module reference: followups → steps → custody → alerts imports this module while followups is loading
from . import followups
from .models import TRANSIT_STATES, GateWeighing, Manifest, ManifestLine

RECEIPT_WORKING_DAYS = 5
RECEIPT_OVERDUE = "manifest_receipt_overdue"
TRANSIT_OVERDUE = "manifest_transit_overdue"
WEIGHT_MISMATCH = "manifest_weight_mismatch"
TREATMENT_OVERDUE = "manifest_treatment_overdue"
REFUSAL_UNRESOLVED = "manifest_refusal_unresolved"
SCAN_EXCEPTION = "manifest_scan_exception"
RECEIVED_STATES = ("received", "partly_received")
WEIGHED_STATES = ("received", "partly_received", "refused", "treated")


def _kg(grams: int) -> str:
    return f"{(Decimal(grams) / 1000).normalize():f}"


def _not_alerted(kind: str):
    """Manifests without an alert of this kind yet: the scan skips them before any per-row work."""
    return ~exists().where(Alert.kind == kind, Alert.object_type == "manifest", Alert.object_id == Manifest.id)


def _parties(manifest: Manifest) -> list:
    return [manifest.generator, *(carrier.organisation for carrier in manifest.carriers), manifest.receiver]


def _raise(kind: str, manifest: Manifest, key_suffix: str, *, organisation, district_code: str, severity: str,
           message_key: str, params: dict) -> bool:
    alert = raise_alert(kind, f"{kind}:manifest:{manifest.id}{key_suffix}", message_key=message_key,
                        params={"number": manifest.number or "", **params}, severity=severity,
                        organisation=organisation, district_code=district_code, object_type="manifest",
                        object_id=manifest.id, department="ecology", parties=_parties(manifest))
    return alert is not None


# --- receipt overdue ---------------------------------------------------------------------------------

@register_scanner
def manifest_receipt_overdue(now: datetime) -> int:
    """Delivered, and the receiver has not confirmed receipt by the end of the 5th working day after."""
    # 5 working days are at least 5 calendar days: a cheap bound before the calendar is consulted
    candidates = db.session.scalars(select(Manifest).where(
        Manifest.state == "delivered", Manifest.received_at.is_(None),
        Manifest.delivered_at <= now - timedelta(days=RECEIPT_WORKING_DAYS), _not_alerted(RECEIPT_OVERDUE)))
    raised = 0
    for manifest in candidates:
        due = deadline(manifest.delivered_at, RECEIPT_WORKING_DAYS)
        if now <= due:
            continue
        raised += _raise(
            RECEIPT_OVERDUE, manifest, "", organisation=manifest.receiver,
            district_code=manifest.destination_district_code, severity="warning",
            message_key=N_("Manifest %(number)s was delivered on %(delivered)s; %(receiver)s has not confirmed "
                           "receipt by %(due)s, the end of the 5th working day."),
            params={"receiver": manifest.receiver.name, "delivered": china_date(manifest.delivered_at).isoformat(),
                    "due": china_date(due).isoformat()})
    return raised


# --- in transit longer than planned ------------------------------------------------------------------

@register_scanner
def manifest_transit_overdue(now: datetime) -> int:
    """Still on the road after the planned delivery day. A revised plan that passes too is a new finding."""
    today = china_date(now)
    candidates = db.session.scalars(select(Manifest).where(
        Manifest.state.in_(TRANSIT_STATES), Manifest.delivered_at.is_(None), Manifest.planned_delivery_on < today))
    raised = 0
    for manifest in candidates:
        carrier = manifest.current_carrier
        raised += _raise(
            TRANSIT_OVERDUE, manifest, f":{manifest.planned_delivery_on.isoformat()}",
            organisation=carrier.organisation if carrier else manifest.generator,
            district_code=manifest.origin_district_code, severity="warning",
            message_key=N_("Manifest %(number)s is still in transit with %(carrier)s; delivery was planned for "
                           "%(planned)s."),
            params={"carrier": carrier.organisation.name if carrier else "",
                    "planned": manifest.planned_delivery_on.isoformat()})
    return raised


# --- weight mismatch ---------------------------------------------------------------------------------

def _weights(manifest_ids) -> dict[int, list[tuple[str, int, int]]]:
    """Per manifest, per waste stream: (stream, shipped g, accounted g = received + refused)."""
    rows = db.session.execute(
        select(ManifestLine.manifest_id, Batch.stream, func.sum(ManifestLine.quantity_g),
               func.sum(func.coalesce(ManifestLine.received_g, 0) + func.coalesce(ManifestLine.refused_g, 0)))
        .join(Batch, ManifestLine.batch_id == Batch.id)
        .where(ManifestLine.manifest_id.in_(manifest_ids))
        .group_by(ManifestLine.manifest_id, Batch.stream))
    result: dict[int, list[tuple[str, int, int]]] = defaultdict(list)
    for manifest_id, stream, shipped, accounted in rows:
        result[manifest_id].append((stream, int(shipped or 0), int(accounted or 0)))
    return result


def _beyond_tolerance(shipped: int, accounted: int, tolerance_bp: int) -> bool:
    return abs(accounted - shipped) * 10_000 > tolerance_bp * shipped


def _gate_weights(manifest_ids) -> dict[int, int]:
    """The net gate weight each receipt counted."""
    return dict(db.session.execute(select(GateWeighing.manifest_id, GateWeighing.net_g).where(
        GateWeighing.manifest_id.in_(manifest_ids), GateWeighing.counted.is_(True))).all())


def _check_gate_weight(manifest: Manifest, weights: list[tuple[str, int, int]], gate_g: int) -> bool:
    """The gate weighs the whole load: it is compared with everything shipped, within the tightest tolerance
    of the streams on the manifest."""
    shipped = sum(row[1] for row in weights)
    tolerance = min((thresholds(stream) for stream, _s, _a in weights), key=lambda t: t.weight_tolerance_bp)
    if not shipped or not _beyond_tolerance(shipped, gate_g, tolerance.weight_tolerance_bp):
        return False
    percent = (Decimal(gate_g - shipped) * 100 / shipped).quantize(Decimal("0.1"))
    return _raise(
        WEIGHT_MISMATCH, manifest, "", organisation=manifest.receiver,
        district_code=manifest.destination_district_code, severity="critical",
        message_key=N_("Manifest %(number)s: %(received_kg)s kg weighed at the receiver's gate of %(shipped_kg)s kg "
                       "shipped (%(difference)s %%), beyond the tolerance of %(tolerance)s %%."),
        params={"stream": ",".join(sorted(row[0] for row in weights)), "shipped_g": shipped, "received_g": gate_g,
                "gate": True, "shipped_kg": _kg(shipped), "received_kg": _kg(gate_g),
                "difference": f"{percent:+f}", "tolerance": f"{tolerance.tolerance_percent:f}"})


def check_weight(manifest: Manifest, weights: list[tuple[str, int, int]] | None = None,
                 gate_g: int | None = None) -> bool:
    """Raise the weight alert when the weight received differs from the weight shipped by more than the
    tolerance. The receiver's gate weight decides when the receipt recorded one; receipts from before gate
    weights were recorded are judged per stream by the quantities received plus refused. Returns whether
    it was raised."""
    if manifest.received_at is None:
        return False
    if weights is None:
        weights = _weights([manifest.id]).get(manifest.id, [])
        gate_g = _gate_weights([manifest.id]).get(manifest.id)
    if gate_g is not None and weights:
        return _check_gate_weight(manifest, weights, gate_g)
    for stream, shipped, accounted in weights:
        tolerance = thresholds(stream)
        if shipped and _beyond_tolerance(shipped, accounted, tolerance.weight_tolerance_bp):
            percent = (Decimal(accounted - shipped) * 100 / shipped).quantize(Decimal("0.1"))
            return _raise(
                WEIGHT_MISMATCH, manifest, "", organisation=manifest.receiver,
                district_code=manifest.destination_district_code, severity="critical",
                message_key=N_("Manifest %(number)s: %(received_kg)s kg received of %(shipped_kg)s kg shipped "
                               "(%(difference)s %%), beyond the tolerance of %(tolerance)s %%."),
                params={"stream": stream, "shipped_g": shipped, "received_g": accounted,
                        "shipped_kg": _kg(shipped), "received_kg": _kg(accounted),
                        "difference": f"{percent:+f}", "tolerance": f"{tolerance.tolerance_percent:f}"})
    return False


@register_scanner
def manifest_weight_mismatch(now: datetime) -> int:
    """Receipts whose weight disagrees with the shipment, including those corrected by a revision."""
    manifests = db.session.scalars(select(Manifest).where(
        Manifest.state.in_(WEIGHED_STATES), Manifest.received_at.is_not(None), _not_alerted(WEIGHT_MISMATCH))).all()
    ids = [m.id for m in manifests]
    weights = _weights(ids) if manifests else {}
    gates = _gate_weights(ids) if manifests else {}
    return sum(check_weight(m, weights.get(m.id, []), gates.get(m.id)) for m in manifests)


# --- treatment overdue -------------------------------------------------------------------------------

def treatment_due(manifest: Manifest) -> datetime:
    """The end of the last working day for treating what was received: the tightest of its streams."""
    streams = {line.batch.stream for line in manifest.lines if line.received_g}
    days = min(thresholds(stream).treatment_due_days for stream in streams or {"hazardous"})
    return deadline(manifest.received_at, days)


@register_scanner
def manifest_treatment_overdue(now: datetime) -> int:
    """Received (wholly or partly) and not treated within the stream's working days."""
    candidates = db.session.scalars(select(Manifest).where(
        Manifest.state.in_(RECEIVED_STATES), Manifest.treated_at.is_(None), Manifest.received_at <= now,
        _not_alerted(TREATMENT_OVERDUE),
        # returned waste is back at its generator, not awaiting treatment under the return manifest
        or_(Manifest.follow_up_kind.is_(None), Manifest.follow_up_kind != "return")))
    raised = 0
    for manifest in candidates:
        due = treatment_due(manifest)
        if now <= due:
            continue
        raised += _raise(
            TREATMENT_OVERDUE, manifest, "", organisation=manifest.receiver,
            district_code=manifest.destination_district_code, severity="warning",
            message_key=N_("Manifest %(number)s: %(receiver)s received the waste on %(received)s and has not "
                           "recorded its treatment by %(due)s."),
            params={"receiver": manifest.receiver.name, "received": china_date(manifest.received_at).isoformat(),
                    "due": china_date(due).isoformat()})
    return raised


# --- refused waste not yet returned or forwarded ----------------------------------------------------

def refusal_follow_up_due(manifest: Manifest) -> datetime | None:
    """The end of the last working day for submitting follow-ups of the refused waste, under the city's rule
    in force on the day of the refusal; None while the city has set no such rule."""
    days = refusal_follow_up_days(china_date(manifest.received_at))
    return deadline(manifest.received_at, days) if days is not None else None


@register_scanner
def manifest_refusal_unresolved(now: datetime) -> int:
    """Refused waste still awaiting return or forwarding after the city's number of working days."""
    candidates = db.session.scalars(select(Manifest).where(
        Manifest.state.in_(followups.REFUSAL_STATES), Manifest.received_at <= now, _not_alerted(REFUSAL_UNRESOLVED),
        exists().where(ManifestLine.manifest_id == Manifest.id, ManifestLine.refused_g > 0))).all()
    awaiting = followups.awaiting_by_manifest(m.id for m in candidates)
    raised = 0
    for manifest in candidates:
        due = refusal_follow_up_due(manifest)
        if not awaiting.get(manifest.id) or due is None or now <= due:
            continue
        raised += _raise(
            REFUSAL_UNRESOLVED, manifest, "", organisation=manifest.generator,
            district_code=manifest.origin_district_code, severity="warning",
            message_key=N_("Manifest %(number)s: %(awaiting_kg)s kg refused by %(receiver)s on %(refused)s are "
                           "still awaiting return or forwarding; %(generator)s had until %(due)s to submit "
                           "a follow-up manifest."),
            params={"awaiting_kg": _kg(awaiting[manifest.id]), "receiver": manifest.receiver.name,
                    "generator": manifest.generator.name,
                    "refused": china_date(manifest.received_at).isoformat(), "due": china_date(due).isoformat()})
    return raised


# --- containers missing at a custody transfer ----------------------------------------------------------

# one message per step, so that the step is named in the reader's language
SCAN_EXCEPTION_MESSAGES = {
    "pick_up": N_("Manifest %(number)s: %(signer)s picked the waste up from %(giver)s with %(missing)s of "
                  "%(expected)s containers missing (%(codes)s). Reasons: %(reasons)s"),
    "hand_over": N_("Manifest %(number)s: %(signer)s took the waste over from %(giver)s with %(missing)s of "
                    "%(expected)s containers missing (%(codes)s). Reasons: %(reasons)s"),
    "deliver": N_("Manifest %(number)s: %(giver)s delivered the waste with %(missing)s of %(expected)s "
                  "containers missing (%(codes)s). Reasons: %(reasons)s"),
}


def raise_scan_exception_alerts(manifest: Manifest, action: str, leg: int, exceptions: list[dict], *,
                                expected: int, signer, handing_over) -> int:
    """A transfer signed with containers missing alerts the regulators of both ends: one alert in the origin
    district and one in the destination district (one when they are the same). The alert is about the party
    that handed the waste over; every party to the manifest is told."""
    codes = ", ".join(item["container_code"] for item in exceptions)
    reasons = "; ".join(f"{item['container_code']}: {item['reason']}" for item in exceptions)
    raised = 0
    for district in dict.fromkeys([manifest.origin_district_code, manifest.destination_district_code]):
        raised += _raise(
            SCAN_EXCEPTION, manifest, f":{action}:{leg}:{district}", organisation=handing_over,
            district_code=district, severity="warning",
            message_key=SCAN_EXCEPTION_MESSAGES[action],
            params={"signer": signer.name, "giver": handing_over.name, "step": action, "leg": leg,
                    "missing": len(exceptions), "expected": expected, "codes": codes, "reasons": reasons})
    return raised
