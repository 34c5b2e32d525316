"""A batch split over several manifests: its status is the stage of its least advanced container, so the first
manifest's treatment does not make the batch "treated" while other containers still have to move."""
from portal.extensions import db
from portal.regulatory.ledger.services import verify_batch
from portal.regulatory.manifests import services
from portal.regulatory.manifests.states import apply_action


def _draft(p, containers):
    values = p.draft_values()
    values["lines"] = [{"container": c.code} for c in containers]
    manifest = services.create_manifest_draft(
        generator_org=p.generator, receiver_org=values.pop("receiver_id"), actor=p.generator_user,
        carriers=values.pop("carriers"), lines=values.pop("lines"), **values)
    db.session.commit()
    return manifest


def _receipt(m) -> dict:
    return {"lines": [{"line_id": line.id, "received_g": line.quantity_g} for line in m.lines],
            "gate_net_g": m.total_g, "gate_ticket_no": f"T-{m.id}"}


def _run(p, m, containers, *, start="submit", until="treat"):
    scanned = [c.code for c in containers]
    steps = [("submit", p.generator_user, p.generator, {}),
             ("pick_up", p.driver1, p.carrier1, {"scanned": scanned}),
             ("hand_over", p.driver2, p.carrier2, {"scanned": scanned}),
             ("deliver", p.driver2, p.carrier2, {"scanned": scanned}),
             ("receive", p.receiver_user, p.receiver, _receipt(m)),
             ("treat", p.receiver_user, p.receiver, {"method": "D10"})]
    started = False
    for action, user, org, fields in steps:
        started = started or action == start
        if not started:
            continue
        apply_action(m, action, user, org, **fields)
        db.session.commit()
        if action == until:
            return


def test_the_rest_of_a_batch_is_picked_up_after_the_first_part_was_treated(parties):
    p = parties
    first, rest = p.batch.containers[:2], p.batch.containers[2:]
    m1, m2 = _draft(p, first), _draft(p, rest)
    apply_action(m2, "submit", p.generator_user, p.generator)
    db.session.commit()

    _run(p, m1, first)
    assert m1.state == "treated" and all(c.status == "treated" for c in first)
    # three containers are still at the generator: the batch is not treated, and is still open
    assert p.batch.status == "open"

    _run(p, m2, rest, start="pick_up", until="receive")  # submitted before the first part moved
    assert m2.state == "received" and p.batch.status == "received"
    apply_action(m2, "treat", p.receiver_user, p.receiver, method="D10")
    db.session.commit()
    assert p.batch.status == "treated" and all(c.status == "treated" for c in p.batch.containers)
    assert verify_batch(p.batch.id) == []


def test_a_batch_part_in_transit_keeps_the_batch_in_transit_after_the_other_part_is_treated(parties):
    p = parties
    first, rest = p.batch.containers[:1], p.batch.containers[1:]
    m1, m2 = _draft(p, first), _draft(p, rest)
    _run(p, m1, first, until="pick_up")
    _run(p, m2, rest, until="pick_up")
    assert p.batch.status == "in_transit"
    for action, user, org, fields in (("hand_over", p.driver2, p.carrier2, {"scanned": [first[0].code]}),
                                      ("deliver", p.driver2, p.carrier2, {"scanned": [first[0].code]}),
                                      ("receive", p.receiver_user, p.receiver, _receipt(m1)),
                                      ("treat", p.receiver_user, p.receiver, {"method": "D10"})):
        apply_action(m1, action, user, org, **fields)
        db.session.commit()
    # one container treated, four on the road: the batch as a whole is in transit, and then received
    assert first[0].status == "treated" and p.batch.status == "in_transit"
    scanned = [c.code for c in rest]
    apply_action(m2, "hand_over", p.driver2, p.carrier2, scanned=scanned)
    apply_action(m2, "deliver", p.driver2, p.carrier2, scanned=scanned)
    apply_action(m2, "receive", p.receiver_user, p.receiver, **_receipt(m2))
    db.session.commit()
    assert p.batch.status == "received"
