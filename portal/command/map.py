"""The one map (固危废一张图) at /command/map: the page, and the JSON it draws from (clustered point layers,
transfer flows, district boundaries, the card of a clicked object). Regulators only; a county's regulator
sees its county in every layer."""
from functools import wraps

from flask import Blueprint, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import auth
from ..auth import regulator_required
from ..errors import DomainError, NotFound
from ..jurisdiction import in_jurisdiction, is_whole_jurisdiction
from ..regulatory import geo
from . import map_sources
from .map_layers import (
    LAYER_LABELS,
    LAYERS,
    POINT_LAYERS,
    STREAMS,
    cluster,
    parse_filters,
    parse_view,
    stream_label,
)

bp = Blueprint("command_map", __name__, url_prefix="/command/map")
LAYER_NAMES = "any(" + ",".join(POINT_LAYERS) + ")"
# what the reader switches, in the order of the page's checkboxes: the point layers, the flows, the boundaries
SWITCHES = (*POINT_LAYERS, "flows", "districts")


def _json(view):
    """A JSON endpoint: a refusal answers the API's error body with its status (422 naming the field),
    whatever the Accept header says."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except DomainError as exc:
            return jsonify(exc.to_dict()), exc.status
    return wrapped


def _county() -> str | None:
    """The viewer's district when it regulates one district of the city rather than the whole city. A regulator
    from outside the city sees the city's outline, with the transfers into its own area as the only data."""
    regulator = auth.regulator_of(current_user)
    if regulator is None or auth.is_admin(current_user) or is_whole_jurisdiction(regulator.jurisdiction_code) \
            or not in_jurisdiction(regulator.jurisdiction_code):
        return None
    return regulator.jurisdiction_code


def _source(name: str):
    """A point layer by name; 404 for one whose area is not installed."""
    if name not in LAYERS:
        raise NotFound(_("Not found."))
    return LAYERS[name]


def _switch_labels() -> dict:
    return {**{name: LAYER_LABELS[name] for name in POINT_LAYERS},
            "flows": _("Transfer flows (tonnes)"), "districts": _("District boundaries")}


@bp.get("")
@regulator_required
def index():
    """The page: filters, layer switches, the map and the card of what was clicked last."""
    error, filters = None, None
    try:
        filters = parse_filters(request.args)
    except DomainError as exc:
        error = exc
    chosen = [name for name in request.args.getlist("layer") if name in SWITCHES] or list(SWITCHES)
    available = [name for name in SWITCHES if name in LAYERS or name not in POINT_LAYERS]
    args = filters.as_args() if filters else {}
    return render_template(
        "command/map.html", error=error, args=args, chosen=chosen, switches=available, labels=_switch_labels(),
        streams=[(s, stream_label(s)) for s in STREAMS], layer_urls={
            name: url_for(".layer", layer=name, **args) for name in available if name in POINT_LAYERS},
        flows_url=url_for(".flows", **args),
        card_base=url_for(".index") + "/cards/", filter_query=args), 422 if error else 200


@bp.get("/districts.geojson")
@regulator_required
def districts():
    """The bundled district boundaries (the base layer); a county's regulator gets its own district only."""
    data = geo.district_boundaries()
    county = _county()
    if county is not None:
        data = {**data, "features": [f for f in data["features"] if str(f["properties"]["adcode"]) == county]}
    return jsonify(data)


@bp.get(f"/layers/<{LAYER_NAMES}:layer>.json")
@regulator_required
@_json
def layer(layer: str):
    """?bbox=west,south,east,north&zoom=z (+ stream, code, from, to): clusters and single points in the view."""
    view, filters = parse_view(request.args), parse_filters(request.args)
    return jsonify(cluster(_source(layer), current_user, filters, view))


@bp.get("/flows.json")
@regulator_required
@_json
def flows():
    """Generator → receiver lines weighted by the tonnes shipped under manifests (stream, code, from, to)."""
    return jsonify(map_sources.flows(current_user, parse_filters(request.args)))


@bp.get(f"/cards/<{LAYER_NAMES}:layer>/<int:object_id>")
@regulator_required
@_json
def card(layer: str, object_id: int):
    """The card of one point: its name, key figures and links; 404 outside the viewer's jurisdiction."""
    return jsonify(_source(layer).card(current_user, object_id, parse_filters(request.args)))
