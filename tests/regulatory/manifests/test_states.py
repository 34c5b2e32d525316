"""The state machine through the services: parties, order, guards, signatures, revisions, the ledger."""
import pytest

from portal.errors import Conflict, DomainError, Forbidden
from portal.extensions import db
from portal.regulatory.ledger.services import events_for, verify_batch
from portal.regulatory.manifests import services, signatures
from portal.regulatory.manifests.models import Manifest, ManifestSignature
from portal.regulatory.manifests.states import TRANSITIONS, allowed_actions, apply_action


def draft(p) -> Manifest:
    values = p.draft_values()
    manifest = services.create_manifest_draft(
        generator_org=p.generator, receiver_org=values.pop("receiver_id"), actor=p.generator_user,
        carriers=values.pop("carriers"), lines=values.pop("lines"), **values)
    db.session.commit()
    return manifest


def codes(p) -> list[str]:
    return [c.code for c in p.batch.containers]


def run_to_delivered(p, m):
    apply_action(m, "submit", p.generator_user, p.generator)
    apply_action(m, "pick_up", p.driver1, p.carrier1, scanned=codes(p))
    apply_action(m, "hand_over", p.driver2, p.carrier2, scanned="\n".join(codes(p)))
    apply_action(m, "deliver", p.driver2, p.carrier2, scanned=codes(p))
    db.session.commit()


def test_the_table_is_data_with_one_party_per_action():
    assert (TRANSITIONS[("draft", "submit")].target, TRANSITIONS[("draft", "submit")].party) == ("submitted",
                                                                                                 "generator")
    assert TRANSITIONS[("submitted", "pick_up")].party == "first_carrier"
    assert ("in_transit", "cancel") not in TRANSITIONS


def test_whole_flow_signs_every_step_and_chains_the_ledger(parties):
    p = parties
    m = draft(p)
    assert m.number is None and m.total_g == 5_000_000
    run_to_delivered(p, m)
    assert m.state == "delivered" and m.delivered_at is not None and not m.count_mismatch
    line = m.lines[0]
    apply_action(m, "receive", p.receiver_user, p.receiver,
                 lines=[{"line_id": line.id, "received_g": 4_600_000}], gate_net_g=5_000_000, gate_ticket_no="T-1")
    apply_action(m, "treat", p.receiver_user, p.receiver, method="d10", quantity_g=4_600_000)
    db.session.commit()
    assert m.state == "treated" and m.receipt_outcome == "accepted" and line.received_g == 4_600_000
    assert len(m.number) == 14 and m.number[4:8] == "4112" and m.number.endswith("000001")
    assert [s.action for s in m.signatures] == ["submit", "pick_up", "hand_over", "deliver", "receive", "treat"]
    assert [v.status for v in signatures.verdicts(m).values()] == ["verified"] * 6
    assert all(s.algorithm == "ed25519" for s in m.signatures)
    assert m.signatures[0].sealed["lines"][0]["quantity_g"] == 5_000_000
    types = [e.event_type for e in events_for(p.batch.id)]
    assert types[-6:] == ["picked_up", "handed_over", "delivered", "weighed", "received", "treated"]
    gate = events_for(p.batch.id, event_type="weighed")[-1]
    assert gate.data["gate"] and gate.data["ticket_no"] == "T-1" and gate.quantity_g == 5_000_000
    assert verify_batch(p.batch.id) == []
    assert p.batch.status == "treated"


def test_wrong_party_is_forbidden_and_changes_nothing(parties):
    p = parties
    m = draft(p)
    with pytest.raises(Forbidden):
        apply_action(m, "submit", p.receiver_user, p.receiver)
    with pytest.raises(Forbidden):
        apply_action(m, "submit", p.driver1, p.generator)  # not a member of the generator
    db.session.rollback()
    assert m.state == "draft" and m.signatures == []
    apply_action(m, "submit", p.generator_user, p.generator)
    with pytest.raises(Forbidden):  # the second carrier may not take the first pickup
        apply_action(m, "pick_up", p.driver2, p.carrier2, scanned=codes(p))


def test_out_of_order_is_a_conflict_naming_the_allowed_actions(parties):
    p = parties
    m = draft(p)
    with pytest.raises(Conflict) as exc:
        apply_action(m, "deliver", p.driver1, p.carrier1, scanned=codes(p))
    assert exc.value.fields["allowed_actions"] == ""
    apply_action(m, "submit", p.generator_user, p.generator)
    with pytest.raises(Conflict) as exc:
        apply_action(m, "submit", p.generator_user, p.generator)
    assert exc.value.status == 409 and exc.value.fields["allowed_actions"] == "cancel, revise"
    assert allowed_actions(m, p.driver1) == ["pick_up"]


def test_licence_not_covering_the_code_refuses_submission(parties):
    p = parties
    from portal.regulatory.batches import services as batches
    from tests.regulatory.batches.helpers import Generator

    gen = Generator(p.generator_user, p.generator, None, None)
    other = batches.create_batch(gen.org, gen.user, "900-041-49", "1", "t", "solid", "吨袋", containers=1)
    db.session.commit()
    values = p.draft_values()
    m = services.create_manifest_draft(generator_org=p.generator, receiver_org=p.receiver, actor=p.generator_user,
                                       carriers=values["carriers"], lines=[{"batch_id": other.id}],
                                       emergency_measures=values["emergency_measures"])
    db.session.commit()
    with pytest.raises(DomainError) as exc:
        apply_action(m, "submit", p.generator_user, p.generator)
    assert exc.value.code == "code_out_of_scope" and "900-041-49" in exc.value.message
    db.session.rollback()
    assert m.state == "draft" and m.number is None
    assert db.session.scalar(db.select(db.func.count()).select_from(ManifestSignature)) == 0


def test_scans_flag_a_count_mismatch_and_refuse_unknown_codes(parties):
    p = parties
    m = draft(p)
    apply_action(m, "submit", p.generator_user, p.generator)
    with pytest.raises(DomainError) as exc:
        apply_action(m, "pick_up", p.driver1, p.carrier1, scanned=[codes(p)[0][:-3] + "999"])
    assert "scanned" in exc.value.fields
    apply_action(m, "pick_up", p.driver1, p.carrier1, scanned=codes(p)[:4],
                 exceptions=[{"container_code": codes(p)[4], "reason": "标签污损无法扫描"}])
    assert m.count_mismatch and codes(p)[4] in m.count_mismatch_note
    assert m.signatures[-1].sealed["missing"] == [codes(p)[4]]


@pytest.mark.parametrize("grams, field", [(-1, "lines[0].received_g"), (7_600_000, "lines[0].received_g"),
                                          ("abc", "lines[0].received_g")])
def test_implausible_receipts_are_field_errors(parties, grams, field):
    p = parties
    m = draft(p)
    run_to_delivered(p, m)
    with pytest.raises(DomainError) as exc:
        apply_action(m, "receive", p.receiver_user, p.receiver, lines=[{"position": 0, "received_g": grams}],
                     gate_net_g=5_000_000, gate_ticket_no="T-1")
    assert field in exc.value.fields
    db.session.rollback()
    assert m.state == "delivered" and m.lines[0].received_g is None


def test_partial_refusal_needs_a_reason(parties):
    p = parties
    m = draft(p)
    run_to_delivered(p, m)
    with pytest.raises(DomainError) as exc:
        apply_action(m, "receive", p.receiver_user, p.receiver, gate_net_g=5_000_000, gate_ticket_no="T-1",
                     lines=[{"position": 0, "received_g": 3_000_000, "refused_g": 2_000_000}])
    assert "lines[0].reason" in exc.value.fields
    apply_action(m, "receive", p.receiver_user, p.receiver, outcome="partly", gate_net_g=5_000_000, gate_ticket_no="T-1",
                 lines=[{"position": 0, "received_g": 3_000_000, "refused_g": 2_000_000, "reason": "桶体破损"}])
    assert m.state == "partly_received" and m.lines[0].refusal_reason == "桶体破损"


def test_revision_needs_every_party_and_keeps_before_and_after(parties, factory):
    p = parties
    m = draft(p)
    apply_action(m, "submit", p.generator_user, p.generator)
    with pytest.raises(Conflict):
        services.update_manifest_draft(m, p.generator_user, p.generator, via_points="改道")
    apply_action(m, "revise", p.generator_user, p.generator, reason="道路施工",
                 changes={"via_points": "310国道", "carriers.0.vehicle_plate": "豫M00001"})
    revision = m.open_revision
    assert revision.before == {"via_points": "连霍高速三门峡西站", "carriers.0.vehicle_plate": "豫M12345"}
    assert m.via_points == "连霍高速三门峡西站"
    for user, org in ((p.driver1, p.carrier1), (p.driver2, p.carrier2)):
        with pytest.raises(Forbidden):  # drivers do not approve revisions
            apply_action(m, "approve_revision", user, org)
    for org in (p.carrier1, p.carrier2):  # approvals come from the carriers' staff
        apply_action(m, "approve_revision", factory.member(org), org)
        assert m.via_points == "连霍高速三门峡西站"
    apply_action(m, "approve_revision", p.receiver_user, p.receiver)
    assert revision.status == "applied" and m.via_points == "310国道" and m.revision == 1
    assert m.carriers[0].vehicle_plate == "豫M00001" and services.content_sealed(m)


def test_cancelled_manifest_cannot_be_revised(parties):
    p = parties
    m = draft(p)
    apply_action(m, "submit", p.generator_user, p.generator)
    apply_action(m, "cancel", p.generator_user, p.generator, reason="计划取消")
    with pytest.raises(Conflict) as exc:
        apply_action(m, "revise", p.generator_user, p.generator, reason="x", changes={"via_points": "y"})
    assert "cancelled" in exc.value.message
    assert m.revisions == []
