"""The navigation offers the label scanner to the staff who use it: members of an organisation and regulators."""
from tests.factories import login


def offers_scanner(client) -> bool:
    return 'href="/scan"' in client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_members_and_regulators_are_offered_the_scanner(app, client, chain):
    login(client, chain.driver1)
    assert offers_scanner(client)
    regulator = app.test_client()
    login(regulator, chain.regulator)
    assert offers_scanner(regulator)
    assert regulator.get("/scan").status_code == 200


def test_anonymous_readers_are_not(client):
    assert not offers_scanner(client)
