"""Manifests in a given state, written as rows (the scanners read rows, whichever service wrote them)."""
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from portal.accounts.models import Organisation, User
from portal.extensions import db
from portal.regulatory.manifests.models import Manifest, ManifestCarrier, ManifestLine
from tests.regulatory.batches.helpers import make_batch, make_generator

TONNE = 1_000_000


@dataclass
class Transfer:
    manifest: Manifest
    generator: Organisation
    generator_user: User
    carrier: Organisation
    carrier_user: User
    receiver: Organisation
    receiver_user: User


def make_transfer(factory, *, state="delivered", stream="hazardous", shipped_g=5 * TONNE, received_g=None, refused_g=0,
                  delivered_at: datetime | None = None, received_at: datetime | None = None,
                  planned_delivery_on: date | None = None, number="20254112000001") -> Transfer:
    """Call inside ctx. A generator in 灵宝市 ships one batch through one carrier to a receiver in 湖滨区."""
    gen = make_generator(factory, district="411282", capacity_g=10 * TONNE)
    batch = make_batch(gen, containers=1, quantity=str(shipped_g), unit="g")
    batch.stream = stream
    carrier_user = factory.user()
    carrier = factory.org(district="411281", admin=carrier_user, is_transporter=True)
    receiver_user = factory.user()
    receiver = factory.org(district="411202", admin=receiver_user, is_receiver=True)
    planned = planned_delivery_on or (delivered_at or datetime.now(UTC)).date()
    manifest = Manifest(
        number=number, state=state, generator_org_id=gen.org.id, receiver_org_id=receiver.id,
        origin_district_code="411282", destination_district_code="411202", origin="灵宝市函谷路8号",
        destination="三门峡市湖滨区处置中心", emergency_measures="泄漏时围堵", planned_pickup_on=planned - timedelta(days=1),
        planned_delivery_on=planned, delivered_at=delivered_at, received_at=received_at,
        submitted_at=(delivered_at or datetime.now().astimezone()) - timedelta(days=1),
        picked_up_at=(delivered_at or datetime.now().astimezone()) - timedelta(hours=5))
    manifest.carriers = [ManifestCarrier(position=0, organisation_id=carrier.id, vehicle_plate="豫M12345",
                                         driver_name="张师傅", driver_phone="13800000001")]
    manifest.lines = [ManifestLine(position=0, batch_id=batch.id, waste_code=batch.waste_code, waste_name="废矿物油",
                                   hazards="T,I", form="liquid", packaging="铁桶", quantity_g=shipped_g,
                                   received_g=received_g, refused_g=refused_g if received_g is not None else None)]
    db.session.add(manifest)
    db.session.commit()
    return Transfer(manifest, gen.org, gen.user, carrier, carrier_user, receiver, receiver_user)
