"""Serial numbers from a counter row per prefix: one upsert per number, none once six digits are used."""
from sqlalchemy import update

from portal.extensions import db
from portal.regulatory.counters import MAX_SERIAL, next_serial
from portal.regulatory.manifests.models import ManifestNumberCounter


def test_serials_start_at_one_follow_on_and_stop_at_six_digits(ctx):
    assert [next_serial(ManifestNumberCounter, "4112") for _ in range(3)] == [1, 2, 3]
    assert next_serial(ManifestNumberCounter, "4113") == 1  # each prefix counts on its own
    db.session.execute(update(ManifestNumberCounter).where(ManifestNumberCounter.prefix == "4112")
                       .values(last_serial=MAX_SERIAL - 1))
    assert next_serial(ManifestNumberCounter, "4112") == MAX_SERIAL
    assert next_serial(ManifestNumberCounter, "4112") is None
    assert next_serial(ManifestNumberCounter, "4112") is None
