"""Helpers of the emergency tests: licensed receivers at known places, a regulator, an incident."""
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from portal.clock import china_today
from portal.extensions import db
from portal.regulatory.licences import services as licences

TONNE = 1_000_000
# 陕州区 and 灵宝市 points (WGS-84), inside their districts
NEAR = (Decimal("34.730000"), Decimal("111.150000"))


@pytest.fixture
def city_regulator(factory):
    return factory.regulator(jurisdiction="411200", email="city.reg@example.cn")


@pytest.fixture
def licensed(factory, city_regulator):
    """A verified receiver at (lat, lon) holding a licence for the scope text; returns the organisation."""
    def make(name, lat, lon, scopes="HW49 D10", district="411203", capacity_t=100, valid=True):
        org = factory.org(name=name, district=district, is_receiver=True)
        org = db.session.merge(org)
        org.lat, org.lon = Decimal(lat), Decimal(lon)
        today = china_today()
        licences.record_licence(
            db.session.merge(city_regulator), org, scopes=licences.parse_scope_text(scopes),
            number=f"豫环许可危废字{org.id}号", kind="comprehensive", issuing_authority="河南省生态环境厅",
            issued_on=today - timedelta(days=400), valid_from=today - timedelta(days=365),
            valid_until=today + (timedelta(days=365) if valid else -timedelta(days=2)),
            annual_capacity_g=capacity_t * TONNE, notes=None)
        db.session.commit()
        return org
    return make


def an_hour_ago() -> datetime:
    return datetime.now(UTC) - timedelta(hours=1)
