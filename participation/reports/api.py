"""JSON API: a report's public status by tracking code (the same data as the public status page)."""
from flask import jsonify

from portal.api import api
from portal.api.core import doc, register_schema

from . import services
from .models import Moderation

REPORT_STATUS = register_schema("ReportStatus", {
    "type": "object",
    "required": ["tracking_code", "status", "category", "department", "expected_at", "timeline"],
    "properties": {
        "tracking_code": {"type": "string"}, "status": {"type": "string"}, "category": {"type": "string"},
        "department": {"type": "string"}, "district_code": {"type": "string"},
        "submitted_at": {"type": "string", "format": "date-time"},
        "expected_at": {"type": "string", "format": "date-time"},
        "public": {"type": "boolean"},
        "timeline": {"type": "array", "items": {"type": "object", "properties": {
            "at": {"type": "string", "format": "date-time"}, "action": {"type": "string"},
            "status": {"type": "string"}, "department": {"type": "string"}, "note": {"type": "string"}}}},
    },
})


@api.get("/reports/<code>")
@doc("A public report's status and timeline by its tracking code", tags=["reports"],
     responses={"200": {"description": "The report", "content": {"application/json": {"schema": REPORT_STATUS}}}})
def report_status(code):
    report = services.get_by_code(code)
    return jsonify(
        tracking_code=report.tracking_code, status=report.status.value, category=report.category.value,
        department=services.department_name(report.department), district_code=report.district_code,
        submitted_at=report.created_at.isoformat(), expected_at=report.finish_due.isoformat(),
        public=report.moderation == Moderation.PUBLIC,
        timeline=[{"at": e.at.isoformat(), "action": e.action, "status": e.status.value,
                   "department": services.department_name(e.department), "note": e.note or ""}
                  for e in report.events if e.public])
