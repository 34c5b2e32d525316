"""Refused waste goes somewhere: a follow-up manifest returns it to the generator or forwards it to another
licensed receiver.

Who starts it. 《危险废物转移管理办法》(2021) makes the receiver check the waste against the manifest, tell the
移出人 (generator) of a discrepancy and report it to its regulator; it is the 移出人 that fills in and runs a
transfer manifest. So the refusal (with its reason) is the receiver's step, already signed at receipt, and the
follow-up manifest is the generator's: only a member of the generator creates and submits it. The refusing
receiver sees it (the waste leaves from its gate) but does not act for the generator.

A follow-up manifest is an ordinary manifest — own number, carriers, planned delivery, the normal steps — with
two differences: its lines name the refused line they come from (the quantity on all follow-ups of a line
never exceeds what was refused), and a return needs no licence: the generator takes its waste back, its
containers go back to its premises on receipt, and nothing is treated under the return.

Until follow-up manifests are submitted for the whole refused quantity, the waste is "refused, awaiting return
or forwarding"; after the city's number of working days (a versioned setting) that raises an alert.
"""
from collections import defaultdict
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from ... import audit, auth
from ...accounts.models import Organisation
from ...auth import require_verified
from ...clock import china_today
from ...errors import Conflict, DomainError, Forbidden
from ...extensions import db
from ..batches.models import Batch, Container
from ..batches.services import BATCH, CONTAINER
from . import services, steps
from .models import FOLLOW_UP_KINDS, Manifest, ManifestLine
from .services import invalid

# the states in which a manifest's refusal is final: what was refused is waiting at the receiver's gate
REFUSAL_STATES = ("refused", "partly_received", "treated")
# a follow-up counts once submitted; a draft only reserves its quantity against other drafts
NOT_YET_FOLLOWED = ("draft", "cancelled")
KIND_LABELS = {"return": _l("Return to the generator"), "forward": _l("Forwarding to another receiver")}


# --- quantities ----------------------------------------------------------------------------------

def _followed_by_line(line_ids, *, states_excluded, exclude_manifest_id: int | None = None) -> dict[int, int]:
    """Grams on follow-up lines per refused line, over follow-up manifests not in states_excluded."""
    if not line_ids:
        return {}
    query = (select(ManifestLine.follows_line_id, func.sum(ManifestLine.quantity_g))
             .join(Manifest, ManifestLine.manifest_id == Manifest.id)
             .where(ManifestLine.follows_line_id.in_(line_ids), Manifest.state.notin_(states_excluded))
             .group_by(ManifestLine.follows_line_id))
    if exclude_manifest_id is not None:
        query = query.where(Manifest.id != exclude_manifest_id)
    return {line_id: int(grams or 0) for line_id, grams in db.session.execute(query)}


def awaiting_by_line(manifest: Manifest) -> dict[int, int]:
    """Refused grams per line of this manifest not yet on a submitted follow-up manifest."""
    if manifest.state not in REFUSAL_STATES:
        return {}
    refused = {line.id: line.refused_g for line in manifest.lines if line.refused_g}
    followed = _followed_by_line(list(refused), states_excluded=NOT_YET_FOLLOWED)
    return {line_id: grams - followed.get(line_id, 0) for line_id, grams in refused.items()
            if grams > followed.get(line_id, 0)}


def awaiting_g(manifest: Manifest) -> int:
    return sum(awaiting_by_line(manifest).values())


def _refused_lines(where) -> list[tuple[int, int, int]]:
    """(manifest id, line id, refused grams) of the refused lines matching where, on manifests whose
    refusal is final."""
    rows = db.session.execute(
        select(ManifestLine.manifest_id, ManifestLine.id, ManifestLine.refused_g)
        .join(Manifest, ManifestLine.manifest_id == Manifest.id)
        .where(where, ManifestLine.refused_g > 0, Manifest.state.in_(REFUSAL_STATES)))
    return [(m, line, int(g)) for m, line, g in rows]


def _awaiting_rows(rows) -> dict[int, int]:
    followed = _followed_by_line([line for _m, line, _g in rows], states_excluded=NOT_YET_FOLLOWED)
    result: dict[int, int] = defaultdict(int)
    for manifest_id, line_id, grams in rows:
        if grams > followed.get(line_id, 0):
            result[manifest_id] += grams - followed.get(line_id, 0)
    return dict(result)


def awaiting_by_manifest(manifest_ids) -> dict[int, int]:
    """Awaiting grams per manifest, for a list page: two queries whatever the number of manifests."""
    ids = list(manifest_ids)
    return _awaiting_rows(_refused_lines(ManifestLine.manifest_id.in_(ids))) if ids else {}


def awaiting_for_batch(batch: Batch) -> int:
    return awaiting_for_ids(batch.id)


def awaiting_for_container(container: Container) -> int:
    return awaiting_for_ids(container.batch_id, container.id)


def awaiting_for_ids(batch_id: int, container_id: int | None = None) -> int:
    """Refused grams of a batch awaiting follow-up; of one container: its own lines, or whole-batch lines of its
    batch (a refusal of part of a batch line does not say which containers were refused: each shows it)."""
    where = ManifestLine.batch_id == batch_id
    if container_id is not None:
        where = or_(ManifestLine.container_id == container_id, where & ManifestLine.container_id.is_(None))
    return sum(_awaiting_rows(_refused_lines(where)).values())


# --- creating a follow-up ------------------------------------------------------------------------

def _require_refusal(original: Manifest, actor, org: Organisation) -> None:
    if org is None or org.id != original.generator_org_id or not auth.is_member(actor, org.id):
        raise Forbidden(_("Only the generator starts the return or forwarding of refused waste."))
    if original.follow_up_kind == "return":
        raise Conflict(_("Waste returned to its generator is not forwarded from the return manifest."),
                       code="not_refused")
    if original.state not in REFUSAL_STATES or not any(line.refused_g for line in original.lines):
        raise Conflict(_("Nothing on this manifest was refused."), code="not_refused")


def _kind(value) -> str:
    if value not in FOLLOW_UP_KINDS:
        raise invalid("kind", _("Choose return or forward."))
    return value


def _destination(original: Manifest, kind: str, receiver) -> Organisation:
    if kind == "return":
        if receiver not in (None, original.generator_org_id, original.generator):
            raise invalid("receiver_id", _("A return goes back to the generator."))
        return original.generator
    if receiver is None:
        raise invalid("receiver_id", _("Choose the receiver the waste is forwarded to."))
    org = services._require_receiver(services._organisation(receiver, "receiver_id"))
    if org.id == original.receiver_org_id:
        raise invalid("receiver_id", _("Forward the waste to another receiver than the one that refused it."))
    return org


def _requested(original: Manifest, raw, remaining: dict[int, int]) -> list[tuple[ManifestLine, int, str | None]]:
    """(refused line, grams, planned method) per line asked for; without lines, everything still refused."""
    by_id = {line.id: line for line in original.lines}
    if raw is None:
        return [(by_id[line_id], grams, None) for line_id, grams in remaining.items() if grams > 0]
    if not isinstance(raw, list | tuple) or not raw:
        raise invalid("lines", _("Name the refused lines and the quantity of each."))
    result, seen = [], set()
    for index, item in enumerate(raw):
        field = f"lines[{index}]"
        if not isinstance(item, dict) or item.get("line_id") not in by_id:
            raise invalid(field, _("This line is not on the manifest."))
        line = by_id[item["line_id"]]
        if line.id in seen:
            raise invalid(field, _("This batch or container is listed twice."))
        seen.add(line.id)
        grams = item.get("quantity_g")
        grams = remaining.get(line.id, 0) if grams is None else services.require_grams(
            grams, f"{field}.quantity_g", allow_zero=False)
        result.append((line, grams, services._planned_method(item, index)))
    return result


def _remaining(original: Manifest, exclude_manifest_id: int | None = None) -> dict[int, int]:
    """Refused grams per line not yet on any other live follow-up, drafts included."""
    refused = {line.id: line.refused_g for line in original.lines if line.refused_g}
    taken = _followed_by_line(list(refused), states_excluded=("cancelled",), exclude_manifest_id=exclude_manifest_id)
    return {line_id: grams - taken.get(line_id, 0) for line_id, grams in refused.items()}


def _require_within_refused(pairs, remaining: dict[int, int]) -> None:
    for index, (line, grams) in enumerate(pairs):
        left = max(remaining.get(line.id, 0), 0)
        if grams > left:
            raise invalid(f"lines[{index}].quantity_g", _(
                "Only %(left)s g refused on line %(position)s are not yet on a follow-up manifest.",
                left=left, position=line.position + 1), code="exceeds_refused")


def _follow_up_line(source: ManifestLine, position: int, grams: int, method: str | None) -> ManifestLine:
    return ManifestLine(position=position, batch=source.batch, batch_id=source.batch_id, container=source.container,
                        container_id=source.container_id, waste_code=source.waste_code, waste_name=source.waste_name,
                        hazards=source.hazards, form=source.form, packaging=source.packaging, quantity_g=grams,
                        planned_method=method, follows_line=source, follows_line_id=source.id)


def _require_licensed(manifest: Manifest) -> None:
    """A forwarding is a transfer to a licensed receiver like any other: code and quantity, then methods."""
    totals: dict[str, int] = defaultdict(int)
    for line in manifest.lines:
        totals[line.waste_code] += line.quantity_g
    steps.require_licence_covers(manifest.receiver, dict(totals), max(manifest.planned_delivery_on, china_today()))
    services.require_planned_methods(manifest)


def create_follow_up(original: Manifest, actor, org: Organisation, *, kind, receiver=None, lines=None,
                     carriers=None, **plan) -> Manifest:
    """A draft manifest carrying refused waste of `original` back to its generator or on to another receiver.
    It leaves from the refusing receiver's gate. The caller commits."""
    _require_refusal(original, actor, org)
    kind = _kind(kind)
    destination = _destination(original, kind, receiver)
    remaining = _remaining(original)
    requested = _requested(original, lines, remaining)
    if not requested:
        raise Conflict(_("All the refused waste is already on follow-up manifests."), code="exceeds_refused")
    _require_within_refused([(line, grams) for line, grams, _m in requested], remaining)
    if kind == "return" and any(method for _l, _g, method in requested):
        raise invalid("lines", _("A return is not treated: it has no planned method."))
    today = china_today()
    manifest = Manifest(
        generator=original.generator, generator_org_id=original.generator_org_id, receiver=destination,
        receiver_org_id=destination.id, origin_district_code=original.destination_district_code,
        destination_district_code=destination.district_code, state="draft", origin=original.destination,
        destination=destination.address, emergency_measures=original.emergency_measures, planned_pickup_on=today,
        planned_delivery_on=today, created_by_id=getattr(actor, "id", None), follows=original,
        follows_manifest_id=original.id, follow_up_kind=kind)
    services._apply_plan(manifest, plan)
    manifest.carriers = services._carriers(carriers)
    manifest.lines = [_follow_up_line(line, position, grams, method)
                      for position, (line, grams, method) in enumerate(requested)]
    if kind == "forward":
        _require_licensed(manifest)
    db.session.add(manifest)
    db.session.flush()
    audit.record("manifest.follow_up", manifest, actor=actor, organisation_id=org.id,
                 after={"follows": original.number, "kind": kind, **services.manifest_content(manifest)})
    return manifest


# --- the steps a follow-up takes differently -----------------------------------------------------

def _require_carriers(manifest: Manifest) -> None:
    for carrier in manifest.carriers:
        if not carrier.organisation.is_transporter or not carrier.organisation.is_verified:
            raise invalid(f"carriers[{carrier.position}].organisation_id",
                          _("%(org)s is not a verified transporter.", org=carrier.organisation.name))
        for name in ("vehicle_plate", "driver_name", "driver_phone"):
            if not getattr(carrier, name):
                raise invalid(f"carriers[{carrier.position}].{name}", _("This field is required."))


def guard_submit(manifest: Manifest, actor, org, fields: dict) -> dict:
    """A follow-up: within what is still refused; a forward to a licensed receiver, a return to nobody's
    licence. Any other manifest: the ordinary submission."""
    if manifest.follow_up_kind is None:
        return steps.guard_submit(manifest, actor, org, fields)
    if not manifest.lines:
        raise invalid("lines", _("List at least one batch or container."))
    if not manifest.carriers:
        raise invalid("carriers", _("Name at least one carrier."))
    if not manifest.emergency_measures.strip():
        raise invalid("emergency_measures", _("Describe the emergency measures."))
    require_verified(manifest.generator)
    _require_carriers(manifest)
    _require_within_refused([(line.follows_line, line.quantity_g) for line in manifest.lines],
                            _remaining(manifest.follows, exclude_manifest_id=manifest.id))
    if manifest.follow_up_kind == "forward":
        if not manifest.receiver.is_verified or not manifest.receiver.is_receiver:
            raise invalid("receiver_id", _("%(org)s is not a verified receiver.", org=manifest.receiver.name))
        _require_licensed(manifest)
    return {}


def effect_submit(manifest: Manifest, actor, org, sealed: dict, now: datetime) -> None:
    steps.effect_submit(manifest, actor, org, sealed, now)
    if manifest.follow_up_kind is None:
        return
    sealed.update(follows=manifest.follows.number, follow_up_kind=manifest.follow_up_kind)
    # the refusal's outcome on each batch's chain: where the refused waste is now going, under which manifest
    services.append_line_events(manifest, "rerouted", actor=actor, organisation=org, occurred_at=now,
                                place=manifest.origin,
                                data={"kind": manifest.follow_up_kind, "follows": manifest.follows.number,
                                      "to": manifest.receiver.uscc})


def guard_receive(manifest: Manifest, actor, org, fields: dict) -> dict:
    """The generator takes its returned waste back whole: it records what arrived, and cannot refuse it."""
    if manifest.follow_up_kind != "return":
        return steps.guard_receive(manifest, actor, org, fields)
    inputs = steps._line_inputs(manifest, fields.get("lines"))
    reason = fields.get("reason") if isinstance(fields.get("reason"), str) else None
    lines = [steps._receipt_line(line, inputs[line.id], reason) for line in manifest.lines]
    for line in lines:
        if line["refused_g"]:
            raise invalid(f"lines[{line['position']}].refused_g",
                          _("The generator takes its returned waste back: it cannot refuse it."))
    if fields.get("outcome") not in (None, "", "accepted"):
        raise invalid("outcome", _("The generator takes its returned waste back: it cannot refuse it."))
    scan = services.check_scans(manifest, fields.get("scanned"), required=False) if fields.get("scanned") else None
    return {"outcome": "accepted", "reason": None, "lines": lines, **(scan or {})}


def _return_custody(manifest: Manifest) -> None:
    """Back at the generator: its containers out of storage (it stores them again), its batches open."""
    for line in manifest.lines:
        if not services.moves_custody(line):
            continue
        containers = [line.container] if line.container is not None else [
            c for c in line.batch.containers if c.status == "in_transit"]
        for container in containers:
            CONTAINER.step(container, "take_back", system=True, organisation_id=line.batch.organisation_id,
                           audit_after={"manifest_id": manifest.id})
        if line.batch.status == "in_transit":
            BATCH.step(line.batch, "take_back", system=True, organisation_id=line.batch.organisation_id,
                       audit_after={"manifest_id": manifest.id})


def effect_receive(manifest: Manifest, actor, org, sealed: dict, now: datetime) -> None:
    if manifest.follow_up_kind != "return":
        steps.effect_receive(manifest, actor, org, sealed, now)
        return
    manifest.received_at, manifest.receipt_outcome, manifest.refusal_reason = now, "accepted", None
    values = {v["line_id"]: v for v in sealed["lines"]}
    for line in manifest.lines:
        line.received_g, line.refused_g = values[line.id]["received_g"], 0
    if "scanned" in sealed:
        services.flag_mismatch(manifest, "receive", sealed)
    _return_custody(manifest)
    services.append_line_events(manifest, "returned", actor=actor, organisation=org, occurred_at=now,
                                place=manifest.destination,
                                quantities={k: v["received_g"] for k, v in values.items()},
                                data={"follows": manifest.follows.number})


def guard_treat(manifest: Manifest, actor, org, fields: dict) -> dict:
    if manifest.follow_up_kind == "return":
        raise DomainError(_("Returned waste is not treated under its return manifest."), code="returned")
    return steps.guard_treat(manifest, actor, org, fields)
