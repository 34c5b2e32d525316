"""Business rules of inquiry threads, offers, deals, settlement and ratings. Services never commit.

Accepting an offer reserves its quantity on the listing with one conditional UPDATE (reserved_g grows only
where enough is left), so concurrent acceptances can never oversell; cancellation gives it back the same way.
A deal on hazardous waste opens a manifest draft in the regulatory core and then follows that manifest:
submitted → in progress, received → completed with the received quantity settling the amount, refused or
cancelled → cancelled. The deal's payment follows in the same transaction, from the place that settles or
cancels the deal: settled on the received quantity (the shortfall refunded), or cancelled / refunded in full.
"""
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from portal import audit, auth
from portal.accounts.models import Organisation, User
from portal.clock import CHINA, china_today
from portal.errors import Conflict, DomainError, Forbidden, NotFound
from portal.extensions import db
from portal.i18n import quantity as format_quantity
from portal.jurisdiction import jurisdiction_code
from portal.labels import state_label
from portal.regulatory.licences.services import check_receipt, licensed_methods, normalise_method
from portal.regulatory.manifests.signals import manifest_stepped
from portal.types import utcnow
from portal.workflow import SYSTEM, Transition, Workflow

from ..listings.models import CURRENCIES, UNITS, Listing
from ..listings.services import touch_listing, transition_listing
from ..matching.services import nearest_facility, notify_organisation
from ..payments.providers.stripe_provider import ProviderError
from ..payments.services import follow_deal
from .models import DEAL_STATUSES, OFFER_STATUSES, PARTIES, Deal, Message, Offer, Rating, Thread

DEFAULT_VALIDITY_DAYS = 7
MAX_VALIDITY_DAYS = 90
MAX_NOTE = 2000
OPEN_DEAL_STATES = ("accepted", "in_progress")
DEAL_AUDITED = ("status", "quantity_g", "price_fen", "price_unit", "currency", "amount_fen", "planned_method",
                "final_quantity_g", "final_amount_fen", "manifest_id", "cancel_reason")


def amount_for(quantity_g: int, price_fen: int, price_unit: str) -> int:
    """quantity × price per unit, in whole fen (half a fen rounds away from zero)."""
    value = Decimal(quantity_g) * Decimal(price_fen) / Decimal(UNITS[price_unit])
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


# --- visibility and parties -------------------------------------------------------------------

def _districts(*orgs: Organisation) -> list[str]:
    return [org.district_code for org in orgs]


def can_view_thread(user, thread: Thread) -> bool:
    """The two parties' members, regulators of either party's district (read-only) and admins."""
    return auth.can_view_shared(user, thread.party_org_ids, _districts(thread.seller, thread.buyer))


def require_view_thread(user, thread: Thread | None) -> Thread:
    if thread is None or not can_view_thread(user, thread):
        raise NotFound(_l("Not found."))
    return thread


def require_view_offer(user, offer: Offer | None) -> Offer:
    if offer is None:
        raise NotFound(_l("Not found."))
    require_view_thread(user, offer.thread)
    return offer


def require_view_deal(user, deal: Deal | None) -> Deal:
    if deal is None or not auth.can_view_shared(user, deal.party_org_ids, _districts(deal.seller, deal.buyer)):
        raise NotFound(_l("Not found."))
    return deal


def acting_party(user, org_ids: list[int], preferred: Organisation | None = None) -> Organisation:
    """The party organisation the user acts for; regulators and others who only read get 403."""
    if preferred is not None and preferred.id in org_ids and auth.is_member(user, preferred.id):
        return preferred
    for org_id in org_ids:
        if auth.is_member(user, org_id):
            return db.session.get(Organisation, org_id)
    raise Forbidden(_l("Only the two parties may do this."))


def other_party(org_ids: list[int], org: Organisation) -> Organisation:
    return db.session.get(Organisation, next(i for i in org_ids if i != org.id))


def reveals_site(user, listing: Listing) -> bool:
    """The exact site and contact of a listing: its owner, and a buyer once an offer has been accepted."""
    if auth.is_member(user, listing.organisation_id) or auth.is_admin(user):
        return True
    if not (user and user.is_authenticated):
        return False
    org_ids = [m.organisation_id for m in user.memberships]
    return db.session.scalar(select(Deal.id).where(
        Deal.listing_id == listing.id, Deal.buyer_org_id.in_(org_ids), Deal.status != "cancelled").limit(1)) is not None


def effective_status(offer: Offer, now: datetime | None = None) -> str:
    """An open offer past its validity reads as expired even before the expiry job has marked it."""
    if offer.status == "open" and offer.valid_until <= (now or utcnow()):
        return "expired"
    return offer.status


# --- input ------------------------------------------------------------------------------------

def _decimal(value, field: str, errors: dict) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = None if isinstance(value, bool) else Decimal(str(value))
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        errors.setdefault(field, _("Must be a number."))
        return None
    return number


def _day(value, field: str, errors: dict) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        errors.setdefault(field, _("Give a date as YYYY-MM-DD."))
        return None


def _quantity(data: dict, listing: Listing, errors: dict) -> int | None:
    unit = data.get("unit") or listing.unit
    if unit not in UNITS:
        errors.setdefault("unit", _("The unit is t or kg."))
        return None
    amount = _decimal(data.get("quantity"), "quantity", errors)
    if amount is None:
        errors.setdefault("quantity", _("This field is required."))
        return None
    grams = amount * UNITS[unit]
    if amount <= 0:
        errors["quantity"] = _("A quantity must be greater than zero.")
    elif grams != grams.to_integral_value() or grams > 10 ** 15:
        errors["quantity"] = _("Give the quantity to the gram at most.")
    else:
        return int(grams)
    return None


def _price(data: dict, errors: dict) -> int | None:
    raw = data.get("price")
    if raw is None or raw == "":
        errors["price"] = _("Give a price per unit (fen; negative when you are paid a gate fee).")
        return None
    number = _decimal(raw, "price", errors)
    if number is None:
        return None
    if number != number.to_integral_value() or abs(number) > 10 ** 12:
        errors["price"] = _("A price is a whole number of fen.")
        return None
    currency = (data.get("currency") or "").strip().upper()
    if not currency:
        errors["currency"] = _("A price needs a currency.")
    elif currency not in CURRENCIES:
        errors["currency"] = _("Prices are in CNY.")
    return int(number)


def _valid_until(data: dict, now: datetime, errors: dict) -> datetime:
    """An offer stands until the end of the given day in China, by default for a week."""
    day = _day(data.get("valid_until"), "valid_until", errors)
    if day is None:
        return now + timedelta(days=DEFAULT_VALIDITY_DAYS)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=CHINA).astimezone(UTC)
    if end <= now:
        errors["valid_until"] = _("The offer must stand until today at least.")
    elif end - now > timedelta(days=MAX_VALIDITY_DAYS + 1):
        errors["valid_until"] = _("An offer stands for at most %(n)s days.", n=MAX_VALIDITY_DAYS)
    return end


def _planned_method(data: dict, listing: Listing, errors: dict) -> str | None:
    """Hazardous waste: the R/D method the buyer will treat it by (required by require_planned_method once the
    licence check has passed, so an unlicensed buyer hears about its licence first); none for general waste."""
    if not listing.hazardous or data.get("planned_method") in (None, ""):
        return None
    try:
        return normalise_method(data["planned_method"], "planned_method")
    except DomainError as exc:
        errors.update(exc.fields)
        return None


def clean_offer_input(data: dict, listing: Listing, now: datetime | None = None) -> dict:
    """Validate an offer's terms; every bad field is named at once."""
    now = now or utcnow()
    errors: dict = {}
    quantity_g = _quantity(data, listing, errors)
    price = _price(data, errors)
    price_unit = data.get("price_unit") or listing.price_unit or listing.unit
    if price_unit not in UNITS:
        errors["price_unit"] = _("The unit is t or kg.")
    delivery_from = _day(data.get("delivery_from"), "delivery_from", errors)
    delivery_until = _day(data.get("delivery_until"), "delivery_until", errors)
    if delivery_from and delivery_until and delivery_until < delivery_from:
        errors["delivery_until"] = _("The delivery window ends before it starts.")
    if delivery_from and delivery_from < china_today():
        errors["delivery_from"] = _("The delivery window cannot start in the past.")
    transport = {}
    for name in ("transport_by", "transport_paid_by"):
        transport[name] = data.get(name) or "buyer"
        if transport[name] not in PARTIES:
            errors[name] = _("Choose the seller or the buyer.")
    note = data.get("note") or data.get("message") or ""
    if not isinstance(note, str) or len(note) > MAX_NOTE:
        errors["note"] = _("At most %(n)s characters.", n=MAX_NOTE)
    valid_until = _valid_until(data, now, errors)
    planned_method = _planned_method(data, listing, errors)
    if errors:
        raise DomainError(_l("Some fields are not valid."), fields=errors)
    return dict(quantity_g=quantity_g, price_fen=price, price_unit=price_unit, currency="CNY",
                delivery_from=delivery_from, delivery_until=delivery_until, valid_until=valid_until,
                note=note.strip(), planned_method=planned_method, **transport)


# --- the compliance gate ----------------------------------------------------------------------

def require_available(listing: Listing, quantity_g: int) -> None:
    if listing.status != "published":
        raise Conflict(_l("This listing is not on offer now."), code="not_on_offer")
    if quantity_g > listing.available_g:
        message = _("Only %(available)s is still available.", available=format_quantity(listing.available_g) or "0 g")
        raise DomainError(message, fields={"quantity": message}, code="quantity_unavailable")


def compliance_gate(listing: Listing, buyer: Organisation, quantity_g: int, method: str | None = None):
    """Hazardous waste goes only to a receiver whose licence covers the code, the planned method and the
    quantity — never 'as a by-product' to anyone else. Refusals carry the licence check's reason."""
    if not listing.hazardous:
        return None
    if not buyer.is_receiver:
        message = _("%(org)s is not a licensed receiver of hazardous waste: hazardous waste cannot pass to it, "
                    "not even as a by-product.", org=buyer.name)
        raise Forbidden(message, fields={"licence": message}, code="no_licence")
    decision = check_receipt(buyer, listing.waste_code, quantity_g, china_today(), method)
    if not decision.allowed:
        field = "planned_method" if decision.reason_code == "method_out_of_scope" else "licence"
        raise Forbidden(decision.message, fields={field: decision.message}, code=decision.reason_code)
    return decision


def buyer_methods(listing: Listing, buyer: Organisation | None) -> list[str] | None:
    """The R/D methods the buyer's licences permit for a hazardous listing's code today (None: not covered)."""
    if buyer is None or not listing.hazardous:
        return None
    return licensed_methods(buyer, listing.waste_code, china_today())


def require_planned_method(method: str | None) -> None:
    if method is None:
        message = _("Give the method the waste will be treated by (R1–R15 or D1–D18).")
        raise DomainError(message, fields={"planned_method": message}, code="method_required")


def gate_preview(listing: Listing, buyer: Organisation | None) -> dict | None:
    """What the offer page shows before an offer: the licence decision and the nearest-facility comparison."""
    if buyer is None or not listing.hazardous:
        return None
    quantity = max(listing.available_g, 1)
    decision = check_receipt(buyer, listing.waste_code, quantity, china_today()) if buyer.is_receiver else None
    return {"decision": decision, **nearest_facility(listing, buyer)}


# --- the workflows of offers and deals ---------------------------------------------------------

def _is_party_org(org_id_of):
    def party(document, user, org) -> bool:
        return org is not None and org.id == org_id_of(document) and auth.is_member(user, org.id)
    return party


def _either_party(deal: Deal, user, org) -> bool:
    return org is not None and org.id in deal.party_org_ids and auth.is_member(user, org.id)


def _not_expired(offer: Offer, _user, _org, _fields) -> None:
    if effective_status(offer) == "expired":
        raise Conflict(_l("This offer has expired and can no longer be accepted."), code="offer_expired")


def _acceptable(offer: Offer, user, org, fields) -> None:
    """Still standing, and the compliance gate lets the waste pass to the buyer."""
    _not_expired(offer, user, org, fields)
    compliance_gate(offer.listing, offer.thread.buyer, offer.quantity_g, offer.planned_method)


def _general_only(deal: Deal, _user, _org, _fields) -> None:
    if deal.hazardous:
        raise Conflict(_l("A hazardous waste deal follows its manifest."), code="follows_manifest")


def _receipt(deal: Deal, user, org, fields: dict) -> dict:
    _general_only(deal, user, org, fields)
    received_g = fields.get("received_g")
    if not isinstance(received_g, int) or isinstance(received_g, bool) or not 0 < received_g <= deal.quantity_g:
        message = _("Between 1 g and the agreed %(quantity)s.", quantity=format_quantity(deal.quantity_g))
        raise DomainError(message, fields={"received": message})
    return {"received_g": received_g}


def _cancellable(deal: Deal, _user, org, fields: dict) -> dict:
    """A reason; before the manifest is submitted; general waste on its way only by the seller."""
    if not fields.get("reason"):
        message = _l("Give the reason for cancelling.")
        raise DomainError(message, fields={"reason": message})
    manifest = _manifest(deal)
    if manifest is not None and manifest.state not in ("draft", "cancelled"):
        raise Conflict(_l("The manifest has been submitted: the generator cancels the manifest, and the deal "
                          "follows it."), code="manifest_submitted")
    if not deal.hazardous and deal.status == "in_progress" and org.id != deal.seller_org_id:
        raise Conflict(_l("The waste is on its way: only the seller may cancel now."), code="in_progress")
    return {"reason": fields["reason"]}


OFFER_STATE_LABELS = {"open": _l("open"), "accepted": _l("accepted"), "declined": _l("declined"),
                      "countered": _l("countered"), "withdrawn": _l("withdrawn"), "expired": _l("expired")}
OFFER = Workflow("offer", Offer, OFFER_STATUSES, [
    Transition("open", "accept", "accepted", "addressee", _acceptable),
    Transition("open", "decline", "declined", "addressee", _not_expired),
    Transition("open", "counter", "countered", "addressee", _not_expired),
    Transition("open", "withdraw", "withdrawn", "sender"),
    Transition("open", "replace", "withdrawn", SYSTEM),  # the sender's new offer on the thread replaces it
    Transition("open", "expire", "expired", SYSTEM),
], parties={"addressee": _is_party_org(lambda offer: offer.to_org_id),
            "sender": _is_party_org(lambda offer: offer.from_org_id)},
    label=_l("offer"), state_labels=OFFER_STATE_LABELS)

DEAL_STATE_LABELS = {"accepted": _l("accepted"), "in_progress": _l("in progress"), "completed": _l("completed"),
                     "cancelled": _l("cancelled")}
DEAL = Workflow("deal", Deal, DEAL_STATUSES, [
    Transition("accepted", "start", "in_progress", "seller", _general_only),
    *(Transition(state, "confirm_receipt", "completed", "buyer", _receipt) for state in OPEN_DEAL_STATES),
    *(Transition(state, "cancel", "cancelled", "party", _cancellable) for state in OPEN_DEAL_STATES),
    # a hazardous waste deal follows its manifest: submitted, received, refused or cancelled
    Transition("accepted", "follow_manifest", "in_progress", SYSTEM),
    *(Transition(state, "settle", "completed", SYSTEM) for state in OPEN_DEAL_STATES),
    *(Transition(state, "follow_cancellation", "cancelled", SYSTEM) for state in OPEN_DEAL_STATES),
], parties={"seller": _is_party_org(lambda deal: deal.seller_org_id),
            "buyer": _is_party_org(lambda deal: deal.buyer_org_id), "party": _either_party},
    label=_l("deal"), state_labels=DEAL_STATE_LABELS)


# --- threads and messages ---------------------------------------------------------------------

def open_thread(listing: Listing, buyer: Organisation, user: User | None = None) -> Thread:
    """The inquiry thread of a listing and an interested organisation (created on first contact)."""
    auth.require_verified(buyer)
    if buyer.id == listing.organisation_id:
        raise Forbidden(_l("This is your own listing."), code="own_listing")
    thread = db.session.scalar(select(Thread).where(Thread.listing_id == listing.id,
                                                    Thread.buyer_org_id == buyer.id))
    if thread is not None:
        return thread
    if listing.status != "published":
        raise Conflict(_l("This listing is not on offer now."), code="not_on_offer")
    thread = Thread(listing=listing, listing_id=listing.id, seller_org_id=listing.organisation_id,
                    buyer_org_id=buyer.id, seller=listing.organisation, buyer=buyer)
    db.session.add(thread)
    db.session.flush()
    audit.record("thread.open", thread, after={"listing_id": listing.id, "buyer_org_id": buyer.id},
                 organisation_id=buyer.id, actor=user)
    return thread


def post_message(thread: Thread, user: User, org: Organisation, body: str) -> Message:
    body = (body or "").strip()
    if not body or len(body) > MAX_NOTE:
        message = _("Write a message of at most %(n)s characters.", n=MAX_NOTE)
        raise DomainError(message, fields={"body": message})
    auth.require_verified(org)
    row = Message(thread=thread, organisation_id=org.id, author_id=user.id, body=body)
    db.session.add(row)
    thread.updated_at = utcnow()
    db.session.flush()
    audit.record("thread.message", thread, after={"message_id": row.id}, organisation_id=org.id, actor=user)
    notify_organisation(other_party(thread.party_org_ids, org), _("New message about %(title)s",
                                                                  title=thread.listing.title), body[:500])
    return row


# --- offers -----------------------------------------------------------------------------------

def _new_offer(thread: Thread, sender: Organisation, receiver: Organisation, values: dict, user: User | None,
               parent: Offer | None = None) -> Offer:
    listing = thread.listing
    require_available(listing, values["quantity_g"])
    decision = compliance_gate(listing, thread.buyer, values["quantity_g"], values["planned_method"])
    if decision is not None:
        require_planned_method(values["planned_method"])
    facility = nearest_facility(listing, thread.buyer) if decision is not None else None
    for earlier in thread.offers:  # one open offer per thread: a new one replaces the sender's own
        if earlier.status == "open" and earlier.from_org_id == sender.id:
            _replace(earlier, user, sender)
    offer = Offer(thread=thread, listing_id=listing.id, from_org=sender, from_org_id=sender.id, to_org=receiver,
                  to_org_id=receiver.id, parent=parent, created_by_id=getattr(user, "id", None), status="open",
                  **values)
    if facility is not None:
        offer.distance_m, offer.nearest_distance_m = facility["distance_m"], facility["nearest_distance_m"]
        offer.nearest_org_id = facility["nearest_org"].id if facility["nearest_org"] else None
    db.session.add(offer)
    thread.updated_at = utcnow()
    db.session.flush()
    audit.record("offer.counter" if parent else "offer.create", offer, organisation_id=sender.id, actor=user,
                 after={**audit.snapshot(offer, ("listing_id", "from_org_id", "to_org_id", "quantity_g", "price_fen",
                                                 "price_unit", "currency", "valid_until", "parent_id",
                                                 "planned_method"))})
    notify_organisation(receiver, _("New offer on %(title)s", title=listing.title),
                        _("%(org)s offers %(quantity)s at %(price)s fen per %(unit)s.", org=sender.name,
                          quantity=format_quantity(offer.quantity_g), price=offer.price_fen, unit=offer.price_unit))
    return offer


def make_offer(listing: Listing, buyer: Organisation, user: User | None, data: dict) -> Offer:
    """An interested organisation's offer on a published listing (opening the thread if needed)."""
    auth.require_verified(buyer)
    if buyer.id == listing.organisation_id:
        raise Forbidden(_l("This is your own listing."), code="own_listing")
    values = clean_offer_input(data, listing)
    thread = open_thread(listing, buyer, user)
    return _new_offer(thread, buyer, listing.organisation, values, user)


def _replace(earlier: Offer, user: User | None, sender: Organisation) -> None:
    """Withdraw the sender's earlier open offer, unless the other party has just answered it."""
    try:
        OFFER.step(earlier, "replace", user, sender, system=True, values={"decided_at": utcnow()},
                   organisation_id=sender.id)
    except Conflict as exc:
        raise Conflict(_l("Your earlier offer has just been answered: look at it before sending another."),
                       fields=exc.fields, code="offer_closed") from None


def _require_addressee(offer: Offer, user, org: Organisation | None) -> Organisation:
    require_view_offer(user, offer)
    org = acting_party(user, [offer.to_org_id], org)
    auth.require_verified(org)
    return org


def counter_offer(offer: Offer, user: User, org: Organisation | None, data: dict) -> Offer:
    """The addressee answers an open offer with other terms; the old offer is marked countered."""
    org = _require_addressee(offer, user, org)
    OFFER.check(offer, "counter", user, org)
    _not_expired(offer, user, org, {})
    # the method stays the one on the table unless the counter-offer names another
    values = clean_offer_input({"planned_method": offer.planned_method, **_given(data)}, offer.listing)
    _answer(offer, "counter", user, org)
    return _new_offer(offer.thread, org, offer.from_org, values, user, parent=offer)


def _given(data: dict) -> dict:
    return {name: value for name, value in data.items() if value not in (None, "")}


def _answer(offer: Offer, action: str, user: User, org: Organisation) -> None:
    """Answer the offer only if it is still open (a conditional UPDATE): two answers at once cannot both win."""
    OFFER.step(offer, action, user, org, values={"decided_at": utcnow(), "decided_by_id": user.id})


def decline_offer(offer: Offer, user: User, org: Organisation | None = None) -> Offer:
    org = _require_addressee(offer, user, org)
    _answer(offer, "decline", user, org)
    notify_organisation(offer.from_org, _("Offer declined: %(title)s", title=offer.listing.title),
                        _("%(org)s has declined your offer.", org=org.name))
    return offer


def withdraw_offer(offer: Offer, user: User, org: Organisation | None = None) -> Offer:
    require_view_offer(user, offer)
    org = acting_party(user, [offer.from_org_id], org)
    _answer(offer, "withdraw", user, org)
    return offer


def reserve_quantity(listing: Listing, quantity_g: int) -> None:
    """Hold quantity_g of the listing in one conditional UPDATE; refused when less is left."""
    table = Listing.__table__
    result = db.session.execute(update(table).where(
        table.c.id == listing.id, table.c.status == "published",
        table.c.quantity_g - table.c.reserved_g >= quantity_g).values(
        reserved_g=table.c.reserved_g + quantity_g, updated_at=utcnow()))
    db.session.refresh(listing)
    if result.rowcount != 1:
        if listing.status != "published":
            raise Conflict(_l("This listing is not on offer any more."), code="not_on_offer")
        message = _("Only %(available)s is still available.", available=format_quantity(listing.available_g) or "0 g")
        raise Conflict(message, fields={"quantity": message}, code="quantity_unavailable")
    if listing.available_g == 0:
        transition_listing(listing, "sell_out", system=True)
    else:
        touch_listing(listing)


def release_quantity(listing: Listing, quantity_g: int) -> None:
    """Give a cancelled deal's quantity back to the listing (and put a sold-out listing back on offer)."""
    table = Listing.__table__
    db.session.execute(update(table).where(table.c.id == listing.id, table.c.reserved_g >= quantity_g).values(
        reserved_g=table.c.reserved_g - quantity_g, updated_at=utcnow()))
    db.session.refresh(listing)
    if listing.status == "sold_out" and listing.available_g > 0:
        transition_listing(listing, "restock", system=True)
    else:
        touch_listing(listing)


def accept_offer(offer: Offer, user: User, org: Organisation | None = None) -> Deal:
    """Accept an open offer: compliance gate, atomic reservation, the deal, and for hazardous waste the
    manifest draft (generator = seller, receiver = buyer, carriers chosen later by the generator)."""
    org = _require_addressee(offer, user, org)
    thread, listing = offer.thread, offer.listing
    _answer(offer, "accept", user, org)
    reserve_quantity(listing, offer.quantity_g)
    deal = Deal(offer=offer, offer_id=offer.id, thread=thread, listing=listing, seller_org_id=thread.seller_org_id,
                buyer_org_id=thread.buyer_org_id, waste_code=listing.waste_code, hazardous=listing.hazardous,
                quantity_g=offer.quantity_g, price_fen=offer.price_fen, price_unit=offer.price_unit,
                currency=offer.currency, amount_fen=amount_for(offer.quantity_g, offer.price_fen, offer.price_unit),
                planned_method=offer.planned_method,
                delivery_from=offer.delivery_from, delivery_until=offer.delivery_until,
                transport_by=offer.transport_by, transport_paid_by=offer.transport_paid_by, status="accepted",
                accepted_by_id=user.id)
    db.session.add(deal)
    db.session.flush()
    if deal.hazardous:
        deal.manifest_id = _manifest_draft(deal, user).id
    audit.record("deal.accept", deal, after=audit.snapshot(deal, DEAL_AUDITED), organisation_id=org.id, actor=user)
    notify_organisation(other_party(deal.party_org_ids, org), _("Offer accepted: %(title)s", title=listing.title),
                        _("%(org)s has accepted the offer; %(quantity)s is reserved for the deal.", org=org.name,
                          quantity=format_quantity(deal.quantity_g)))
    return deal


def _manifest_draft(deal: Deal, user: User):
    from portal.regulatory.manifests.services import create_manifest_draft

    today = china_today()
    plan = {}
    if deal.delivery_from and deal.delivery_from >= today:
        plan["planned_pickup_on"] = deal.delivery_from
    if (end := deal.delivery_until or deal.delivery_from) and end >= plan.get("planned_pickup_on", today):
        plan["planned_delivery_on"] = end
    return create_manifest_draft(generator_org=deal.seller, receiver_org=deal.buyer, carriers=None, lines=None,
                                 actor=user, deal_ref=deal.reference, **plan)


def expire_offers(now: datetime | None = None) -> int:
    """Mark open offers past their validity as expired (a scheduled job)."""
    now = now or utcnow()
    expired = 0
    for offer in db.session.scalars(select(Offer).where(Offer.status == "open", Offer.valid_until <= now)).all():
        try:
            OFFER.step(offer, "expire", system=True, values={"decided_at": now}, organisation_id=offer.from_org_id)
            expired += 1
        except Conflict:  # answered since it was read: the answer stands
            continue
    return expired


# --- deals ------------------------------------------------------------------------------------

def _step(deal: Deal, action: str, user: User | None, org: Organisation | None, *, fields: dict | None = None,
          **changes) -> Deal:
    """One step of the deal's workflow; a step without a user is the manifest's, taken by the system."""
    DEAL.step(deal, action, user, org, fields=fields, values=changes, system=user is None,
              organisation_id=getattr(org, "id", None) or deal.seller_org_id)
    return deal


def _manifest(deal: Deal):
    if deal.manifest_id is None:
        return None
    from portal.regulatory.manifests.models import Manifest

    return db.session.get(Manifest, deal.manifest_id)


def cancel_deal(deal: Deal, user: User, org: Organisation | None = None, reason: str = "") -> Deal:
    """Either party cancels before the waste moves; the reservation is released. Once the manifest has
    been submitted only the manifest's own cancellation (by the generator) cancels the deal."""
    require_view_deal(user, deal)
    org = acting_party(user, deal.party_org_ids, org)
    reason = (reason or "").strip()[:1000]
    _cancel(deal, "cancel", reason, user, org)
    manifest = _manifest(deal)
    if manifest is not None and manifest.state == "draft" and org.id == deal.seller_org_id:
        from portal.regulatory.manifests.states import apply_action

        apply_action(manifest, "cancel", user, org, reason=reason)
    notify_organisation(other_party(deal.party_org_ids, org), _("Deal cancelled: %(title)s", title=deal.listing.title),
                        reason[:500])
    return deal


def _cancel(deal: Deal, action: str, reason: str, user: User | None, org: Organisation | None) -> None:
    _step(deal, action, user, org, fields={"reason": reason}, cancel_reason=reason, cancelled_at=utcnow())
    release_quantity(deal.listing, deal.quantity_g)
    _follow_payment(deal)


def _follow_payment(deal: Deal) -> None:
    """Settle or cancel the deal's payment now. A payment service that does not answer must not undo a
    manifest's receipt or a cancellation: its part goes back to a savepoint and `wufei payments follow`
    retries it."""
    try:
        with db.session.begin_nested():
            follow_deal(deal)
    except ProviderError:
        current_app.logger.warning("the payment of deal %s did not follow it to %s: the payment service did not "
                                   "answer; `wufei payments follow` retries", deal.id, deal.status)


def start_deal(deal: Deal, user: User, org: Organisation | None = None) -> Deal:
    """The seller reports that general waste is on its way (hazardous deals follow their manifest)."""
    require_view_deal(user, deal)
    org = acting_party(user, [deal.seller_org_id], org)
    return _step(deal, "start", user, org)


def confirm_receipt(deal: Deal, user: User, org: Organisation | None, received_g: int) -> Deal:
    """The buyer confirms what arrived of general waste; the received quantity settles the amount."""
    require_view_deal(user, deal)
    org = acting_party(user, [deal.buyer_org_id], org)
    _settle(deal, "confirm_receipt", received_g, user, org)
    return deal


def _settle(deal: Deal, action: str, received_g, user: User | None, org: Organisation | None) -> None:
    amount = amount_for(received_g, deal.price_fen, deal.price_unit) if isinstance(received_g, int) else None
    _step(deal, action, user, org, fields={"received_g": received_g}, final_quantity_g=received_g,
          final_amount_fen=amount, completed_at=utcnow())
    _follow_payment(deal)


def settle_deal_from_manifest(manifest) -> Deal | None:
    """Let the deal follow its manifest (idempotent; called when a manifest on a deal changes state)."""
    deal = db.session.scalar(select(Deal).where(Deal.manifest_id == manifest.id))
    if deal is None or deal.status not in OPEN_DEAL_STATES:
        return deal
    state = manifest.state
    if state in ("received", "partly_received", "treated"):
        _settle(deal, "settle", manifest.received_total_g or 0, None, deal.buyer)
        notify_organisation(deal.seller, _("Deal settled: %(title)s", title=deal.listing.title),
                            _("The receiver confirmed %(quantity)s; the final amount is settled.",
                              quantity=format_quantity(deal.final_quantity_g) or "0 g"))
    elif state in ("refused", "cancelled"):
        _cancel(deal, "follow_cancellation", _("The manifest was %(state)s.", state=state_label("manifest", state)), None, deal.seller)
    elif state != "draft" and deal.status == "accepted":
        _step(deal, "follow_manifest", None, deal.seller)
    return deal


def rate_deal(deal: Deal, user: User, org: Organisation | None, score, comment: str = "") -> Rating:
    """After completion each party rates the other once (1–5 and a comment)."""
    require_view_deal(user, deal)
    org = acting_party(user, deal.party_org_ids, org)
    if deal.status != "completed":
        raise Conflict(_l("Rate the other party once the deal is completed."), code="not_completed")
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        message = _("Give 1 to 5 stars.")
        raise DomainError(message, fields={"score": message})
    comment = (comment or "").strip()
    if len(comment) > MAX_NOTE:
        message = _("At most %(n)s characters.", n=MAX_NOTE)
        raise DomainError(message, fields={"comment": message})
    if any(r.rater_org_id == org.id for r in deal.ratings):
        raise Conflict(_l("Your organisation has already rated this deal."), code="already_rated")
    rating = Rating(deal=deal, rater_org_id=org.id, ratee_org_id=other_party(deal.party_org_ids, org).id,
                    score=score, comment=comment, author_id=user.id)
    db.session.add(rating)
    db.session.flush()
    audit.record("deal.rate", deal, after={"score": score, "rater_org_id": org.id}, organisation_id=org.id,
                 actor=user)
    return rating


# --- lists ------------------------------------------------------------------------------------

def offers_query(org_ids: list[int], *, box: str = "received", status: str | None = None,
                 listing_id: int | None = None, now: datetime | None = None):
    """A select() of the offers sent or received by the organisations, newest first."""
    now = now or utcnow()
    column = Offer.from_org_id if box == "sent" else Offer.to_org_id
    query = select(Offer).where(column.in_(org_ids))
    if status == "expired":
        query = query.where((Offer.status == "expired") | ((Offer.status == "open") & (Offer.valid_until <= now)))
    elif status == "open":
        query = query.where(Offer.status == "open", Offer.valid_until > now)
    elif status:
        query = query.where(Offer.status == status)
    if listing_id:
        query = query.where(Offer.listing_id == listing_id)
    return query.order_by(Offer.created_at.desc(), Offer.id.desc())


def deals_query(user, *, status: str | None = None, role: str | None = None):
    """A select() of the deals the user may see: its organisations' or, for a regulator, its jurisdiction's."""
    query = select(Deal)
    regulator = auth.regulator_of(user)
    if not auth.is_admin(user) and regulator is not None:
        if regulator.jurisdiction_code != jurisdiction_code():
            sellers = select(Organisation.id).where(Organisation.district_code == regulator.jurisdiction_code)
            query = query.where(Deal.seller_org_id.in_(sellers) | Deal.buyer_org_id.in_(sellers))
    elif not auth.is_admin(user):
        ids = [m.organisation_id for m in user.memberships]
        column = {"seller": Deal.seller_org_id, "buyer": Deal.buyer_org_id}.get(role)
        query = query.where(column.in_(ids)) if column is not None else query.where(
            Deal.seller_org_id.in_(ids) | Deal.buyer_org_id.in_(ids))
    if status:
        query = query.where(Deal.status == status)
    return query.order_by(Deal.created_at.desc(), Deal.id.desc())


# --- following the manifest -------------------------------------------------------------------
# The regulatory core does not import the marketplace, so the deal listens to its manifest's steps: whichever
# path (page, API, revision) took the step, the deal follows in the step's own transaction.

@manifest_stepped.connect
def _follow_manifest(manifest, **_step) -> None:
    if manifest.deal_ref:
        settle_deal_from_manifest(manifest)
