"""Every kind of alert the code raises has a label: the inbox filter, the e-mail subject and the title of the case
an alert opens show it, never the raw kind."""
import re
from pathlib import Path

from portal.regulatory.alerts.models import KIND_LABELS

ROOT = Path(__file__).resolve().parents[3]
RAISED = re.compile(r'raise_alert\(\s*"([a-z_]+)"')


def test_every_raised_kind_has_a_label():
    sources = [p for area in ("portal", "participation", "marketplace") for p in (ROOT / area).rglob("*.py")]
    raised = {kind for path in sources for kind in RAISED.findall(path.read_text(encoding="utf-8"))}
    assert {"licence_expiry", "transport_document_expiry", "report_overdue"} <= raised
    assert raised - set(KIND_LABELS) == set()
