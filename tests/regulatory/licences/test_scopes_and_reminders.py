"""Strict parsing of the scope text, and the reminders before a licence expires."""
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from portal.errors import DomainError
from portal.extensions import db
from portal.regulatory.alerts.models import Alert
from portal.regulatory.alerts.services import scan_all
from portal.regulatory.licences import services

pytestmark = pytest.mark.usefixtures("ctx")


def test_scope_text_accepts_both_spellings_categories_methods_and_capacities():
    lines = services.parse_scope_text("HW08 R9, D10\n90004149 d10 2.5t\n\n772-002-18、D1")
    assert [(s.target, s.methods, s.annual_capacity_g) for s in lines] == [
        ("HW08", ["R9", "D10"], None), ("900-041-49", ["D10"], 2_500_000), ("772-002-18", ["D1"], None)]


@pytest.mark.parametrize(("text", "fragment"), [
    ("999-999-99 D10", "999-999-99"),  # not in the catalogue
    ("HW99 D10", "HW99"),  # no such category
    ("SW01 R1", "SW01"),  # general industrial waste needs no hazardous waste licence
    ("900-041-49 D19", "D19"),  # no such disposal method
    ("900-041-49 X1", "X1"),  # neither method nor capacity
    ("900-041-49", "900-041-49"),  # no method
    ("HW08 R9\nhw08 D10", "HW08"),  # listed twice
    ("", ""),
])
def test_scope_text_is_refused_when_any_token_is_unknown(text, fragment):
    with pytest.raises(DomainError) as exc:
        services.parse_scope_text(text)
    assert fragment in exc.value.fields["scopes"]


def _alerts():
    return db.session.scalars(select(Alert).where(Alert.kind == "licence_expiry").order_by(Alert.id)).all()


def test_expiry_reminders_come_at_90_30_and_7_days_once_each(receiver, make_licence):
    licence = make_licence(receiver, valid_until=date(2026, 12, 31))
    at = lambda day: datetime(*day, 1, 0, tzinfo=UTC)  # noqa: E731  09:00 in China
    assert scan_all(at((2026, 9, 1)))["scan_licence_expiry"] == 0  # 121 days ahead
    assert scan_all(at((2026, 10, 5)))["scan_licence_expiry"] == 1  # 87 days
    assert scan_all(at((2026, 10, 6)))["scan_licence_expiry"] == 0  # same reminder: not again
    assert scan_all(at((2026, 12, 2)))["scan_licence_expiry"] == 1  # 29 days
    assert scan_all(at((2026, 12, 28)))["scan_licence_expiry"] == 1  # 3 days
    assert scan_all(at((2026, 12, 29)))["scan_licence_expiry"] == 0
    alerts = _alerts()
    assert [a.severity for a in alerts] == ["info", "warning", "critical"]
    assert [a.dedup_key.split(":")[:3] for a in alerts] == [
        ["licence-expiry", str(licence.id), d] for d in ("90", "30", "7")]
    assert alerts[0].organisation_id == receiver.id and alerts[0].district_code == "411282"


def test_a_revoked_licence_gets_no_reminder_and_a_late_entry_only_the_tightest(receiver, make_licence, regulator):
    revoked = make_licence(receiver, suffix="R", valid_until=date(2026, 12, 31))
    services.change_licence_status(db.session.merge(regulator), revoked, "revoke", "吊销")
    make_licence(receiver, suffix="L", valid_until=date(2026, 12, 20))
    assert scan_all(datetime(2026, 12, 1, 1, 0, tzinfo=UTC))["scan_licence_expiry"] == 1
    assert [a.severity for a in _alerts()] == ["warning"]
