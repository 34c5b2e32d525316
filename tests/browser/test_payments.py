"""The offline bank transfer end to end in Chromium: the payer sees the payee's account and the payment
reference, uploads the bank slip, the payee confirms, and both see the deal paid."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from marketplace.payments import services
from marketplace.payments.models import Payment
from portal.accounts.models import Organisation
from portal.extensions import db
from tests.browser.test_registration import sign_in
from tests.marketplace.payments.helpers import create_deal, png_bytes

pytestmark = pytest.mark.browser


def test_offline_payment_from_instructions_to_paid(app, factory, open_page, tmp_path):
    parties = create_deal(factory, app, price_fen=120_000, quantity_g=2_500_000)  # 2.5 t at 1 200 yuan/t
    with app.test_request_context():
        services.save_bank_account(db.session.merge(parties.seller_admin), db.session.get(Organisation, parties.seller.id),
                                   account_name="三门峡产废企业有限公司", bank_name="中国农业银行三门峡湖滨支行",
                                   account_number="6228 4800 1234 5678")
        db.session.commit()
    slip = tmp_path / "slip.png"
    slip.write_bytes(png_bytes())

    payer = open_page()
    sign_in(payer, parties.buyer_admin.email)
    payer.goto(f"/payments/deals/{parties.deal_id}")
    expect(payer.get_by_role("heading", name="Bank transfer instructions")).to_be_visible()
    expect(payer.get_by_text("6228480012345678")).to_be_visible()
    expect(payer.get_by_text("中国农业银行三门峡湖滨支行")).to_be_visible()
    reference = payer.get_by_test_id("payment-reference").inner_text().strip()
    assert reference.startswith("WF")
    expect(payer.get_by_test_id("payment-status")).to_have_text("Awaiting payment")

    # a file that is no image is refused with a message on the field
    bogus = tmp_path / "slip.txt"
    bogus.write_text("not a bank slip")
    payer.get_by_label("Proof of transfer", exact=False).set_input_files(str(bogus))
    payer.get_by_role("button", name="Upload proof of transfer").click()
    expect(payer.locator(".field.has-error")).to_contain_text("must be a JPEG, PNG or WebP image or a PDF")

    payer.get_by_label("Proof of transfer", exact=False).set_input_files(str(slip))
    payer.get_by_role("button", name="Upload proof of transfer").click()
    expect(payer.get_by_test_id("payment-status")).to_have_text("Proof uploaded")
    expect(payer.get_by_role("button", name="Confirm the payment was received")).to_have_count(0)

    payee = open_page()
    sign_in(payee, parties.seller_admin.email)
    payee.goto(f"/payments/deals/{parties.deal_id}")
    expect(payee.get_by_test_id("payment-reference")).to_have_text(reference)
    expect(payee.get_by_role("link", name="Download the proof")).to_be_visible()
    payee.get_by_role("button", name="Confirm the payment was received").click()
    expect(payee.get_by_test_id("payment-status")).to_have_text("Confirmed (paid)")
    expect(payee.get_by_role("link", name="Receipt in Chinese (PDF)")).to_be_visible()

    payer.reload()
    expect(payer.get_by_test_id("payment-status")).to_have_text("Confirmed (paid)")
    with payer.expect_download() as download:
        payer.get_by_role("link", name="Receipt in English (PDF)").click()
    assert download.value.suggested_filename == f"receipt-{reference}-en.pdf"
    with app.app_context():
        payment = db.session.scalar(select(Payment).where(Payment.deal_id == parties.deal_id))
        assert payment.status == "confirmed" and payment.amount_fen == 300_000
