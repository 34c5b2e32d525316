"""Serial numbers from a counter row per prefix (manifests, general waste transfer records)."""
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db

MAX_SERIAL = 999_999  # six digits


def next_serial(counter_model, prefix: str) -> int | None:
    """The next serial of prefix, or None when all six digits are used. The counter row is created on first
    use and locked FOR UPDATE until the caller commits, so concurrent callers queue and a rolled-back caller
    gives its serial back."""
    insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    db.session.execute(insert(counter_model).values(prefix=prefix, last_serial=0)
                       .on_conflict_do_nothing(index_elements=["prefix"]))
    counter = db.session.execute(
        select(counter_model).where(counter_model.prefix == prefix).with_for_update()
        .execution_options(populate_existing=True)).scalar_one()
    if counter.last_serial >= MAX_SERIAL:
        return None
    counter.last_serial += 1
    db.session.flush()
    return counter.last_serial
