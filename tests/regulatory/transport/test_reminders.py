"""`wufei alerts scan` reminds a carrier of a vehicle permit or certificate ending, 30 and 7 days ahead."""
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from portal.clock import china_today
from portal.extensions import db
from portal.regulatory.alerts.models import Alert
from portal.regulatory.alerts.services import scan_all
from tests.regulatory.transport.helpers import make_fleet


def test_documents_ending_soon_are_reminded_once_per_threshold(ctx, factory):
    carrier = factory.org(name="义马危运", district="411281", is_transporter=True)
    ends = china_today() + timedelta(days=40)
    fleet = make_fleet(factory, carrier, plate="豫M33333", escort=None, valid_until=ends)
    today = datetime.now(UTC)
    assert scan_all(today)["scan_transport_document_expiry"] == 0  # 40 days ahead; the licence 3 years
    assert scan_all(today + timedelta(days=15))["scan_transport_document_expiry"] == 2  # permit and certificate
    assert scan_all(today + timedelta(days=16))["scan_transport_document_expiry"] == 0  # not again
    assert scan_all(today + timedelta(days=35))["scan_transport_document_expiry"] == 2  # the 7-day ones
    db.session.commit()
    alerts = db.session.scalars(select(Alert).where(Alert.kind == "transport_document_expiry")
                                .order_by(Alert.id)).all()
    assert {a.severity for a in alerts[:2]} == {"warning"} and {a.severity for a in alerts[2:]} == {"critical"}
    assert all(a.department == "transport" and a.organisation_id == carrier.id for a in alerts)
    assert fleet.vehicle.permit_number in {a.params["number"] for a in alerts}
