"""A transfer out of the province: the manifests' parties plus a licensed receiver in 陕西省渭南市临渭区."""
from dataclasses import dataclass
from datetime import timedelta

import pytest

from portal.accounts.models import Organisation, User
from portal.clock import china_today
from portal.extensions import db
from portal.regulatory.manifests import services as manifests
from portal.regulatory.manifests.models import Manifest
from portal.regulatory.transfers import services
from tests.regulatory.manifests.conftest import Parties, build_parties, record_licence

WEST = "610502"  # 临渭区, 渭南市, 陕西省


@dataclass
class CrossParties:
    p: Parties
    west: Organisation  # the receiver in another province
    city_regulator: User

    def draft(self, lines=None, receiver=None) -> Manifest:
        values = self.p.draft_values()
        manifest = manifests.create_manifest_draft(
            generator_org=self.p.generator, receiver_org=receiver or self.west, actor=self.p.generator_user,
            carriers=values["carriers"], lines=values["lines"] if lines is None else lines,
            emergency_measures=values["emergency_measures"])
        db.session.commit()
        return manifest

    def approve(self, text="900-249-08 10t", number="豫环危跨审〔2026〕1号", valid_from=None, valid_until=None,
                regulator=None):
        today = china_today()
        approval = services.record_approval(
            regulator or self.p.regulator, generator=self.p.generator, receiver=self.west, number=number,
            approving_authority="河南省生态环境厅", valid_from=valid_from or today - timedelta(days=10),
            valid_until=valid_until or today + timedelta(days=300),
            lines=services.parse_quantity_lines(text, "lines"))
        db.session.commit()
        return approval


def build_cross(factory) -> CrossParties:
    p = build_parties(factory)  # generator and its regulator in 灵宝市 (411282)
    west = factory.org(name="渭南秦东环保科技有限公司", district=WEST, is_receiver=True)
    city_regulator = factory.regulator(jurisdiction="411200")
    record_licence(city_regulator, west, scopes="HW08 R9 D10", capacity_t=1000)
    return CrossParties(p, db.session.get(Organisation, west.id), db.session.get(User, city_regulator.id))


@pytest.fixture
def cross(ctx, factory) -> CrossParties:
    return build_cross(factory)


