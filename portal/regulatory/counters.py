"""Serial numbers from a counter row per prefix (manifests, general waste transfer records)."""
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db

MAX_SERIAL = 999_999  # six digits


def next_serial(counter_model, prefix: str) -> int | None:
    """The next serial of prefix, or None when all six digits are used: one upsert that creates the counter row
    on first use or moves it on, and returns the serial. The row stays locked until the caller commits, so
    concurrent callers queue and a rolled-back caller gives its serial back."""
    insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    table = counter_model.__table__
    return db.session.execute(
        insert(table).values(prefix=prefix, last_serial=1)
        .on_conflict_do_update(index_elements=["prefix"], set_={"last_serial": table.c.last_serial + 1},
                               where=table.c.last_serial < MAX_SERIAL)
        .returning(table.c.last_serial)).scalar_one_or_none()
