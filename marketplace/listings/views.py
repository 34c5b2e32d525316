"""Marketplace pages: public browse and search, listing detail, my listings, my demand, saved searches."""
from decimal import Decimal

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from portal import auth, held_uploads
from portal.accounts.forms import county_choices
from portal.errors import DomainError, put_errors
from portal.extensions import db
from portal.units import fen_to_yuan, per_t

from ..search.backends import search
from ..search.params import FACETS, Geo, from_people_units, parse_filters, parse_geo, parse_query, parse_sort
from . import services
from . import supply_map as map_data
from .files import REPORT_MIMETYPES, upload_dir
from .forms import (
    ACTION_LABELS,
    FORM_LABELS,
    STATUS_LABELS,
    STREAM_LABELS,
    DemandForm,
    ListingForm,
    SaveSearchForm,
)
from .kept import Uploads, submitted_uploads
from .models import Demand, Listing, ListingPhoto, SavedSearch, SearchAlert

bp = Blueprint("marketplace", __name__, url_prefix="/market")


@bp.app_context_processor
def labels():
    return {"listing_status_label": lambda s: STATUS_LABELS.get(s, s), "stream_label": lambda s: STREAM_LABELS.get(s, s),
            "form_label": lambda s: FORM_LABELS.get(s, s), "action_label": lambda a: ACTION_LABELS.get(a, a),
            "listing_amount": lambda g, unit: _amount(g, unit)}


def _amount(grams, unit):
    from .api import _amount as amount

    return amount(grams, unit)


def _viewer_point(geo: Geo | None) -> Geo | None:
    """Distances are shown from the searched point, else from the viewer's organisation."""
    if geo is not None:
        return geo
    org = auth.current_org() if current_user.is_authenticated else None
    if org is not None and org.lat is not None and org.lon is not None:
        return Geo(float(org.lat), float(org.lon))
    return None


# --- public ---------------------------------------------------------------------------------

@bp.get("/")
def browse():
    page_size = current_app.config["MARKETPLACE_PAGE_SIZE"]
    error, result, query = None, None, parse_query(request.args)
    try:
        geo = parse_geo(request.args)
        filters, sort = parse_filters(from_people_units(request.args)), parse_sort(request.args, geo)
        page = max(1, min(int(request.args.get("page", "1")) if request.args.get("page", "1").isdigit() else 1, 500))
        result = search(query, filters, sort, page, page_size, _viewer_point(geo))
    except DomainError as exc:
        error, page = exc, 1
    pages = (result.total + page_size - 1) // page_size if result else 0
    return render_template("marketplace/browse.html", result=result, error=error, query=query, page=page,
                           pages=pages, facets=FACETS, districts=dict(county_choices()),
                           save_form=SaveSearchForm()), 400 if error else 200


MAP_ARGS = ("q", "waste_code", "category", "stream", "hazardous", "district", "form", "price_min_yuan",
            "price_max_yuan", "tonnes_min", "near", "radius_km")


@bp.get("/map")
def supply_map():
    """Listings and demand on a map of the districts, filtered by the list's own query parameters."""
    error = None
    try:
        parse_filters(from_people_units(request.args)), parse_geo(request.args)
    except DomainError as exc:
        error = exc
    args = {k: v for k, v in request.args.items() if k in MAP_ARGS}
    return render_template("marketplace/map.html", error=error, args=args), 400 if error else 200


@bp.get("/map.json")
def supply_map_data():
    """GeoJSON of the supply map: grid cells of published listings (the list's search) and published demand;
    400 naming the field when a filter is malformed."""
    try:
        query, geo = parse_query(request.args), parse_geo(request.args)
        filters = parse_filters(from_people_units(request.args))
        result = search(query, filters, None, 1, map_data.MAP_LIMIT, geo)
    except DomainError as exc:
        return jsonify(error={"code": "invalid", "message": str(exc.message),
                              "fields": {k: str(v) for k, v in (exc.fields or {}).items()}}), 400
    listings = [hit.listing for hit in result.items]
    features = map_data.listing_features(listings)
    if request.args.get("demand", "1") != "0":
        features += map_data.demand_features(query, filters)
    return jsonify(type="FeatureCollection", features=features, listings=len(listings), total=result.total)


@bp.get("/listings/<int:listing_id>")
def detail(listing_id):
    listing = services.require_view_listing(current_user, db.session.get(Listing, listing_id))
    point = _viewer_point(None)
    from ..search.backends import distance_to

    owner = auth.is_member(current_user, listing.organisation_id)
    return render_template("marketplace/detail.html", listing=listing, distance_m=distance_to(listing, point),
                           owner=owner, actions=services.listing_actions(listing) if owner else [])


@bp.get("/photos/<name>")
def photo(name):
    stem = name.removesuffix("_t.jpg").removesuffix(".jpg")
    row = db.session.scalar(select(ListingPhoto).where(ListingPhoto.filename == f"{stem}.jpg"))
    if row is None:
        abort(404)
    services.require_view_listing(current_user, row.listing)
    return send_from_directory(upload_dir(), name, mimetype="image/jpeg", max_age=3600)


@bp.get("/listings/<int:listing_id>/lab-report")
def lab_report(listing_id):
    listing = services.require_view_listing(current_user, db.session.get(Listing, listing_id))
    if not listing.lab_report:
        abort(404)
    # type and extension from the stored file, which its content decided, never from the name sent
    extension = listing.lab_report.rsplit(".", 1)[1]
    stem = (listing.lab_report_name or "").rsplit(".", 1)[0] or "lab-report"
    return send_from_directory(upload_dir(), listing.lab_report, as_attachment=True,
                               mimetype=REPORT_MIMETYPES[extension], download_name=f"{stem}.{extension}")


@bp.get("/demand")
def demand_board():
    query = select(Demand).where(Demand.status == "published").order_by(Demand.created_at.desc(), Demand.id.desc())
    page = db.paginate(query, per_page=current_app.config["MARKETPLACE_PAGE_SIZE"], error_out=False)
    return render_template("marketplace/demand_board.html", page=page, districts=dict(county_choices()))


# --- my listings ------------------------------------------------------------------------------

@bp.get("/mine")
@auth.login_required
def my_listings():
    org = auth.current_org_or_403()
    status = request.args.get("status") or None
    query = select(Listing).where(Listing.organisation_id == org.id)
    if status in STATUS_LABELS:
        query = query.where(Listing.status == status)
    page = db.paginate(query.order_by(Listing.updated_at.desc(), Listing.id.desc()),
                       per_page=current_app.config["MARKETPLACE_PAGE_SIZE"], error_out=False)
    return render_template("marketplace/mine.html", page=page, org=org, status=status, statuses=STATUS_LABELS)


def _listing_form(org, listing: Listing | None = None) -> ListingForm:
    form = ListingForm()
    form.district.choices = [("", _("Choose a district"))] + county_choices()
    from portal.regulatory.batches.models import Site

    sites = db.session.scalars(select(Site).where(Site.organisation_id == org.id).order_by(Site.name))
    form.site_id.choices = [("", _("No site"))] + [(str(s.id), s.name) for s in sites]
    if listing is not None and request.method == "GET":
        data = services._as_input(listing)
        for name in ("title", "description", "waste_code", "stream", "form", "unit", "supply", "duration_months",
                     "district", "lat", "lon", "valid_from", "valid_until"):
            form[name].data = data[name]
        form.price.data = None if listing.price_fen is None else fen_to_yuan(per_t(listing.price_fen,
                                                                                   listing.price_unit))
        form.quantity.data, form.monthly.data = data["quantity"], data["monthly"]
        form.site_id.data = str(listing.site_id) if listing.site_id else ""
        form.quality.data = "\n".join(f"{k}: {v}" for k, v in (listing.quality or {}).items())
    return form


def _attach_files(uploads: Uploads, listing: Listing) -> None:
    """Every file was checked when it arrived (submitted_uploads), so one refused file leaves none stored."""
    for photo in uploads.photos:
        services.add_photo(listing, photo, current_user)
    if uploads.report is not None:
        services.attach_lab_report(listing, uploads.report, uploads.report_name, current_user)


@bp.route("/listings/new", methods=["GET", "POST"])
@bp.route("/listings/<int:listing_id>/edit", methods=["GET", "POST"])
@auth.login_required
def listing_form(listing_id: int | None = None):
    listing = (services.require_edit_listing(current_user, db.session.get(Listing, listing_id))
               if listing_id else None)
    org = listing.organisation if listing else auth.current_org_or_403()
    form = _listing_form(org, listing)
    uploads = submitted_uploads()
    if form.validate_on_submit() and not uploads.errors:
        try:
            if listing is None:
                listing = services.create_listing(org, {**form.to_input(), "status": "draft"}, current_user)
            else:
                services.update_listing(listing, form.to_input(), current_user)
            _attach_files(uploads, listing)
        except DomainError as exc:
            db.session.rollback()
            put_errors(form, exc, "title")
            if listing_id is None:
                listing = None
        else:
            db.session.commit()
            held_uploads.release(uploads.tokens)
            flash(_("The listing has been saved."), "success")
            return redirect(url_for(".detail", listing_id=listing.id))
    for name, messages in uploads.errors.items():
        form[name].errors = [*form[name].errors, *messages]
    status = 422 if form.errors else 200
    return render_template("marketplace/listing_form.html", form=form, listing=listing, uploads=uploads), status


@bp.post("/listings/<int:listing_id>/<action>")
@auth.login_required
def listing_action(listing_id, action):
    listing = services.require_edit_listing(current_user, db.session.get(Listing, listing_id))
    if action not in ACTION_LABELS:
        abort(404)
    services.transition_listing(listing, action, current_user)
    db.session.commit()
    flash(_("The listing is now %(status)s.", status=STATUS_LABELS[listing.status]), "success")
    return redirect(url_for(".detail", listing_id=listing.id))


# --- my demand --------------------------------------------------------------------------------

@bp.get("/demand/mine")
@auth.login_required
def my_demand():
    org = auth.current_org_or_403()
    query = select(Demand).where(Demand.organisation_id == org.id).order_by(Demand.updated_at.desc(), Demand.id.desc())
    page = db.paginate(query, per_page=current_app.config["MARKETPLACE_PAGE_SIZE"], error_out=False)
    return render_template("marketplace/my_demand.html", page=page, org=org)


@bp.route("/demand/new", methods=["GET", "POST"])
@bp.route("/demand/<int:demand_id>/edit", methods=["GET", "POST"])
@auth.login_required
def demand_form(demand_id: int | None = None):
    demand = services.require_edit_demand(current_user, db.session.get(Demand, demand_id)) if demand_id else None
    org = demand.organisation if demand else auth.current_org_or_403()
    form = DemandForm()
    form.district.choices = [("", _("Any district"))] + county_choices()
    if demand is not None and request.method == "GET":
        form.title.data, form.description.data = demand.title, demand.description
        form.waste_codes.data, form.categories.data = ", ".join(demand.waste_codes), ", ".join(demand.categories)
        form.quantity.data = None if demand.quantity_g is None else Decimal(_amount(demand.quantity_g, "t"))
        form.price_min.data, form.price_max.data = fen_to_yuan(demand.price_min_fen), fen_to_yuan(demand.price_max_fen)
        form.district.data, form.radius_km.data = demand.district_code or "", demand.radius_km
        form.valid_until.data = demand.valid_until
    if form.validate_on_submit():
        try:
            if demand is None:
                demand = services.create_demand(org, form.to_input(), current_user)
            else:
                services.update_demand(demand, form.to_input(), current_user)
        except DomainError as exc:
            db.session.rollback()
            put_errors(form, exc, "title")
        else:
            db.session.commit()
            flash(_("The demand has been saved."), "success")
            return redirect(url_for(".my_demand"))
    return render_template("marketplace/demand_form.html", form=form, demand=demand), 422 if form.errors else 200


@bp.post("/demand/<int:demand_id>/<action>")
@auth.login_required
def demand_action(demand_id, action):
    demand = services.require_edit_demand(current_user, db.session.get(Demand, demand_id))
    if action not in ("publish", "close"):
        abort(404)
    services.transition_demand(demand, action, current_user)
    db.session.commit()
    return redirect(url_for(".my_demand"))


# --- saved searches ---------------------------------------------------------------------------

@bp.get("/saved")
@auth.login_required
def saved_searches():
    searches = db.session.scalars(select(SavedSearch).where(SavedSearch.user_id == current_user.id)
                                  .order_by(SavedSearch.created_at.desc())).all()
    alerts = db.paginate(select(SearchAlert).join(SavedSearch).where(SavedSearch.user_id == current_user.id)
                         .order_by(SearchAlert.created_at.desc(), SearchAlert.id.desc()),
                         per_page=current_app.config["MARKETPLACE_PAGE_SIZE"], error_out=False)
    return render_template("marketplace/saved.html", searches=searches, alerts=alerts)


@bp.post("/saved")
@auth.login_required
def save_search():
    form = SaveSearchForm()
    if not form.validate_on_submit():
        abort(400)
    args = MultiDict(request.form)
    filters = parse_filters(from_people_units(args)).to_json()
    services.save_search(current_user, form.name.data, parse_query(args)[:200], filters)
    db.session.commit()
    flash(_("Search saved: you will be told about new listings that match it."), "success")
    return redirect(url_for(".saved_searches"))


@bp.post("/saved/<int:saved_id>/delete")
@auth.login_required
def delete_saved(saved_id):
    services.delete_saved_search(current_user, db.session.get(SavedSearch, saved_id))
    db.session.commit()
    flash(_("The saved search has been deleted."), "success")
    return redirect(url_for(".saved_searches"))


def search_url(**changes) -> str:
    """The browse URL with some arguments changed (facet links keep the rest of the search)."""
    args = request.args.to_dict()
    args.pop("page", None)
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    return url_for("marketplace.browse", **args)


bp.add_app_template_global(search_url, "market_search_url")
