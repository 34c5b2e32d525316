"""A carrier's records for tests: its road transport licence, a vehicle, a driver and an escort, recorded
through the services by a member of its office."""
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import count

from portal.accounts.models import Organisation, Role
from portal.clock import china_today
from portal.extensions import db
from portal.regulatory.transport import services
from portal.regulatory.transport.models import TransportLicence, TransportWorker, Vehicle

_serial = count(1)
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(serial: int | None = None) -> str:
    """A well-formed 居民身份证号码 (三门峡 411202, born 1980-01-01) with its check character."""
    body = f"41120219800101{(serial if serial is not None else next(_serial)) % 1000:03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]


@dataclass
class Fleet:
    licence: TransportLicence
    vehicle: Vehicle
    driver: TransportWorker
    escort: TransportWorker | None


def make_fleet(factory, org: Organisation, *, plate="豫M12345", driver=("张师傅", "13800000001"), escort="李押运",
               valid_until: date | None = None, classes="9", office=None) -> Fleet:
    """Records valid for a year (or until valid_until), under a licence for dangerous goods `classes`."""
    office = office or factory.member(org, role=Role.STAFF)
    until = valid_until or china_today() + timedelta(days=365)
    user, org = db.session.merge(office), db.session.merge(org)
    n = next(_serial)
    licence = services.save_licence(user, org, {
        "number": f"豫交运管许可三字41120{n:07d}号", "issuing_authority": "三门峡市交通运输局",
        "valid_from": date(2024, 1, 1), "valid_until": china_today() + timedelta(days=3 * 365),
        "dangerous_goods": classes, "general_freight": True})
    vehicle = services.save_vehicle(user, org, {
        "plate": plate, "vehicle_type": "van_truck", "rated_load_kg": 10_000,
        "permit_number": f"豫交运管三字4112{n:08d}号", "permit_valid_until": until,
        "gps_device_id": f"0{13900000000 + n}"})
    person = services.save_worker(user, org, {
        "kind": "driver", "name": driver[0], "phone": driver[1], "id_number": id_number(n),
        "certificate_number": f"41120219800101{n:04d}", "certificate_valid_until": until})
    companion = None
    if escort:
        companion = services.save_worker(user, org, {
            "kind": "escort", "name": escort, "phone": "13900000000", "id_number": id_number(n + 500),
            "certificate_number": f"YY4112{n:08d}", "certificate_valid_until": until})
    db.session.commit()
    return Fleet(licence, vehicle, person, companion)
