"""`wufei seed demo` puts the marketplace's listings, demand and an accepted deal on the exchange, once."""
from sqlalchemy import func, select

from marketplace.deals.models import Deal
from marketplace.demo import DEMANDS, LISTINGS
from marketplace.listings.models import Demand, Listing
from marketplace.payments.models import Payment
from marketplace.search.outbox import pending_count
from portal.accounts.models import Organisation
from portal.cli import seed
from portal.extensions import db


def _counts(app) -> dict:
    with app.app_context():
        return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
                for model in (Listing, Demand, Deal, Payment)}


def test_seeding_twice_lists_once_and_the_exchange_shows_it(app, client, search_config):
    search_config["SEARCH_BACKEND"] = "sql"  # the page reads what the seed just wrote, without indexing delays
    runner = app.test_cli_runner()
    first = runner.invoke(seed, ["demo"])
    assert first.exit_code == 0, first.output
    assert f"listings_created: {len(LISTINGS)}" in first.output and "payments_awaiting_proof: 1" in first.output
    counts = _counts(app)
    assert counts == {"Listing": len(LISTINGS), "Demand": len(DEMANDS), "Deal": 1, "Payment": 1}
    again = runner.invoke(seed, ["demo"])
    assert again.exit_code == 0, again.output
    assert "listings_created: 0" in again.output and "deals_created: 0" in again.output
    assert _counts(app) == counts

    with app.app_context():
        assert pending_count() == 0  # the search outbox was drained after the commit
        deal = db.session.scalar(select(Deal))
        payment = db.session.scalar(select(Payment))
        assert (deal.status, deal.quantity_g, deal.amount_fen) == ("accepted", 200_000_000, 700_000)
        assert payment.status == "pending" and payment.payer_org_id == deal.buyer_org_id
        oil = db.session.scalar(select(Listing).where(Listing.waste_code == "900-249-08"))
        assert oil.hazardous and oil.price_fen < 0
        sellers = set(db.session.scalars(select(Organisation.name).join(
            Listing, Listing.organisation_id == Organisation.id)))
    assert {"三门峡崤山热电有限公司", "三门峡崤函氧化铝有限公司", "义马市石河煤业有限公司"} <= sellers

    page = client.get("/market/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for title in ("湿法脱硫石膏（连续供应）", "拜耳法赤泥（压滤后）", "洗选煤矸石（制砖、路基用）"):
        assert title in html
    found = client.get("/market/?q=废机油").get_data(as_text=True)  # the colloquial name finds 废矿物油
    results = found[found.index('id="results-heading"'):]  # the search box's hint may name 粉煤灰
    assert "废矿物油 900-249-08" in results and "粉煤灰" not in results
    assert "收购粉煤灰、脱硫石膏、煤矸石" in client.get("/market/demand").get_data(as_text=True)
