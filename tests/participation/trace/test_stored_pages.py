"""The page kept with the trace snapshot: served with one SQL statement, the page the body gives in the
reader's language, and never once its container, its verdict's age or the renderer no longer match."""
import pytest
from flask_babel import get_locale
from sqlalchemy import event, text, update

from participation.trace import stored
from portal.extensions import db
from portal.regulatory.trace_snapshots import TraceSnapshot, stored_page

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}


def statements_of(app, client, path, headers):
    """(response, SQL statements the request issued)."""
    with app.app_context():
        engine = db.engine
    seen = []

    def count(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(path, headers=headers)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return response, seen


@pytest.mark.parametrize("headers", [EN, ZH])
def test_a_public_page_is_one_statement_of_stored_html_in_the_readers_language(app, client, chain, headers):
    for code in (chain.code, chain.second_code, f"B-{chain.code}"):
        response, seen = statements_of(app, client, f"/t/{code}", headers)
        assert response.status_code == 200 and len(seen) == 1, seen
        html = response.get_data(as_text=True)
        assert code in html and ("Record intact" in html) is (headers is EN)
        assert ("记录完整" in html) is (headers is ZH)
        with app.test_request_context(headers=headers):
            app.preprocess_request()
            kept = stored_page(code, str(get_locale()))
        assert kept is not None and kept in html


def test_the_stored_pages_hold_no_personal_details(app, chain):
    with app.app_context():
        pages = str(db.session.get(TraceSnapshot, chain.batch_id).pages)
    for private in ("李监管", "赵一司机", "豫M", "张师傅"):
        assert private not in pages


def test_a_container_changed_since_its_page_was_rendered_is_built_from_the_body(app, client, chain):
    with app.app_context():
        db.session.execute(text("UPDATE containers SET quantity_g = 123000 WHERE code = :c"), {"c": chain.code})
        db.session.commit()
    response, seen = statements_of(app, client, f"/t/{chain.code}", EN)
    assert response.status_code == 200 and len(seen) > 1  # the stored page was not used
    assert "123 kg" in response.get_data(as_text=True)


def test_pages_of_another_renderer_are_not_served_and_the_sweep_renders_them_again(app, client, chain):
    with app.app_context():
        old = {"v": "0.old", "en": {chain.code: [None, None, "<p>old</p>"]}}
        db.session.execute(update(TraceSnapshot).values(pages=old))
        db.session.commit()
    html = client.get(f"/t/{chain.code}", headers=EN).get_data(as_text=True)
    assert "<p>old</p>" not in html and "Record intact" in html
    assert app.test_cli_runner().invoke(args=["ledger", "verify"]).exit_code == 0
    with app.app_context():
        pages = db.session.get(TraceSnapshot, chain.batch_id).pages
        assert pages["v"].endswith(stored.version()) and set(pages) == {"v", "zh_Hans_CN", "en"}
        assert set(pages["en"]) == {chain.code, chain.second_code, f"B-{chain.code}"}
    response, seen = statements_of(app, client, f"/t/{chain.code}", EN)
    assert len(seen) == 1 and "Record intact" in response.get_data(as_text=True)


def test_an_old_verdict_is_not_served_from_the_stored_page(app, client, chain, config):
    with app.app_context():
        db.session.execute(text("UPDATE ledger_events SET place = '别处' WHERE batch_id = :b AND seq = 2"),
                           {"b": chain.batch_id})
        db.session.commit()
    config(TRACE_VERIFIED_MAX_AGE=0)
    html = client.get(f"/t/{chain.code}", headers=EN).get_data(as_text=True)
    assert "Record altered" in html


def test_the_stored_page_revalidates_with_the_etag_of_the_live_page(app, client, chain, config):
    stored_response = client.get(f"/t/{chain.code}", headers=EN)
    etag = stored_response.headers["ETag"]
    assert client.get(f"/t/{chain.code}", headers={**EN, "If-None-Match": etag}).status_code == 304
    config(TRACE_VERIFIED_MAX_AGE=-1)  # built live from the ledger
    live = client.get(f"/t/{chain.code}", headers={**EN, "If-None-Match": etag})
    assert live.status_code == 304 and live.headers["ETag"] == etag
