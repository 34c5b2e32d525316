"""JSON API of offers and deals, acting for the token's organisation."""
from flask import g, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal import auth
from portal.api import api
from portal.api.core import doc, json_body, paginate, query_param, register_schema, token_required
from portal.errors import DomainError
from portal.extensions import db

from ..listings.models import Listing
from ..listings.services import require_view_listing
from . import services
from .models import DEAL_STATUSES, OFFER_STATUSES, PARTIES, Deal, Offer

_ORG = {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}}
OFFER = register_schema("Offer", {"type": "object", "required": ["id", "status"], "properties": {
    "id": {"type": "integer"}, "listing_id": {"type": "integer"}, "thread_id": {"type": "integer"},
    "parent_id": {"type": "integer", "nullable": True}, "from": _ORG, "to": _ORG,
    "quantity_g": {"type": "integer"}, "price": {"type": "integer", "description": "fen per price_unit; "
                                                 "negative = the seller pays a gate fee"},
    "price_unit": {"type": "string", "enum": ["t", "kg"]}, "currency": {"type": "string"},
    "amount": {"type": "integer", "description": "fen for the whole quantity"},
    "delivery_from": {"type": "string", "format": "date", "nullable": True},
    "delivery_until": {"type": "string", "format": "date", "nullable": True},
    "transport_by": {"type": "string", "enum": list(PARTIES)},
    "transport_paid_by": {"type": "string", "enum": list(PARTIES)},
    "valid_until": {"type": "string", "format": "date-time"}, "note": {"type": "string"},
    "status": {"type": "string", "enum": list(OFFER_STATUSES)},
    "distance_m": {"type": "integer", "nullable": True, "description": "hazardous: receiver's distance"},
    "nearest_distance_m": {"type": "integer", "nullable": True,
                           "description": "hazardous: distance of the nearest licensed receiver"},
    "created_at": {"type": "string", "format": "date-time"}}})
OFFER_INPUT = register_schema("OfferInput", {"type": "object", "required": ["quantity", "price", "currency"],
                                             "properties": {
    "quantity": {"type": "number", "minimum": 0, "exclusiveMinimum": True,
                 "description": "in unit (default: the listing's)"},
    "unit": {"type": "string", "enum": ["t", "kg"]}, "price": {"type": "integer"},
    "price_unit": {"type": "string", "enum": ["t", "kg"]}, "currency": {"type": "string", "enum": ["CNY"]},
    "delivery_from": {"type": "string", "format": "date"}, "delivery_until": {"type": "string", "format": "date"},
    "transport_by": {"type": "string", "enum": list(PARTIES)},
    "transport_paid_by": {"type": "string", "enum": list(PARTIES)},
    "valid_until": {"type": "string", "format": "date", "description": "last day (China time); default 7 days"},
    "note": {"type": "string", "maxLength": services.MAX_NOTE}}})
DEAL = register_schema("Deal", {"type": "object", "required": ["id", "status"], "properties": {
    "id": {"type": "integer"}, "offer_id": {"type": "integer"}, "listing_id": {"type": "integer"},
    "seller": _ORG, "buyer": _ORG, "waste_code": {"type": "string", "nullable": True},
    "hazardous": {"type": "boolean"}, "quantity_g": {"type": "integer"}, "price": {"type": "integer"},
    "price_unit": {"type": "string"}, "currency": {"type": "string"}, "amount": {"type": "integer"},
    "final_quantity_g": {"type": "integer", "nullable": True}, "final_amount": {"type": "integer", "nullable": True},
    "status": {"type": "string", "enum": list(DEAL_STATUSES)}, "manifest_id": {"type": "integer", "nullable": True},
    "manifest_url": {"type": "string", "nullable": True},
    "site": {"type": "object", "nullable": True, "description": "the listing's site and contact, for the parties"},
    "ratings": {"type": "array", "items": {"type": "object"}}}})


def _iso(value):
    return value.isoformat() if value is not None else None


def _org(org) -> dict:
    return {"id": org.id, "name": org.name}


def offer_json(offer: Offer) -> dict:
    return {"id": offer.id, "listing_id": offer.listing_id, "thread_id": offer.thread_id,
            "parent_id": offer.parent_id, "from": _org(offer.from_org), "to": _org(offer.to_org),
            "quantity_g": offer.quantity_g, "price": offer.price_fen, "price_unit": offer.price_unit,
            "currency": offer.currency,
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
            "currency": deal.currency, "amount": deal.amount_fen, "final_quantity_g": deal.final_quantity_g,
            "final_amount": deal.final_amount_fen, "status": deal.status, "manifest_id": deal.manifest_id,
            "manifest_url": url_for("api.manifests_show", manifest_id=deal.manifest_id) if deal.manifest_id else None,
            "delivery_from": _iso(deal.delivery_from), "delivery_until": _iso(deal.delivery_until),
            "transport_by": deal.transport_by, "transport_paid_by": deal.transport_paid_by,
            "site": site_json(deal), "created_at": _iso(deal.created_at), "completed_at": _iso(deal.completed_at),
            "ratings": [{"rater_org_id": r.rater_org_id, "score": r.score, "comment": r.comment}
                        for r in deal.ratings]}


def _json(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _token_org():
    org = g.get("api_org")
    if org is None:
        raise DomainError(_("This token does not act for an organisation."), code="forbidden", status=403)
    return org


def _offer(offer_id: int) -> Offer:
    return services.require_view_offer(current_user, db.session.get(Offer, offer_id))


@api.post("/listings/<int:listing_id>/offers")
@doc("Make an offer on a published listing; hazardous waste needs a licence covering the code with capacity",
     tags=["offers"], body=OFFER_INPUT, responses={"201": _json(OFFER, "Created")})
@token_required
def offers_create(listing_id: int):
    org = _token_org()
    listing = require_view_listing(current_user, db.session.get(Listing, listing_id))
    offer = services.make_offer(listing, org, current_user, json_body())
    db.session.commit()
    return jsonify(offer_json(offer)), 201


@api.get("/offers")
@doc("Offers received (default) or sent by the token's organisation", tags=["offers"], params=[
    query_param("box", "received or sent"), query_param("status", ", ".join(OFFER_STATUSES)),
    query_param("listing_id", "one listing", "integer"), query_param("page", "from 1", "integer"),
    query_param("page_size", "page size", "integer")],
    responses={"200": _json({"type": "object", "properties": {"items": {"type": "array", "items": OFFER},
                                                              "total": {"type": "integer"}}})})
@token_required
def offers_index():
    org = _token_org()
    box, status = request.args.get("box") or "received", request.args.get("status") or None
    errors = {}
    if box not in ("received", "sent"):
        errors["box"] = _("received or sent")
    if status is not None and status not in OFFER_STATUSES:
        errors["status"] = _("Unknown status.")
    listing_id = request.args.get("listing_id") or None
    if listing_id is not None and not listing_id.isdigit():
        errors["listing_id"] = _("Must be a whole number.")
    if errors:
        raise DomainError(_("Some parameters are not valid."), fields=errors, status=400, code="bad_request")
    query = services.offers_query([org.id], box=box, status=status, listing_id=int(listing_id or 0) or None)
    return paginate(query, offer_json)


@api.get("/offers/<int:offer_id>")
@doc("One offer (the two parties, and regulators of their districts)", tags=["offers"],
     responses={"200": _json(OFFER)})
@token_required
def offers_show(offer_id: int):
    return jsonify(offer_json(_offer(offer_id)))


@api.post("/offers/<int:offer_id>/accept")
@doc("Accept an open offer addressed to the token's organisation: the quantity is reserved atomically "
     "(409 when not enough is left); a hazardous deal opens a manifest draft", tags=["offers"],
     responses={"200": _json({"type": "object", "properties": {"offer": OFFER, "deal": DEAL}})})
@token_required
def offers_accept(offer_id: int):
    offer = _offer(offer_id)
    deal = services.accept_offer(offer, current_user, _token_org())
    db.session.commit()
    return jsonify(offer=offer_json(offer), deal=deal_json(deal))


@api.post("/offers/<int:offer_id>/decline")
@doc("Decline an open offer addressed to the token's organisation", tags=["offers"],
     responses={"200": _json(OFFER)})
@token_required
def offers_decline(offer_id: int):
    offer = _offer(offer_id)
    services.decline_offer(offer, current_user, _token_org())
    db.session.commit()
    return jsonify(offer_json(offer))


@api.post("/offers/<int:offer_id>/counter")
@doc("Answer an open offer with other terms; the old offer becomes countered", tags=["offers"], body=OFFER_INPUT,
     responses={"201": _json(OFFER, "Created")})
@token_required
def offers_counter(offer_id: int):
    offer = _offer(offer_id)
    new = services.counter_offer(offer, current_user, _token_org(), json_body())
    db.session.commit()
    return jsonify(offer_json(new)), 201


@api.get("/deals")
@doc("Deals of the token's organisation", tags=["deals"], params=[
    query_param("status", ", ".join(DEAL_STATUSES)), query_param("page", "from 1", "integer"),
    query_param("page_size", "page size", "integer")],
    responses={"200": _json({"type": "object", "properties": {"items": {"type": "array", "items": DEAL}}})})
@token_required
def deals_index():
    org = _token_org()
    status = request.args.get("status") or None
    if status is not None and status not in DEAL_STATUSES:
        message = _("Unknown status.")
        raise DomainError(message, fields={"status": message}, status=400, code="bad_request")
    query = select(Deal).where((Deal.seller_org_id == org.id) | (Deal.buyer_org_id == org.id))
    if status:
        query = query.where(Deal.status == status)
    return paginate(query.order_by(Deal.created_at.desc(), Deal.id.desc()), deal_json)


@api.get("/deals/<int:deal_id>")
@doc("One deal: parties, quantities, amounts (fen), manifest, ratings; the site once accepted",
     tags=["deals"], responses={"200": _json(DEAL)})
@token_required
def deals_show(deal_id: int):
    return jsonify(deal_json(services.require_view_deal(current_user, db.session.get(Deal, deal_id))))
