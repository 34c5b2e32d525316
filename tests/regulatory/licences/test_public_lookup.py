"""Issue 14 point 3: licences are public to verified enterprises, who may look one up and run the check."""
from portal.accounts.models import OrgStatus
from tests.factories import login
from tests.regulatory.licences.test_licence_pages import _licence


def test_a_verified_generator_reads_a_licence_and_runs_the_check_page(app, client, factory, receiver,
                                                                     make_licence):
    licence_id = _licence(app, make_licence, receiver)
    user = factory.user()
    factory.org(admin=user, is_generator=True)
    login(client, user)
    page = client.get(f"/licences/{licence_id}")
    assert page.status_code == 200 and f"豫环许可危废字{receiver.id}A号" in page.text
    assert "/suspend" not in page.text
    assert client.get("/licences/check").status_code == 200
    answer = client.get(f"/licences/check?org={receiver.id}&code=900-041-49&quantity_kg=1&date=2026-06-15"
                        "&method=R9")
    assert answer.status_code == 200 and "method_out_of_scope" in answer.text
    assert "allowed" in client.get(f"/licences/check?org={receiver.id}&code=900-041-49&quantity_kg=1"
                                   "&date=2026-06-15&method=D10").text
    assert client.get(f"/licences/{licence_id}/edit").status_code == 403


def test_an_unverified_enterprise_is_refused(app, client, factory, receiver, make_licence):
    licence_id = _licence(app, make_licence, receiver)
    user = factory.user()
    pending = factory.org(admin=user, is_generator=True, status=OrgStatus.PENDING)
    login(client, user)
    assert client.get("/licences/check").status_code == 403
    assert client.get(f"/licences/{licence_id}").status_code == 404
    token = factory.token(user, pending)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/api/v1/licences/{licence_id}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/licences/check?org={receiver.id}&code=900-041-49&quantity_kg=1",
                      headers=headers).status_code == 404


def test_the_api_gives_a_verified_generator_the_licence(app, client, factory, receiver, make_licence):
    licence_id = _licence(app, make_licence, receiver)
    user = factory.user()
    generator = factory.org(admin=user, is_generator=True)
    headers = {"Authorization": f"Bearer {factory.token(user, generator)}"}
    response = client.get(f"/api/v1/licences/{licence_id}", headers=headers)
    assert response.status_code == 200 and response.json["holder"]["id"] == receiver.id
    assert response.json["capacity"]["remaining_g"] == 10_000_000
