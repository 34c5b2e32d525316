"""Every workflow table walked state × action, derived from portal.workflow.WORKFLOWS: a row takes its
transition (its conditional claim lands on a state the column's CHECK constraint accepts), anything else is
a 409 naming the actions possible now, answered to the party that would take the action. A new table is
walked as soon as it registers; it only needs a builder of one document and its parties below."""
import io
from datetime import timedelta

import pytest
from sqlalchemy import CheckConstraint, update

from marketplace.deals import services as deals
from marketplace.deals.models import Deal, Offer
from marketplace.listings.models import Demand, Listing
from marketplace.listings.services import create_demand
from marketplace.payments.models import Refund
from marketplace.payments.services import ensure_payment
from participation.reports.photos import clean_photo
from participation.reports.services import REPORTER, NewReport, submit_report
from portal.accounts.models import Organisation, User
from portal.clock import china_today
from portal.coordination.services import open_case
from portal.coordination.workflow import CITIZEN
from portal.emergency import incidents as emergency_incidents
from portal.emergency import services as emergency
from portal.errors import Conflict
from portal.extensions import db
from portal.hall import services as hall
from portal.regulatory.alerts.services import raise_alert
from portal.regulatory.declarations.services import create_declaration
from portal.regulatory.general.services import create_general_transfer
from portal.regulatory.licences.models import Licence
from portal.regulatory.manifests.models import ManifestRevision
from portal.regulatory.manifests.services import create_manifest_draft
from portal.regulatory.plans.services import create_plan
from portal.types import utcnow
from portal.workflow import SYSTEM, WORKFLOWS, Workflow
from tests.marketplace.deals.helpers import licence, listing, offer, receiver, seller
from tests.participation.helpers import HUBIN, photo_bytes
from tests.regulatory.batches.helpers import make_batch, make_generator
from tests.regulatory.manifests.conftest import build_parties

# status columns with a CHECK constraint but no workflow of their own, and why
NOT_WORKFLOWS = {("payments", "transfer_status"): "mirrors Stripe's transfer events, not a document's steps"}


def _deal_parties(app, factory):
    seller_user, seller_org = seller(factory)
    buyer_user, buyer_org = receiver(factory)
    listing_id = listing(app, seller_org.id, seller_user.id)
    offer_id = offer(app, listing_id, buyer_org.id, buyer_user.id)
    return (db.session.get(User, seller_user.id), db.session.get(Organisation, seller_org.id),
            db.session.get(User, buyer_user.id), db.session.get(Organisation, buyer_org.id), listing_id, offer_id)


def _accepted_deal(app, factory):
    seller_user, seller_org, buyer_user, buyer_org, _listing_id, offer_id = _deal_parties(app, factory)
    deal = deals.accept_offer(db.session.get(Offer, offer_id), seller_user)
    db.session.commit()
    return deal, {"seller": (seller_user, seller_org), "buyer": (buyer_user, buyer_org),
                  "party": (seller_user, seller_org)}


def build_offer(app, factory):
    seller_user, seller_org, buyer_user, buyer_org, _listing_id, offer_id = _deal_parties(app, factory)
    return db.session.get(Offer, offer_id), {"addressee": (seller_user, seller_org), "sender": (buyer_user, buyer_org)}


def build_deal(app, factory):
    return _accepted_deal(app, factory)


def build_payment(app, factory):
    deal, parties = _accepted_deal(app, factory)
    payment = ensure_payment(db.session.get(Deal, deal.id))
    db.session.commit()
    return payment, {"payer": parties["buyer"], "payee": parties["seller"]}


def build_refund(app, factory):
    payment, parties = build_payment(app, factory)
    refund = Refund(payment=payment, reason="cancellation", amount_fen=100, fee_fen=0, status="due")
    db.session.add(refund)
    db.session.commit()
    return refund, {"payer": parties["payer"]}


def build_listing(app, factory):
    seller_user, seller_org, *_rest, listing_id, _offer_id = _deal_parties(app, factory)
    return db.session.get(Listing, listing_id), {"member": (seller_user, seller_org)}


def build_demand(app, factory):
    user, org = receiver(factory)
    demand = create_demand(org, {"title": "收购废矿物油", "waste_codes": ["900-214-08"], "quantity": 50,
                                 "currency": "CNY", "radius_km": 100}, user)
    db.session.commit()
    return db.session.get(Demand, demand.id), {"member": (user, org)}


def build_licence(app, factory):
    _user, org = receiver(factory)
    row = db.session.get(Licence, licence(app, org.id))
    return row, {"regulator": (factory.regulator(jurisdiction=org.district_code), None)}


def build_declaration(app, factory):
    gen = make_generator(factory)
    last_month = (china_today().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    declaration = create_declaration(gen.user, gen.org, "monthly", last_month)
    db.session.commit()
    return declaration, {"enterprise": (gen.user, gen.org),
                         "regulator": (factory.regulator(jurisdiction=gen.org.district_code), None)}


def build_management_plan(app, factory):
    p = build_parties(factory)
    plan = create_plan(p.generator_user, p.generator, china_today().year,
                       [{"waste_code": "900-249-08", "expected_g": 1_000_000, "receiver_ids": [p.receiver.id]}])
    db.session.commit()
    return plan, {"enterprise": (p.generator_user, p.generator), "regulator": (p.regulator, None)}


def build_emergency_plan(app, factory):
    owner = factory.user()
    org = db.session.merge(factory.org(district="411203", admin=owner, is_generator=True))
    regulator = factory.regulator(jurisdiction="411203")
    emergency.load_templates()
    plan = emergency.create_plan(db.session.merge(owner), "enterprise", organisation=org, title="应急预案")
    db.session.commit()
    return plan, {"author": (db.session.merge(owner), org), "filer": (db.session.merge(regulator), None)}


def _emergency_incident(factory):
    regulator = db.session.merge(factory.regulator(jurisdiction="411200"))
    incident = emergency_incidents.record_incident(
        regulator, title="倾倒", event_type="illegal_dumping", lat="34.732", lon="111.16", reporter="群众",
        occurred_at=utcnow() - timedelta(hours=1), wastes=[{"waste_code": "900-041-49", "estimated_g": None}])
    db.session.commit()
    return incident, regulator


def build_emergency_incident(app, factory):
    incident, regulator = _emergency_incident(factory)
    return incident, {"handler": (regulator, None)}


def build_response_scheme(app, factory):
    incident, regulator = _emergency_incident(factory)
    scheme = emergency_incidents.draft_scheme(regulator, incident)
    db.session.commit()
    return scheme, {"handler": (regulator, None)}


def build_alert(app, factory):
    gen = make_generator(factory)
    alert = raise_alert("walk", f"walk:{gen.org.id}", message_key="walk", organisation=gen.org)
    db.session.commit()
    return alert, {"handler": (factory.regulator(jurisdiction=gen.org.district_code), None)}


def build_report(app, factory):
    report, _secret = submit_report(NewReport(category="household", description="垃圾堆", lat=HUBIN[0], lon=HUBIN[1],
                                              photos=[clean_photo(io.BytesIO(photo_bytes()))]))
    db.session.commit()
    staff = factory.regulator(jurisdiction="411200", department=report.department.value)
    return report, {"staff": (staff, None), "reporter": (REPORTER, None)}


def build_case(app, factory):
    admin = factory.user(admin=True)
    case = open_case(case_type="illegal_dumping", source="manual", source_ref=None, title="倾倒", description="倾倒",
                     district_code="411282", lead_department="urban", co_departments=["police"])
    db.session.commit()
    lead = factory.regulator(jurisdiction="411282", department="urban")
    co = factory.regulator(jurisdiction="411282", department="police")
    return case, {"platform": (admin, None), "lead": (lead, None), "co": (co, None), "involved": (admin, None),
                  "rater": (CITIZEN, None)}


def build_hall_document(app, factory):
    hall.ensure_default_kinds()
    regulator = factory.regulator(jurisdiction="411200", department="ecology")
    document = hall.create_document(regulator, hall.DocumentData(kind="policy", title_zh="通知", body_zh="正文",
                                                                  issued_on=china_today()))
    db.session.commit()
    return document, {"issuer": (regulator, None)}


def build_container(app, factory):
    gen = make_generator(factory)
    batch = make_batch(gen)
    return batch.containers[0], {"keeper": (gen.user, gen.org), "holder": (gen.user, gen.org)}


def build_batch(app, factory):
    return make_batch(make_generator(factory)), {}


def build_organisation(app, factory):
    user = factory.user()
    org = factory.org(admin=user)
    return org, {"reviewer": (factory.user(admin=True), None), "manager": (user, org)}


def build_manifest(app, factory):
    p = build_parties(factory)
    values = p.draft_values()
    manifest = create_manifest_draft(generator_org=p.generator, receiver_org=p.receiver, carriers=values["carriers"],
                                     lines=values["lines"], actor=p.generator_user)
    db.session.commit()
    carrier = (p.driver1, p.carrier1)
    return manifest, {"generator": (p.generator_user, p.generator), "receiver": (p.receiver_user, p.receiver),
                      "first_carrier": carrier, "next_carrier": carrier, "last_carrier": carrier,
                      "any_party": (p.generator_user, p.generator)}


def build_general_transfer(app, factory):
    gen = make_generator(factory)
    batch = make_batch(gen, containers=1, code="SW02")
    receiver_user = factory.user()
    receiver_org = factory.org(admin=receiver_user, is_receiver=True)
    record = create_general_transfer(generator_org=gen.org, actor=gen.user, batch=batch, receiver_org=receiver_org,
                                     purpose="utilisation", carrier_name="三门峡顺达运输有限公司")
    db.session.commit()
    return record, {"generator": (gen.user, gen.org), "receiver": (receiver_user, receiver_org)}


def build_manifest_revision(app, factory):
    manifest, parties = build_manifest(app, factory)
    revision = ManifestRevision(manifest=manifest, reason="车牌号有误", before={}, after={}, approvals={},
                                proposed_by_org_id=manifest.generator_org_id, proposed_at=utcnow())
    db.session.add(revision)
    db.session.commit()
    return revision, {}


BUILDERS = {name.removeprefix("build_"): builder for name, builder in globals().items()
            if name.startswith("build_") and getattr(builder, "__module__", None) == __name__}


def _force(workflow: Workflow, document, state: str) -> None:
    """Put the document in a state directly (the CHECK constraint must accept every state of the table)."""
    table = workflow.model.__table__
    db.session.execute(update(table).where(table.c.id == document.id).values({workflow.column: workflow._db(state)}))
    db.session.expire(document)


def _walk(workflow: Workflow, document, parties: dict) -> int:
    steps = 0
    for state in workflow.states:
        for action in workflow.actions:
            _force(workflow, document, state)
            row = workflow.table.get((state, action))
            if row is not None:
                for target in row.targets():
                    _force(workflow, document, state)
                    workflow.claim(document, state, target)
                    db.session.expire(document)
                    assert workflow.state_of(document) == target, (workflow.name, state, action)
                    steps += 1
                continue
            party = next(t.party for (_s, a), t in workflow.table.items() if a == action)
            actor, org = (None, None) if party == SYSTEM else parties[party]
            with pytest.raises(Conflict) as refused:
                workflow.check(document, action, actor, org, system=party == SYSTEM)
            allowed = workflow.allowed_actions(document, actor, org, system=party == SYSTEM)
            assert refused.value.status == 409, (workflow.name, state, action)
            if workflow.name != "manifest":  # the manifest lists what its user may do (drivers, revisions)
                assert refused.value.fields["allowed_actions"] == ", ".join(allowed), (workflow.name, state, action)
            assert refused.value.fields["state"] == state
            steps += 1
    return steps


def test_every_workflow_has_a_builder_and_every_status_column_a_workflow(app):
    assert set(WORKFLOWS) == set(BUILDERS)
    checked = {(table.name, str(c.name).removeprefix(f"ck_{table.name}_").removesuffix("_valid"))
               for table in db.metadata.sorted_tables for c in table.constraints
               if isinstance(c, CheckConstraint) and str(c.name).endswith("_valid")}
    walked = {(w.model.__tablename__, w.column) for w in WORKFLOWS.values()}
    assert checked - set(NOT_WORKFLOWS) == walked


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_every_state_and_action_takes_the_transition_or_answers_409(ctx, app, factory, name):
    workflow = WORKFLOWS[name]
    document, parties = BUILDERS[name](app, factory)
    steps = _walk(workflow, document, parties)
    assert steps == len(workflow.states) * len(workflow.actions) + sum(
        len(row.targets()) - 1 for row in workflow.table.values())


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_a_claim_from_a_state_the_document_has_left_is_a_409(ctx, app, factory, name):
    """The race: the status changed between reading it and writing it, so nothing is written."""
    workflow = WORKFLOWS[name]
    document, _parties = BUILDERS[name](app, factory)
    row = next(iter(workflow.table.values()))
    elsewhere = next(state for state in workflow.states if state != row.source)
    _force(workflow, document, elsewhere)
    with pytest.raises(Conflict):
        workflow.claim(document, row.source, row.targets()[0])
    db.session.expire(document)
    assert workflow.state_of(document) == elsewhere
