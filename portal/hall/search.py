"""Searching the hall with the marketplace's two backends: Meilisearch when configured, SQL otherwise.

Both use the vocabulary of portal.search (jieba with the domain words, the reviewed synonyms) and answer only
published documents. SQL: every query term (or one of its synonyms) must occur in the stored search text;
candidates come from the inverted index (CJK bigrams, portal.search.keys: an FTS5 table on SQLite, a GIN
index on PostgreSQL), terms found in the title rank first, then the newest. Meilisearch: an index of the
published documents, fed through the documents' own outbox flag (index_pending), searched with the same
synonyms and dictionary; when it fails the SQL backend answers.
"""
from dataclasses import dataclass
from datetime import date

import meilisearch
import requests
from flask import current_app
from meilisearch.errors import MeilisearchApiError, MeilisearchCommunicationError, MeilisearchTimeoutError
from sqlalchemy import DDL, case, cast, event, func, literal, or_, select, text
from sqlalchemy.dialects.postgresql import TSQUERY, TSVECTOR

from ..extensions import db, not_in_models
from ..search.keys import index_exact, index_keys, indexable
from ..search.vocabulary import CODE, DICTIONARY, indexed_text, meilisearch_synonyms, normalise, query_terms
from .models import DocStatus, HallDocument

FTS_TABLE = "hall_documents_fts"
GIN_INDEX = "ix_hall_documents_search_tokens"
not_in_models(FTS_TABLE, *(f"{FTS_TABLE}_{s}" for s in ("data", "idx", "docsize", "config", "content")), GIN_INDEX)

_SQLITE_DDL = (
    "CREATE VIRTUAL TABLE hall_documents_fts USING fts5(search_tokens, content='hall_documents', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER hall_documents_fts_insert AFTER INSERT ON hall_documents BEGIN "
    "INSERT INTO hall_documents_fts(rowid, search_tokens) VALUES (new.id, new.search_tokens); END",
    "CREATE TRIGGER hall_documents_fts_delete AFTER DELETE ON hall_documents BEGIN "
    "INSERT INTO hall_documents_fts(hall_documents_fts, rowid, search_tokens) "
    "VALUES ('delete', old.id, old.search_tokens); END",
    "CREATE TRIGGER hall_documents_fts_update AFTER UPDATE OF search_tokens ON hall_documents BEGIN "
    "INSERT INTO hall_documents_fts(hall_documents_fts, rowid, search_tokens) "
    "VALUES ('delete', old.id, old.search_tokens); "
    "INSERT INTO hall_documents_fts(rowid, search_tokens) VALUES (new.id, new.search_tokens); END",
)
_SQLITE_DROP = ("DROP TRIGGER IF EXISTS hall_documents_fts_update", "DROP TRIGGER IF EXISTS hall_documents_fts_delete",
                "DROP TRIGGER IF EXISTS hall_documents_fts_insert", "DROP TABLE IF EXISTS hall_documents_fts")
_POSTGRES_DDL = (f"CREATE INDEX {GIN_INDEX} ON hall_documents USING gin ((search_tokens::tsvector))",)
_POSTGRES_DROP = (f"DROP INDEX IF EXISTS {GIN_INDEX}",)


def create_statements(dialect: str) -> tuple[str, ...]:
    return {"sqlite": _SQLITE_DDL, "postgresql": _POSTGRES_DDL}.get(dialect, ())


def drop_statements(dialect: str) -> tuple[str, ...]:
    return {"sqlite": _SQLITE_DROP, "postgresql": _POSTGRES_DROP}.get(dialect, ())


# db.create_all() (tests, a fresh development database) builds the index with the table
event.listen(HallDocument.__table__, "after_create",
             lambda _t, connection, **_kw: [connection.execute(DDL(s)) for s in create_statements(connection.dialect.name)])
event.listen(HallDocument.__table__, "before_drop",
             lambda _t, connection, **_kw: [connection.execute(DDL(s)) for s in drop_statements(connection.dialect.name)])


def document_search_text(document: HallDocument) -> str:
    """What the SQL backend searches: both titles, both bodies, the document number, the kind's names."""
    kind = document.kind
    return indexed_text(document.title_zh, document.title_en, document.document_number, document.body_zh,
                        document.body_en, kind.name_zh if kind else None, kind.name_en if kind else None)


def refresh_search_text(document: HallDocument) -> None:
    document.search_text = document_search_text(document)
    document.search_tokens = " ".join(index_keys(document.search_text))
    document.index_pending = True


@dataclass
class Filters:
    kind: str | None = None
    department: str | None = None
    year: int | None = None


@dataclass
class Result:
    items: list[HallDocument]
    total: int
    backend: str


def _like(column, term: str):
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.like(f"%{escaped}%", escape="\\")


def filter_conditions(filters: Filters) -> list:
    conds = [HallDocument.status == DocStatus.PUBLISHED.value]
    if filters.kind:
        conds.append(HallDocument.kind_slug == filters.kind)
    if filters.department:
        conds.append(HallDocument.department == filters.department)
    if filters.year:
        conds += [HallDocument.issued_on >= date(filters.year, 1, 1), HallDocument.issued_on <= date(filters.year, 12, 31)]
    return conds


def _index_condition(terms: list[tuple[str, ...]]):
    keyed = indexable(terms)
    if not keyed:
        return None
    if db.engine.dialect.name == "postgresql":
        query = " & ".join("(" + " | ".join("(" + " & ".join(f"'{k}'" for k in keys) + ")" for keys in term) + ")"
                           for term in keyed)
        return cast(HallDocument.search_tokens, TSVECTOR).op("@@")(cast(literal(query), TSQUERY))
    if db.engine.dialect.name == "sqlite":
        query = " AND ".join("(" + " OR ".join("(" + " ".join(f'"{k}"' for k in keys) + ")" for keys in term) + ")"
                             for term in keyed)
        return HallDocument.id.in_(select(text("rowid")).select_from(text(FTS_TABLE))
                                   .where(text(f"{FTS_TABLE} MATCH :hall_query").bindparams(hall_query=query)))
    return None


def sql_search(query: str, filters: Filters, page: int, per_page: int) -> Result:
    terms = query_terms(query)
    conds = filter_conditions(filters)
    if (indexed := _index_condition(terms)) is not None:
        conds.append(indexed)
    for alternatives in terms:
        if not index_exact(alternatives):
            conds.append(or_(*[_like(HallDocument.search_text, a) for a in alternatives]))
    titles = func.lower(HallDocument.title_zh + " " + func.coalesce(HallDocument.title_en, ""))
    score = sum((case((or_(*[_like(titles, a) for a in alts]), 1), else_=0) for alts in terms), start=0)
    total = db.session.scalar(select(func.count()).select_from(HallDocument).where(*conds)) or 0
    order = ([score.desc()] if terms else []) + [HallDocument.issued_on.desc(), HallDocument.id.desc()]
    items = list(db.session.scalars(select(HallDocument).where(*conds).order_by(*order)
                                    .limit(per_page).offset((page - 1) * per_page))) if total else []
    return Result(items, total, "sql")


# --- Meilisearch -----------------------------------------------------------------------------------------

class IndexTaskFailed(Exception):
    """Meilisearch answered that an index task failed."""


_FAILURES = (IndexTaskFailed, MeilisearchApiError, MeilisearchCommunicationError, MeilisearchTimeoutError, requests.RequestException)


def meilisearch_configured() -> bool:
    return bool(current_app.config.get("MEILISEARCH_URL")) and current_app.config.get("SEARCH_BACKEND") != "sql"


def _client(timeout: float) -> meilisearch.Client:
    return meilisearch.Client(current_app.config["MEILISEARCH_URL"], current_app.config.get("MEILISEARCH_API_KEY"),
                              timeout=timeout)


def index_uid() -> str:
    return current_app.config.get("MEILISEARCH_INDEX_PREFIX", "wufei_") + "hall_documents"


def meili_settings() -> dict:
    return {
        "searchableAttributes": ["title_zh", "title_en", "document_number", "codes", "body_zh", "body_en", "kind_name"],
        "filterableAttributes": ["kind", "department", "year"],
        "sortableAttributes": ["date", "id"],
        "rankingRules": ["sort", "words", "typo", "proximity", "attribute", "exactness"],
        "synonyms": meilisearch_synonyms(),
        "dictionary": list(DICTIONARY),
        "localizedAttributes": [{"attributePatterns": ["*_zh", "kind_name", "document_number"], "locales": ["cmn"]}],
        "typoTolerance": {"disableOnAttributes": ["document_number", "codes"], "disableOnNumbers": True},
    }


def waste_codes(*texts: str | None) -> list[str]:
    """The catalogue codes a text names, dashed and compact (a code is searched either way)."""
    found = {}
    for match in CODE.finditer(normalise(" ".join(t for t in texts if t))):
        parts = match.groups()
        found.update({"-".join(parts): None, "".join(parts): None})
    return list(found)


def meili_document(document: HallDocument) -> dict:
    kind = document.kind
    return {"id": document.id, "title_zh": normalise(document.title_zh), "title_en": normalise(document.title_en or ""),
            "body_zh": normalise(document.body_zh), "body_en": normalise(document.body_en or ""),
            "document_number": normalise(document.document_number or ""),
            "codes": waste_codes(document.title_zh, document.title_en, document.body_zh, document.body_en),
            "kind_name": f"{kind.name_zh} {kind.name_en}" if kind else "", "kind": document.kind_slug,
            "department": str(document.department), "year": document.issued_on.year,
            "date": document.issued_on.toordinal()}


def _wait(client: meilisearch.Client, task_uid: int) -> None:
    timeout_s = current_app.config.get("MEILISEARCH_TASK_TIMEOUT", 30.0)
    task = client.wait_for_task(task_uid, timeout_in_ms=int(timeout_s * 1000), interval_in_ms=50)
    if task.status != "succeeded":
        raise IndexTaskFailed(f"task {task_uid} {task.status}: {task.error}")


def _ensure_index(client: meilisearch.Client) -> None:
    try:
        client.get_index(index_uid())
        return
    except MeilisearchApiError as exc:
        if exc.code != "index_not_found":
            raise
    _wait(client, client.create_index(index_uid(), {"primaryKey": "id"}).task_uid)
    _wait(client, client.index(index_uid()).update_settings(meili_settings()).task_uid)


def drain(wait: bool = False) -> int:
    """Send the documents changed since the last drain to Meilisearch (published ones added, others removed)
    and clear their flag; without Meilisearch the flags are simply cleared. Answers how many were handled."""
    pending = list(db.session.scalars(select(HallDocument).where(HallDocument.index_pending.is_(True))
                                      .order_by(HallDocument.id).limit(1000)))
    if not pending:
        return 0
    if meilisearch_configured():
        try:
            _send(pending, wait)
        except _FAILURES as exc:
            db.session.rollback()
            current_app.logger.warning("hall index not updated, Meilisearch unavailable: %s", exc)
            return 0
    for document in pending:
        document.index_pending = False
    db.session.commit()
    return len(pending)


def _send(documents: list[HallDocument], wait: bool) -> None:
    client = _client(current_app.config.get("MEILISEARCH_WRITE_TIMEOUT", 5.0))
    _ensure_index(client)
    index = client.index(index_uid())
    shown = [d for d in documents if d.status == DocStatus.PUBLISHED.value]
    hidden = [d.id for d in documents if d.status != DocStatus.PUBLISHED.value]
    tasks = []
    if shown:
        tasks.append(index.add_documents([meili_document(d) for d in shown]).task_uid)
    if hidden:
        tasks.append(index.delete_documents(hidden).task_uid)
    if wait:
        for task in tasks:
            _wait(client, task)


def reindex() -> int:
    """Mark every document for the index and drain them all (published ones are sent, others removed)."""
    db.session.execute(HallDocument.__table__.update().values(index_pending=True))
    db.session.commit()
    count = 0
    while handled := drain(wait=True):
        count += handled
    return count


def meili_search(query: str, filters: Filters, page: int, per_page: int) -> Result:
    expression = [f'kind = "{filters.kind}"'] if filters.kind else []
    if filters.department:
        expression.append(f'department = "{filters.department}"')
    if filters.year:
        expression.append(f"year = {int(filters.year)}")
    params = {"filter": expression, "page": page, "hitsPerPage": per_page, "attributesToRetrieve": ["id"],
              "matchingStrategy": "all", "locales": ["cmn"]}
    if not query.strip():
        params["sort"] = ["date:desc", "id:desc"]
    client = _client(current_app.config.get("MEILISEARCH_TIMEOUT", 0.3))
    answer = client.index(index_uid()).search(normalise(query), params)
    ids = [hit["id"] for hit in answer["hits"]]
    # the index may lag behind a withdrawal just committed: only what is published now is shown
    found = {d.id: d for d in db.session.scalars(select(HallDocument).where(*filter_conditions(filters),
                                                                             HallDocument.id.in_(ids)))}
    return Result([found[i] for i in ids if i in found], answer.get("totalHits", len(found)), "meilisearch")


def _changes_pending() -> bool:
    """True while a change waits for the drain: the SQL backend, always current, answers until it has run."""
    return db.session.scalar(select(HallDocument.id).where(HallDocument.index_pending.is_(True)).limit(1)) is not None


def search(query: str, filters: Filters, page: int = 1, per_page: int = 20) -> Result:
    """Published documents matching the query and filters, best first (newest first without a query)."""
    if meilisearch_configured() and not _changes_pending():
        try:
            return meili_search(query, filters, page, per_page)
        except _FAILURES as exc:
            current_app.logger.warning("Meilisearch unavailable, searching the hall with SQL: %s", exc)
    return sql_search(query, filters, page, per_page)
