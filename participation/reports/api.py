"""JSON API: a report's public status by tracking code (the same data as the public status page)."""
from datetime import datetime

from flask import jsonify

from portal.api import api
from portal.api.schemas import Output, endpoint

from . import services
from .models import Moderation


class TimelineEntry(Output):
    at: datetime
    action: str
    status: str
    department: str | None
    note: str


class ReportStatus(Output):
    tracking_code: str
    status: str
    category: str
    department: str | None
    district_code: str | None
    submitted_at: datetime
    expected_at: datetime | None
    public: bool
    timeline: list[TimelineEntry]


@api.get("/reports/<code>")
@endpoint("A public report's status and timeline by its tracking code", tags=["reports"], response=ReportStatus,
          responses={404: None}, descriptions={404: "No report has this tracking code"})
def report_status(code):
    report = services.get_by_code(code)
    return jsonify(
        tracking_code=report.tracking_code, status=report.status.value, category=report.category.value,
        department=services.department_name(report.department), district_code=report.district_code,
        submitted_at=report.created_at.isoformat(),
        expected_at=report.finish_due.isoformat() if report.finish_due else None,
        public=report.moderation == Moderation.PUBLIC,
        timeline=[{"at": e.at.isoformat(), "action": e.action, "status": e.status.value,
                   "department": services.department_name(e.department), "note": e.note or ""}
                  for e in report.events if e.public])
