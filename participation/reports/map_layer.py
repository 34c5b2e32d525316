"""The public reports as a layer of the regulators' one map (portal/command/map_layers.py).

Every regulator of a district sees the reports filed in it, whichever department handles them: the map is the
jurisdiction's picture. The card shows what the public page shows (category, state, place, dates), never the
reporter's contact; its handling link is there only for the department the report is routed to.
"""
from flask import url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import false, select

from portal import auth
from portal.command.map_layers import LAYER_LABELS, MapFilters, PointLayer, card, layer_select, register_layer
from portal.errors import NotFound
from portal.extensions import db
from portal.jurisdiction import jurisdiction_code
from portal.types import utcnow

from .models import CATEGORY_LABELS, OPEN_STATUSES, STATUS_LABELS, Category, Report, Status


def _scoped(query, user):
    if auth.is_admin(user):
        return query
    regulator = auth.regulator_of(user)
    if regulator is None or auth.outside_regulator(user) is not None:
        return query.where(false())
    if regulator.jurisdiction_code == jurisdiction_code():
        return query
    return query.where(Report.district_code == regulator.jurisdiction_code)


def report_points(user, filters: MapFilters):
    query = layer_select(Report.id, Report.lat, Report.lon, Report.tracking_code).where(
        Report.status != Status.DUPLICATE)
    if filters.stream:  # the categories named like a waste stream; the others (burning …) belong to none
        query = query.where(Report.category == filters.stream) if filters.stream in set(Category) else query.where(false())
    start, end = filters.instants()
    if start:
        query = query.where(Report.created_at >= start)
    if end:
        query = query.where(Report.created_at < end)
    return _scoped(query, user)


def _overdue(report: Report, now) -> bool:
    due = report.accept_due if report.status == Status.SUBMITTED else report.finish_due
    return report.status in OPEN_STATUSES and due < now


def report_marks(ids, filters: MapFilters) -> dict:
    now = utcnow()
    marks = {}
    for report in db.session.scalars(select(Report).where(Report.id.in_(ids))):
        state = "overdue" if _overdue(report, now) else "open" if report.status in OPEN_STATUSES else "closed"
        marks[report.id] = {"level": state}
    return marks


def report_card(user, report_id: int, filters: MapFilters) -> dict:
    report = db.session.scalar(_scoped(select(Report), user).where(Report.id == report_id))
    if report is None:
        raise NotFound(_("Not found."))
    rows = [(_("Category"), CATEGORY_LABELS.get(report.category, report.category)),
            (_("State"), STATUS_LABELS.get(report.status, report.status)),
            (_("Filed"), format_datetime(report.created_at, "short")),
            (_("Place"), report.address), (_("District"), report.district.name if report.district else ""),
            (_("To be handled by"), format_datetime(report.finish_due, "short"))]
    if _overdue(report, utcnow()):
        rows.append((_("Deadline"), _("Overdue")))
    links = []
    if auth.can_handle_case(user, report.department, report.district_code):
        links.append((_("Handle the report"), url_for("report_staff.detail", report_id=report.id)))
    title = _("Report %(code)s", code=report.tracking_code)
    return card(title, LAYER_LABELS["reports"], rows, links)


def register() -> None:
    register_layer(PointLayer("reports", LAYER_LABELS["reports"], report_points, report_card, report_marks))
