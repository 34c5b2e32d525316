"""Stripe: what the project sends to Stripe's API (a local server answering with Stripe's fixtures), and
webhooks signed with Stripe's real scheme: verified, applied once, in any order."""
import copy
import json
import time

from sqlalchemy import func, select

from marketplace.deals.models import Deal
from marketplace.payments import services
from marketplace.payments.models import PayeeProfile, Payment, Refund, StripeEvent
from portal.audit import AuditEntry
from portal.extensions import db
from tests.factories import login

from .conftest import deliver, make_event, sign


def _payment(app, deal_id) -> Payment:
    with app.app_context():
        payment = db.session.scalar(select(Payment).where(Payment.deal_id == deal_id))
        db.session.expunge_all()
        return payment


def _connect(app, org_id, account="acct_test_payee"):
    with app.app_context():
        db.session.add(PayeeProfile(organisation_id=org_id, stripe_account_id=account))
        db.session.commit()


def _checkout(client, parties):
    login(client, parties.buyer_admin)
    client.get(f"/payments/deals/{parties.deal_id}")
    return client.post(f"/payments/deals/{parties.deal_id}/start", data={"provider": "stripe"})


def _session(fixtures, payment, *, paid=True, intent="pi_test_1"):
    obj = copy.deepcopy(fixtures["checkout.session"])
    obj.update(id=payment.checkout_session_id, payment_status="paid" if paid else "unpaid", status="complete",
               payment_intent=intent, metadata={"payment_id": str(payment.id), "deal_id": str(payment.deal_id)})
    return obj


def _paid(client, stripe_app, stripe_fixtures, parties, intent="pi_test_1"):
    _checkout(client, parties)
    payment = _payment(stripe_app, parties.deal_id)
    event = make_event(stripe_fixtures, "checkout.session.completed", _session(stripe_fixtures, payment, intent=intent))
    assert deliver(client, event).status_code == 200
    return _payment(stripe_app, parties.deal_id)


def test_checkout_session_sent_to_stripe(stripe_app, client, stripe_server, deal_factory):
    parties = deal_factory(price_fen=100_000, quantity_g=5_000_000)
    response = _checkout(client, parties)
    assert response.status_code == 303 and response.location.startswith("https://checkout.stripe.com/")
    [call] = stripe_server.calls("/v1/checkout/sessions")
    p = call["params"]
    assert p["line_items[0][price_data][unit_amount]"] == "512500"  # 5 000 yuan and the 2.5 % fee
    assert p["line_items[0][price_data][currency]"] == "cny"
    assert [p[f"payment_method_types[{i}]"] for i in range(3)] == ["card", "alipay", "wechat_pay"]
    assert p["payment_method_options[wechat_pay][client]"] == "web"
    assert p["payment_intent_data[transfer_group]"] == f"deal-{parties.deal_id}"
    assert call["headers"]["idempotency-key"] == f"deal-{parties.deal_id}-checkout-v1"
    assert call["headers"]["authorization"] == "Bearer sk_test_wufei"
    payment = _payment(stripe_app, parties.deal_id)
    assert (payment.provider, payment.status, payment.fee_fen, payment.total_fen) == ("stripe", "pending", 12_500, 512_500)
    # going back to the checkout reuses the session instead of creating another one
    client.post(f"/payments/deals/{parties.deal_id}/start", data={"provider": "stripe"})
    assert len(stripe_server.calls("/v1/checkout/sessions")) == 1


def test_webhook_delivered_three_times_changes_the_payment_once(stripe_app, client, stripe_fixtures, deal_factory):
    parties = deal_factory()
    _checkout(client, parties)
    payment = _payment(stripe_app, parties.deal_id)
    event = make_event(stripe_fixtures, "checkout.session.completed", _session(stripe_fixtures, payment))
    answers = [deliver(client, event) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.get_json().get("duplicate", False) for a in answers] == [False, True, True]
    payment = _payment(stripe_app, parties.deal_id)
    assert payment.status == "confirmed" and payment.payment_intent_id == "pi_test_1"
    with stripe_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StripeEvent)) == 1
        assert db.session.scalar(select(func.count(AuditEntry.id)).where(
            AuditEntry.action == "payment.stripe.confirmed")) == 1


def test_tampered_missing_or_foreign_signatures_are_refused(stripe_app, client, stripe_fixtures, deal_factory):
    parties = deal_factory()
    _checkout(client, parties)
    payment = _payment(stripe_app, parties.deal_id)
    event = make_event(stripe_fixtures, "checkout.session.completed", _session(stripe_fixtures, payment))
    signature = sign(event)
    tampered = event.replace('"payment_status": "paid"', '"payment_status": "paid" ', 1)
    assert tampered != event
    assert deliver(client, tampered, signature).status_code == 400
    assert deliver(client, event, False).status_code == 400
    assert deliver(client, event, sign(event, secret="whsec_someone_else")).status_code == 400
    assert deliver(client, event, sign(event, timestamp=int(time.time()) - 3600)).status_code == 400  # replayed
    live = make_event(stripe_fixtures, "checkout.session.completed", _session(stripe_fixtures, payment), livemode=True)
    assert deliver(client, live).status_code == 400  # a live event for a test-mode key
    assert _payment(stripe_app, parties.deal_id).status == "pending"
    with stripe_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StripeEvent)) == 0


def test_events_out_of_order_never_downgrade(stripe_app, client, stripe_fixtures, deal_factory):
    parties = deal_factory()
    payment = _paid(client, stripe_app, stripe_fixtures, parties)
    intent = {"id": "pi_test_1", "object": "payment_intent", "metadata": {"payment_id": str(payment.id)}}
    assert deliver(client, make_event(stripe_fixtures, "payment_intent.payment_failed", intent)).status_code == 200
    late = _session(stripe_fixtures, payment, paid=False)
    assert deliver(client, make_event(stripe_fixtures, "checkout.session.completed", late)).status_code == 200
    assert _payment(stripe_app, parties.deal_id).status == "confirmed"


def test_async_payment_processing_then_failed_then_succeeded(stripe_app, client, stripe_fixtures, deal_factory):
    parties = deal_factory()
    _checkout(client, parties)
    payment = _payment(stripe_app, parties.deal_id)
    unpaid = _session(stripe_fixtures, payment, paid=False)
    deliver(client, make_event(stripe_fixtures, "checkout.session.completed", unpaid))
    assert _payment(stripe_app, parties.deal_id).status == "processing"
    deliver(client, make_event(stripe_fixtures, "checkout.session.async_payment_failed", unpaid))
    assert _payment(stripe_app, parties.deal_id).status == "failed"
    deliver(client, make_event(stripe_fixtures, "checkout.session.async_payment_succeeded",
                               _session(stripe_fixtures, payment)))
    assert _payment(stripe_app, parties.deal_id).status == "confirmed"


def test_webhook_about_an_unknown_deal_is_acknowledged_without_effect(stripe_app, client, stripe_fixtures, deal_factory):
    parties = deal_factory()
    payment = _paid(client, stripe_app, stripe_fixtures, parties)
    stranger = copy.deepcopy(stripe_fixtures["checkout.session"])
    stranger.update(id="cs_test_unknown", payment_status="paid", metadata={"payment_id": "999999", "deal_id": "999999"})
    charge = {"id": "ch_x", "object": "charge", "payment_intent": "pi_unknown", "amount_refunded": 512_500,
              "refunded": True, "refunds": {"data": []}}
    transfer = copy.deepcopy(stripe_fixtures["transfer"])
    transfer["transfer_group"] = "deal-999999"
    for kind, obj in (("checkout.session.completed", stranger), ("charge.refunded", charge),
                      ("transfer.reversed", transfer), ("account.updated", stripe_fixtures["account"]),
                      ("plan.created", stripe_fixtures["event"]["data"]["object"])):
        assert deliver(client, make_event(stripe_fixtures, kind, obj)).status_code == 200, kind
    after = _payment(stripe_app, parties.deal_id)
    assert (after.status, after.refunded_fen, after.transfer_status) == ("confirmed", 0, payment.transfer_status)


def test_receipt_of_less_refunds_the_difference_and_its_fee(stripe_app, client, stripe_server, stripe_fixtures,
                                                           deal_factory):
    parties = deal_factory(price_fen=100_000, quantity_g=5_000_000)  # 5.0 t at 1 000 yuan/t, 2.5 % fee
    _connect(stripe_app, parties.seller.id)
    _paid(client, stripe_app, stripe_fixtures, parties)
    with stripe_app.test_request_context():
        deal = db.session.get(Deal, parties.deal_id)
        deal.final_quantity_g, deal.final_amount_fen, deal.status = 4_600_000, 460_000, "completed"
        services.settle_payment(deal)
        db.session.commit()
    [refund] = stripe_server.calls("/v1/refunds")
    # 0.4 t = 400 yuan, and the 2.5 % fee on it = 10 yuan
    assert refund["params"]["amount"] == str(40_000 + 1_000)
    assert refund["params"]["payment_intent"] == "pi_test_1"
    assert refund["headers"]["idempotency-key"].startswith(f"deal-{parties.deal_id}-refund-")
    [transfer] = stripe_server.calls("/v1/transfers")
    assert transfer["params"]["amount"] == "460000" and transfer["params"]["currency"] == "cny"
    assert transfer["params"]["destination"] == "acct_test_payee"
    assert transfer["params"]["transfer_group"] == f"deal-{parties.deal_id}"
    assert transfer["headers"]["idempotency-key"] == f"deal-{parties.deal_id}-transfer-v1"
    payment = _payment(stripe_app, parties.deal_id)
    assert payment.refunded_fen == 41_000 and payment.transfer_status == "released" and payment.transfer_fen == 460_000
    with stripe_app.app_context():
        stored = db.session.scalar(select(Refund))
        assert (stored.amount_fen, stored.fee_fen, stored.status) == (40_000, 1_000, "succeeded")
    # the platform keeps exactly its fee on what was delivered: 512 500 − 41 000 − 460 000 = 11 500 = 2.5 % of 460 000
    assert payment.total_fen - payment.refunded_fen - payment.transfer_fen == 11_500
    # Stripe's charge.refunded for the same refund changes nothing more
    charge = {"id": "ch_test_1", "object": "charge", "payment_intent": "pi_test_1", "amount_refunded": 41_000,
              "refunded": False, "refunds": {"data": [{"id": stored.stripe_refund_id, "status": "succeeded"}]}}
    assert deliver(client, make_event(stripe_fixtures, "charge.refunded", charge)).status_code == 200
    assert _payment(stripe_app, parties.deal_id).refunded_fen == 41_000


def test_cancelled_deal_is_refunded_in_full(stripe_app, client, stripe_server, stripe_fixtures, deal_factory):
    parties = deal_factory(price_fen=100_000, quantity_g=5_000_000)
    _paid(client, stripe_app, stripe_fixtures, parties)
    with stripe_app.test_request_context():
        deal = db.session.get(Deal, parties.deal_id)
        deal.status = "cancelled"
        services.cancel_payment(deal)
        db.session.commit()
    [refund] = stripe_server.calls("/v1/refunds")
    assert refund["params"]["amount"] == "512500"
    assert stripe_server.calls("/v1/transfers") == []
    payment = _payment(stripe_app, parties.deal_id)
    assert payment.status == "refunded" and payment.refunded_fen == 512_500


def test_gate_fee_checkout_is_paid_by_the_generator(stripe_app, client, stripe_server, deal_factory):
    parties = deal_factory(price_fen=-60_000, quantity_g=2_000_000)
    login(client, parties.buyer_admin)  # the receiver is paid, it does not pay
    client.get(f"/payments/deals/{parties.deal_id}")
    assert client.post(f"/payments/deals/{parties.deal_id}/start", data={"provider": "stripe"}).status_code == 403
    login(client, parties.seller_admin)
    assert client.post(f"/payments/deals/{parties.deal_id}/start", data={"provider": "stripe"}).status_code == 303
    [call] = stripe_server.calls("/v1/checkout/sessions")
    assert call["params"]["line_items[0][price_data][unit_amount]"] == str(120_000 + 3_000)
    assert call["params"]["metadata[payment_id]"] == str(_payment(stripe_app, parties.deal_id).id)


def test_dispute_and_transfer_events_are_recorded(stripe_app, client, stripe_fixtures, deal_factory):
    parties = deal_factory()
    _paid(client, stripe_app, stripe_fixtures, parties)
    dispute = {"id": "dp_test_1", "object": "dispute", "payment_intent": "pi_test_1", "reason": "fraudulent"}
    deliver(client, make_event(stripe_fixtures, "charge.dispute.created", dispute))
    payment = _payment(stripe_app, parties.deal_id)
    assert (payment.status, payment.dispute_id, payment.dispute_reason) == ("disputed", "dp_test_1", "fraudulent")
    transfer = copy.deepcopy(stripe_fixtures["transfer"])
    transfer["transfer_group"] = f"deal-{parties.deal_id}"
    deliver(client, make_event(stripe_fixtures, "transfer.reversed", transfer))
    deliver(client, make_event(stripe_fixtures, "transfer.created", transfer))  # late: stays reversed
    payment = _payment(stripe_app, parties.deal_id)
    assert payment.transfer_status == "reversed" and payment.transfer_id == transfer["id"]


def test_connect_onboarding_and_account_updates(stripe_app, client, stripe_server, stripe_fixtures, deal_factory):
    parties = deal_factory()
    login(client, parties.seller_admin)
    response = client.post("/payments/payee-profile/stripe")
    assert response.status_code == 303 and response.location.startswith("https://connect.stripe.com/setup/")
    [account_call] = stripe_server.calls("/v1/accounts")
    assert account_call["params"]["capabilities[transfers][requested]"] == "true"
    assert account_call["headers"]["idempotency-key"] == f"org-{parties.seller.id}-connect-account"
    [link] = stripe_server.calls("/v1/account_links")
    assert link["params"]["type"] == "account_onboarding"
    with stripe_app.app_context():
        account_id = db.session.scalar(select(PayeeProfile.stripe_account_id))
    account = copy.deepcopy(stripe_fixtures["account"])
    account.update(id=account_id, charges_enabled=True, payouts_enabled=True, details_submitted=True)
    now = int(time.time())
    deliver(client, make_event(stripe_fixtures, "account.updated", account, created=now))
    older = dict(account, payouts_enabled=False)
    deliver(client, make_event(stripe_fixtures, "account.updated", older, created=now - 60))
    with stripe_app.app_context():
        profile = db.session.scalar(select(PayeeProfile))
        assert profile.stripe_payouts_enabled and profile.stripe_details_submitted
    assert "Payouts enabled" in client.get("/payments/payee-profile").get_data(as_text=True)
    # a second click continues with the same account
    client.post("/payments/payee-profile/stripe")
    assert len(stripe_server.calls("/v1/accounts")) == 1


def test_webhook_rejects_a_body_that_is_not_an_event(stripe_app, client):
    body = json.dumps(["not", "an", "event"])
    assert deliver(client, body).status_code == 400
    assert deliver(client, "not json").status_code == 400
