"""A payment follows its deal: settled when the receipt settles the deal, refunded when the deal is cancelled —
even when Stripe does not answer at that moment, or the payer pays after the deal was cancelled."""
from sqlalchemy import select

from marketplace import payments_cli
from marketplace.deals import services as deals
from marketplace.deals.models import Deal
from marketplace.payments.models import Payment, Refund
from portal.accounts.models import Organisation, User
from portal.extensions import db

from .conftest import deliver, make_event
from .test_stripe import _checkout, _connect, _paid, _payment, _session


def _receive(app, parties, grams):
    with app.test_request_context():
        deal = db.session.get(Deal, parties.deal_id)
        deals.confirm_receipt(deal, db.session.get(User, parties.buyer_admin.id),
                              db.session.get(Organisation, parties.buyer.id), grams)
        db.session.commit()


def test_a_receipt_while_stripe_is_down_completes_the_deal_and_the_refund_follows_later(
        stripe_app, client, stripe_server, stripe_fixtures, deal_factory):
    parties = deal_factory(price_fen=100_000, quantity_g=5_000_000)
    _connect(stripe_app, parties.seller.id)
    _paid(client, stripe_app, stripe_fixtures, parties)
    stripe_app.config["STRIPE_API_BASE"] = "http://127.0.0.1:9"  # nothing listens there
    try:
        _receive(stripe_app, parties, 4_600_000)
    finally:
        stripe_app.config["STRIPE_API_BASE"] = stripe_server.url
    with stripe_app.app_context():
        assert db.session.get(Deal, parties.deal_id).status == "completed"  # the receipt is not undone
        assert db.session.scalars(select(Refund)).all() == []
    assert _payment(stripe_app, parties.deal_id).settled_at is None

    result = stripe_app.test_cli_runner().invoke(payments_cli, ["follow"])
    assert result.exit_code == 0 and "1 payments followed" in result.output, result.output
    [refund] = stripe_server.calls("/v1/refunds")
    assert refund["params"]["amount"] == str(40_000 + 1_000)  # 0.4 t and the 2.5 % fee on it
    payment = _payment(stripe_app, parties.deal_id)
    assert payment.settled_at is not None and payment.transfer_fen == 460_000
    again = stripe_app.test_cli_runner().invoke(payments_cli, ["follow"])
    assert "0 payments followed" in again.output and len(stripe_server.calls("/v1/refunds")) == 1


def test_a_checkout_completed_after_the_deal_was_cancelled_is_refunded_in_full(
        stripe_app, client, stripe_server, stripe_fixtures, deal_factory):
    parties = deal_factory(price_fen=100_000, quantity_g=5_000_000)
    _checkout(client, parties)
    payment = _payment(stripe_app, parties.deal_id)
    with stripe_app.test_request_context():
        deals.cancel_deal(db.session.get(Deal, parties.deal_id), db.session.get(User, parties.seller_admin.id),
                          db.session.get(Organisation, parties.seller.id), reason="买方未按期提货")
        db.session.commit()
    assert _payment(stripe_app, parties.deal_id).status == "cancelled"
    event = make_event(stripe_fixtures, "checkout.session.completed", _session(stripe_fixtures, payment))
    assert deliver(client, event).status_code == 200
    [refund] = stripe_server.calls("/v1/refunds")
    assert refund["params"]["amount"] == "512500"
    with stripe_app.app_context():
        stored = db.session.scalar(select(Payment).where(Payment.deal_id == parties.deal_id))
        assert (stored.status, stored.refunded_fen) == ("refunded", 512_500)
