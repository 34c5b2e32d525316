"""Through the manifest services: a receipt of 4.6 t of 5.0 t shipped puts a weight-mismatch alert in the
regulator's inbox at once, and the generator's declaration lists the manifest."""
from flask import g
from sqlalchemy import select

from portal.extensions import db
from portal.regulatory.alerts.models import Alert
from portal.regulatory.alerts.services import scan_all
from portal.regulatory.declarations import services as declarations
from portal.regulatory.manifests.states import apply_action
from portal.regulatory.register import this_month
from tests.factories import login
from tests.regulatory.manifests.conftest import parties  # noqa: F401  (the fixture)
from tests.regulatory.manifests.test_states import draft, run_to_delivered


def test_short_receipt_alerts_the_regulator_at_once(app, client, parties):  # noqa: F811
    p = parties
    manifest = draft(p)
    run_to_delivered(p, manifest)
    apply_action(manifest, "receive", p.receiver_user, p.receiver,
                 lines=[{"line_id": manifest.lines[0].id, "received_g": 4_600_000}],
                 gate_net_g=4_600_000, gate_ticket_no="T-1")
    db.session.commit()
    [alert] = db.session.scalars(select(Alert).where(Alert.kind == "manifest_weight_mismatch")).all()
    assert alert.object_id == manifest.id and alert.params["number"] == manifest.number
    scan_all()
    db.session.commit()
    assert db.session.scalar(select(Alert.id).where(Alert.kind == "manifest_weight_mismatch")) == alert.id

    g.pop("_login_user", None)
    login(client, p.regulator)
    page = client.get("/alerts").get_data(as_text=True)
    assert manifest.number in page and "4600 kg weighed at the receiver&#39;s gate of 5000 kg shipped" in page

    declaration = declarations.create_declaration(p.generator_user, p.generator, "monthly",
                                                  this_month().strftime("%Y-%m"))
    assert [m["number"] for m in declaration.manifests] == [manifest.number]
    assert declaration.figure("900-249-08", "transferred_out").ledger_g == 5_000_000
