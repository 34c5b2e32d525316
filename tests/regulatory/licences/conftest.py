"""Helpers for the licence tests: a recorded licence and receipts in the ledger."""
from datetime import UTC, date, datetime

import pytest

from portal.extensions import db
from portal.regulatory.batches.models import Batch
from portal.regulatory.catalogue import lookup_waste_code
from portal.regulatory.ledger.services import append_event
from portal.regulatory.licences import services

DAY = date(2026, 6, 15)
TONNE = 1_000_000


@pytest.fixture
def regulator(factory):
    return factory.regulator(jurisdiction="411282")


@pytest.fixture
def receiver(factory):
    return factory.org(name="灵宝市危废处置有限公司", district="411282", is_receiver=True)


@pytest.fixture
def make_licence(regulator):
    """Record a licence as the district's regulator; keyword arguments override the defaults."""
    def make(org, scopes="HW08 R9 D10\n900-041-49 D10", **overrides):
        fields = {"number": f"豫环许可危废字{org.id}{overrides.pop('suffix', 'A')}号",
                  "kind": "comprehensive", "issuing_authority": "河南省生态环境厅",
                  "issued_on": date(2024, 12, 20), "valid_from": date(2025, 1, 1), "valid_until": date(2029, 12, 31),
                  "annual_capacity_g": 10 * TONNE, "notes": None, **overrides}
        licence = services.record_licence(db.session.merge(regulator), db.session.merge(org),
                                          scopes=services.parse_scope_text(scopes), **fields)
        db.session.commit()
        return licence
    return make


@pytest.fixture
def receive(factory):
    """Record that org received grams of code at `when`, as a 'received' ledger event."""
    def make(org, code, grams, when=datetime(2026, 3, 1, 2, 0, tzinfo=UTC)):
        generator = factory.org(is_generator=True)
        entry = lookup_waste_code(code)
        batch = Batch(organisation_id=generator.id, waste_code_id=entry.id, waste_code=entry.code,
                      stream="hazardous", quantity_g=grams, unit_label="kg", form="liquid", packaging="铁桶",
                      hazards=",".join(entry.hazards), generated_on=when.date(), status="received")
        db.session.add(batch)
        db.session.flush()
        append_event(batch, "received", actor=None, organisation=org, quantity_g=grams, occurred_at=when)
        db.session.commit()
    return make
