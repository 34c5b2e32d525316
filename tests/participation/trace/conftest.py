"""A hazardous batch carried to treatment through the manifest services: stored, picked up, handed over
between two carriers, delivered, received and treated (D10). Nothing is faked; the ledger is the real one."""
from dataclasses import dataclass

import pytest

from portal.accounts.models import Role, User
from portal.clock import china_today
from portal.extensions import db
from portal.regulatory import trace_snapshots
from portal.regulatory.batches import services as batches
from portal.regulatory.manifests import services as manifests
from portal.regulatory.manifests.states import apply_action
from tests.regulatory.batches.helpers import make_batch, make_generator
from tests.regulatory.manifests.conftest import record_licence
from tests.regulatory.transport.helpers import make_fleet

TONNE = 1_000_000
PLATES = ("豫M12345", "豫M67890")
DRIVERS = ("张师傅", "王师傅")


@dataclass
class Chain:
    """Plain values, so that test-client requests never share the building context (and its g)."""
    code: str  # the first container's
    second_code: str
    batch_id: int
    manifest_number: str
    generator_name: str
    generator_user_name: str
    driver1: User  # detached, for login()
    regulator: User


def build_chain(factory) -> Chain:
    """Call inside an app context; everything is committed."""
    gen = make_generator(factory, district="411282", capacity_g=10 * TONNE)
    batch = make_batch(gen, containers=2, quantity="2", unit="t")
    first = batch.containers[0]
    batches.store_container(first, gen.facility, actor=gen.user)
    batches.retrieve_container(first, gen.facility, actor=gen.user)
    carrier1 = factory.org(name="义马市危险货物运输有限公司", district="411281", is_transporter=True)
    driver1 = factory.member(carrier1, role=Role.DRIVER, name="赵一司机")
    carrier2 = factory.org(name="渑池县联运物流有限公司", district="411221", is_transporter=True)
    driver2 = factory.member(carrier2, role=Role.DRIVER, name="钱二司机")
    make_fleet(factory, carrier1, plate=PLATES[0], driver=(DRIVERS[0], "13800000001"), escort=None)
    make_fleet(factory, carrier2, plate=PLATES[1], driver=(DRIVERS[1], "13800000002"), escort=None)
    receiver_user = factory.user(name="孙三收货")
    receiver = factory.org(name="灵宝市危废处置有限公司", district="411282", admin=receiver_user, is_receiver=True)
    regulator = factory.regulator(jurisdiction="411282", name="李监管")
    record_licence(regulator, receiver)
    today = china_today().isoformat()
    manifest = manifests.create_manifest_draft(
        generator_org=gen.org, receiver_org=receiver.id, actor=gen.user, lines=[{"batch_id": batch.id}],
        carriers=[{"organisation_id": carrier1.id, "vehicle_plate": PLATES[0], "driver_name": DRIVERS[0],
                   "driver_phone": "13800000001"},
                  {"organisation_id": carrier2.id, "vehicle_plate": PLATES[1], "driver_name": DRIVERS[1],
                   "driver_phone": "13800000002"}],
        planned_pickup_on=today, planned_delivery_on=today, emergency_measures="泄漏时用吸附棉围堵。")
    codes = [c.code for c in batch.containers]
    apply_action(manifest, "submit", gen.user, gen.org)
    apply_action(manifest, "pick_up", driver1, carrier1, scanned=codes, place="灵宝市函谷路8号")
    apply_action(manifest, "hand_over", driver2, carrier2, scanned=codes, place="连霍高速三门峡西站")
    apply_action(manifest, "deliver", driver2, carrier2, scanned=codes)
    apply_action(manifest, "receive", receiver_user, receiver,
                 lines=[{"line_id": manifest.lines[0].id, "received_g": 2 * TONNE}],
                 gate_net_g=2 * TONNE, gate_ticket_no="T-1")
    apply_action(manifest, "treat", receiver_user, receiver, method="D10", quantity_g=2 * TONNE)
    db.session.commit()
    trace_snapshots.build_on_read(codes[0])  # what the first public read after the commit does
    chain = Chain(codes[0], codes[1], batch.id, manifest.number, gen.org.name, gen.user.name, driver1, regulator)
    for user in (driver1, regulator):
        db.session.refresh(user)
        db.session.expunge(user)
    return chain


@pytest.fixture
def chain(app, factory) -> Chain:
    with app.test_request_context():
        built = build_chain(factory)
        db.session.remove()
    return built


@pytest.fixture
def config(app):
    """Set app.config keys for one test and restore them afterwards."""
    saved = {}

    def set_(**values):
        for key, value in values.items():
            saved.setdefault(key, app.config.get(key))
            app.config[key] = value

    yield set_
    app.config.update(saved)
