"""The SQL backend's inverted index: keys of a listing's search text, and the index that finds them.

Keys are the CJK character bigrams of the text and its Latin/digit words (codes also without dashes, as
search_text holds them). Bigrams rather than jieba's words, because a query word must be found inside a
longer word (电池 in 废铅蓄电池, 煤灰 in 粉煤灰, 矿物油 in 含矿物油废物) and jieba cuts the listing's text and the
query differently; a word's bigrams are always among the bigrams of any text that contains it. The keys
only pick candidates: the backend still checks each term with LIKE on search_text, so answers are exactly
those of the substring search, found through the index instead of a scan.

- PostgreSQL: listings.search_tokens holds the keys, space-separated, and the generated column search_vector
  stores them as a tsvector (search_tokens::tsvector: lexemes taken as they are, no parser, no locale, no
  stemming), with a GIN index. Stored rather than an index on the cast: a match is rechecked and ranked on the
  row, and the cast, parsed again per row, was most of a query's time (migration 0024).
- SQLite: an FTS5 table over search_tokens (external content: it stores only the index), kept by triggers.
Both are maintained by the database in the listing's own transaction; `wufei search reindex --sql-only` and
migration 0017 fill search_tokens for existing rows.
"""
from sqlalchemy import DDL, bindparam, cast, column, event, literal, select, text, update
from sqlalchemy.dialects.postgresql import TSQUERY, TSVECTOR

from portal.extensions import db, not_in_models
from portal.search.keys import index_exact, index_keys, term_keys  # noqa: F401  (backends.py, tests)
from portal.search.keys import indexable as _indexable

from ..listings.models import Listing

FTS_TABLE = "listings_fts"
VECTOR_COLUMN = "search_vector"
GIN_INDEX = "ix_listings_search_vector"
# what lives in the database next to the models; Alembic's comparison must leave it alone
INDEX_OBJECTS = {FTS_TABLE, *(f"{FTS_TABLE}_{shadow}" for shadow in ("data", "idx", "docsize", "config", "content")),
                 VECTOR_COLUMN, GIN_INDEX}
not_in_models(*INDEX_OBJECTS)

_SQLITE_DDL = (
    "CREATE VIRTUAL TABLE listings_fts USING fts5(search_tokens, content='listings', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER listings_fts_insert AFTER INSERT ON listings BEGIN "
    "INSERT INTO listings_fts(rowid, search_tokens) VALUES (new.id, new.search_tokens); END",
    "CREATE TRIGGER listings_fts_delete AFTER DELETE ON listings BEGIN "
    "INSERT INTO listings_fts(listings_fts, rowid, search_tokens) VALUES ('delete', old.id, old.search_tokens); END",
    "CREATE TRIGGER listings_fts_update AFTER UPDATE OF search_tokens ON listings BEGIN "
    "INSERT INTO listings_fts(listings_fts, rowid, search_tokens) VALUES ('delete', old.id, old.search_tokens); "
    "INSERT INTO listings_fts(rowid, search_tokens) VALUES (new.id, new.search_tokens); END",
)
_SQLITE_DROP = ("DROP TRIGGER IF EXISTS listings_fts_update", "DROP TRIGGER IF EXISTS listings_fts_delete",
                "DROP TRIGGER IF EXISTS listings_fts_insert", f"DROP TABLE IF EXISTS {FTS_TABLE}")
# IF NOT EXISTS: migration 0017 runs these too, and 0024 then finds them made
_POSTGRES_DDL = (f"ALTER TABLE listings ADD COLUMN IF NOT EXISTS {VECTOR_COLUMN} tsvector "
                 "GENERATED ALWAYS AS (search_tokens::tsvector) STORED",
                 f"CREATE INDEX IF NOT EXISTS {GIN_INDEX} ON listings USING gin ({VECTOR_COLUMN})")
_POSTGRES_DROP = (f"DROP INDEX IF EXISTS {GIN_INDEX}", f"ALTER TABLE listings DROP COLUMN IF EXISTS {VECTOR_COLUMN}")


def search_tokens(search_text: str) -> str:
    """The search_tokens column for a listing's search_text."""
    return " ".join(index_keys(search_text))


def match_condition(terms: list[tuple[str, ...]]):
    """A condition on Listing that keeps every listing the terms' LIKE checks keep, answered by the index;
    None when no term can use it."""
    indexable = _indexable(terms)
    if not indexable:
        return None
    if db.engine.dialect.name == "postgresql":
        query = " & ".join("(" + " | ".join("(" + " & ".join(f"'{k}'" for k in keys) + ")" for keys in term) + ")"
                           for term in indexable)
        return column(VECTOR_COLUMN, TSVECTOR, _selectable=Listing.__table__).op("@@")(cast(literal(query), TSQUERY))
    if db.engine.dialect.name == "sqlite":
        query = " AND ".join("(" + " OR ".join("(" + " ".join(f'"{k}"' for k in keys) + ")" for keys in term) + ")"
                             for term in indexable)
        return Listing.id.in_(select(text("rowid")).select_from(text(FTS_TABLE))
                              .where(text(f"{FTS_TABLE} MATCH :fts_query").bindparams(fts_query=query)))
    return None


def create_statements(dialect: str) -> tuple[str, ...]:
    return {"sqlite": _SQLITE_DDL, "postgresql": _POSTGRES_DDL}.get(dialect, ())


def drop_statements(dialect: str) -> tuple[str, ...]:
    return {"sqlite": _SQLITE_DROP, "postgresql": _POSTGRES_DROP}.get(dialect, ())


def _create_with_table(target, connection, **_kw) -> None:
    for statement in create_statements(connection.dialect.name):
        connection.execute(DDL(statement))


def _drop_with_table(target, connection, **_kw) -> None:
    for statement in drop_statements(connection.dialect.name):
        connection.execute(DDL(statement))


# db.create_all() (tests, a fresh development database) builds the index with the table
event.listen(Listing.__table__, "after_create", _create_with_table)
event.listen(Listing.__table__, "before_drop", _drop_with_table)


def rebuild(batch: int = 5000) -> int:
    """Recompute search_tokens from search_text for every listing (the database updates the index)."""
    table = Listing.__table__
    # updated_at set to itself: recomputing an index changes nothing a user did
    statement = (update(table).where(table.c.id == bindparam("b_id"))
                 .values(search_tokens=bindparam("b_tokens"), updated_at=table.c.updated_at))
    count, last = 0, 0
    while rows := db.session.execute(select(Listing.id, Listing.search_text).where(Listing.id > last)
                                     .order_by(Listing.id).limit(batch)).all():
        db.session.execute(statement, [{"b_id": i, "b_tokens": search_tokens(t)} for i, t in rows])
        count, last = count + len(rows), rows[-1][0]
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text("INSERT INTO listings_fts(listings_fts) VALUES ('rebuild')"))
    db.session.commit()
    return count

