"""Offline bank transfer: who pays, instructions, proof, confirmation, disputes, refunds, receipts, operators."""
import io

from PIL import Image
from sqlalchemy import func, select

from marketplace.deals.models import Deal
from marketplace.payments import services
from marketplace.payments.files import MAX_PROOF_BYTES, proof_dir
from marketplace.payments.models import Payment, Refund
from portal.accounts.models import Organisation
from portal.audit import AuditEntry
from portal.extensions import db
from portal.outbox import OutboxMessage
from tests.documents import missing_glyphs, pdf_text
from tests.factories import login

from .helpers import png_bytes

BANK = {"account_name": "灵宝利用企业有限公司", "bank_name": "中国工商银行三门峡分行", "account_number": "1234 5678 9012 3456"}


def _bank(app, org, user):
    with app.test_request_context():
        services.save_bank_account(db.session.merge(user), db.session.get(Organisation, org.id), **BANK)
        db.session.commit()


def _payment(app, deal_id) -> Payment:
    with app.app_context():
        payment = db.session.scalar(select(Payment).where(Payment.deal_id == deal_id))
        db.session.expunge_all()
        return payment


def _stored_proofs(app) -> list:
    return sorted(proof_dir_of(app).iterdir())


def proof_dir_of(app):
    with app.app_context():
        return proof_dir()


def test_by_product_buyer_pays_seller(app, client, deal_factory):
    parties = deal_factory(price_fen=100_000)
    _bank(app, parties.seller, parties.seller_admin)
    login(client, parties.buyer_admin)
    page = client.get(f"/payments/deals/{parties.deal_id}")
    assert page.status_code == 200
    payment = _payment(app, parties.deal_id)
    assert (payment.payer_org_id, payment.payee_org_id) == (parties.buyer.id, parties.seller.id)
    assert payment.amount_fen == 500_000 and payment.fee_fen == 0 and payment.status == "pending"
    html = page.get_data(as_text=True)
    assert payment.reference in html and BANK["bank_name"] in html and "1234567890123456" in html


def test_gate_fee_makes_the_generator_the_payer(app, client, deal_factory):
    parties = deal_factory(price_fen=-80_000)  # the generator pays the receiver 800 yuan per tonne
    _bank(app, parties.buyer, parties.buyer_admin)
    login(client, parties.seller_admin)
    html = client.get(f"/payments/deals/{parties.deal_id}").get_data(as_text=True)
    payment = _payment(app, parties.deal_id)
    assert payment.payer_org_id == parties.seller.id and payment.payee_org_id == parties.buyer.id
    assert payment.amount_fen == 400_000
    assert BANK["account_name"] in html  # the receiver's account, for the generator to pay into
    assert 'name="proof"' in html  # the generator is offered the proof upload


def test_offline_flow_proof_confirm_receipts(app, client, deal_factory):
    parties = deal_factory()
    _bank(app, parties.seller, parties.seller_admin)
    login(client, parties.buyer_admin)
    client.get(f"/payments/deals/{parties.deal_id}")
    payment = _payment(app, parties.deal_id)

    response = client.post(f"/payments/{payment.id}/proof", data={"proof": (io.BytesIO(png_bytes()), "slip.png")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    payment = _payment(app, parties.deal_id)
    assert payment.status == "proof_uploaded"
    stored = (proof_dir_of(app) / payment.proof_file).read_bytes()
    image = Image.open(io.BytesIO(stored))
    assert image.format == "JPEG" and not image.getexif() and b"SecretCam" not in stored
    # the payer cannot confirm its own payment
    assert client.post(f"/payments/{payment.id}/confirm").status_code == 403
    assert client.get(f"/payments/{payment.id}/receipt.pdf?lang=en").status_code == 404  # not paid yet

    login(client, parties.seller_admin)
    assert client.get(f"/payments/{payment.id}/proof").data == stored
    assert client.post(f"/payments/{payment.id}/confirm").status_code == 302
    payment = _payment(app, parties.deal_id)
    assert payment.status == "confirmed" and payment.confirmed_at is not None
    html = client.get(f"/payments/deals/{parties.deal_id}").get_data(as_text=True)
    assert "Confirmed (paid)" in html
    for lang, title in (("zh", "收款凭证"), ("en", "Receipt of payment received")):
        pdf = client.get(f"/payments/{payment.id}/receipt.pdf?lang={lang}")
        assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
        text = pdf_text(pdf.data)
        # the Chinese names print in the English receipt too, each glyph from the embedded font
        assert title in text and "三门峡产废企业" in text and "灵宝利用企业" in text
        assert missing_glyphs(pdf.data, text) == set()
    login(client, parties.buyer_admin)
    assert "Payment receipt" in pdf_text(client.get(f"/payments/{payment.id}/receipt.pdf?lang=en").data)
    with app.app_context():
        actions = set(db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "payments")))
    assert {"payment.opened", "payment.proof_uploaded", "payment.confirmed"} <= actions


def test_only_the_payee_or_an_operator_confirms(app, client, factory, deal_factory):
    parties = deal_factory()
    _bank(app, parties.seller, parties.seller_admin)
    login(client, parties.buyer_admin)
    client.get(f"/payments/deals/{parties.deal_id}")
    payment = _payment(app, parties.deal_id)
    client.post(f"/payments/{payment.id}/proof", data={"proof": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "slip.pdf")},
                content_type="multipart/form-data")
    outsider = factory.user()
    factory.org(admin=outsider)
    login(client, outsider)
    assert client.post(f"/payments/{payment.id}/confirm").status_code == 404
    assert client.get(f"/payments/deals/{parties.deal_id}").status_code == 404
    assert _payment(app, parties.deal_id).status == "proof_uploaded"

    operator = factory.user(admin=True)
    login(client, operator)
    assert client.post(f"/payments/{payment.id}/confirm").status_code == 302
    assert _payment(app, parties.deal_id).status == "confirmed"


def test_bad_proofs_are_refused_and_nothing_is_stored(app, client, deal_factory):
    parties = deal_factory()
    _bank(app, parties.seller, parties.seller_admin)
    login(client, parties.buyer_admin)
    client.get(f"/payments/deals/{parties.deal_id}")
    payment = _payment(app, parties.deal_id)
    before = _stored_proofs(app)
    for content, name in ((b"MZ\x90\x00 not a slip", "slip.exe"), (b"GIF89a" + b"\x00" * 20, "slip.gif"),
                          (b"%PDF-" + b"0" * MAX_PROOF_BYTES, "big.pdf"), (b"", "empty.png"),
                          (b"<html><body>slip</body></html>", "slip.pdf"),  # named as a PDF, is not one
                          (b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", "cut.pdf")):  # a PDF cut off before %%EOF
        response = client.post(f"/payments/{payment.id}/proof", data={"proof": (io.BytesIO(content), name)},
                               content_type="multipart/form-data")
        assert response.status_code == 422, name
        assert 'class="error"' in response.get_data(as_text=True)
    assert _payment(app, parties.deal_id).status == "pending"
    assert _stored_proofs(app) == before


def test_dispute_then_new_proof_then_confirmation(app, client, deal_factory):
    parties = deal_factory()
    _bank(app, parties.seller, parties.seller_admin)
    login(client, parties.buyer_admin)
    client.get(f"/payments/deals/{parties.deal_id}")
    payment = _payment(app, parties.deal_id)
    client.post(f"/payments/{payment.id}/proof", data={"proof": (io.BytesIO(png_bytes()), "a.png")},
                content_type="multipart/form-data")
    login(client, parties.seller_admin)
    assert client.post(f"/payments/{payment.id}/dispute", data={"reason": ""}).status_code == 422
    assert client.post(f"/payments/{payment.id}/dispute", data={"reason": "金额不符"}).status_code == 302
    assert _payment(app, parties.deal_id).status == "disputed"
    login(client, parties.buyer_admin)
    client.post(f"/payments/{payment.id}/proof", data={"proof": (io.BytesIO(png_bytes()), "b.png")},
                content_type="multipart/form-data")
    assert _payment(app, parties.deal_id).status == "proof_uploaded"
    login(client, parties.seller_admin)
    client.post(f"/payments/{payment.id}/confirm")
    assert _payment(app, parties.deal_id).status == "confirmed"


def test_offline_settlement_shortfall_is_owed_back_by_the_payee(app, client, deal_factory):
    parties = deal_factory(price_fen=100_000, quantity_g=5_000_000)
    _bank(app, parties.seller, parties.seller_admin)
    login(client, parties.buyer_admin)
    client.get(f"/payments/deals/{parties.deal_id}")
    with app.test_request_context():
        payment = db.session.scalar(select(Payment).where(Payment.deal_id == parties.deal_id))
        payment.status, payment.confirmed_at = "confirmed", db.func.now()
        deal = db.session.get(Deal, parties.deal_id)
        deal.final_quantity_g, deal.final_amount_fen, deal.status = 4_600_000, 460_000, "completed"
        services.settle_payment(deal)
        services.settle_payment(deal)  # settling twice refunds once
        db.session.commit()
        refund_id = db.session.scalar(select(Refund.id))
        assert db.session.scalar(select(func.count(Refund.id))) == 1
    refund = _refund(app, refund_id)
    assert (refund.amount_fen, refund.fee_fen, refund.status) == (40_000, 0, "due")
    # the payee cannot declare its own debt settled; the payer confirms the money is back
    login(client, parties.seller_admin)
    assert client.post(f"/payments/refunds/{refund_id}/received").status_code == 403
    login(client, parties.buyer_admin)
    assert client.post(f"/payments/refunds/{refund_id}/received").status_code == 302
    assert _refund(app, refund_id).status == "succeeded"
    assert _payment(app, parties.deal_id).refunded_fen == 40_000


def _refund(app, refund_id):
    with app.app_context():
        refund = db.session.get(Refund, refund_id)
        db.session.expunge_all()
        return refund


def test_bank_account_is_edited_by_org_admins_only(app, client, factory, deal_factory):
    parties = deal_factory()
    staff = factory.member(parties.seller)
    login(client, staff)
    assert client.get("/payments/payee-profile").status_code == 403
    login(client, parties.seller_admin)
    bad = client.post("/payments/payee-profile", data={**BANK, "account_number": "12ab"})
    assert bad.status_code == 422 and "8 to 40 digits" in bad.get_data(as_text=True)
    assert client.post("/payments/payee-profile", data=BANK).status_code == 302
    assert "1234567890123456" in client.get("/payments/payee-profile").get_data(as_text=True)


def test_operator_view_lists_and_filters_payments(app, client, factory, deal_factory):
    first, second = deal_factory(), deal_factory(price_fen=-50_000)
    for parties in (first, second):
        login(client, parties.buyer_admin)
        client.get(f"/payments/deals/{parties.deal_id}")
    login(client, first.buyer_admin)
    assert client.get("/payments/admin").status_code == 403
    login(client, factory.user(admin=True))
    html = client.get("/payments/admin").get_data(as_text=True)
    one, two = _payment(app, first.deal_id), _payment(app, second.deal_id)
    assert one.reference in html and two.reference in html
    html = client.get(f"/payments/admin?reference={one.reference}").get_data(as_text=True)
    assert one.reference in html and two.reference not in html
    assert one.reference not in client.get("/payments/admin?status=confirmed").get_data(as_text=True)
    assert client.get("/payments/admin?status=bogus").status_code == 400


def test_api_shows_a_deal_payment_to_its_parties(app, client, factory, deal_factory):
    parties = deal_factory()
    login(client, parties.buyer_admin)
    client.get(f"/payments/deals/{parties.deal_id}")
    token = factory.token(parties.buyer_admin, parties.buyer)
    body = app.test_client().get(f"/api/v1/deals/{parties.deal_id}/payment",
                                 headers={"Authorization": f"Bearer {token}"}).get_json()
    assert body["amount"] == 500_000 and body["payer"]["id"] == parties.buyer.id and body["status"] == "pending"
    listed = app.test_client().get("/api/v1/payments?status=pending", headers={"Authorization": f"Bearer {token}"})
    assert listed.get_json()["total"] == 1
    bad = app.test_client().get("/api/v1/payments?status=nope", headers={"Authorization": f"Bearer {token}"})
    assert bad.status_code == 422 and "status" in bad.get_json()["error"]["fields"]
    outsider = factory.user()
    other = factory.org(admin=outsider)
    token = factory.token(outsider, other)
    assert app.test_client().get(f"/api/v1/deals/{parties.deal_id}/payment",
                                 headers={"Authorization": f"Bearer {token}"}).status_code == 404


def test_no_payment_is_asked_for_before_the_payee_has_a_bank_account(app, client, deal_factory):
    parties = deal_factory(price_fen=100_000)
    login(client, parties.buyer_admin)
    html = client.get(f"/payments/deals/{parties.deal_id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    payment = _payment(app, parties.deal_id)
    # the payer sees why it cannot pay, and is not offered the proof upload
    assert 'data-testid="no-bank-account"' in html and "nowhere to transfer the money" in html
    assert 'name="proof"' not in html
    # a proof sent anyway is refused with the same reason, and nothing is stored
    before = len(_stored_proofs(app))
    response = client.post(f"/payments/{payment.id}/proof", data={"proof": (io.BytesIO(png_bytes()), "slip.png")},
                           content_type="multipart/form-data", headers={"Accept-Language": "en"})
    assert response.status_code == 409 and "nowhere to transfer the money" in response.get_data(as_text=True)
    assert _payment(app, parties.deal_id).status == "pending" and len(_stored_proofs(app)) == before
    # the payee's office was told to enter its account, and its page says so with the way to do it
    with app.app_context():
        office = {m.user.email for m in db.session.get(Organisation, parties.seller.id).memberships}
        told = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient.in_(office))).all()
        assert any("/payments/payee-profile" in m.body for m in told)
    client.post("/accounts/logout")
    login(client, parties.seller_admin)
    html = client.get(f"/payments/deals/{parties.deal_id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Your organisation has not entered its bank account" in html and 'href="/payments/payee-profile"' in html
    # once the account is there, the payer gets the instructions and may upload the proof
    _bank(app, parties.seller, parties.seller_admin)
    client.post("/accounts/logout")
    login(client, parties.buyer_admin)
    html = client.get(f"/payments/deals/{parties.deal_id}").get_data(as_text=True)
    assert BANK["bank_name"] in html and 'name="proof"' in html
    response = client.post(f"/payments/{payment.id}/proof", data={"proof": (io.BytesIO(png_bytes()), "slip.png")},
                           content_type="multipart/form-data")
    assert response.status_code == 302 and _payment(app, parties.deal_id).status == "proof_uploaded"
