"""Shared set-up of the deal tests: organisations, licences, listings and offers made through the services."""
import itertools
from datetime import date

from portal.accounts.models import Organisation, User
from portal.extensions import db
from portal.regulatory.licences.models import Licence, LicenceScope

HAZARDOUS_CODE = "900-041-49"
_numbers = itertools.count(1)

SELLER_POINT = {"lat": 34.772, "lon": 111.200}  # 湖滨区


def seller(factory, **extra):
    user = factory.user()
    org = factory.org(admin=user, district="411202", is_generator=True, lat=SELLER_POINT["lat"],
                      lon=SELLER_POINT["lon"], **extra)
    return user, org


def receiver(factory, *, lat=34.80, lon=111.25, district="411202", **extra):
    user = factory.user()
    org = factory.org(admin=user, district=district, is_receiver=True, lat=lat, lon=lon, **extra)
    return user, org


def licence(app, org_id: int, *, code=HAZARDOUS_CODE, capacity_t=100) -> int:
    with app.app_context():
        row = Licence(number=f"豫环许可危废字{next(_numbers):04d}号", organisation_id=org_id,
                      issuing_authority="河南省生态环境厅", issued_on=date(2024, 1, 1), valid_from=date(2024, 1, 1),
                      valid_until=date(2099, 12, 31), status="active", kind="comprehensive",
                      annual_capacity_g=capacity_t * 1_000_000)
        row.scopes = [LicenceScope(position=0, waste_code=code, methods="R9,D10")]
        db.session.add(row)
        db.session.commit()
        return row.id


def listing(app, org_id: int, user_id: int, *, hazardous=False, quantity="10", price=20000, **extra) -> int:
    from marketplace.listings.services import create_listing

    data = {"title": "废矿物油" if hazardous else "建筑垃圾再生骨料", "quantity": quantity, "unit": "t",
            "price": price, "currency": "CNY", "district": "411202", "status": "published", **SELLER_POINT,
            **({"waste_code": HAZARDOUS_CODE} if hazardous else {"stream": "construction"}), **extra}
    with app.app_context():
        row = create_listing(db.session.get(Organisation, org_id), data, db.session.get(User, user_id))
        db.session.commit()
        return row.id


def offer(app, listing_id: int, buyer_org_id: int, buyer_user_id: int, **data) -> int:
    from marketplace.deals.services import make_offer
    from marketplace.listings.models import Listing

    with app.test_request_context():
        row = make_offer(db.session.get(Listing, listing_id), db.session.get(Organisation, buyer_org_id),
                         db.session.get(User, buyer_user_id),
                         {"quantity": "1", "price": 20000, "currency": "CNY", "planned_method": "R9", **data})
        db.session.commit()
        return row.id


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}
