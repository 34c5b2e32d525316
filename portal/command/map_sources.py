"""The portal's own layers of the one map: waste generators, storage places with their fill level, licensed
facilities with the share of their annual capacity used, and the transfer flows between organisations.

Each reads the registers the rest of the platform keeps (batches, stored containers, licences, manifests) and
narrows them to the viewer's jurisdiction with the same checks as the lists it links to (portal/auth.py).
"""
from decimal import Decimal

from flask import url_for
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import exists, false, func, select

from .. import auth
from ..accounts.models import Organisation, OrgStatus
from ..clock import china_today
from ..errors import NotFound
from ..extensions import db
from ..i18n import quantity
from ..regulatory.batches import storage
from ..regulatory.batches.models import Batch, Container, Site, StorageFacility
from ..regulatory.batches.services import get_facility
from ..regulatory.licences.models import Licence
from ..regulatory.licences.services import filter_licences, licence_capacity
from ..regulatory.manifests.models import Manifest, ManifestLine
from ..regulatory.manifests.services import manifests_query
from .map_layers import (
    LAYER_LABELS,
    MapFilters,
    PointLayer,
    card,
    layer_select,
    level,
    percent,
    register_layer,
    stream_label,
)

GRAMS_PER_TONNE = Decimal(1_000_000)
HIGH_FILL = int(storage.ALERT_SHARE * 100)  # a storage place turns amber where its capacity alert starts
HIGH_USE = 90  # a licence's capacity turns amber when 90 % of the year's tonnes are received or on their way
MAX_FLOWS = 500  # the heaviest generator → receiver pairs drawn; the manifests list has the rest


def _org_in_view(user, org_id: int) -> Organisation:
    """An organisation the viewer's jurisdiction covers, or 404."""
    org = db.session.get(Organisation, org_id)
    if org is None or db.session.scalar(auth.orgs_visible_to(user).where(Organisation.id == org_id)) is None:
        raise NotFound(_("Not found."))
    return org


def _district_name(org: Organisation) -> str:
    return org.district.name if org.district else org.district_code


# --- generators --------------------------------------------------------------------------------------

def _batch_conditions(filters: MapFilters) -> list:
    conditions = []
    if filters.stream:
        conditions.append(Batch.stream == filters.stream)
    if filters.code:
        conditions.append(Batch.waste_code == filters.code)
    if filters.start:
        conditions.append(Batch.generated_on >= filters.start)
    if filters.end:
        conditions.append(Batch.generated_on <= filters.end)
    return conditions


def generator_points(user, filters: MapFilters):
    query = layer_select(Organisation.id, Organisation.lat, Organisation.lon, Organisation.name).where(
        Organisation.is_generator, Organisation.status == OrgStatus.VERIFIED)
    conditions = _batch_conditions(filters)
    if conditions:  # a filtered map shows the generators that produced such waste in the period
        query = query.where(exists().where(Batch.organisation_id == Organisation.id, *conditions))
    return auth.scope_to_viewer(query, user, Organisation.id, Organisation.district_code)


def _generated(org_ids, filters: MapFilters) -> dict[int, int]:
    rows = db.session.execute(select(Batch.organisation_id, func.sum(Batch.quantity_g))
                              .where(Batch.organisation_id.in_(org_ids), *_batch_conditions(filters))
                              .group_by(Batch.organisation_id)).all()
    return {org_id: int(grams or 0) for org_id, grams in rows}


def generator_marks(ids, filters: MapFilters) -> dict:
    return {org_id: {"tonnes": str(Decimal(grams) / GRAMS_PER_TONNE)}
            for org_id, grams in _generated(ids, filters).items()}


def generator_card(user, org_id: int, filters: MapFilters) -> dict:
    org = _org_in_view(user, org_id)
    conditions = _batch_conditions(filters)
    by_stream = db.session.execute(select(Batch.stream, func.sum(Batch.quantity_g), func.count())
                                   .where(Batch.organisation_id == org.id, *conditions)
                                   .group_by(Batch.stream).order_by(func.sum(Batch.quantity_g).desc())).all()
    stored = db.session.scalar(select(func.coalesce(func.sum(Container.quantity_g), 0)).join(Batch).where(
        Container.status == "stored", Batch.organisation_id == org.id))
    rows = [(_("District"), _district_name(org)), (_("Industry"), org.industry)]
    rows += [(_("Generated: %(stream)s", stream=stream_label(stream)), _("%(mass)s in %(n)s batches", mass=quantity(grams), n=n))
             for stream, grams, n in by_stream]
    if not by_stream:
        rows.append((_("Generated"), _("No batches recorded")))
    rows.append((_("Held in storage now"), quantity(int(stored or 0))))
    links = [(_("Organisation"), url_for("accounts.organisation_detail", org_id=org.id)),
             (_("Its manifests"), url_for("manifests.index", party=org.uscc)),
             (_("Batches in its district"), url_for("batches.batch_list", district=org.district_code,
                                                   waste_code=filters.code or ""))]
    return card(org.name, LAYER_LABELS["generators"], rows, links)


# --- storage places ----------------------------------------------------------------------------------

def storage_points(user, filters: MapFilters):
    query = (layer_select(StorageFacility.id, Site.lat, Site.lon, StorageFacility.name)
             .join(Site, StorageFacility.site_id == Site.id))
    if filters.stream:  # streams is a comma list of names none of which contains another
        query = query.where(StorageFacility.streams.contains(filters.stream))
    if filters.code:  # the places holding that waste now
        query = query.where(exists().where(Container.facility_id == StorageFacility.id, Container.status == "stored",
                                           Container.batch_id == Batch.id, Batch.waste_code == filters.code))
    return auth.scope_to_viewer(query, user, StorageFacility.organisation_id, Site.district_code)


def _usages(ids) -> dict[int, storage.Usage]:
    """What each place holds against its capacity: one grouped sum for the places declared in tonnes, the
    volume rule of storage.facility_usage for those declared in m³."""
    facilities = db.session.scalars(select(StorageFacility).where(StorageFacility.id.in_(ids))).all()
    stored = dict(db.session.execute(select(Container.facility_id, func.sum(Container.quantity_g)).where(
        Container.facility_id.in_(ids), Container.status == "stored").group_by(Container.facility_id)).all())
    usages = {}
    for facility in facilities:
        if facility.capacity_unit == "t":
            usages[facility.id] = storage.Usage("t", facility.capacity_g or 0, int(stored.get(facility.id) or 0))
        else:
            usages[facility.id] = storage.facility_usage(facility)
    return usages


def storage_marks(ids, filters: MapFilters) -> dict:
    marks = {}
    for facility_id, usage in _usages(ids).items():
        share = percent(usage.used, usage.declared)
        marks[facility_id] = {"percent": share, "level": level(share, HIGH_FILL)}
    return marks


def storage_card(user, facility_id: int, filters: MapFilters) -> dict:
    facility = get_facility(user, facility_id)
    usage = storage.facility_usage(facility)
    oldest = storage.oldest_clock(storage.stored_in(facility))
    share = percent(usage.used, usage.declared)
    rows = [(_("Organisation"), facility.organisation.name), (_("Site"), f"{facility.site.name} · {facility.site.address}"),
            (_("Capacity"), storage.format_amount(usage.unit, usage.declared)),
            (_("Held now"), storage.format_amount(usage.unit, usage.used)),
            (_("Fill level"), "" if share is None else f"{share} %"),
            (_("Waste streams"), "、".join(stream_label(s) for s in facility.stream_list))]
    if oldest is not None:
        rows.append((_("Oldest waste kept since"), format_date(oldest.started_on)))
        rows.append((_("One year of storage ends"), format_date(oldest.due_on)))
    links = [(_("Storage place"), url_for("batches.facility_detail", facility_id=facility.id)),
             (_("Organisation"), url_for("accounts.organisation_detail", org_id=facility.organisation_id))]
    return card(facility.name, LAYER_LABELS["storage"], rows, links)


# --- licensed facilities -----------------------------------------------------------------------------

def _licences(filters: MapFilters):
    """A select() of the licences in force at some time in the period (today without one) covering the code."""
    today = china_today()
    query = select(Licence).join(Organisation, Licence.organisation_id == Organisation.id).where(
        Licence.status == "active", Licence.valid_from <= (filters.end or today),
        Licence.valid_until >= (filters.start or today))
    return filter_licences(query, code=filters.code).order_by(None)


def facility_points(user, filters: MapFilters):
    query = layer_select(Organisation.id, Organisation.lat, Organisation.lon, Organisation.name).where(
        Organisation.id.in_(_licences(filters).with_only_columns(Licence.organisation_id)))
    if filters.stream and filters.stream != "hazardous":  # 经营许可证 are for hazardous waste only
        query = query.where(false())
    return auth.scope_to_viewer(query, user, Organisation.id, Organisation.district_code)


def _year(filters: MapFilters) -> int:
    return (filters.end or china_today()).year


def _capacities(org_ids, filters: MapFilters) -> dict[int, list]:
    licences = db.session.scalars(_licences(filters).where(Licence.organisation_id.in_(org_ids))
                                  .order_by(Licence.valid_until, Licence.id)).all()
    out: dict[int, list] = {}
    for licence in licences:
        out.setdefault(licence.organisation_id, []).append((licence, licence_capacity(licence, _year(filters))))
    return out


def facility_marks(ids, filters: MapFilters) -> dict:
    marks = {}
    for org_id, licences in _capacities(ids, filters).items():
        share = percent(sum(c.used_g for _lic, c in licences), sum(c.total_g for _lic, c in licences))
        marks[org_id] = {"percent": share, "level": level(share, HIGH_USE)}
    return marks


def facility_card(user, org_id: int, filters: MapFilters) -> dict:
    org = _org_in_view(user, org_id)
    licences = _capacities([org.id], filters).get(org.id)
    if not licences:
        raise NotFound(_("Not found."))
    year = _year(filters)
    rows = [(_("District"), _district_name(org))]
    links = [(_("Organisation"), url_for("accounts.organisation_detail", org_id=org.id))]
    for licence, capacity in licences:
        share = percent(capacity.used_g, capacity.total_g)
        rows += [(_("Licence"), _("%(number)s, valid until %(day)s", number=licence.number,
                                   day=format_date(licence.valid_until))),
                 (_("Annual capacity %(year)s", year=year), quantity(capacity.total_g)),
                 (_("Received and on its way"), _("%(mass)s (%(share)s %%)", mass=quantity(capacity.used_g),
                                                   share=share if share is not None else 0))]
        links.append((_("Licence %(number)s", number=licence.number), url_for("licences.detail", licence_id=licence.id)))
    links.append((_("Manifests it received"), url_for("manifests.index", party=org.uscc)))
    return card(org.name, LAYER_LABELS["facilities"], rows, links)


register_layer(PointLayer("generators", LAYER_LABELS["generators"], generator_points, generator_card, generator_marks))
register_layer(PointLayer("storage", LAYER_LABELS["storage"], storage_points, storage_card, storage_marks))
register_layer(PointLayer("facilities", LAYER_LABELS["facilities"], facility_points, facility_card, facility_marks))


# --- transfer flows ----------------------------------------------------------------------------------

FLOW_STATES_LEFT_OUT = ("draft", "cancelled")


def flows(user, filters: MapFilters) -> dict:
    """The tonnes shipped under manifests from each generator to each receiver (the heaviest MAX_FLOWS pairs),
    as GeoJSON lines from the generator's place to the receiver's, for the manifests the viewer may read."""
    visible = (manifests_query(user, waste_code=filters.code, date_from=filters.start, date_to=filters.end)
               .where(Manifest.state.not_in(FLOW_STATES_LEFT_OUT)).order_by(None)
               .with_only_columns(Manifest.id))
    tonnes = func.sum(ManifestLine.quantity_g)
    query = (select(Manifest.generator_org_id, Manifest.receiver_org_id, tonnes, func.count(Manifest.id.distinct()))
             .join(ManifestLine, ManifestLine.manifest_id == Manifest.id).where(Manifest.id.in_(visible))
             .group_by(Manifest.generator_org_id, Manifest.receiver_org_id).order_by(tonnes.desc()).limit(MAX_FLOWS))
    if filters.code:  # only that code's lines count towards the tonnes
        query = query.where(ManifestLine.waste_code == filters.code)
    if filters.stream:
        query = query.join(Batch, ManifestLine.batch_id == Batch.id).where(Batch.stream == filters.stream)
    pairs = db.session.execute(query).all()
    places = _places({org for pair in pairs for org in pair[:2]})
    features = [_flow_feature(places[gen], places[rec], grams, count)
                for gen, rec, grams, count in pairs if gen in places and rec in places]
    return {"type": "FeatureCollection", "layer": "flows", "features": features}


def _places(org_ids) -> dict[int, Organisation]:
    return {org.id: org for org in db.session.scalars(select(Organisation).where(
        Organisation.id.in_(org_ids), Organisation.lat.is_not(None), Organisation.lon.is_not(None)))}


def _flow_feature(generator: Organisation, receiver: Organisation, grams: int, count: int) -> dict:
    grams = int(grams or 0)
    line = [[float(generator.lon), float(generator.lat)], [float(receiver.lon), float(receiver.lat)]]
    rows = [(_("Generator"), generator.name), (_("Receiver"), receiver.name), (_("Shipped"), quantity(grams)),
            (_("Manifests"), count)]
    links = [(_("The generator's manifests"), url_for("manifests.index", party=generator.uscc)),
             (_("The receiver's manifests"), url_for("manifests.index", party=receiver.uscc))]
    return {"type": "Feature", "geometry": {"type": "LineString", "coordinates": line}, "properties": {
        "tonnes": str(Decimal(grams) / GRAMS_PER_TONNE), "manifests": count,
        "card": card(f"{generator.name} → {receiver.name}", _("Transfer flows (tonnes)"), rows, links)}}
