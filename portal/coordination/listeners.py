"""Cases opened by other areas' events: an alert raised by the regulatory core opens the case that makes a
department act on it (the core sends alert_raised and never imports this area)."""
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from ..jurisdiction import in_jurisdiction, is_whole_jurisdiction
from ..regulatory.alerts.models import KIND_LABELS
from ..regulatory.alerts.services import alert_message, alert_raised
from .models import CaseType, Source, Urgency
from .services import open_case

# alerts that already belong to a case of their own: a public report overdue is its report's case
NO_CASE_KINDS = frozenset({"report_overdue"})
# findings on hazardous waste (storage, capacity, manifests) are the hazardous-waste duty of the matrix
HAZARDOUS_PREFIXES = ("storage_", "facility_", "manifest_")


def open_alert_case(alert) -> None:
    """Open the case of a new alert in a district of the city, dispatched by the duty matrix (idempotent on
    the alert's id). The title and description are stored in the platform's default language."""
    district = alert.district_code
    if alert.kind in NO_CASE_KINDS or not in_jurisdiction(district) or is_whole_jurisdiction(district):
        return
    case_type = CaseType.HAZARDOUS_WASTE if alert.kind.startswith(HAZARDOUS_PREFIXES) else CaseType.MONITORING_ALERT
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        description = alert_message(alert) or _("Alert %(id)s", id=alert.id)
        title = str(KIND_LABELS[alert.kind]) if alert.kind in KIND_LABELS else description[:200]
    open_case(case_type=case_type, source=Source.ALERT, source_ref=str(alert.id), title=title,
              description=description, district_code=district,
              urgency=Urgency.URGENT if alert.severity == "critical" else Urgency.ORDINARY, opened_by=None)


def connect() -> None:
    alert_raised.connect(open_alert_case, weak=False)
