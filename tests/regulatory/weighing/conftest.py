"""A verified organisation with a site, a batch of containers and a registered scale; and a second one."""
from dataclasses import dataclass

import pytest

from portal.extensions import db
from portal.regulatory.batches import services as batches
from portal.regulatory.weighing import services


@dataclass
class World:
    admin_id: int
    org_id: int
    batch_id: int
    container_codes: list
    device_id: int
    secret: str
    other_batch_id: int
    other_container: str


def _org_with_batch(factory, district):
    user = factory.user()
    org = factory.org(admin=user, district=district, is_generator=True, is_receiver=True)
    site = batches.create_site(org, user, name="称重间", address="灵宝市函谷路8号", lat="34.516100",
                               lon="110.894400", district_code=district)
    db.session.flush()
    batch = batches.create_batch(org, user, "900-249-08", "900", "kg", "liquid", "铁桶", site=site, containers=2)
    db.session.flush()
    return user, org, site, batch


@pytest.fixture
def world(app, factory) -> World:
    with app.test_request_context():
        user, org, site, batch = _org_with_batch(factory, "411282")
        device, secret = services.register_device(user, org, kind="scale", name="一号台秤", serial="SC-001",
                                                  site_id=site.id)
        _other_user, _other_org, _other_site, other = _org_with_batch(factory, "411202")
        db.session.commit()
        return World(user.id, org.id, batch.id, [c.code for c in batch.containers], device.id, secret, other.id,
                     other.containers[0].code)


@pytest.fixture
def device_headers(world):
    return {"Authorization": f"Device {world.secret}"}
