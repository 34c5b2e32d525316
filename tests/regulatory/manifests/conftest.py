"""Parties of a transfer: a generator with a 5 t batch, two transporters, a licensed receiver."""
from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace

import pytest

from portal.accounts.models import Organisation, Role, User
from portal.clock import china_today
from portal.extensions import db
from portal.regulatory.batches.models import Batch
from portal.regulatory.licences import services as licences
from tests.regulatory.batches.helpers import make_batch, make_generator
from tests.regulatory.transport.helpers import make_fleet

TONNE = 1_000_000


@dataclass
class Parties:
    generator: Organisation
    generator_user: User
    batch: Batch
    carrier1: Organisation
    driver1: User
    carrier2: Organisation
    driver2: User
    receiver: Organisation
    receiver_user: User
    regulator: User

    def draft_values(self) -> dict:
        """The JSON body of POST /api/v1/manifests for the whole batch, carried in two legs."""
        return {
            "receiver_id": self.receiver.id,
            "carriers": [
                {"organisation_id": self.carrier1.id, "vehicle_plate": "豫M12345", "driver_name": "张师傅",
                 "driver_phone": "13800000001", "escort_name": "李押运"},
                {"organisation_id": self.carrier2.id, "vehicle_plate": "豫M67890", "driver_name": "王师傅",
                 "driver_phone": "13800000002"}],
            "lines": [{"batch_id": self.batch.id}],
            "planned_pickup_on": china_today().isoformat(), "planned_delivery_on": china_today().isoformat(),
            "via_points": "连霍高速三门峡西站", "emergency_measures": "泄漏时用吸附棉围堵，拨打0398-119。",
        }


def record_licence(regulator, org, scopes="HW08 R9 D10", capacity_t=100):
    licence = licences.record_licence(
        db.session.merge(regulator), db.session.merge(org), scopes=licences.parse_scope_text(scopes),
        number=f"豫环许可危废字{org.id}号", kind="comprehensive", issuing_authority="河南省生态环境厅",
        issued_on=date(2024, 12, 20), valid_from=date(2025, 1, 1), valid_until=date(2030, 12, 31),
        annual_capacity_g=capacity_t * TONNE, notes=None)
    db.session.commit()
    return licence


@pytest.fixture
def parties(ctx, factory):
    """Everything attached to the ctx session and committed."""
    return build_parties(factory)


@pytest.fixture
def page_parties(app, factory):
    """For page tests: the parties' ids only, built in an app context of their own, because the test
    client's requests must not share the test's context (Flask-Login caches the user in g)."""
    with app.app_context():
        p = build_parties(factory)
        return SimpleNamespace(**{name: SimpleNamespace(id=getattr(p, name).id) for name in Parties.__annotations__},
                               codes=[c.code for c in p.batch.containers])


def build_parties(factory) -> Parties:
    gen = make_generator(factory, district="411282", capacity_g=10 * TONNE)
    batch = make_batch(gen, containers=5, quantity="5", unit="t")
    carrier1 = factory.org(name="义马市危险货物运输有限公司", district="411281", is_transporter=True)
    driver1 = factory.member(carrier1, role=Role.DRIVER)
    carrier2 = factory.org(name="渑池县联运物流有限公司", district="411221", is_transporter=True)
    driver2 = factory.member(carrier2, role=Role.DRIVER)
    make_fleet(factory, carrier1, plate="豫M12345", driver=("张师傅", "13800000001"), escort="李押运")
    make_fleet(factory, carrier2, plate="豫M67890", driver=("王师傅", "13800000002"), escort=None)
    receiver_user = factory.user()
    receiver = factory.org(name="灵宝市危废处置有限公司", district="411282", admin=receiver_user, is_receiver=True)
    regulator = factory.regulator(jurisdiction="411282")
    record_licence(regulator, receiver)
    return Parties(gen.org, gen.user, batch, carrier1, driver1, carrier2, driver2, receiver, receiver_user, regulator)
