"""The calendar administration page: the stored days per year, adding and removing an administrator's
days, and which years the calendar covers."""
from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..accounts.models import User
from ..auth import admin_required
from ..clock import china_today
from ..errors import DomainError, NotFound
from ..extensions import db
from . import services
from .forms import CalendarDayForm, RemoveDayForm, YearFilterForm
from .models import KIND_LABELS, SOURCE_LABELS

bp = Blueprint("calendar", __name__, url_prefix="/admin/calendar")
PER_PAGE = 50


def _render(add_form: CalendarDayForm, status: int = 200):
    filters = YearFilterForm(formdata=request.args)
    valid = filters.validate()
    year = (filters.year.data if valid else None) or china_today().year
    kind = filters.kind.data if valid else None
    page = db.paginate(services.days_of_year_query(year, kind or None), per_page=PER_PAGE, error_out=False)
    creator_ids = {d.created_by_id for d in page.items if d.created_by_id}
    creators = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(creator_ids)))}
    coverage = services.year_coverage()
    return render_template("calendar/admin.html", filters=filters, form=add_form, remove_form=RemoveDayForm(),
                           page=page, year=year, coverage=coverage, creators=creators,
                           covered=services.is_year_covered(year), kinds=KIND_LABELS, sources=SOURCE_LABELS,
                           uncovered=[c.year for c in coverage if not c.covered]), status


@bp.get("/")
@admin_required
def index():
    return _render(CalendarDayForm())


@bp.post("/days")
@admin_required
def add_day():
    form = CalendarDayForm()
    if form.validate_on_submit():
        try:
            row = services.add_calendar_day(current_user, form.day.data, form.kind.data, form.name.data)
        except DomainError as exc:
            db.session.rollback()
            for name, message in (exc.fields or {"day": exc.message}).items():
                form[name].errors = [*form[name].errors, str(message)]
        else:
            db.session.commit()
            flash(_("%(day)s added: %(kind)s, %(name)s.", day=row.day.isoformat(), kind=KIND_LABELS[row.kind],
                    name=row.name))
            return redirect(url_for(".index", year=row.day.year))
    return _render(form, 422)


@bp.post("/days/<day>/remove")
@admin_required
def remove_day(day: str):
    try:
        when = date.fromisoformat(day)
    except ValueError:
        raise NotFound(_("%(day)s is not marked in the calendar.", day=day)) from None
    try:
        services.remove_calendar_day(current_user, when)
    except DomainError as exc:
        db.session.rollback()
        if exc.status == 404:
            raise
        flash(str(exc.message), "error")
    else:
        db.session.commit()
        flash(_("%(day)s removed from the calendar.", day=when.isoformat()))
    return redirect(url_for(".index", year=when.year))
