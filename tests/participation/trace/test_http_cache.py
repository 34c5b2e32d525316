"""HTTP caching of the public trace page: an ETag that follows the ledger, 304 on revalidation, and shared
caching only for the page every anonymous reader gets."""
from sqlalchemy import text

from portal.extensions import db
from tests.factories import login

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}


def test_public_page_is_cacheable_and_revalidates_with_304(client, chain):
    response = client.get(f"/t/{chain.code}", headers=EN)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert {"Accept-Language", "Cookie"} <= set(response.vary)
    etag = response.headers["ETag"]
    again = client.get(f"/t/{chain.code}", headers={**EN, "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
    # the other language is another page
    chinese = client.get(f"/t/{chain.code}", headers={**ZH, "If-None-Match": etag})
    assert chinese.status_code == 200 and chinese.headers["ETag"] != etag


def test_altering_an_event_changes_the_etag(app, client, chain):
    etag = client.get(f"/t/{chain.code}", headers=EN).headers["ETag"]
    with app.app_context():
        db.session.execute(text("UPDATE ledger_events SET place = '别处' WHERE batch_id = :b AND seq = 2"),
                           {"b": chain.batch_id})
        db.session.commit()
    assert app.test_cli_runner().invoke(args=["ledger", "verify"]).exit_code == 1
    response = client.get(f"/t/{chain.code}", headers={**EN, "If-None-Match": etag})
    assert response.status_code == 200 and "Record altered" in response.get_data(as_text=True)
    assert response.headers["ETag"] != etag


def test_full_view_and_signed_in_pages_are_never_shared(client, chain):
    login(client, chain.regulator)
    response = client.get(f"/t/{chain.code}", headers=EN)
    assert response.headers["Cache-Control"] == "private, no-store" and "ETag" not in response.headers
    assert client.get(f"/t/{chain.code}", headers={**EN, "If-None-Match": "*"}).status_code == 200
