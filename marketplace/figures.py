"""The marketplace on the public home page: supply and demand by waste category, from what is published now."""
from collections import Counter

from sqlalchemy import func, select

from portal.extensions import db
from portal.regulatory.catalogue import current_editions
from portal.regulatory.models import WasteCategory

from .listings.models import Demand, Listing

ORDER = 30  # after the hall's documents and the ledger's figures
SHOWN = 8  # the categories with most supply; the browse page has the rest


def supply_and_demand() -> list[dict]:
    """Per category: published listings, the tonnage still available, and published demand posts naming it."""
    supply = db.session.execute(
        select(Listing.category_code, func.count(), func.coalesce(func.sum(Listing.quantity_g - Listing.reserved_g), 0))
        .where(Listing.status == "published", Listing.category_code.is_not(None))
        .group_by(Listing.category_code)).all()
    wanted = Counter(code.upper() for categories in db.session.scalars(
        select(Demand.categories).where(Demand.status == "published")) for code in set(categories or ()))
    rows = {code: {"code": code, "listings": count, "available_g": int(grams), "demands": 0}
            for code, count, grams in supply}
    for code, count in wanted.items():
        rows.setdefault(code, {"code": code, "listings": 0, "available_g": 0, "demands": 0})["demands"] = count
    names = dict(db.session.execute(select(WasteCategory.code, WasteCategory.name).where(
        WasteCategory.edition_id.in_([e.id for e in current_editions()]), WasteCategory.code.in_(rows))).all())
    ordered = sorted(rows.values(), key=lambda r: (-r["available_g"], -r["demands"], r["code"]))[:SHOWN]
    return [{**row, "name": names.get(row["code"], "")} for row in ordered]


def supply_and_demand_panel():
    return "marketplace/_supply_and_demand.html", {"categories": supply_and_demand()}, ORDER
