"""A driver's task list (/manifests?role=carrier): the open tasks only unless the filter asks for the finished
ones, today's pickups first; a bad filter value is an error on the field."""
import re
from datetime import timedelta

from portal.clock import china_today
from tests.factories import login
from tests.regulatory.manifests.test_pages import form_data, load


def _submit(client, p, code: str, pickup) -> str:
    """A manifest of one container, picked up on the given day, submitted; returns its number."""
    login(client, p.generator_user)
    values = form_data(p) | {"batches": [], "containers": [code], "planned_pickup_on": pickup.isoformat(),
                             "planned_delivery_on": pickup.isoformat()}
    response = client.post("/manifests/new", data=values)
    assert response.status_code == 302, response.text
    manifest_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert client.post(f"/manifests/{manifest_id}/steps/submit").status_code == 302
    return manifest_id


def _numbers(html: str) -> list[str]:
    """The manifest numbers of the list's rows, in order."""
    return re.findall(r'<a class="mono" href="/manifests/\d+">([^<]+)</a>', html)


def test_open_tasks_today_first_and_finished_behind_the_filter(app, page_parties, client):
    p = page_parties
    today = china_today()
    later = _submit(client, p, p.codes[0], today + timedelta(days=2))
    due_today = _submit(client, p, p.codes[1], today)  # submitted after, so not first by date of creation
    done = _submit(client, p, p.codes[2], today)
    login(client, p.driver1)
    for action in ("pick_up",):
        assert client.post(f"/manifests/{done}/scan/{action}", data={"scanned": p.codes[2]}).status_code == 302
    login(client, p.driver2)
    for action in ("hand_over", "deliver"):
        assert client.post(f"/manifests/{done}/scan/{action}", data={"scanned": p.codes[2]}).status_code == 302
    numbers = {key: load(app, manifest_id)["number"] for key, manifest_id in
               (("later", later), ("today", due_today), ("done", done))}
    assert load(app, done)["state"] == "delivered"

    login(client, p.driver2)
    response = client.get("/manifests?role=carrier")
    assert response.status_code == 200
    assert _numbers(response.text) == [numbers["today"], numbers["later"]]
    assert 'name="progress"' in response.text and "Pickup today" in response.text
    finished = client.get("/manifests?role=carrier&progress=finished")
    assert _numbers(finished.text) == [numbers["done"]]
    assert set(_numbers(client.get("/manifests?role=carrier&progress=all").text)) == set(numbers.values())

    refused = client.get("/manifests?role=carrier&progress=everything")
    assert refused.status_code == 422 and 'id="progress-error"' in refused.text
    # other views of the list are not filtered by progress
    assert set(_numbers(client.get("/manifests").text)) == set(numbers.values())
