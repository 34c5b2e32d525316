"""Issue 14 point 3: the manifest form offers only the receivers whose licence covers the chosen waste, its
quantity and the planned method, and lists the others with the licence's reason."""
import re

from portal.accounts.models import User
from portal.clock import china_today
from portal.extensions import db
from portal.regulatory.licences.services import choose_receivers
from tests.factories import login
from tests.regulatory.manifests.conftest import TONNE, record_licence
from tests.regulatory.manifests.test_pages import form_data


def _other_receivers(app, factory, p) -> dict:
    """Beside the parties' receiver (HW08 R9 D10, 100 t): one licensed for R9 only, one for 1 t, one without."""
    with app.app_context():
        regulator = db.session.get(User, p.regulator.id)
        r9_only = factory.org(name="义马市再生油有限公司", is_receiver=True)
        record_licence(regulator, r9_only, scopes="HW08 R9")
        small = factory.org(name="灵宝市小型处置站", is_receiver=True)
        record_licence(regulator, small, capacity_t=1)
        unlicensed = factory.org(name="陕州区无证回收站", is_receiver=True)
        return {"r9_only": r9_only.id, "small": small.id, "unlicensed": unlicensed.id}


def _offered(page: str) -> set[int]:
    select = page.split('name="receiver_id"', 1)[1].split("</select>", 1)[0]
    return {int(v) for v in re.findall(r'value="(\d+)"', select)} - {0}


def test_the_service_offers_the_covering_receivers_and_gives_the_others_reasons(app, ctx, parties, factory):
    p = parties
    others = _other_receivers(app, factory, p)
    offered, left_out = choose_receivers({"900-249-08": 5 * TONNE}, china_today(), "D10")
    assert [o.id for o in offered] == [p.receiver.id]
    reasons = {c.organisation.id: c.refusal.reason_code for c in left_out}
    assert reasons == {others["r9_only"]: "method_out_of_scope", others["small"]: "capacity_exceeded",
                       others["unlicensed"]: "no_licence"}
    everyone, none_left = choose_receivers({}, china_today())
    assert len(everyone) == 4 and none_left == []


def test_the_form_lists_only_covering_receivers_and_names_the_others(app, page_parties, client, factory):
    p = page_parties
    others = _other_receivers(app, factory, p)
    login(client, p.generator_user)
    page = client.get(f"/manifests/new?batch={p.batch.id}").text
    assert _offered(page) == {p.receiver.id, others["r9_only"]}  # 5 t: the 1 t licence is left out
    assert "灵宝市小型处置站" in page.split("</select>", 1)[1] and "陕州区无证回收站" in page
    assert "no hazardous waste business licence" in page

    refused = client.post("/manifests/new", data={**form_data(p), "receiver_id": others["r9_only"],
                                                  "planned_method": "D10"})
    assert refused.status_code == 422
    assert _offered(refused.text) == {p.receiver.id}
    assert "not by D10" in refused.text  # the R9-only plant is listed with the method as its reason
    created = client.post("/manifests/new", data={**form_data(p), "planned_method": "D10"})
    assert created.status_code == 302, created.text
