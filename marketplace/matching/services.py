"""Who may legally take a listing, which listings fit a demand, and the notifications of new matches.

Hazardous waste matches only a receiver whose 危险废物经营许可证 covers the code with annual capacity left
(licences.check_receipt decides; a licence with less capacity than the listing still matches for the part
it can take). General waste matches by capability: receivers and collectors.
"""
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import or_, select

from portal.accounts.models import Organisation, OrgStatus, Role
from portal.clock import china_today
from portal.extensions import db
from portal.outbox import send_message
from portal.regulatory.geo import haversine_m
from portal.regulatory.licences.models import Licence, LicenceScope
from portal.regulatory.licences.services import check_receipt

from ..listings.models import Demand, Listing
from ..signals import demand_published, listing_published
from .models import Match

MAX_LISTINGS_FOR_DEMAND = 500


@dataclass
class Candidate:
    """A receiving organisation for a listing, with what it may take and how far away it is."""

    organisation: Organisation
    distance_m: int | None
    takeable_g: int
    message: str
    demand: Demand | None = None

    @property
    def price_fen(self) -> int | None:
        """The highest price per tonne the organisation's demand post offers, if it posted one."""
        return self.demand.price_max_fen if self.demand is not None else None


@dataclass
class ListingMatch:
    listing: Listing
    distance_m: int | None
    takeable_g: int


def distance_m(a_lat, a_lon, b_lat, b_lon) -> int | None:
    if None in (a_lat, a_lon, b_lat, b_lon):
        return None
    return round(haversine_m(float(a_lat), float(a_lon), float(b_lat), float(b_lon)))


def _rank_key(distance: int | None, price: int | None, cheaper_first: bool) -> tuple:
    price_key = (price is None, (price or 0) if cheaper_first else -(price or 0))
    return (distance is None, distance or 0, *price_key)


def legal_quantity(org: Organisation, listing: Listing, quantity_g: int | None = None) -> tuple[int, str]:
    """Grams of the listing org may legally receive (0 = none) and the licence check's message."""
    wanted = quantity_g or max(listing.available_g, 1)
    if not listing.hazardous:
        capable = org.is_receiver or org.is_collector
        return (wanted if capable else 0), ("" if capable else _("%(org)s is neither a receiver nor a collector.",
                                                                  org=org.name))
    if not org.is_receiver:
        return 0, _("%(org)s is not registered as a licensed receiver.", org=org.name)
    decision = check_receipt(org, listing.waste_code, wanted, china_today())
    if decision.allowed:
        return wanted, decision.message
    if decision.reason_code == "capacity_exceeded" and decision.remaining_g:
        return decision.remaining_g, decision.message
    return 0, decision.message


def _licensed_org_ids(listing: Listing):
    """Organisations holding a current licence whose scope names the listing's code or category."""
    return (select(Licence.organisation_id).join(LicenceScope, LicenceScope.licence_id == Licence.id)
            .where(Licence.status == "active", Licence.valid_until >= china_today(),
                   or_(LicenceScope.waste_code == listing.waste_code,
                       LicenceScope.category_code == listing.category_code)))


def _demand_covers(demand: Demand, listing: Listing) -> bool:
    return (listing.waste_code in (demand.waste_codes or []) or listing.category_code in (demand.categories or [])
            or listing.stream in (demand.streams or []))


def candidates_for_listing(listing: Listing) -> list[Candidate]:
    """The receiving organisations that may legally take the listing, nearest first, then best price."""
    query = select(Organisation).where(Organisation.status == OrgStatus.VERIFIED,
                                       Organisation.id != listing.organisation_id)
    if listing.hazardous:
        query = query.where(Organisation.is_receiver.is_(True), Organisation.id.in_(_licensed_org_ids(listing)))
    else:
        query = query.where(or_(Organisation.is_receiver.is_(True), Organisation.is_collector.is_(True)))
    demands: dict[int, Demand] = {}
    for demand in db.session.scalars(select(Demand).where(Demand.status == "published")):
        if _demand_covers(demand, listing):
            best = demands.get(demand.organisation_id)
            if best is None or (demand.price_max_fen or 0) > (best.price_max_fen or 0):
                demands[demand.organisation_id] = demand
    candidates = []
    for org in db.session.scalars(query):
        takeable, message = legal_quantity(org, listing)
        if takeable <= 0:
            continue
        candidates.append(Candidate(org, distance_m(listing.lat, listing.lon, org.lat, org.lon), takeable,
                                    message, demands.get(org.id)))
    candidates.sort(key=lambda c: _rank_key(c.distance_m, c.price_fen, cheaper_first=False))
    return candidates


def _demand_point(demand: Demand):
    if demand.lat is not None and demand.lon is not None:
        return demand.lat, demand.lon
    return demand.organisation.lat, demand.organisation.lon


def listings_for_demand(demand: Demand) -> list[ListingMatch]:
    """Published listings that fit the demand (codes, categories or streams, price range, radius) and that
    its organisation may legally take; nearest first, then cheapest (per tonne)."""
    terms = []
    if demand.waste_codes:
        terms.append(Listing.waste_code.in_(demand.waste_codes))
    if demand.categories:
        terms.append(Listing.category_code.in_(demand.categories))
    if demand.streams:
        terms.append(Listing.stream.in_(demand.streams))
    if not terms:
        return []
    query = select(Listing).where(Listing.status == "published", Listing.quantity_g > Listing.reserved_g,
                                  Listing.organisation_id != demand.organisation_id, or_(*terms))
    if demand.price_min_fen is not None:
        query = query.where(or_(Listing.price_per_t_fen.is_(None), Listing.price_per_t_fen >= demand.price_min_fen))
    if demand.price_max_fen is not None:
        query = query.where(or_(Listing.price_per_t_fen.is_(None), Listing.price_per_t_fen <= demand.price_max_fen))
    lat, lon = _demand_point(demand)
    found = []
    for listing in db.session.scalars(query.order_by(Listing.published_at.desc()).limit(MAX_LISTINGS_FOR_DEMAND)):
        distance = distance_m(lat, lon, listing.lat, listing.lon)
        if demand.radius_km and distance is not None and distance > demand.radius_km * 1000:
            continue
        takeable, _message = legal_quantity(demand.organisation, listing)
        if takeable > 0:
            found.append(ListingMatch(listing, distance, takeable))
    found.sort(key=lambda m: _rank_key(m.distance_m, m.listing.price_per_t_fen, cheaper_first=True))
    return found


def nearest_facility(listing: Listing, org: Organisation) -> dict:
    """The nearest-facility principle (就近原则): how far the offering receiver is, against the nearest
    receiver licensed for the listing."""
    own = distance_m(listing.lat, listing.lon, org.lat, org.lon)
    located = [c for c in candidates_for_listing(listing) if c.distance_m is not None]
    nearest = located[0] if located else None
    return {"distance_m": own, "nearest_org": nearest.organisation if nearest else None,
            "nearest_distance_m": nearest.distance_m if nearest else None,
            "is_nearest": nearest is None or own is None or own <= nearest.distance_m}


# --- recording and notifying ------------------------------------------------------------------

def office_members(org: Organisation) -> list:
    """The users who receive an organisation's marketplace mail: its administrators and staff."""
    return [m.user for m in org.memberships if m.role in (Role.ADMIN, Role.STAFF) and m.user.email]


def notify_organisation(org: Organisation, subject: str, body: str) -> int:
    """Mail the organisation's office members through the outbox (or its contact address when none)."""
    users = office_members(org)
    for user in users:
        send_message(user.email, subject, body, user=user)
    if not users and org.contact_email:
        send_message(org.contact_email, subject, body)
        return 1
    return len(users)


def _existing(listing_ids, org_ids) -> set[tuple[int, int]]:
    rows = db.session.execute(select(Match.listing_id, Match.organisation_id).where(
        Match.listing_id.in_(listing_ids), Match.organisation_id.in_(org_ids)))
    return {(row.listing_id, row.organisation_id) for row in rows}


def match_listing(listing: Listing) -> list[Match]:
    """Record the listing's new matches and tell each matched organisation (in-app row and mail)."""
    candidates = candidates_for_listing(listing)
    if not candidates:
        return []
    known = _existing([listing.id], [c.organisation.id for c in candidates])
    created = []
    for candidate in candidates:
        if (listing.id, candidate.organisation.id) in known:
            continue
        match = Match(listing_id=listing.id, organisation_id=candidate.organisation.id,
                      demand_id=candidate.demand.id if candidate.demand else None,
                      distance_m=candidate.distance_m, takeable_g=candidate.takeable_g)
        db.session.add(match)
        created.append(match)
        notify_organisation(candidate.organisation, _("New supply for you: %(title)s", title=listing.title),
                            _("%(title)s has been published on the marketplace and your organisation may take "
                              "it. See your matches to make an offer.", title=listing.title))
    db.session.flush()
    return created


def match_demand(demand: Demand) -> list[Match]:
    """Record the listings that fit a newly posted demand; one mail names how many were found."""
    found = listings_for_demand(demand)
    if not found:
        return []
    known = _existing([m.listing.id for m in found], [demand.organisation_id])
    created = []
    for item in found:
        if (item.listing.id, demand.organisation_id) in known:
            continue
        match = Match(listing_id=item.listing.id, organisation_id=demand.organisation_id, demand_id=demand.id,
                      distance_m=item.distance_m, takeable_g=item.takeable_g)
        db.session.add(match)
        created.append(match)
    if created:
        notify_organisation(demand.organisation, _("%(n)s listings match your demand “%(title)s”",
                                                   n=len(created), title=demand.title),
                            _("See your matches on the marketplace to make an offer."))
    db.session.flush()
    return created


def matches_for(org_id: int, *, unread: bool = False, hazardous: bool | None = None):
    """A select() of an organisation's recorded matches on listings still on offer, nearest first."""
    query = (select(Match).join(Listing, Match.listing_id == Listing.id)
             .where(Match.organisation_id == org_id, Listing.status.in_(("published", "sold_out"))))
    if unread:
        query = query.where(Match.read_at.is_(None))
    if hazardous is not None:
        query = query.where(Listing.hazardous.is_(hazardous))
    return query.order_by(Match.read_at.is_not(None), Match.distance_m.is_(None), Match.distance_m,
                          Match.created_at.desc(), Match.id.desc())


def mark_matches_read(org_id: int, now) -> int:
    rows = db.session.scalars(select(Match).where(Match.organisation_id == org_id, Match.read_at.is_(None))).all()
    for match in rows:
        match.read_at = now
    return len(rows)


@listing_published.connect
def _on_listing_published(listing, **_extra) -> None:
    match_listing(listing)


@demand_published.connect
def _on_demand_published(demand, **_extra) -> None:
    match_demand(demand)
