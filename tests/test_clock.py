"""One "today" for every business rule: the date in China, whatever the host's clock zone."""
import ast
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from portal.clock import china_date, china_today

ROOT = Path(__file__).resolve().parent.parent


def test_china_is_a_day_ahead_of_utc_from_16_00_utc():
    assert china_date(datetime(2025, 12, 31, 15, 59, tzinfo=UTC)) == date(2025, 12, 31)
    assert china_date(datetime(2025, 12, 31, 16, 0, tzinfo=UTC)) == date(2026, 1, 1)
    assert china_today() - datetime.now(UTC).date() in (timedelta(0), timedelta(days=1))


def test_there_is_one_today_helper():
    helpers = []
    for package in ("portal", "marketplace", "participation"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.FunctionDef) and "today" in node.name:
                    helpers.append(f"{path.relative_to(ROOT)}:{node.name}")
    assert helpers == ["portal/clock.py:china_today"]
