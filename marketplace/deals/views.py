"""Pages of offers and deals: the offer form, the offers inbox, the inquiry thread, the deal page, and the
matches of listings, demand posts and receivers."""
from decimal import Decimal

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal import auth
from portal.errors import DomainError, NotFound, put_errors
from portal.extensions import db
from portal.types import utcnow
from portal.units import fen_to_yuan

from ..listings.models import UNITS, Demand, Listing
from ..listings.services import require_edit_demand, require_edit_listing, require_view_listing
from ..matching import services as matching
from ..matching.models import Match
from ..payments.services import payment_for
from . import services
from .api import _site
from .forms import (
    DEAL_STATUS_LABELS,
    OFFER_STATUS_LABELS,
    ActionForm,
    CancelForm,
    DealFilterForm,
    MatchFilterForm,
    MessageForm,
    OfferFilterForm,
    OfferForm,
    RatingForm,
    ReceiptForm,
)
from .models import Deal, Offer, Thread

bp = Blueprint("deals", __name__, url_prefix="/market")


@bp.app_context_processor
def deal_labels():
    return {"offer_status_label": lambda s: OFFER_STATUS_LABELS.get(s, s),
            "deal_status_label": lambda s: DEAL_STATUS_LABELS.get(s, s),
            "offer_status": services.effective_status, "site_revealed": services.reveals_site}


def _page_size() -> int:
    return current_app.config.get("MARKETPLACE_PAGE_SIZE", 20)


def _org():
    return auth.current_org_or_403()


class ListPage:
    """A page of an already ranked list (matches are ranked in Python), shaped like db.paginate's result."""

    def __init__(self, items: list, page: int, per_page: int):
        self.total, self.per_page = len(items), per_page
        self.pages = max((self.total + per_page - 1) // per_page, 1)
        self.page = min(max(page, 1), self.pages)
        self.items = items[(self.page - 1) * per_page:self.page * per_page]
        self.has_prev, self.has_next = self.page > 1, self.page < self.pages
        self.prev_num, self.next_num = self.page - 1, self.page + 1


def _page_arg() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() else 1


# --- making an offer --------------------------------------------------------------------------

@bp.route("/offers/new/<int:listing_id>", methods=["GET", "POST"])
@auth.login_required
def offer_new(listing_id: int):
    listing = require_view_listing(current_user, db.session.get(Listing, listing_id))
    org = _org()
    form = OfferForm()
    form.offer_methods(listing, org, services.buyer_methods(listing, org))
    if request.method == "GET":
        form.unit.data, form.price_unit.data = listing.unit, listing.price_unit or listing.unit
        form.price.data = fen_to_yuan(listing.price_fen)  # 元 per the listing's price unit
    sent, status = _send(form, lambda data: services.make_offer(listing, org, current_user, data),
                         _("Your offer has been sent."))
    if sent:
        return sent
    return render_template("marketplace/deals/offer_form.html", form=form, listing=listing, org=org,
                           gate=services.gate_preview(listing, org), counter_of=None), status


def _send(form: OfferForm, send, sent_message: str):
    """The offer form's submission: (redirect to the thread of the offer sent, 200) or (None, the form's status)."""
    if not form.validate_on_submit():
        return None, 422 if request.method == "POST" else 200
    try:
        offer = send(form.to_input())
    except DomainError as exc:
        db.session.rollback()
        put_errors(form, exc, "quantity" if exc.code == "quantity_unavailable" else "note")
        return None, exc.status
    db.session.commit()
    flash(sent_message)
    return redirect(url_for(".thread", thread_id=offer.thread_id)), 200


@bp.route("/offers/<int:offer_id>/counter", methods=["GET", "POST"])
@auth.login_required
def offer_counter(offer_id: int):
    offer = services.require_view_offer(current_user, db.session.get(Offer, offer_id))
    org = services.acting_party(current_user, [offer.to_org_id], auth.current_org())
    form = OfferForm()
    form.offer_methods(offer.listing, offer.thread.buyer, services.buyer_methods(offer.listing, offer.thread.buyer))
    if request.method == "GET":
        for name in ("price_unit", "delivery_from", "delivery_until", "transport_by", "transport_paid_by",
                     *(("planned_method",) if "planned_method" in form else ())):
            form[name].data = getattr(offer, name)
        form.price.data = fen_to_yuan(offer.price_fen)  # 元 per the offer's price unit
        form.unit.data = offer.listing.unit
        form.quantity.data = Decimal(offer.quantity_g) / UNITS[offer.listing.unit]
    sent, status = _send(form, lambda data: services.counter_offer(offer, current_user, org, data),
                         _("Your counter-offer has been sent."))
    if sent:
        return sent
    buyer = offer.thread.buyer
    return render_template("marketplace/deals/offer_form.html", form=form, listing=offer.listing, org=org,
                           gate=services.gate_preview(offer.listing, buyer), counter_of=offer), status


# --- answering --------------------------------------------------------------------------------

def _answer(offer_id: int, action):
    offer = services.require_view_offer(current_user, db.session.get(Offer, offer_id))
    form = ActionForm()
    if not form.validate_on_submit():
        flash(_("The form has expired. Please try again."), "error")
        return redirect(url_for(".thread", thread_id=offer.thread_id))
    try:
        result = action(offer, current_user, auth.current_org())
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(url_for(".thread", thread_id=offer.thread_id))
    db.session.commit()
    return result


@bp.post("/offers/<int:offer_id>/accept")
@auth.login_required
def offer_accept(offer_id: int):
    deal = _answer(offer_id, services.accept_offer)
    if isinstance(deal, Deal):
        flash(_("Offer accepted: the quantity is reserved for this deal."))
        return redirect(url_for(".deal", deal_id=deal.id))
    return deal


def _close_offer(offer_id: int, action, message: str):
    """Decline or withdraw, then back to the thread with the message (or the refusal _answer flashed)."""
    result = _answer(offer_id, action)
    if isinstance(result, Offer):
        flash(message)
        return redirect(url_for(".thread", thread_id=result.thread_id))
    return result


@bp.post("/offers/<int:offer_id>/decline")
@auth.login_required
def offer_decline(offer_id: int):
    return _close_offer(offer_id, services.decline_offer, _("Offer declined."))


@bp.post("/offers/<int:offer_id>/withdraw")
@auth.login_required
def offer_withdraw(offer_id: int):
    return _close_offer(offer_id, services.withdraw_offer, _("Offer withdrawn."))


# --- inbox and thread -------------------------------------------------------------------------

@bp.get("/offers")
@auth.login_required
def inbox():
    org = _org()
    form = OfferFilterForm(formdata=request.args)
    form.validate()
    box = form.box.data if form.box.data in ("received", "sent") else "received"
    query = services.offers_query([org.id], box=box, status=form.status.data or None)
    if form.q.data:
        query = query.join(Listing, Offer.listing_id == Listing.id).where(
            Listing.title.icontains(form.q.data.strip(), autoescape=True))
    page = db.paginate(query, per_page=_page_size(), error_out=False)
    return render_template("marketplace/deals/inbox.html", form=form, page=page, box=box, org=org, now=utcnow())


@bp.get("/threads/<int:thread_id>")
@auth.login_required
def thread(thread_id: int):
    thread = services.require_view_thread(current_user, db.session.get(Thread, thread_id))
    return _render_thread(thread, MessageForm())


def _render_thread(thread: Thread, form: MessageForm, status: int = 200):
    party = next((db.session.get(type(thread.buyer), i) for i in thread.party_org_ids
                  if auth.is_member(current_user, i)), None)
    deals = db.session.scalars(select(Deal).where(Deal.thread_id == thread.id).order_by(Deal.id)).all()
    return render_template("marketplace/deals/thread.html", thread=thread, form=form, party=party, deals=deals,
                           org=thread.buyer,
                           action_form=ActionForm(), gate=services.gate_preview(thread.listing, thread.buyer),
                           now=utcnow()), status


@bp.post("/threads/<int:thread_id>/messages")
@auth.login_required
def thread_message(thread_id: int):
    thread = services.require_view_thread(current_user, db.session.get(Thread, thread_id))
    form = MessageForm()
    if form.validate_on_submit():
        try:
            org = services.acting_party(current_user, thread.party_org_ids, auth.current_org())
            services.post_message(thread, current_user, org, form.body.data)
        except DomainError as exc:
            db.session.rollback()
            put_errors(form, exc, "body")
            return _render_thread(thread, form, exc.status)
        db.session.commit()
        return redirect(url_for(".thread", thread_id=thread.id) + "#messages")
    return _render_thread(thread, form, 422)


@bp.post("/listings/<int:listing_id>/inquire")
@auth.login_required
def inquire(listing_id: int):
    """Open (or return to) the inquiry thread about a listing without making an offer yet."""
    listing = require_view_listing(current_user, db.session.get(Listing, listing_id))
    if not ActionForm().validate_on_submit():
        return redirect(url_for("marketplace.detail", listing_id=listing.id))
    try:
        thread = services.open_thread(listing, _org(), current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(url_for("marketplace.detail", listing_id=listing.id))
    db.session.commit()
    return redirect(url_for(".thread", thread_id=thread.id))


# --- deals ------------------------------------------------------------------------------------

@bp.get("/deals")
@auth.login_required
def deals():
    form = DealFilterForm(formdata=request.args)
    form.validate()
    query = services.deals_query(current_user, status=form.status.data or None, role=form.role.data or None)
    page = db.paginate(query, per_page=_page_size(), error_out=False)
    return render_template("marketplace/deals/deals.html", form=form, page=page)


@bp.get("/deals/<int:deal_id>")
@auth.login_required
def deal(deal_id: int):
    deal = services.require_view_deal(current_user, db.session.get(Deal, deal_id))
    return _render_deal(deal)


def _render_deal(deal: Deal, *, cancel_form=None, receipt_form=None, rate_form=None, status: int = 200):
    party = next((db.session.get(type(deal.buyer), i) for i in deal.party_org_ids
                  if auth.is_member(current_user, i)), None)
    receipt_form = receipt_form or ReceiptForm(formdata=None, unit=deal.listing.unit)
    rated = party is not None and any(r.rater_org_id == party.id for r in deal.ratings)
    payments_url = (url_for("payments.deal_payment", deal_id=deal.id) if "payments.deal_payment" in current_app.view_functions
                    else None)
    return render_template("marketplace/deals/deal.html", deal=deal, party=party, site=_site(deal.listing),
                           show_site=party is not None and deal.status != "cancelled",
                           manifest=services._manifest(deal), action_form=ActionForm(),
                           cancel_form=cancel_form or CancelForm(formdata=None), receipt_form=receipt_form,
                           rating_form=rate_form or RatingForm(formdata=None), rated=rated,
                           payments_url=payments_url, payment=payment_for(deal)), status


@bp.post("/deals/<int:deal_id>/<action>")
@auth.login_required
def deal_action(deal_id: int, action: str):
    deal = services.require_view_deal(current_user, db.session.get(Deal, deal_id))
    org = auth.current_org()
    forms = {"cancel": CancelForm, "receipt": ReceiptForm, "rate": RatingForm, "start": ActionForm}
    if action not in forms:
        raise NotFound(_("Not found."))
    form = forms[action]()
    if not form.validate_on_submit():
        return _render_deal(deal, **({f"{action}_form": form} if action != "start" else {}), status=422)
    try:
        if action == "cancel":
            services.cancel_deal(deal, current_user, org, form.reason.data)
        elif action == "start":
            services.start_deal(deal, current_user, org)
        elif action == "receipt":
            grams = form.received.data * UNITS.get(form.unit.data, 1_000_000)
            if grams != grams.to_integral_value():
                raise DomainError(_("Give the quantity to the gram at most."),
                                  fields={"received": _("Give the quantity to the gram at most.")})
            services.confirm_receipt(deal, current_user, org, int(grams))
        else:
            services.rate_deal(deal, current_user, org, form.score.data, form.comment.data)
    except DomainError as exc:
        db.session.rollback()
        if action == "start":
            flash(str(exc.message), "error")
            return redirect(url_for(".deal", deal_id=deal.id))
        put_errors(form, exc, {"cancel": "reason", "receipt": "received", "rate": "comment"}[action])
        return _render_deal(deal, **{f"{action}_form": form}, status=exc.status)
    db.session.commit()
    flash({"cancel": _("The deal is cancelled and the quantity released."), "start": _("The deal is in progress."),
           "receipt": _("Receipt confirmed; the final amount is settled."),
           "rate": _("Thank you for your rating.")}[action])
    return redirect(url_for(".deal", deal_id=deal.id))


# --- matches ----------------------------------------------------------------------------------

@bp.get("/matches")
@auth.login_required
def matches():
    """The receiving organisation's matches: listings it may legally take, found when they were published."""
    org = _org()
    form = MatchFilterForm(formdata=request.args)
    form.validate()
    hazardous = {"1": True, "0": False}.get(form.hazardous.data or "")
    query = matching.matches_for(org.id, unread=bool(form.unread.data), hazardous=hazardous)
    page = db.paginate(query, per_page=_page_size(), error_out=False)
    unread = db.session.scalar(select(db.func.count(Match.id)).where(Match.organisation_id == org.id,
                                                                      Match.read_at.is_(None)))
    return render_template("marketplace/deals/matches.html", form=form, page=page, org=org, unread=unread,
                           action_form=ActionForm())


@bp.post("/matches/read")
@auth.login_required
def matches_read():
    org = _org()
    if ActionForm().validate_on_submit():
        matching.mark_matches_read(org.id, utcnow())
        db.session.commit()
    return redirect(url_for(".matches"))


@bp.get("/matches/listing/<int:listing_id>")
@auth.login_required
def listing_matches(listing_id: int):
    """For the seller: the organisations that may legally take the listing, nearest first, then best price."""
    listing = require_edit_listing(current_user, db.session.get(Listing, listing_id))
    page = ListPage(matching.candidates_for_listing(listing), _page_arg(), _page_size())
    return render_template("marketplace/deals/listing_matches.html", listing=listing, page=page)


@bp.get("/matches/demand/<int:demand_id>")
@auth.login_required
def demand_matches(demand_id: int):
    """For the receiver: the published listings that fit its demand post and that it may legally take."""
    demand = require_edit_demand(current_user, db.session.get(Demand, demand_id))
    page = ListPage(matching.listings_for_demand(demand), _page_arg(), _page_size())
    return render_template("marketplace/deals/demand_matches.html", demand=demand, page=page)
