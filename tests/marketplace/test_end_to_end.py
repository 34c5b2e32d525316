"""The marketplace end to end through the real services: listing → offer → deal → manifest → receipt →
settlement → payment, for a hazardous gate-fee deal and a by-product sale; and what the regulator sees."""
import io

import pytest
from flask import g
from sqlalchemy import select

from marketplace.deals import services as deals
from marketplace.deals.models import Deal
from marketplace.listings.models import Listing
from marketplace.listings.services import create_listing
from marketplace.payments import services as payments
from marketplace.payments.models import Refund
from portal.accounts.models import Role
from portal.extensions import db
from portal.regulatory.alerts.models import Alert
from portal.regulatory.manifests.services import update_manifest_draft
from portal.regulatory.manifests.states import apply_action
from tests.factories import login
from tests.marketplace.payments.helpers import png_bytes
from tests.regulatory.batches.helpers import make_batch, make_generator
from tests.regulatory.manifests.conftest import record_licence
from tests.regulatory.transport.helpers import make_fleet

TONNE = 1_000_000
GATE_FEE = -80_000  # the generator pays 800 yuan per tonne
BANK = {"account_name": "三门峡豫西环保科技有限公司", "bank_name": "中国建设银行三门峡分行",
        "account_number": "4100 1650 0100 5200 0123"}


@pytest.fixture
def parties(ctx, factory):
    gen = make_generator(factory, district="411282", capacity_g=10 * TONNE)
    receiver_user = factory.user()
    receiver = factory.org(name="三门峡豫西环保科技有限公司", district="411203", admin=receiver_user, is_receiver=True,
                           lat=34.73, lon=111.15)
    carrier = factory.org(name="三门峡安达危险货物运输有限公司", district="411202", is_transporter=True)
    driver = factory.member(carrier, role=Role.DRIVER)
    make_fleet(factory, carrier, plate="豫MD1234", driver=("刘师傅", "13903981234"), escort="张押运")
    record_licence(factory.regulator(jurisdiction="411200"), receiver, scopes="HW08 R9 D10")
    regulator = factory.regulator(jurisdiction="411203")  # of the receiver's district, where it was weighed
    return gen, receiver, receiver_user, carrier, driver, regulator


def _as(client, user) -> None:
    """Log the test client in as user; the requests share the test's context, so forget the cached user."""
    g.pop("_login_user", None)
    login(client, user)


def _pay_offline(payer_user, payee_user, payee, deal):
    """The payee enters its bank account, the payer transfers and uploads proof, the payee confirms."""
    payments.save_bank_account(payee_user, payee, **BANK)
    payment, instructions = payments.start_payment(payer_user, deal, "offline")
    assert instructions.reference == payment.reference
    payments.upload_proof(payer_user, payment, io.BytesIO(png_bytes()), "回单.png")
    payments.confirm_payment(payee_user, payment)
    db.session.commit()
    return payment


def test_hazardous_gate_fee_deal_settles_on_the_receipt_and_refunds_the_shortfall(app, client, parties):
    gen, receiver, receiver_user, carrier, driver, regulator = parties
    listing = create_listing(gen.org, {
        "title": "废矿物油（废液压油）", "waste_code": "900-249-08", "form": "liquid", "quantity": "5.0", "unit": "t",
        "price": GATE_FEE, "currency": "CNY", "district": "411282", "lat": "34.5161", "lon": "110.8944",
        "status": "published"}, gen.user)
    db.session.commit()
    offer = deals.make_offer(listing, receiver, receiver_user,
                             {"quantity": "5.0", "price": GATE_FEE, "currency": "CNY", "planned_method": "R9"})
    db.session.commit()
    deal = deals.accept_offer(offer, gen.user)
    db.session.commit()
    assert db.session.get(Listing, listing.id).status == "sold_out"
    assert deal.amount_fen == 5 * GATE_FEE and deal.manifest_id is not None

    payment = _pay_offline(gen.user, receiver_user, receiver, deal)
    assert (payment.payer_org_id, payment.payee_org_id) == (gen.org.id, receiver.id)  # the gate fee
    assert (payment.status, payment.amount_fen) == ("confirmed", 400_000)

    # the generator puts the batch on the deal's draft manifest, names the carrier and submits
    manifest = deals._manifest(deal)
    batch = make_batch(gen, containers=5, quantity="5", unit="t", code="900-249-08")
    codes = [c.code for c in batch.containers]
    update_manifest_draft(manifest, gen.user, gen.org, lines=[{"batch_id": batch.id}], carriers=[
        {"organisation_id": carrier.id, "vehicle_plate": "豫M·D1234", "driver_name": "刘师傅",
         "driver_phone": "13903981234", "escort_name": "张押运"}],
        emergency_measures="泄漏时用吸附棉围堵，拨打 119 并报告三门峡市生态环境局。")
    apply_action(manifest, "submit", gen.user, gen.org)
    db.session.commit()
    assert db.session.get(Deal, deal.id).status == "in_progress"
    apply_action(manifest, "pick_up", driver, carrier, scanned=codes)
    apply_action(manifest, "deliver", driver, carrier, scanned=codes)
    db.session.commit()
    apply_action(manifest, "receive", receiver_user, receiver,
                 lines=[{"line_id": manifest.lines[0].id, "received_g": 4_600_000}],
                 gate_net_g=4_600_000, gate_ticket_no="T-1")
    db.session.commit()

    deal = db.session.get(Deal, deal.id)
    assert (deal.status, deal.final_quantity_g, deal.final_amount_fen) == ("completed", 4_600_000, -368_000)
    payment = payments.payment_for(deal)
    [refund] = payment.refunds
    # 0.4 t × 800 yuan = 320 yuan, owed back to the generator by the receiver (offline: the payee owes it)
    assert (refund.reason, refund.amount_fen, refund.fee_fen, refund.status) == ("shortfall", 32_000, 0, "due")
    assert payment.settled_at is not None and payment.transfer_fen == 368_000 and payment.refunded_fen == 0
    # settling again — another commit, a second call — refunds nothing more
    deals.settle_deal_from_manifest(manifest)
    db.session.commit()
    assert len(db.session.scalars(select(Refund)).all()) == 1

    [alert] = db.session.scalars(select(Alert).where(Alert.kind == "manifest_weight_mismatch")).all()
    assert alert.object_id == manifest.id
    number = manifest.number

    _as(client, regulator)
    page = client.get("/alerts").get_data(as_text=True)
    assert number in page and "4600 kg weighed at the receiver&#39;s gate of 5000 kg shipped" in page
    _as(client, gen.user)
    page = client.get(f"/market/deals/{deal.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-testid="deal-refund"' in html and f"/payments/deals/{deal.id}" in html
    _as(client, receiver_user)
    assert client.post(f"/payments/refunds/{refund.id}/received").status_code == 403  # the payer confirms it
    _as(client, gen.user)
    assert client.post(f"/payments/refunds/{refund.id}/received").status_code == 302
    db.session.expire_all()
    assert db.session.get(Refund, refund.id).status == "succeeded" and payment.refunded_fen == 32_000


def test_by_product_sale_is_paid_and_completed(app, parties, factory):
    gen, receiver, receiver_user, *_rest = parties
    buyer_user = factory.user()
    buyer = factory.org(name="三门峡绿建再生建材有限公司", district="411203", admin=buyer_user, is_receiver=True)
    listing = create_listing(gen.org, {
        "title": "电厂粉煤灰 二级灰", "waste_code": "SW02", "form": "powder", "quantity": "100", "unit": "t",
        "price": 3_000, "currency": "CNY", "district": "411282", "status": "published"}, gen.user)
    offer = deals.make_offer(listing, buyer, buyer_user, {"quantity": "40", "price": 3_000, "currency": "CNY"})
    deal = deals.accept_offer(offer, gen.user)
    db.session.commit()
    assert deal.manifest_id is None and deal.amount_fen == 120_000

    payment = _pay_offline(buyer_user, gen.user, gen.org, deal)
    assert (payment.payer_org_id, payment.payee_org_id) == (buyer.id, gen.org.id)  # the buyer pays for goods
    deals.start_deal(deal, gen.user)
    deals.confirm_receipt(deal, buyer_user, buyer, 40 * TONNE)
    db.session.commit()
    assert deal.status == "completed" and deal.final_amount_fen == 120_000
    assert payment.settled_at is not None and payment.refunds == [] and payment.transfer_fen == 120_000
    assert db.session.get(Listing, listing.id).available_g == 60 * TONNE


def test_payment_confirmed_after_the_receipt_is_settled_on_the_received_quantity(parties, factory):
    gen, *_rest = parties
    buyer_user = factory.user()
    buyer = factory.org(district="411203", admin=buyer_user, is_receiver=True)
    listing = create_listing(gen.org, {
        "title": "脱硫石膏", "waste_code": "SW06", "quantity": "10", "unit": "t", "price": 1_000,
        "currency": "CNY", "district": "411282", "status": "published"}, gen.user)
    deal = deals.accept_offer(deals.make_offer(listing, buyer, buyer_user,
                                               {"quantity": "10", "price": 1_000, "currency": "CNY"}), gen.user)
    payments.save_bank_account(gen.user, gen.org, **BANK)
    payment, _instructions = payments.start_payment(buyer_user, deal, "offline")
    payments.upload_proof(buyer_user, payment, io.BytesIO(png_bytes()), "slip.png")
    deals.confirm_receipt(deal, buyer_user, buyer, 9 * TONNE)
    assert payment.settled_at is None  # not confirmed yet: nothing to settle
    payments.confirm_payment(gen.user, payment)
    db.session.commit()
    [refund] = payment.refunds
    assert (refund.amount_fen, refund.status) == (1_000, "due") and payment.transfer_fen == 9_000


def test_cancelling_a_deal_cancels_its_unpaid_payment_and_releases_the_quantity(parties, factory):
    gen, *_rest = parties
    buyer_user = factory.user()
    buyer = factory.org(district="411203", admin=buyer_user, is_receiver=True)
    listing = create_listing(gen.org, {
        "title": "煤矸石", "waste_code": "SW04", "quantity": "50", "unit": "t", "price": 500,
        "currency": "CNY", "district": "411282", "status": "published"}, gen.user)
    deal = deals.accept_offer(deals.make_offer(listing, buyer, buyer_user,
                                               {"quantity": "50", "price": 500, "currency": "CNY"}), gen.user)
    payment = payments.ensure_payment(deal)
    db.session.commit()
    deals.cancel_deal(deal, buyer_user, buyer, reason="车辆无法安排")
    db.session.commit()
    assert payment.status == "cancelled" and payment.refunds == []
    assert db.session.get(Listing, listing.id).status == "published"
