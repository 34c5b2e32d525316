"""Offline bank transfer (对公转账): the payer transfers to the payee's corporate account quoting the
payment reference and uploads proof; the payee confirms. The platform never holds the money, so a
refund is a debt of the payee that the payer confirms as received, and settlement releases nothing."""
from portal.errors import Conflict

from . import Instructions


class OfflineProvider:
    name = "offline"

    def start(self, payment) -> Instructions:
        from ..services import NO_BANK_ACCOUNT, payee_profile

        profile = payee_profile(payment.payee_org_id)
        if profile is None or not profile.has_bank_account:
            raise Conflict(NO_BANK_ACCOUNT, code="no_bank_account")
        return Instructions(provider=self.name, reference=payment.reference, bank={
            "account_name": profile.bank_account_name, "bank_name": profile.bank_name,
            "account_number": profile.bank_account_number})

    def refund(self, payment, refund) -> None:
        refund.status = "due"

    def release(self, payment, amount_fen: int) -> None:
        payment.transfer_fen = amount_fen
