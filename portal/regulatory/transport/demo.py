"""The demo transport company's records (三门峡安达危险货物运输): its road transport licence, two vehicles — one
on a large new-energy plate — two drivers and two escorts; 王建军's qualification certificate ends within
the warning period, so the fleet page shows an expiry warning. Dated from the day of seeding, like the
manifests that use them. Idempotent: each record is found again by its licence number, plate or ID number."""
from datetime import date, timedelta

from sqlalchemy import select

from ...accounts.models import Organisation, User
from ...clock import china_today
from ...extensions import db
from . import services
from .models import TransportLicence, TransportWorker, Vehicle

LICENCE = {"number": "豫交运管许可三字411202000318号", "issuing_authority": "三门峡市交通运输局",
           "valid_from": date(2023, 6, 1), "valid_until": date(2029, 5, 31),
           "dangerous_goods": "6.1, 8, 9", "general_freight": False}
# (plate, type, rated load kg, 道路运输证 number, days of validity left, GPS terminal phone number)
VEHICLES = (("豫M·D1234", "van_truck", 9_800, "豫交运管三字411202300101号", 300, "013903981234"),
            ("豫M05678D", "van_truck", 12_000, "豫交运管三字411202300102号", 500, "013903985678"))
# (kind, name, phone, ID number, certificate number, days of validity left)
WORKERS = (("driver", "刘师傅", "13903981234", "411202198003150010", "411202198003150010", 400),
           ("driver", "王建军", "13903985678", "411202197811020033", "411202197811020033", 20),
           ("escort", "张押运", "13903980001", "41120319850506002X", "41120319850506002X", 600),
           ("escort", "李押运", "13903980002", "41120319900101004X", "41120319900101004X", 600))


def ensure_demo_fleet(office: User, carrier: Organisation) -> int:
    """Record what is missing; returns how many records were created."""
    today, created = china_today(), 0
    if db.session.scalar(select(TransportLicence.id).where(TransportLicence.number == LICENCE["number"])) is None:
        services.save_licence(office, carrier, LICENCE)
        created += 1
    for plate, kind, load, permit, days, gps in VEHICLES:
        if db.session.scalar(select(Vehicle.id).where(Vehicle.plate == services.normalise_plate(plate))) is None:
            services.save_vehicle(office, carrier, {
                "plate": plate, "vehicle_type": kind, "rated_load_kg": load, "permit_number": permit,
                "permit_valid_until": today + timedelta(days=days), "gps_device_id": gps})
            created += 1
    for kind, name, phone, id_number, certificate, days in WORKERS:
        if db.session.scalar(select(TransportWorker.id).where(
                TransportWorker.organisation_id == carrier.id, TransportWorker.kind == kind,
                TransportWorker.id_number == id_number)) is None:
            services.save_worker(office, carrier, {
                "kind": kind, "name": name, "phone": phone, "id_number": id_number, "certificate_number": certificate,
                "certificate_valid_until": today + timedelta(days=days)})
            created += 1
    return created
