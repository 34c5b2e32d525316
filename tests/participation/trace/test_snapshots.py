"""The public trace kept ready per batch: the same page as the live trace, rebuilt when the ledger moves or a
party is renamed, never used once it no longer tells the truth, and re-verified by the ledger sweep."""
import pytest
from markupsafe import Markup
from sqlalchemy import text

from portal.accounts import services as accounts
from portal.accounts.models import Organisation
from portal.extensions import db
from portal.regulatory.batches.models import Batch
from portal.regulatory.ledger.services import append_event
from portal.regulatory.trace import trace
from portal.regulatory.trace_snapshots import TraceSnapshot, public_trace
from tests.factories import login

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}


def snapshot(batch_id) -> TraceSnapshot | None:
    db.session.expire_all()
    return db.session.get(TraceSnapshot, batch_id)


def sweep(app) -> int:
    return app.test_cli_runner().invoke(args=["ledger", "verify"]).exit_code


def test_the_first_read_after_a_commit_leaves_the_snapshot_at_the_batch_head(app, chain):
    with app.app_context():
        batch = db.session.get(Batch, chain.batch_id)
        kept = snapshot(chain.batch_id)
        assert (kept.head_seq, kept.head_hash) == (batch.ledger_head_seq, batch.ledger_head_hash) and kept.intact
        assert "李监管" not in kept.body and "赵一司机" not in kept.body  # no personal names kept
        assert "豫" not in kept.body  # no plates


@pytest.mark.parametrize("headers", [EN, ZH])
def test_the_snapshot_page_is_the_live_page(app, client, chain, config, headers):
    for code in (chain.code, chain.second_code, f"B-{chain.code}"):
        with app.test_request_context():
            kept = public_trace(code)
            assert kept is not None and kept.to_dict() == trace(code).public().to_dict()
        from_snapshot = client.get(f"/t/{code}", headers=headers)
        config(TRACE_VERIFIED_MAX_AGE=-1)  # every verdict too old: the page is built live
        live = client.get(f"/t/{code}", headers=headers)
        config(TRACE_VERIFIED_MAX_AGE=3600)
        assert from_snapshot.status_code == live.status_code == 200
        assert from_snapshot.get_data(as_text=True) == live.get_data(as_text=True)
        assert from_snapshot.headers["ETag"] == live.headers["ETag"]


def test_the_kept_layout_gives_the_page_the_template_gives(app, chain):
    from flask import render_template

    from participation.trace import views

    for headers in (EN, ZH):
        # the first code's request renders the layout, the second's reuses it with its own code and link
        for code in (chain.code, chain.second_code):
            with app.test_request_context(f"/t/{code}?from=label", headers=headers):
                app.preprocess_request()
                kept = views._shared_page(code, "<p>content</p>", str(views.get_locale()))
                assert kept == render_template("participation/trace/trace.html", code=code,
                                               content=Markup("<p>content</p>"))
                assert code in kept and "from%3Dlabel" in kept


def test_an_append_is_on_the_public_page_at_its_commit(app, client, chain):
    with app.app_context():
        batch = db.session.get(Batch, chain.batch_id)
        org = db.session.get(Organisation, batch.organisation_id)
        append_event(batch, "corrected", actor=None, organisation=org, data={"note": "称重复核"})
        append_event(batch, "corrected", actor=None, organisation=org, data={"note": "二次复核"})
        db.session.commit()
        head_seq = batch.ledger_head_seq
        assert snapshot(chain.batch_id) is None  # the commit only deleted it: no rebuild on the ledger's path
    html = client.get(f"/t/{chain.code}", headers=EN).get_data(as_text=True)  # built live, then kept
    assert html.count("Record corrected by") == 2
    with app.app_context():
        assert snapshot(chain.batch_id).head_seq == head_seq
    assert client.get(f"/t/{chain.second_code}", headers=EN).get_data(as_text=True).count("Record corrected by") == 2


def test_a_batch_without_a_traceable_code_keeps_no_snapshot_and_its_appends_go_on(app, chain):
    with app.app_context():
        db.session.execute(text("UPDATE containers SET code = '0000-IMPORTED' WHERE code = :c"), {"c": chain.code})
        db.session.commit()
        batch = db.session.get(Batch, chain.batch_id)
        append_event(batch, "corrected", actor=None, organisation=batch.organisation_id, data={"note": "导入"})
        db.session.commit()
        assert snapshot(chain.batch_id) is None


@pytest.mark.parametrize("change", ["DELETE FROM trace_snapshots", "UPDATE trace_snapshots SET body = '{\"v\": 0}'"])
def test_a_missing_or_outdated_snapshot_is_not_used(app, client, chain, change):
    with app.app_context():
        db.session.execute(text(change))
        db.session.commit()
    with app.test_request_context():
        assert public_trace(chain.code) is None
    html = client.get(f"/t/{chain.code}", headers=EN).get_data(as_text=True)  # built live
    assert "Record intact" in html and "Treated by" in html


def test_a_renamed_producer_is_renamed_on_the_page(app, client, chain):
    with app.test_request_context():
        batch = db.session.get(Batch, chain.batch_id)
        accounts.update_organisation(db.session.get(Organisation, batch.organisation_id), name="灵宝市更名后化工有限公司")
        db.session.commit()  # the rebuild deferred by the rename runs after it
        assert "灵宝市更名后化工有限公司" in snapshot(chain.batch_id).body
    html = client.get(f"/t/{chain.code}", headers=ZH).get_data(as_text=True)
    assert "灵宝市更名后化工有限公司" in html and chain.generator_name not in html


def _tamper(app, chain, place="别处"):
    with app.app_context():
        db.session.execute(text("UPDATE ledger_events SET place = :p WHERE batch_id = :b AND seq = 2"),
                           {"p": place, "b": chain.batch_id})
        db.session.commit()


def test_the_sweep_finds_an_altered_row_and_the_public_page_shows_it(app, client, chain):
    with app.app_context():
        original = db.session.scalar(text("SELECT place FROM ledger_events WHERE batch_id = :b AND seq = 2"),
                                     {"b": chain.batch_id})
    _tamper(app, chain)
    # the live trace (a party's full view) hashes the chain on every read and sees it at once
    regulator = app.test_client()
    login(regulator, chain.regulator)
    assert "Record altered" in regulator.get(f"/t/{chain.code}", headers=EN).get_data(as_text=True)
    # the public page carries the verdict of the last verification until the sweep
    assert sweep(app) == 1
    with app.app_context():
        assert not snapshot(chain.batch_id).intact
    html = client.get(f"/t/{chain.code}", headers=EN).get_data(as_text=True)
    assert "Record altered" in html and "Record intact" not in html
    # put back, the next sweep finds the chain whole again
    _tamper(app, chain, original)
    assert sweep(app) == 0
    assert "Record intact" in client.get(f"/t/{chain.code}", headers=EN).get_data(as_text=True)


def test_a_verdict_older_than_the_limit_is_made_again_when_read(app, client, chain, config):
    _tamper(app, chain)
    config(TRACE_VERIFIED_MAX_AGE=0)
    assert "Record altered" in client.get(f"/t/{chain.code}", headers=EN).get_data(as_text=True)


def test_the_sweep_renews_verdicts_and_builds_missing_snapshots(app, client, chain):
    with app.app_context():
        db.session.execute(text("DELETE FROM trace_snapshots"))
        db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 0 and "0 verdicts renewed, 1 rebuilt" in result.output
    result = runner.invoke(args=["ledger", "verify"])
    assert "1 verdicts renewed, 0 rebuilt" in result.output
    with app.test_request_context():
        assert public_trace(chain.code) is not None
