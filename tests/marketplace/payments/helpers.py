"""Deals to pay and proof files, for the payment tests and the browser test of the offline flow."""
import io
from dataclasses import dataclass
from datetime import timedelta

from PIL import Image

from marketplace.deals.models import Deal, Offer, Thread
from marketplace.listings.models import Listing
from portal.extensions import db
from portal.types import utcnow


@dataclass
class Parties:
    deal_id: int
    seller: object
    buyer: object
    seller_admin: object
    buyer_admin: object


def create_deal(factory, app, *, price_fen=100_000, quantity_g=5_000_000, status="accepted") -> Parties:
    """Seller and buyer organisations with an admin each, a listing, its thread, offer and accepted deal."""
    seller_admin, buyer_admin = factory.user(locale="en"), factory.user(locale="en")
    seller = factory.org(admin=seller_admin, is_generator=True, name="三门峡产废企业")
    buyer = factory.org(admin=buyer_admin, is_receiver=True, name="灵宝利用企业")
    with app.app_context():
        listing = Listing(organisation_id=seller.id, title="废铅蓄电池", stream="hazardous", hazardous=True,
                          quantity_g=quantity_g * 2, reserved_g=quantity_g, district_code=seller.district_code,
                          price_fen=price_fen, status="published")
        thread = Thread(listing=listing, seller_org_id=seller.id, buyer_org_id=buyer.id)
        offer = Offer(thread=thread, listing=listing, from_org_id=buyer.id, to_org_id=seller.id, quantity_g=quantity_g,
                      price_fen=price_fen, valid_until=utcnow() + timedelta(days=3), status="accepted")
        amount = quantity_g * price_fen // 1_000_000
        deal = Deal(offer=offer, thread=thread, listing=listing, seller_org_id=seller.id, buyer_org_id=buyer.id,
                    quantity_g=quantity_g, price_fen=price_fen, amount_fen=amount, status=status)
        db.session.add_all([listing, thread, offer, deal])
        db.session.commit()
        deal_id = deal.id
    return Parties(deal_id, seller, buyer, seller_admin, buyer_admin)


def png_bytes(with_exif: bool = True) -> bytes:
    image = Image.new("RGB", (40, 30), (200, 30, 30))
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    image.save(out, "PNG", exif=exif.tobytes() if with_exif else b"")
    return out.getvalue()
