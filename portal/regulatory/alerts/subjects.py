"""What an alert is about, as a link the viewer may follow: the batch of a container, a storage place, a
manifest, a licence, a carrier's record or a public report.

Each link is offered only when the target page would let the viewer in: the same checks that page applies
(the services' getters, or the auth check the page uses) are asked here, and a refusal means no link.
"""
from dataclasses import dataclass

from flask import url_for
from flask_babel import lazy_gettext as _l

from ... import auth
from ...accounts.models import Department
from ...errors import DomainError
from ...extensions import db
from ..batches.models import Container
from ..batches.services import get_batch, get_facility
from ..licences.models import Licence
from ..manifests.services import get_manifest
from ..transport.models import TransportLicence, TransportWorker, Vehicle
from ..transport.services import require_keeper
from .models import Alert


@dataclass(frozen=True)
class Subject:
    label: object  # what kind of record, e.g. "Batch"
    name: str  # which one, e.g. the manifest's number
    url: str | None  # None when the record exists but the viewer may not open it


def _container(user, object_id: int) -> Subject | None:
    container = db.session.get(Container, object_id)
    if container is None:
        return None
    url = _allowed(lambda: get_batch(user, container.batch_id),
                   lambda: url_for("batches.batch_detail", batch_id=container.batch_id))
    return Subject(_l("Batch of container"), container.code, url)


def _facility(user, object_id: int) -> Subject | None:
    try:
        facility = get_facility(user, object_id)
    except DomainError:
        return None  # the place's name is not the viewer's to know either
    return Subject(_l("Storage place"), facility.name, url_for("batches.facility_detail", facility_id=facility.id))


def _manifest(user, object_id: int) -> Subject | None:
    try:
        manifest = get_manifest(user, object_id)
    except DomainError:
        return None
    return Subject(_l("Transfer manifest"), manifest.number or f"#{manifest.id}",
                   url_for("manifests.detail", manifest_id=manifest.id))


def _licence(user, object_id: int) -> Subject | None:
    licence = db.session.get(Licence, object_id)
    if licence is None:
        return None
    url = (url_for("licences.detail", licence_id=licence.id)
           if auth.can_read_licences_of(user, licence.organisation) else None)
    return Subject(_l("Licence"), licence.number, url)


TRANSPORT_RECORDS = {
    "vehicle": (Vehicle, "transport.vehicle", "vehicle_id", _l("Vehicle"), lambda r: r.plate),
    "transport_worker": (TransportWorker, "transport.worker", "worker_id", _l("Driver or escort"), lambda r: r.name),
    "transport_licence": (TransportLicence, "transport.licence", "licence_id", _l("Road transport licence"),
                          lambda r: r.number),
}


def _transport(kind: str):
    model, endpoint, argument, label, name = TRANSPORT_RECORDS[kind]

    def subject(user, object_id: int) -> Subject | None:
        record = db.session.get(model, object_id)
        if record is None:
            return None
        url = _allowed(lambda: require_keeper(user, record.organisation),
                       lambda: url_for(endpoint, **{argument: record.id}))
        return Subject(label, name(record), url)
    return subject


def _report(user, object_id: int, alert: Alert) -> Subject | None:
    """Reports belong to participation, which portal does not import: the alert carries the report's department
    and district, which are what its staff page checks (auth.can_handle_case)."""
    try:
        department = Department(alert.department)
    except ValueError:
        return None
    url = (url_for("report_staff.detail", report_id=object_id)
           if auth.can_handle_case(user, department, alert.district_code) else None)
    return Subject(_l("Public report"), str(alert.params.get("code") or f"#{object_id}"), url)


def _allowed(check, url):
    try:
        check()
    except DomainError:
        return None
    return url()


FINDERS = {"container": _container, "facility": _facility, "manifest": _manifest, "licence": _licence,
           **{kind: _transport(kind) for kind in TRANSPORT_RECORDS}}


def alert_subject(user, alert: Alert) -> Subject | None:
    """The record the alert is about, with a link when the viewer may open it; None when there is none to show."""
    if alert.object_id is None:
        return None
    if alert.object_type == "reports":
        return _report(user, alert.object_id, alert)
    finder = FINDERS.get(alert.object_type)
    return finder(user, alert.object_id) if finder is not None else None
