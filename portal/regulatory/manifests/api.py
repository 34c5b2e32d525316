"""JSON API of the transfer manifests: drafts, lists, detail and every step, acting for the token's organisation."""
import base64
import binascii
from datetime import date, datetime
from typing import Annotated, Any, Literal

from flask import g, jsonify
from flask_babel import gettext as _
from flask_login import current_user
from pydantic import ConfigDict, Field

from ...accounts.models import Organisation
from ...api import api, paginate, token_required
from ...api.schemas import FreeObject, Input, OrgRef, Output, Page, PageQuery, endpoint, first_item, link
from ...errors import DomainError
from ...extensions import db
from ...inputs import EventDate, EventDateTime, Id, PlanDate, RecordGrams
from ..plans.services import receiver_warnings
from . import custody, followups, services, signatures
from .models import STATES
from .services import CROSSINGS
from .states import ACTIONS, allowed_actions, apply_action

Text = Annotated[str, Field(max_length=1000)]
Code = Annotated[str, Field(max_length=60)]


class SignatureOut(Output):
    seq: int
    action: str
    from_state: str
    to_state: str
    user_id: int | None
    organisation: OrgRef
    signed_at: datetime
    sealed: dict[str, Any]
    hash: str
    algorithm: str = Field(description='"ed25519", or "sha256-seal" for steps sealed before keys existed')
    key_id: str | None = Field(description="the signing key (GET /api/v1/signing-keys); null for sha256-seal")
    signature: str = Field(description="base64 Ed25519 signature of the canonical payload; the hash for sha256-seal")
    verification: Literal["verified", "invalid", "key_revoked", "sealed"]
    intact: bool


class CarrierOut(Output):
    position: int
    organisation: OrgRef
    vehicle_plate: str | None
    driver_name: str | None
    driver_phone: str | None
    escort_name: str | None
    vehicle_id: int | None = Field(None, description="The carrier's vehicle record (GET /transport/vehicles)")
    driver_id: int | None = None
    escort_id: int | None = None
    took_over_at: datetime | None
    handed_over_at: datetime | None


class LineOut(Output):
    id: int
    position: int
    batch_id: int | None
    container: str | None
    waste_code: str
    waste_name: str | None
    hazards: str | list[str] | None
    form: str | None
    packaging: str | None
    quantity_g: int
    planned_method: str | None = None
    dangerous_goods_class: str | None = None
    received_g: int | None
    refused_g: int | None
    refusal_reason: str | None
    container_codes: list[str] | None
    follows_line_id: int | None = Field(None, description="on a follow-up: the refused line this comes from")


class ManifestLinkOut(Output):
    """A manifest linked by a refusal: the one a follow-up follows, or a follow-up of this one."""
    id: int
    number: str | None
    kind: Literal["return", "forward"]
    state: Literal[STATES]


class ScanExceptionOut(Output):
    id: int
    action: Literal["pick_up", "hand_over", "deliver"]
    leg: int = Field(description="the carrier leg taking the waste over or delivering it")
    container_code: str
    batch_id: int
    reason: str
    has_photo: bool
    photo_sha256: str | None
    organisation: OrgRef
    recorded_at: datetime


class GateWeighingOut(Output):
    id: int
    source: Literal["manual", "device"]
    device_id: int | None
    ticket_no: str | None
    gross_g: int | None
    tare_g: int | None
    net_g: int
    weighed_at: datetime
    recorded_at: datetime
    counted: bool = Field(description="the weighing the receipt counted; it feeds the weight-mismatch alert")


class RevisionOut(Output):
    id: int
    status: str
    reason: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    approvals: list[int]
    proposed_by: int | None


class TransferApprovalRef(Output):
    id: int
    number: str
    approving_authority: str


class ManifestOut(Output):
    id: int
    number: str | None = Field(pattern=r"^\d{14}$")
    state: Literal[STATES]
    revision: int
    generator: OrgRef
    receiver: OrgRef
    deal_ref: str | None
    carriers: list[CarrierOut]
    lines: list[LineOut]
    planned_pickup_on: date | None
    planned_delivery_on: date | None
    origin: str | None
    via_points: str | None
    destination: str | None
    emergency_measures: str | None
    count_mismatch: bool | None
    count_mismatch_note: str | None
    scan_exceptions: list[ScanExceptionOut] = Field(default_factory=list, description=(
        "containers not scanned at a custody transfer, with the reason recorded"))
    gate_weighings: list[GateWeighingOut] = Field(default_factory=list)
    gate_net_g: int | None = Field(None, description="the gate weight the receipt counted")
    gate_difference_g: int | None = Field(None, description="gate weight minus the weight shipped")
    receipt_outcome: str | None
    refusal_reason: str | None
    treatment_method: str | None
    treated_on: date | None
    treated_g: int | None
    created_at: datetime | None
    submitted_at: datetime | None
    picked_up_at: datetime | None
    delivered_at: datetime | None
    received_at: datetime | None
    treated_at: datetime | None
    cancelled_at: datetime | None
    follows: ManifestLinkOut | None = Field(None, description="the refused manifest this one returns or forwards")
    follow_ups: list[ManifestLinkOut] = Field(default_factory=list,
                                              description="the returns and forwardings of this one's refused waste")
    refused_awaiting_g: int = Field(0, description=(
        "refused grams not yet on a submitted follow-up manifest: refused, awaiting return or forwarding"))
    transfer_approval: TransferApprovalRef | None = Field(
        None, description="The cross-province transfer approval the manifest draws on (receiver in another province)")
    # one manifest (not in lists)
    allowed_actions: list[str] | None = None
    signatures: list[SignatureOut] | None = None
    revisions: list[RevisionOut] | None = None
    warnings: list[str] | None = Field(None, description=(
        "Waste codes for which the receiver is not an intended receiver in the generator's accepted management "
        "plan of the year: a warning, the manifest is not blocked"))


class CarrierInput(Input):
    """A leg names the carrier's records by id, or by text: a plate, a driver's phone or an escort's name on
    the carrier's record is linked to that record. Pick-up needs a recorded vehicle and driver."""
    organisation_id: Id
    vehicle_id: Id | None = None
    driver_id: Id | None = None
    escort_id: Id | None = None
    vehicle_plate: str | None = Field(None, max_length=20)
    driver_name: str | None = Field(None, max_length=100)
    driver_phone: str | None = Field(None, max_length=30)
    escort_name: str | None = Field(None, max_length=100)


class LineInput(Input):
    batch_id: Id | None = None
    container: Code | None = Field(None, description="37-character code")
    planned_method: str | None = Field(None, max_length=3, pattern=r"^[RDrd]\d{1,2}$", description=(
        "The planned utilisation (R1–R15) or disposal (D1–D18) method, within the receiver's licence scope"))
    dangerous_goods_class: str | None = Field(None, max_length=4, pattern=r"^[1-9](\.[1-6])?$", description=(
        "GB 6944 class or division the waste travels under; the carrier's licence must cover it"))


class ManifestPlan(Input):
    carriers: list[CarrierInput] | None = Field(None, max_length=10)
    lines: list[LineInput] | None = Field(None, max_length=500)
    planned_pickup_on: PlanDate | None = None
    planned_delivery_on: PlanDate | None = None
    origin: str | None = Field(None, max_length=300)
    via_points: str | None = Field(None, max_length=1000)
    destination: str | None = Field(None, max_length=300)
    emergency_measures: str | None = Field(None, max_length=2000)


class NewManifest(ManifestPlan):
    receiver_id: Id
    lines: list[LineInput] = Field(max_length=500)
    deal_ref: str | None = Field(None, max_length=100)


class ManifestEdit(ManifestPlan):
    receiver_id: Id | None = None


class ReceiptLine(Input):
    line_id: Id | None = None
    position: int | None = Field(None, ge=0, le=10_000)
    received_g: RecordGrams | None = None
    refused_g: RecordGrams | None = None
    reason: Text | None = None


class ScanExceptionInput(Input):
    container_code: Code = Field(description="a container of the manifest that was not scanned")
    reason: Text = Field(min_length=1, description="why it is missing (required)")
    photo_base64: str | None = Field(None, max_length=7_000_000, json_schema_extra={"contentEncoding": "base64"},
                                     description="optional photo: JPEG, PNG or WebP up to 5 MB, re-encoded as "
                                                 "JPEG with all metadata removed; its SHA-256 is sealed")


class ManifestActionFields(Input):
    """submit: {}; cancel: {reason}; pick_up/hand_over/deliver: {scanned: [codes], exceptions: [{container_code,
    reason, photo_base64}], place} — every container of the manifest scanned or named in an exception, or 422
    incomplete_scan naming the missing codes; a code not on the manifest is 422 not_on_manifest;
    receive: {outcome: accepted|partly|refused, lines: [{line_id|position, received_g, refused_g, reason}],
    reason, scanned, gate weight: gate_net_g with gate_ticket_no (and gate_weighed_at), or gate_weighing_id of a
    weighbridge weighing (default: the latest one sent for the manifest)}; treat: {method: R1–R15|D1–D18, treated_on, quantity_g}; revise: {changes: {field: value},
    reason}; approve_revision: {revision_id}; reject_revision: {revision_id, reason}. A field the step does not
    take is refused (422), so a typo is not silently ignored."""

    model_config = ConfigDict(extra="allow")

    reason: Text | None = None
    scanned: Annotated[str, Field(max_length=40_000)] | Annotated[list[Code], Field(max_length=1000)] | None = None
    place: str | None = Field(None, max_length=300)
    exceptions: list[ScanExceptionInput] | None = Field(None, max_length=1000)
    gate_net_g: RecordGrams | None = Field(None, description="net weight at the receiver's gate, typed")
    gate_ticket_no: str | None = Field(None, max_length=60, description="the weighing ticket's number")
    gate_weighed_at: EventDateTime | None = Field(None, description="when the typed weighing was taken")
    gate_weighing_id: Id | None = Field(None, description="a weighbridge weighing sent for this manifest")
    outcome: Literal["accepted", "partly", "refused"] | None = None
    lines: list[ReceiptLine] | None = Field(None, max_length=500)
    method: str | None = Field(None, max_length=3, pattern=r"^[RDrd]\d{1,2}$")
    treated_on: EventDate | None = None
    quantity_g: RecordGrams | None = None
    changes: FreeObject | None = None
    revision_id: Id | None = None


class FollowUpLine(Input):
    line_id: Id
    quantity_g: RecordGrams | None = Field(None, description="default: all of the line's refused quantity left")
    planned_method: str | None = Field(None, max_length=3, pattern=r"^[RDrd]\d{1,2}$",
                                       description="forward only: within the new receiver's licence")


class NewFollowUp(ManifestPlan):
    """A return to the generator or a forwarding to another licensed receiver of refused waste."""
    kind: Literal["return", "forward"]
    receiver_id: Id | None = Field(None, description="forward: the new receiver; return: the generator (default)")
    lines: list[FollowUpLine] | None = Field(None, max_length=500, description=(
        "the refused lines and quantities; default: everything refused not yet on a follow-up"))


class ManifestQuery(PageQuery):
    status: Literal[STATES] | None = Field(None, description="state")
    waste_code: str | None = Field(None, max_length=12, description="e.g. 900-249-08")
    district: str | None = Field(None, max_length=12, description="district code, e.g. 411282")
    date_from: date | None = Field(None, description="planned pickup from")
    date_to: date | None = Field(None, description="planned pickup until")
    party: str | None = Field(None, max_length=200, description="a party's name or credit code")
    role: Literal["generator", "carrier", "receiver"] | None = None
    number: str | None = Field(None, max_length=20)
    crossing: Literal[CROSSINGS] | None = Field(None, description=(
        "transfers over the city's boundary: outgoing (leaving it), incoming (entering it) or any"))


def _iso(value):
    return value.isoformat() if value is not None else None


def _org(org) -> dict:
    return {"id": org.id, "uscc": org.uscc, "name": org.name}


def exception_json(e) -> dict:
    return {"id": e.id, "action": e.action, "leg": e.leg, "container_code": e.container_code,
            "batch_id": e.batch_id, "reason": e.reason, "has_photo": bool(e.photo_sha256),
            "photo_sha256": e.photo_sha256, "organisation": _org(e.organisation), "recorded_at": _iso(e.recorded_at)}


def gate_weighing_json(w) -> dict:
    return {"id": w.id, "source": w.source, "device_id": w.device_id, "ticket_no": w.ticket_no,
            "gross_g": w.gross_g, "tare_g": w.tare_g, "net_g": w.net_g, "weighed_at": _iso(w.weighed_at),
            "recorded_at": _iso(w.recorded_at), "counted": w.counted}


def _with_stored_photos(fields: dict) -> dict:
    """Exception photos sent base64-encoded are cleaned and stored first; the step seals their SHA-256."""
    exceptions = fields.get("exceptions")
    if not exceptions:
        return fields
    stored = []
    for index, item in enumerate(exceptions):
        item = dict(item)
        encoded = item.pop("photo_base64", None)
        if encoded:
            field = f"exceptions[{index}].photo_base64"
            try:
                raw = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                message = _("Not valid base64.")
                raise DomainError(message, fields={field: message}) from None
            item["photo_sha256"] = custody.store_exception_photo(raw, field)
        stored.append(item)
    return {**fields, "exceptions": stored}


def _link(m, kind: str) -> dict:
    return {"id": m.id, "number": m.number, "kind": kind, "state": m.state}


def manifest_json(m, *, detail: bool = False, awaiting: int | None = None) -> dict:
    data = {
        "id": m.id, "number": m.number, "state": m.state, "revision": m.revision, "generator": _org(m.generator),
        "receiver": _org(m.receiver), "deal_ref": m.deal_ref,
        "carriers": [{"position": c.position, "organisation": _org(c.organisation), "vehicle_plate": c.vehicle_plate,
                      "driver_name": c.driver_name, "driver_phone": c.driver_phone, "escort_name": c.escort_name,
                      "vehicle_id": c.vehicle_id, "driver_id": c.driver_id, "escort_id": c.escort_id,
                      "took_over_at": _iso(c.took_over_at), "handed_over_at": _iso(c.handed_over_at)}
                     for c in m.carriers],
        "lines": [{"id": line.id, "position": line.position, "batch_id": line.batch_id,
                   "container": line.container.code if line.container is not None else None,
                   "waste_code": line.waste_code, "waste_name": line.waste_name, "hazards": line.hazards,
                   "form": line.form, "packaging": line.packaging, "quantity_g": line.quantity_g,
                   "planned_method": line.planned_method, "dangerous_goods_class": line.dangerous_goods_class,
                   "received_g": line.received_g, "refused_g": line.refused_g, "refusal_reason": line.refusal_reason,
                   "container_codes": line.container_codes, "follows_line_id": line.follows_line_id}
                  for line in m.lines],
        "planned_pickup_on": _iso(m.planned_pickup_on), "planned_delivery_on": _iso(m.planned_delivery_on),
        "origin": m.origin, "via_points": m.via_points, "destination": m.destination,
        "emergency_measures": m.emergency_measures, "count_mismatch": m.count_mismatch,
        "count_mismatch_note": m.count_mismatch_note,
        "scan_exceptions": [exception_json(e) for e in m.scan_exceptions],
        "gate_weighings": [gate_weighing_json(w) for w in m.gate_weighings],
        "gate_net_g": m.gate_weighing.net_g if m.gate_weighing else None, "gate_difference_g": m.gate_difference_g,
        "receipt_outcome": m.receipt_outcome,
        "refusal_reason": m.refusal_reason, "treatment_method": m.treatment_method, "treated_on": _iso(m.treated_on),
        "treated_g": m.treated_g, "created_at": _iso(m.created_at), "submitted_at": _iso(m.submitted_at),
        "picked_up_at": _iso(m.picked_up_at), "delivered_at": _iso(m.delivered_at), "received_at": _iso(m.received_at),
        "treated_at": _iso(m.treated_at), "cancelled_at": _iso(m.cancelled_at),
        "follows": _link(m.follows, m.follow_up_kind) if m.follows is not None else None,
        "follow_ups": [_link(f, f.follow_up_kind) for f in m.follow_ups],
        "refused_awaiting_g": awaiting if awaiting is not None else followups.awaiting_g(m),
        "transfer_approval": None if m.transfer_approval is None else {
            "id": m.transfer_approval.id, "number": m.transfer_approval.number,
            "approving_authority": m.transfer_approval.approving_authority},
    }
    if detail:
        data["allowed_actions"] = allowed_actions(m, current_user, g.get("api_org"))
        verdicts = signatures.verdicts(m)
        data["signatures"] = [{"seq": s.seq, "action": s.action, "from_state": s.from_state, "to_state": s.to_state,
                               "user_id": s.user_id, "organisation": _org(s.organisation),
                               "signed_at": _iso(s.signed_at), "sealed": s.sealed, "hash": s.hash,
                               "algorithm": s.algorithm, "key_id": verdicts[s.id].key_id, "signature": s.signature,
                               "verification": verdicts[s.id].status, "intact": verdicts[s.id].ok}
                              for s in m.signatures]
        data["revisions"] = [{"id": r.id, "status": r.status, "reason": r.reason, "before": r.before,
                              "after": r.after, "approvals": sorted(int(k) for k in r.approvals),
                              "proposed_by": r.proposed_by_org_id} for r in m.revisions]
        data["warnings"] = receiver_warnings(m)
    return data


def _acting_org() -> Organisation:
    org = g.get("api_org")
    if org is None:
        raise DomainError(_("This token does not act for an organisation."), code="forbidden", status=403)
    return org


def _org_ids() -> list[int] | None:
    org = g.get("api_org")
    return [org.id] if org is not None else None


@api.get("/manifests")
@endpoint("Transfer manifests visible to the token: its organisation's, or a regulator's jurisdiction",
          tags=["manifests"], query=ManifestQuery, response=Page[ManifestOut],
          links={200: {"GetManifest": link("manifests_show", manifest_id=first_item()),
                       "EditManifest": link("manifests_update", "put", manifest_id=first_item()),
                       "TakeStep": link("manifests_action", "post", manifest_id=first_item())}})
@token_required
def manifests_index(query: ManifestQuery):
    rows = services.manifests_query(
        current_user, org_ids=_org_ids(), role=query.role, status=query.status,
        waste_code=services.require_known_code(query.waste_code), district=query.district,
        date_from=query.date_from, date_to=query.date_to, party=query.party, number=query.number,
        crossing=query.crossing)
    return paginate(rows, manifest_json)


@api.post("/manifests")
@endpoint("Create a draft manifest (no number until it is submitted)", tags=["manifests"], body=NewManifest,
          response=ManifestOut, status=201,
          links={201: {"GetManifest": {"operationId": "api_manifests_show_get",
                                       "parameters": {"manifest_id": "$response.body#/id"}},
                       "EditManifest": link("manifests_update", "put", manifest_id="$response.body#/id"),
                       "Submit": link("manifests_action", "post", manifest_id="$response.body#/id", action="submit")}})
@token_required
def manifests_create(body: NewManifest):
    org = _acting_org()
    body = body.model_dump(mode="json", exclude_unset=True)
    plan = {k: body[k] for k in services.MANIFEST_FIELDS if k in body}
    manifest = services.create_manifest_draft(
        generator_org=org, receiver_org=body.get("receiver_id"), carriers=body.get("carriers") or [],
        lines=body.get("lines") or [], actor=current_user, deal_ref=body.get("deal_ref"), **plan)
    db.session.commit()
    return jsonify(manifest_json(manifest, detail=True)), 201


@api.get("/manifests/<int:manifest_id>")
@endpoint("One manifest with its signed timeline and the actions the token may take now", tags=["manifests"],
          response=ManifestOut)
@token_required
def manifests_show(manifest_id: int):
    manifest = services.get_manifest(current_user, manifest_id, org_id=getattr(g.get("api_org"), "id", None))
    return jsonify(manifest_json(manifest, detail=True))


class ExportStepOut(Output):
    seq: int
    algorithm: str = Field(description='"ed25519", or "sha256-seal" for steps sealed before keys existed')
    key_id: str | None
    organisation: OrgRef
    payload: dict[str, Any] = Field(description="the signed object; its canonical form is what was signed")
    hash: str = Field(description="SHA-256 hex of the canonical payload")
    signature: str


class ExportManifestOut(Output):
    id: int
    number: str | None
    state: Literal[STATES]
    generator: str | None
    receiver: str | None


class ManifestExportOut(Output):
    format: Literal["wufei-manifest-export/1"]
    exported_at: str
    canonical_form: str
    manifest: ExportManifestOut
    steps: list[ExportStepOut]


@api.get("/manifests/<int:manifest_id>/export")
@endpoint("The manifest's signed steps with their payloads, for offline verification with the published keys "
          "(scripts/verify_manifest.py EXPORT.json KEYS.json)", tags=["manifests"], response=ManifestExportOut)
@token_required
def manifests_export(manifest_id: int):
    manifest = services.get_manifest(current_user, manifest_id, org_id=getattr(g.get("api_org"), "id", None))
    return jsonify(signatures.export(manifest))


@api.put("/manifests/<int:manifest_id>")
@endpoint("Edit a draft (the generator only; a submitted manifest changes only through a revision)",
          tags=["manifests"], body=ManifestEdit, response=ManifestOut)
@token_required
def manifests_update(manifest_id: int, body: ManifestEdit):
    org = _acting_org()
    manifest = services.get_manifest(current_user, manifest_id, org_id=org.id)
    body = body.model_dump(mode="json", exclude_unset=True)
    plan = {k: body[k] for k in services.MANIFEST_FIELDS if k in body}
    services.update_manifest_draft(manifest, current_user, org, carriers=body.get("carriers"),
                                   lines=body.get("lines"), receiver_org=body.get("receiver_id"), **plan)
    db.session.commit()
    return jsonify(manifest_json(manifest, detail=True))


@api.post("/manifests/<int:manifest_id>/actions/<action>")
@endpoint("Take one step (" + ", ".join(ACTIONS) + "): 403 for the wrong party, 409 out of order with "
          "allowed_actions in the error fields, 422 for bad fields", tags=["manifests"], body=ManifestActionFields,
          response=ManifestOut, path={"action": Literal[ACTIONS]}, responses={403: None, 409: None})
@token_required
def manifests_action(manifest_id: int, action: str, body: ManifestActionFields):
    org = _acting_org()
    manifest = services.get_manifest(current_user, manifest_id, org_id=org.id)
    fields = _with_stored_photos(body.model_dump(mode="json", exclude_unset=True))
    apply_action(manifest, action, current_user, org, **fields)
    db.session.commit()
    return jsonify(manifest_json(manifest, detail=True))


@api.post("/manifests/<int:manifest_id>/follow-ups")
@endpoint("Start the return or forwarding of refused waste: a draft manifest linked to this one (the generator "
          "only; a forward is checked against the new receiver's licence: 422 with the licence's reason)",
          tags=["manifests"], body=NewFollowUp, response=ManifestOut, status=201, responses={403: None, 409: None},
          links={201: {"GetManifest": {"operationId": "api_manifests_show_get",
                                       "parameters": {"manifest_id": "$response.body#/id"}},
                       "Submit": link("manifests_action", "post", manifest_id="$response.body#/id", action="submit")}})
@token_required
def manifests_follow_up(manifest_id: int, body: NewFollowUp):
    org = _acting_org()
    original = services.get_manifest(current_user, manifest_id, org_id=org.id)
    body = body.model_dump(mode="json", exclude_unset=True)
    plan = {k: body[k] for k in services.MANIFEST_FIELDS if k in body}
    manifest = followups.create_follow_up(original, current_user, org, kind=body["kind"],
                                          receiver=body.get("receiver_id"), lines=body.get("lines"),
                                          carriers=body.get("carriers") or [], **plan)
    db.session.commit()
    return jsonify(manifest_json(manifest, detail=True)), 201
