"""The alert inbox: regulators of the jurisdiction handle alerts; the organisation sees its own."""
from types import SimpleNamespace

from portal.extensions import db
from portal.regulatory.alerts.models import Alert
from portal.regulatory.alerts.services import raise_alert
from tests.factories import login

from ..batches.helpers import make_generator


def _alert(app, factory):
    with app.app_context():
        gen = make_generator(factory)
        alert = raise_alert("storage_over_year", "storage_over_year:container:1", severity="critical",
                            organisation=gen.org, message_key="Hazardous waste %(waste_code)s in container %(code)s "
                            "has been stored in %(facility)s since %(since)s, more than one year.",
                            params={"waste_code": "900-249-08", "code": "C1", "facility": "A", "since": "2024-01-01"},
                            object_type="container", object_id=1)
        db.session.commit()
        return alert.id, SimpleNamespace(id=gen.user.id)


def test_regulator_filters_acknowledges_and_closes(app, client, factory):
    alert_id, _owner = _alert(app, factory)
    regulator = factory.regulator(jurisdiction="411282")
    login(client, regulator)
    page = client.get("/alerts?status=open&kind=storage_over_year&district=411282").get_data(as_text=True)
    assert f"/alerts/{alert_id}" in page
    assert f"/alerts/{alert_id}" not in client.get("/alerts?district=411202").get_data(as_text=True)
    assert client.post(f"/alerts/{alert_id}/acknowledge").status_code == 302
    assert client.post(f"/alerts/{alert_id}", data={"note": ""}).status_code == 422
    assert client.post(f"/alerts/{alert_id}", data={"note": "已责令转移处置"}).status_code == 302
    with app.app_context():
        alert = db.session.get(Alert, alert_id)
        assert alert.status == "closed" and alert.note == "已责令转移处置" and alert.acknowledged_at


def test_outside_the_jurisdiction_the_alert_does_not_exist(app, client, factory):
    alert_id, owner = _alert(app, factory)
    login(client, factory.regulator(jurisdiction="411202"))
    assert client.get(f"/alerts/{alert_id}").status_code == 404
    assert client.post(f"/alerts/{alert_id}/acknowledge").status_code == 404


def test_organisation_sees_its_alert_but_cannot_close_it(app, client, factory):
    alert_id, owner = _alert(app, factory)
    login(client, owner)
    assert f"/alerts/{alert_id}" in client.get("/alerts").get_data(as_text=True)
    assert client.post(f"/alerts/{alert_id}", data={"note": "done"}).status_code == 403
    login(client, factory.user())
    assert client.get(f"/alerts/{alert_id}").status_code == 404
