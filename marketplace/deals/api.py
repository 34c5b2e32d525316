"""JSON API of offers and deals, acting for the token's organisation."""
from datetime import date, datetime
from typing import Annotated, Literal

from flask import g, jsonify, url_for
from flask_babel import gettext as _
from flask_login import current_user
from pydantic import Field
from sqlalchemy import select

from portal import auth
from portal.api import api
from portal.api.core import paginate, token_required
from portal.api.schemas import Input, OrgRef, Output, Page, PageQuery, endpoint, first_item, link
from portal.errors import DomainError
from portal.extensions import db
from portal.inputs import Fen, Id, PlanDate, Quantity

from ..listings.models import Listing
from ..listings.services import require_view_listing
from . import services
from .models import DEAL_STATUSES, OFFER_STATUSES, PARTIES, Deal, Offer

Unit = Literal["t", "kg"]
Method = Annotated[str, Field(max_length=3, pattern=r"^[RDrd]\d{1,2}$", description="R1–R15 or D1–D18")]
Party = Literal[PARTIES]


class OfferOut(Output):
    id: int
    listing_id: int
    thread_id: int
    parent_id: int | None
    from_: OrgRef = Field(alias="from")
    to: OrgRef
    quantity_g: int
    price: int = Field(description="fen per price_unit; negative = the seller pays a gate fee")
    price_unit: Unit
    currency: str
    planned_method: str | None = Field(description="hazardous: the R/D method the buyer will treat the waste by")
    amount: int = Field(description="fen for the whole quantity")
    delivery_from: date | None
    delivery_until: date | None
    transport_by: Party
    transport_paid_by: Party
    valid_until: datetime | None
    note: str | None
    status: Literal[OFFER_STATUSES]
    distance_m: int | None = Field(description="hazardous: receiver's distance")
    nearest_distance_m: int | None = Field(description="hazardous: distance of the nearest licensed receiver")
    created_at: datetime | None


class OfferInput(Input):
    quantity: Quantity = Field(description="in unit (default: the listing's)")
    unit: Unit | None = None
    price: Fen = Field(description="fen per price_unit; negative = the seller pays a gate fee")
    price_unit: Unit | None = None
    currency: Literal["CNY"]
    planned_method: Method | None = Field(None, description=(
        "hazardous waste: required, the R/D method the buyer will treat it by (within its licence scope); "
        "a counter-offer keeps the offer's method when it names none"))
    delivery_from: PlanDate | None = None
    delivery_until: PlanDate | None = None
    transport_by: Party | None = None
    transport_paid_by: Party | None = None
    valid_until: PlanDate | None = Field(None, description="last day (China time); default 7 days")
    note: str | None = Field(None, max_length=services.MAX_NOTE)


class Site(Output):
    address: str | None
    lat: float | None
    lon: float | None
    contact_name: str | None
    contact_phone: str | None
    contact_email: str | None


class Rating(Output):
    rater_org_id: int
    score: int
    comment: str | None


class DealOut(Output):
    id: int
    offer_id: int
    listing_id: int
    seller: OrgRef
    buyer: OrgRef
    waste_code: str | None
    hazardous: bool
    quantity_g: int
    price: int
    price_unit: Unit
    currency: str
    planned_method: str | None
    amount: int
    final_quantity_g: int | None
    final_amount: int | None
    status: Literal[DEAL_STATUSES]
    manifest_id: int | None
    manifest_url: str | None
    delivery_from: date | None
    delivery_until: date | None
    transport_by: Party
    transport_paid_by: Party
    site: Site | None = Field(description="the listing's site and contact, for the parties")
    created_at: datetime | None
    completed_at: datetime | None
    ratings: list[Rating]


class Accepted(Output):
    offer: OfferOut
    deal: DealOut


class OfferQuery(PageQuery):
    box: Literal["received", "sent"] = "received"
    status: Literal[OFFER_STATUSES] | None = None
    listing_id: Id | None = Field(None, description="one listing")


class DealQuery(PageQuery):
    status: Literal[DEAL_STATUSES] | None = None


def _offer_links(offer_id: str) -> dict:
    return {"GetOffer": link("offers_show", offer_id=offer_id),
            "AcceptOffer": link("offers_accept", "post", offer_id=offer_id),
            "DeclineOffer": link("offers_decline", "post", offer_id=offer_id),
            "CounterOffer": link("offers_counter", "post", offer_id=offer_id)}


def _iso(value):
    return value.isoformat() if value is not None else None


def _org(org) -> dict:
    return {"id": org.id, "name": org.name}


def offer_json(offer: Offer) -> dict:
    return {"id": offer.id, "listing_id": offer.listing_id, "thread_id": offer.thread_id,
            "parent_id": offer.parent_id, "from": _org(offer.from_org), "to": _org(offer.to_org),
            "quantity_g": offer.quantity_g, "price": offer.price_fen, "price_unit": offer.price_unit,
            "currency": offer.currency, "planned_method": offer.planned_method,
            "amount": services.amount_for(offer.quantity_g, offer.price_fen, offer.price_unit),
            "delivery_from": _iso(offer.delivery_from), "delivery_until": _iso(offer.delivery_until),
            "transport_by": offer.transport_by, "transport_paid_by": offer.transport_paid_by,
            "valid_until": _iso(offer.valid_until), "note": offer.note, "status": services.effective_status(offer),
            "distance_m": offer.distance_m, "nearest_distance_m": offer.nearest_distance_m,
            "created_at": _iso(offer.created_at)}


def site_json(deal: Deal) -> dict | None:
    """Where to collect and whom to call; only the parties of a live deal get it."""
    listing, seller = deal.listing, deal.seller
    if deal.status == "cancelled" or not auth.is_member(current_user, deal.buyer_org_id) and not auth.is_member(
            current_user, deal.seller_org_id):
        return None
    site = _site(listing)
    return {"address": site.address if site else seller.address,
            "lat": float(listing.lat) if listing.lat is not None else None,
            "lon": float(listing.lon) if listing.lon is not None else None,
            "contact_name": seller.contact_name, "contact_phone": seller.contact_phone,
            "contact_email": seller.contact_email}


def _site(listing: Listing):
    if listing.site_id is None:
        return None
    from portal.regulatory.batches.models import Site

    return db.session.get(Site, listing.site_id)


def deal_json(deal: Deal) -> dict:
    return {"id": deal.id, "offer_id": deal.offer_id, "listing_id": deal.listing_id, "seller": _org(deal.seller),
            "buyer": _org(deal.buyer), "waste_code": deal.waste_code, "hazardous": deal.hazardous,
            "quantity_g": deal.quantity_g, "price": deal.price_fen, "price_unit": deal.price_unit,
            "currency": deal.currency, "planned_method": deal.planned_method, "amount": deal.amount_fen,
            "final_quantity_g": deal.final_quantity_g,
            "final_amount": deal.final_amount_fen, "status": deal.status, "manifest_id": deal.manifest_id,
            "manifest_url": url_for("api.manifests_show", manifest_id=deal.manifest_id) if deal.manifest_id else None,
            "delivery_from": _iso(deal.delivery_from), "delivery_until": _iso(deal.delivery_until),
            "transport_by": deal.transport_by, "transport_paid_by": deal.transport_paid_by,
            "site": site_json(deal), "created_at": _iso(deal.created_at), "completed_at": _iso(deal.completed_at),
            "ratings": [{"rater_org_id": r.rater_org_id, "score": r.score, "comment": r.comment}
                        for r in deal.ratings]}


def _token_org():
    org = g.get("api_org")
    if org is None:
        raise DomainError(_("This token does not act for an organisation."), code="forbidden", status=403)
    return org


def _offer(offer_id: int) -> Offer:
    return services.require_view_offer(current_user, db.session.get(Offer, offer_id))


@api.post("/listings/<int:listing_id>/offers")
@endpoint("Make an offer on a published listing; hazardous waste needs a licence covering the code with capacity",
          tags=["offers"], body=OfferInput, response=OfferOut, status=201,
          links={201: _offer_links("$response.body#/id")})
def offers_create(listing_id: int, body: OfferInput):
    org = _token_org()
    listing = require_view_listing(current_user, db.session.get(Listing, listing_id))
    offer = services.make_offer(listing, org, current_user, body.model_dump(exclude_none=True))
    db.session.commit()
    return jsonify(offer_json(offer)), 201


@api.get("/offers")
@endpoint("Offers received (default) or sent by the token's organisation", tags=["offers"], query=OfferQuery,
          response=Page[OfferOut], links={200: _offer_links(first_item())})
def offers_index(query: OfferQuery):
    org = _token_org()
    rows = services.offers_query([org.id], box=query.box, status=query.status, listing_id=query.listing_id)
    return paginate(rows, offer_json)


@api.get("/offers/<int:offer_id>")
@endpoint("One offer (the two parties, and regulators of their districts)", tags=["offers"], response=OfferOut)
@token_required
def offers_show(offer_id: int):
    return jsonify(offer_json(_offer(offer_id)))


@api.post("/offers/<int:offer_id>/accept")
@endpoint("Accept an open offer addressed to the token's organisation: the quantity is reserved atomically "
          "(409 when not enough is left); a hazardous deal opens a manifest draft", tags=["offers"],
          response=Accepted, responses={409: None},
          links={200: {"GetDeal": link("deals_show", deal_id="$response.body#/deal/id"),
                       "DealPayment": link("deal_payment", deal_id="$response.body#/deal/id")}})
@token_required
def offers_accept(offer_id: int):
    offer = _offer(offer_id)
    deal = services.accept_offer(offer, current_user, _token_org())
    db.session.commit()
    return jsonify(offer=offer_json(offer), deal=deal_json(deal))


@api.post("/offers/<int:offer_id>/decline")
@endpoint("Decline an open offer addressed to the token's organisation", tags=["offers"], response=OfferOut)
@token_required
def offers_decline(offer_id: int):
    offer = _offer(offer_id)
    services.decline_offer(offer, current_user, _token_org())
    db.session.commit()
    return jsonify(offer_json(offer))


@api.post("/offers/<int:offer_id>/counter")
@endpoint("Answer an open offer with other terms; the old offer becomes countered", tags=["offers"],
          body=OfferInput, response=OfferOut, status=201, links={201: _offer_links("$response.body#/id")})
@token_required
def offers_counter(offer_id: int, body: OfferInput):
    offer = _offer(offer_id)
    new = services.counter_offer(offer, current_user, _token_org(), body.model_dump(exclude_none=True))
    db.session.commit()
    return jsonify(offer_json(new)), 201


@api.get("/deals")
@endpoint("Deals of the token's organisation", tags=["deals"], query=DealQuery, response=Page[DealOut],
          links={200: {"GetDeal": link("deals_show", deal_id=first_item()),
                       "DealPayment": link("deal_payment", deal_id=first_item())}})
def deals_index(query: DealQuery):
    org = _token_org()
    status = query.status
    query = select(Deal).where((Deal.seller_org_id == org.id) | (Deal.buyer_org_id == org.id))
    if status:
        query = query.where(Deal.status == status)
    return paginate(query.order_by(Deal.created_at.desc(), Deal.id.desc()), deal_json)


@api.get("/deals/<int:deal_id>")
@endpoint("One deal: parties, quantities, amounts (fen), manifest, ratings; the site once accepted",
          tags=["deals"], response=DealOut)
@token_required
def deals_show(deal_id: int):
    return jsonify(deal_json(services.require_view_deal(current_user, db.session.get(Deal, deal_id))))
