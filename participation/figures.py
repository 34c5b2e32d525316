"""Public figures of participation on the home page: containers traced and tonnes treated (from the ledger,
as on /t/), and the public reports handled within their deadline."""
from sqlalchemy import func, select

from portal.extensions import db

from .reports.models import CLOSED_STATUSES, Report
from .trace import page, services

ORDER = 20  # after the information hall's latest documents


def reports_on_time() -> dict:
    """Closed reports, and how many of them were closed by their deadline (finish_due)."""
    closed = (Report.closed_at.is_not(None), Report.status.in_(CLOSED_STATUSES))
    total = db.session.scalar(select(func.count()).select_from(Report).where(*closed)) or 0
    on_time = db.session.scalar(select(func.count()).select_from(Report).where(
        *closed, Report.closed_at <= Report.finish_due)) or 0
    return {"closed": total, "on_time": on_time, "percent": round(100 * on_time / total) if total else None}


def public_figures_panel():
    return ("participation/_public_figures.html",
            {"trace": services.public_figures(), "streams": page.STREAMS, "reports": reports_on_time()}, ORDER)
