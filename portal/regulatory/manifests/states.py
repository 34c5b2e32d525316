"""The manifest's state machine as data (one portal.workflow table), and the function that takes a step.

Each row is (state, action) → next state, party allowed, guard. The next state None means the step leaves the
state as it is (revisions); a callable decides it from the sealed fields (receipt outcome). A step changes
the manifest, its lines and signatures, so it is claimed under SELECT … FOR UPDATE rather than by one UPDATE.
"""
from dataclasses import replace

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, selectinload

from ... import auth
from ...accounts.models import Role
from ...errors import Conflict, DomainError, Forbidden, NotFound
from ...types import utcnow
from ...workflow import Transition, Workflow, all_guards
from ..signing.services import active_key
from . import followups, steps
from .alerts import check_weight
from .models import STATES, Manifest, ManifestCarrier, ManifestLine, ManifestSignature
from .services import queued_ledger_events
from .signals import manifest_stepped
from .signatures import sign_step

_REVISABLE_STATES = ("submitted", "in_transit", "handed_over", "delivered", "received", "partly_received",
                     "refused", "treated")

# taking the waste over: the scanned labels, then the vehicle's, driver's and carrier's documents
_TAKE_OVER = all_guards(steps.guard_scan, steps.guard_carrier_documents)

ROWS = [
    Transition("draft", "submit", "submitted", "generator", followups.guard_submit),
    Transition("draft", "cancel", "cancelled", "generator", steps.guard_cancel),
    Transition("submitted", "cancel", "cancelled", "generator", steps.guard_cancel),
    Transition("submitted", "pick_up", "in_transit", "first_carrier", _TAKE_OVER),
    Transition("in_transit", "hand_over", "handed_over", "next_carrier", _TAKE_OVER),
    Transition("handed_over", "hand_over", "handed_over", "next_carrier", _TAKE_OVER),
    Transition("in_transit", "deliver", "delivered", "last_carrier", steps.guard_scan),
    Transition("handed_over", "deliver", "delivered", "last_carrier", steps.guard_scan),
    Transition("delivered", "receive", steps.next_state_receive, "receiver", followups.guard_receive,
               outcomes=("received", "partly_received", "refused")),
    Transition("received", "treat", "treated", "receiver", followups.guard_treat),
    Transition("partly_received", "treat", "treated", "receiver", followups.guard_treat),
    *(Transition(state, "revise", None, "any_party", steps.guard_revise) for state in _REVISABLE_STATES),
    *(Transition(state, "approve_revision", None, "any_party", steps.guard_approve_revision)
      for state in _REVISABLE_STATES),
    *(Transition(state, "reject_revision", None, "any_party", steps.guard_reject_revision)
      for state in _REVISABLE_STATES),
]

EFFECTS = {
    "submit": followups.effect_submit, "cancel": steps.effect_cancel, "pick_up": steps.effect_pick_up,
    "hand_over": steps.effect_hand_over, "deliver": steps.effect_deliver, "receive": followups.effect_receive,
    "treat": steps.effect_treat, "revise": steps.effect_revise, "approve_revision": steps.effect_approve_revision,
    "reject_revision": steps.effect_reject_revision,
}
ACTIONS = tuple(EFFECTS)
# the fields each step accepts; anything else is refused, so a typo is not silently ignored
ACTION_FIELDS = {
    "submit": set(), "cancel": {"reason"}, "pick_up": {"scanned", "exceptions", "place"},
    "hand_over": {"scanned", "exceptions", "place"}, "deliver": {"scanned", "exceptions", "place"},
    "receive": {"outcome", "lines", "reason", "scanned", "gate_net_g", "gate_ticket_no", "gate_weighed_at",
                "gate_weighing_id"},
    "treat": {"method", "treated_on", "quantity_g"}, "revise": {"changes", "reason"},
    "approve_revision": {"revision_id"}, "reject_revision": {"revision_id", "reason"},
}
ACTION_LABELS = {
    "submit": _l("Submit"), "cancel": _l("Cancel"), "pick_up": _l("Pick up"), "hand_over": _l("Take over"),
    "deliver": _l("Deliver"), "receive": _l("Receive"), "treat": _l("Record treatment"), "revise": _l("Propose a revision"),
    "approve_revision": _l("Approve the revision"), "reject_revision": _l("Reject the revision"),
}
STATE_LABELS = {
    "draft": _l("Draft"), "submitted": _l("Submitted"), "in_transit": _l("In transit"),
    "handed_over": _l("Handed over"), "delivered": _l("Delivered"), "received": _l("Received"),
    "partly_received": _l("Partly received"), "refused": _l("Refused"), "treated": _l("Treated"),
    "cancelled": _l("Cancelled"),
}
PARTY_LABELS = {"generator": _l("Generator"), "carrier": _l("Carrier"), "receiver": _l("Receiver")}
DRIVER_ACTIONS = ("pick_up", "hand_over", "deliver")


def party_of(action: str) -> str:
    """Every row of one action names the same party."""
    return next(t.party for (_state, a), t in TRANSITIONS.items() if a == action)


def party_org_ids(manifest: Manifest, party: str) -> set[int]:
    """The organisations that are this party on this manifest now."""
    carriers = manifest.carriers
    if party == "generator":
        return {manifest.generator_org_id}
    if party == "receiver":
        return {manifest.receiver_org_id}
    if party == "first_carrier":
        return {carriers[0].organisation_id} if carriers else set()
    if party == "next_carrier":
        following = manifest.next_carrier
        return {following.organisation_id} if following else set()
    if party == "last_carrier":
        current = manifest.current_carrier
        return {current.organisation_id} if current is not None and manifest.next_carrier is None else set()
    return set(manifest.party_org_ids)


def _may_ever(manifest: Manifest, action: str, _actor, org) -> bool:
    """Could this organisation take this action at some point: is it that kind of party?"""
    party = party_of(action)
    if party.endswith("carrier"):
        return any(c.organisation_id == org.id for c in manifest.carriers)
    return org.id in party_org_ids(manifest, party)


def _party(name: str):
    def is_party(manifest: Manifest, _actor, org) -> bool:
        return org is not None and org.id in party_org_ids(manifest, name)
    return is_party


def _role(user, org_id: int):
    member = auth.membership(user, org_id)
    return member.role if member is not None else None


def allowed_actions(manifest: Manifest, user, org=None) -> list[str]:
    """The actions the user may take now, acting for org (default: any organisation it belongs to)."""
    if not (user and user.is_authenticated):
        return []
    org_ids = [org.id] if org is not None else [m.organisation_id for m in user.memberships]
    result = []
    for (state, action), row in TRANSITIONS.items():
        party = row.party
        if state != manifest.state:
            continue
        eligible = party_org_ids(manifest, party) & set(org_ids)
        eligible = {o for o in eligible if action in DRIVER_ACTIONS or _role(user, o) != Role.DRIVER}
        if not eligible:
            continue
        if action == "revise" and manifest.open_revision is not None:
            continue
        if action == "treat" and manifest.follow_up_kind == "return":  # back at the generator, not treated
            continue
        if action in ("approve_revision", "reject_revision"):
            revision = manifest.open_revision
            if revision is None or all(revision.approved_by(o) for o in eligible):
                continue
        result.append(action)
    return result


def _refuse_out_of_order(manifest: Manifest, action: str, actor, org) -> DomainError:
    allowed = allowed_actions(manifest, actor, org)
    fields = {"allowed_actions": ", ".join(allowed), "state": manifest.state}
    if manifest.state == "cancelled" and action in ("revise", "approve_revision", "reject_revision"):
        return Conflict(_("A cancelled manifest cannot be revised."), fields=fields, code="invalid_transition")
    return Conflict(_("This step is not possible while the manifest is %(state)s. Possible now: %(allowed)s.",
                      state=STATE_LABELS[manifest.state], allowed=", ".join(allowed) or "—"),
                    fields=fields, code="invalid_transition")


def _known_fields_first(row: Transition) -> Transition:
    """A step's fields are checked by name before its guard, so that a typo is refused, not ignored."""
    def guard(manifest: Manifest, actor, org, fields: dict) -> dict:
        unknown = sorted(set(fields) - ACTION_FIELDS[row.action])
        if unknown:
            raise DomainError(_("Unknown fields: %(names)s.", names=", ".join(unknown)),
                              fields={name: _("Unknown field.") for name in unknown})
        return row.guard(manifest, actor, org, fields)
    guard.__name__ = row.guard.__name__
    return replace(row, guard=guard)


_PARTIES = ("generator", "receiver", "first_carrier", "next_carrier", "last_carrier", "any_party")
# what the guards and effects of a step read, loaded with the locked manifest in one query (and its signatures,
# whose last one the new signature chains to, in a second) instead of one lazy load each
_STEP_LOADS = (
    joinedload(Manifest.generator), joinedload(Manifest.receiver),
    joinedload(Manifest.carriers).options(
        joinedload(ManifestCarrier.organisation), joinedload(ManifestCarrier.vehicle),
        joinedload(ManifestCarrier.driver), joinedload(ManifestCarrier.escort)),
    joinedload(Manifest.lines).options(joinedload(ManifestLine.container), joinedload(ManifestLine.batch)),
    selectinload(Manifest.signatures),
)
MANIFEST = Workflow("manifest", Manifest, STATES, [_known_fields_first(row) for row in ROWS], column="state",
                    claim="lock", lock_options=_STEP_LOADS,
                    parties={name: _party(name) for name in _PARTIES},
                    label=_l("manifest"), state_labels=STATE_LABELS, may_ever=_may_ever,
                    conflict=_refuse_out_of_order,
                    refusals=dict.fromkeys(_PARTIES, _l("Your organisation is not the party that takes this step.")))
TRANSITIONS = MANIFEST.table


def apply_action(manifest: Manifest, action: str, actor, org, **fields) -> ManifestSignature:
    """Take one step: party (403), state (409 with the allowed actions), guard (422), then sign and record.
    Nothing is changed unless every check passes; the caller commits."""
    if action not in EFFECTS:
        raise NotFound(_("Unknown action %(action)s.", action=action))
    if org is None or not auth.is_member(actor, org.id):
        raise Forbidden(_("Only a member of a party to this manifest may sign its steps."))
    if action not in DRIVER_ACTIONS and _role(actor, org.id) == Role.DRIVER:
        raise Forbidden(_("Drivers sign pickups, handovers and deliveries only."))
    signatures, moves = [], []
    # taken before the step's time is read, so the key is never younger than the signature it makes
    key = active_key(org, actor)

    def effect_and_signature(locked: Manifest, sealed: dict, from_state: str, to_state: str) -> dict:
        now = utcnow()
        EFFECTS[action](locked, actor, org, sealed, now)
        signatures.append(_sign(locked, action, from_state, to_state, actor, org, sealed, now, key))
        moves.append((from_state, to_state))
        return {"signature": signatures[0].hash}

    with queued_ledger_events():  # appended after the step's own rows, all in one flush
        MANIFEST.step(manifest, action, actor, org, fields=fields, effect=effect_and_signature)
    _follow_step(manifest, action, *moves[0])
    return signatures[0]


def _follow_step(manifest: Manifest, action: str, from_state: str, to_state: str) -> None:
    """What a step causes in its own transaction: a receipt's weight check (so the regulator sees a mismatch
    at once, not at the next scan) and the listeners of manifest_stepped."""
    if action == "receive":
        check_weight(manifest)
    if to_state != from_state:
        manifest_stepped.send(manifest, action=action, from_state=from_state, to_state=to_state)


def _sign(manifest, action, from_state, to_state, actor, org, sealed, now, key) -> ManifestSignature:
    seq = (manifest.signatures[-1].seq if manifest.signatures else 0) + 1
    signature = ManifestSignature(seq=seq, action=action, from_state=from_state, to_state=to_state,
                                  user_id=getattr(actor, "id", None), organisation_id=org.id, signed_at=now,
                                  sealed=sealed, organisation=org)
    sign_step(manifest, signature, key)
    manifest.signatures.append(signature)  # inserted with the step's other rows at the next flush
    return signature
