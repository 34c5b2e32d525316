"""The duty matrix and the time limits: an administrator saves a row, a bad one is refused naming its field,
a regulator reads them and may not change them."""
from sqlalchemy import select

from portal.coordination.models import DutyRule
from portal.extensions import db
from tests.factories import login


def test_an_administrator_saves_a_duty_row_and_a_regulator_may_not(app, client, factory):
    login(client, factory.user(admin=True))
    saved = client.post("/cases/matrix", data={"case_type": "illegal_dumping", "district": "411282",
                                               "lead_department": "urban", "co_departments": ["police"]})
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/cases/matrix")
    with app.app_context():
        assert db.session.scalar(select(DutyRule.lead_department).where(DutyRule.district_code == "411282")) == "urban"
    assert client.post("/cases/matrix", data={"case_type": "illegal_dumping"}).status_code == 422
    assert client.post("/cases/limits", data={"urgency": "ordinary"}).status_code == 422
    regulator = factory.regulator(jurisdiction="411200")
    login(client, regulator)
    assert client.get("/cases/matrix").status_code == 200
    assert client.post("/cases/matrix", data={"case_type": "illegal_dumping", "lead_department": "urban"}
                       ).status_code == 403
