"""Public pages: filing a report, its status and follow-up link, the public list and map."""
import re
import secrets
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
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user

from portal import auth, held_uploads
from portal.accounts.forms import county_choices
from portal.errors import DomainError
from portal.extensions import db, limiter
from portal.regulatory import geo

from . import services
from .forms import DisputeForm, PublicFilterForm, RatingForm, ReportForm, TrackForm
from .models import CLOSED_STATUSES, OPEN_STATUSES, Moderation, Report, ReportPhoto
from .photos import CleanPhoto, clean_photo, photo_dir

bp = Blueprint("reports", __name__, url_prefix="/reports")

DEVICE_COOKIE = "wufei_device"
SEEN_KEY = "reports_seen"  # reports whose photos this browser may see before moderation: its own
MANIFEST_NUMBER = re.compile(r"\d{14}")


def device_key() -> str:
    """Rate-limit key per device: its cookie, else its address (a first visit without the cookie)."""
    return "device:" + (request.cookies.get(DEVICE_COOKIE) or get_remote_address())


def report_limit() -> str:
    return current_app.config["REPORT_RATE_LIMIT"]


@bp.after_request
def give_device_cookie(response):
    if DEVICE_COOKIE not in request.cookies:
        response.set_cookie(DEVICE_COOKIE, secrets.token_urlsafe(16), max_age=365 * 86400, httponly=True,
                            samesite="Lax", secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
    return response


def _remember(report: Report) -> None:
    seen = [i for i in session.get(SEEN_KEY, []) if i != report.id][-19:]
    session[SEEN_KEY] = [*seen, report.id]


def _field_errors(form, exc: DomainError, default: str) -> None:
    for name, message in (exc.fields or {default: exc.message}).items():
        name = {"place": "address"}.get(name, name)
        target = form[name] if name in form else form[default]
        target.errors = [*target.errors, str(message)]


def _prefill_code(form: ReportForm, code: str | None) -> None:
    """The trace page's "report a problem" button names what it shows: a 14-digit manifest number goes into
    the manifest field, a container or batch code into the container field."""
    code = "".join((code or "").split()).upper()[:60]
    if MANIFEST_NUMBER.fullmatch(code):
        form.manifest_number.data = code
    elif code:
        form.container_code.data = code


def _uploads(name: str) -> list:
    return [f for f in request.files.getlist(name) if f and f.filename]


def _photo_meta(photo: CleanPhoto) -> dict:
    return {"mimetype": "image/jpeg", "width": photo.width, "height": photo.height,
            "gps": [str(photo.gps[0]), str(photo.gps[1])] if photo.gps else None}


def _kept_photo(data: bytes, meta: dict) -> CleanPhoto:
    gps = tuple(Decimal(value) for value in meta["gps"]) if meta.get("gps") else None
    return CleanPhoto(data, meta["width"], meta["height"], gps)


def _submitted_photos() -> tuple[list[CleanPhoto], list[str], list[str]]:
    """This submission's photos, their tokens and the errors of files that are no photo. The photos kept from a
    refused attempt come back ticked; new uploads are cleaned and kept at once, so that a refusal of this
    attempt does not lose them either (a browser cannot re-fill a file input)."""
    photos, tokens, errors = [], [], []
    for token in request.form.getlist("held_photo"):
        if (kept := held_uploads.take(token)) is not None:
            photos.append(_kept_photo(*kept))
            tokens.append(token)
    for upload in _uploads("photos"):
        try:
            photo = clean_photo(upload.stream)
        except DomainError as exc:
            errors.append(str(exc.fields.get("photos", exc.message)))
            continue
        photos.append(photo)
        tokens.append(held_uploads.hold(photo.data, _photo_meta(photo)))
    return photos, tokens, errors


# --- filing ----------------------------------------------------------------------------------------

@bp.route("/new", methods=["GET", "POST"])
@limiter.limit(report_limit, methods=["POST"])
@limiter.limit(report_limit, key_func=device_key, methods=["POST"])
def new():
    form = ReportForm()
    form.district_code.choices = [("", _("Choose a district"))] + county_choices()
    photos, kept, photo_errors = [], [], []
    if request.method == "GET":
        _prefill_code(form, request.args.get("code"))
    else:
        photos, kept, photo_errors = _submitted_photos()
    if form.validate_on_submit() and not photo_errors:
        if form.website.data:
            form.website.errors = [_("Leave this field empty")]
            return render_template("participation/report_form.html", form=form), 400
        try:
            lat, lon = form.lat.data, form.lon.data
            if lat is None and lon is None and not form.address.data:
                lat, lon = next((p.gps for p in photos if p.gps), (None, None))
            data = services.NewReport(
                category=form.category.data, description=form.description.data, lat=lat, lon=lon,
                district_code=form.district_code.data or None, address=form.address.data,
                contact_email=form.contact_email.data, contact_phone=form.contact_phone.data,
                container_code=form.container_code.data, manifest_number=form.manifest_number.data, photos=photos)
            report, secret = services.submit_report(data)
        except DomainError as exc:
            db.session.rollback()
            _field_errors(form, exc, "description")
        else:
            db.session.commit()
            held_uploads.release(kept)
            _remember(report)
            session["report_secret"] = {"code": report.tracking_code, "secret": secret}
            return redirect(url_for(".submitted", code=report.tracking_code))
    form.photos.errors = [*form.photos.errors, *photo_errors]
    status = 422 if form.errors else 200
    return render_template("participation/report_form.html", form=form, kept=kept), status


@bp.post("/photo-location")
@limiter.limit("60 per minute")
def photo_location():
    """The place a photo was taken (from its GPS EXIF), to suggest where the pin goes. Nothing is stored."""
    files = _uploads("photo")
    if not files:
        return jsonify(error={"code": "invalid", "message": _("No photo was sent."), "fields": {}}), 400
    photo = clean_photo(files[0].stream, "photo")
    if photo.gps is None:
        return jsonify(lat=None, lon=None, district=None)
    lat, lon = photo.gps
    return jsonify(lat=float(lat), lon=float(lon), district=geo.district_at(lat, lon))


@bp.get("/nearby.json")
@limiter.limit("60 per minute")
def nearby():
    """Public reports like this one nearby, so that a reporter can see the dump is already known."""
    try:
        lat, lon = (services.Decimal(request.args[k]) for k in ("lat", "lon"))
    except (KeyError, ArithmeticError, ValueError):
        return jsonify(error={"code": "bad_request", "message": _("lat and lon are required numbers."),
                              "fields": {"lat": _("Required")}}), 400
    found = [r for r in services.nearby_reports(request.args.get("category", ""), lat, lon)
             if r.moderation == Moderation.PUBLIC][:5]
    return jsonify(items=[{"code": r.tracking_code, "status": r.status_label,
                           "url": url_for(".status", code=r.tracking_code)} for r in found])


@bp.get("/submitted/<code>")
def submitted(code):
    report = services.get_by_code(code)
    shown = session.pop("report_secret", None)
    if not shown or shown.get("code") != report.tracking_code:
        return redirect(url_for(".status", code=report.tracking_code))
    nearby = []
    if report.lat is not None:
        nearby = [r for r in services.nearby_reports(report.category, report.lat, report.lon,
                                                     exclude_id=report.id) if r.moderation == Moderation.PUBLIC]
    return render_template("participation/report_submitted.html", report=report,
                           follow_url=services.follow_url(report, shown["secret"]), nearby=nearby[:5],
                           department=services.department_name(report.department))


# --- following a report ----------------------------------------------------------------------------

@bp.get("/track")
def track():
    form = TrackForm(request.args)
    if request.args and form.validate():
        return redirect(url_for(".status", code=form.code.data.strip().upper()))
    return render_template("participation/report_track.html", form=form), 422 if request.args else 200


def _timeline(report: Report):
    return [e for e in report.events if e.public]


@bp.get("/r/<code>")
def status(code):
    report = services.get_by_code(code)
    return render_template("participation/report_status.html", report=report, timeline=_timeline(report),
                           public=report.moderation == Moderation.PUBLIC, point=services.public_point(report),
                           department=services.department_name(report.department),
                           department_name=services.department_name)


@bp.route("/f/<code>/<secret>", methods=["GET"])
def follow(code, secret):
    report = services.get_for_reporter(code, secret)
    _remember(report)
    return _render_follow(report, secret, dispute=DisputeForm(), rating=RatingForm(), case_rating=_case_rating_form())


def _render_follow(report, secret: str, **forms):
    """The reporter's page: the report, and the progress of the coordination case it opened (回访 · 评价)."""
    case = services.case_of(report)
    return render_template("participation/report_follow.html", report=report, timeline=_timeline(report),
                           secret=secret, actions=services.allowed_actions(report, "reporter"),
                           department=services.department_name(report.department),
                           department_name=services.department_name, case=case,
                           case_timeline=[e for e in case.events if e.public] if case else [],
                           case_rate=services.citizen_may_rate(case), **forms)


def _case_rating_form() -> RatingForm:
    return RatingForm(prefix="case")  # its own field ids beside the report's rating form


FOLLOW_FORMS = {"dispute": DisputeForm, "rate": RatingForm, "case_rate": _case_rating_form}


@bp.post("/f/<code>/<secret>/<action>")
@limiter.limit(report_limit)
def follow_action(code, secret, action):
    report = services.get_for_reporter(code, secret)
    form = FOLLOW_FORMS.get(action)
    if form is None:
        abort(404)
    form = form()
    if form.validate_on_submit():
        try:
            if action == "dispute":
                photos = [clean_photo(f.stream, "photo") for f in _uploads("photo")]
                services.apply_action(report, "dispute", "reporter", note=form.note.data,
                                      photo=photos[0] if photos else None)
            elif action == "case_rate":
                services.rate_case(report, form.rating.data)
            else:
                services.apply_action(report, "rate", "reporter", rating=form.rating.data)
        except DomainError as exc:
            db.session.rollback()
            _field_errors(form, exc, "note" if action == "dispute" else "rating")
        else:
            db.session.commit()
            flash(_("Thank you. The department has been told.") if action == "dispute"
                  else _("Thank you for your rating."), "success")
            return redirect(url_for(".follow", code=code, secret=secret))
    names = {"dispute": "dispute", "rate": "rating", "case_rate": "case_rating"}
    forms = {"dispute": DisputeForm(), "rating": RatingForm(), "case_rating": _case_rating_form(),
             names[action]: form}
    return _render_follow(report, secret, **forms), 422


# --- the public list and map ---------------------------------------------------------------------

def _filtered_public(form: PublicFilterForm):
    query = services.public_reports()
    if form.category.data:
        query = query.where(Report.category == form.category.data)
    if form.district.data:
        query = query.where(Report.district_code == form.district.data)
    if form.state.data == "open":
        query = query.where(Report.status.in_(OPEN_STATUSES))
    elif form.state.data == "closed":
        query = query.where(Report.status.in_(CLOSED_STATUSES))
    return query


def _public_filter_form() -> PublicFilterForm:
    form = PublicFilterForm(request.args)
    form.district.choices = [("", _("All"))] + county_choices()
    form.validate()
    return form


@bp.get("/")
def index():
    form = _public_filter_form()
    page = db.paginate(_filtered_public(form), per_page=20, error_out=False)
    return render_template("participation/report_list.html", page=page, form=form,
                           department_name=services.department_name)


@bp.get("/map")
def map_page():
    return render_template("participation/report_map.html", form=_public_filter_form())


@bp.get("/map.json")
def map_data():
    """Public reports as GeoJSON for the map: no personal data, resolved places rounded."""
    form = _public_filter_form()
    rows = db.session.scalars(_filtered_public(form).where(Report.lat.is_not(None)).limit(1000))
    features = []
    for report in rows:
        lat, lon = services.public_point(report)
        features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [float(lon), float(lat)]},
                         "properties": {"code": report.tracking_code, "category": report.category_label,
                                        "status": report.status_label, "open": report.is_open,
                                        "url": url_for(".status", code=report.tracking_code)}})
    return jsonify(type="FeatureCollection", features=features)


@bp.get("/districts.geojson")
def districts():
    response = jsonify(geo.district_boundaries())
    response.cache_control.max_age = 86400
    response.cache_control.public = True
    return response


@bp.get("/photos/<int:photo_id>")
def photo(photo_id):
    row = db.session.get(ReportPhoto, photo_id)
    if row is None:
        abort(404)
    report = row.report
    visible = (report.moderation == Moderation.PUBLIC or report.id in session.get(SEEN_KEY, [])
               or auth.can_handle_case(current_user, report.department, report.district_code))
    if not visible:
        abort(404)
    response = send_from_directory(photo_dir(), row.filename, mimetype="image/jpeg")
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response

