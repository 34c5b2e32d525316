"""The transactional outbox of the search index.

Every change of a listing adds a SearchOutbox row in the same transaction, so a committed change is never
lost for the index, even when Meilisearch is down: the rows wait until `drain()` (a job started after the
commit, or `wufei search drain`) has handed them to Meilisearch."""
from datetime import datetime

from flask import current_app
from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.jobs import enqueue
from portal.types import UTCDateTime, utcnow

from . import meili
from .meili import SearchUnavailable


class SearchOutbox(db.Model):
    __tablename__ = "search_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(String(20), default="listing")
    entity_id: Mapped[int] = mapped_column()
    op: Mapped[str] = mapped_column(String(10), default="upsert")  # upsert or delete
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


def record_change(entity_id: int, op: str = "upsert", entity: str = "listing") -> SearchOutbox:
    """Queue an index update in the caller's transaction; the drain starts once that transaction commits: as a
    job with a queue, inline in a CLI command or job, and never inside a request, which must not wait for
    Meilisearch (without a queue the row waits for `wufei search drain`, run from a timer)."""
    row = SearchOutbox(entity=entity, entity_id=entity_id, op=op)
    db.session.add(row)
    enqueue(drain, after_commit=True, in_request=False)
    return row


def pending_count() -> int:
    from sqlalchemy import func

    return db.session.scalar(select(func.count(SearchOutbox.id)).where(SearchOutbox.processed_at.is_(None)))


def drain(limit: int = 1000) -> int:
    """Send pending changes to Meilisearch and mark them processed; returns how many rows were handled.
    Without Meilisearch configured there is no index to keep, so the rows are simply marked."""
    from .backends import meilisearch_configured

    rows = list(db.session.scalars(select(SearchOutbox).where(SearchOutbox.processed_at.is_(None))
                                   .order_by(SearchOutbox.id).limit(limit).with_for_update(skip_locked=True)))
    if not rows:
        db.session.rollback()
        return 0
    if meilisearch_configured():
        try:
            _send(rows)
        except SearchUnavailable as exc:
            db.session.rollback()
            current_app.logger.warning("search outbox not drained, Meilisearch unavailable: %s", exc)
            return 0
    now = utcnow()
    for row in rows:
        row.processed_at = now
    db.session.commit()
    return len(rows)


def _send(rows: list[SearchOutbox]) -> None:
    meili.ensure_index()
    ids = {row.entity_id for row in rows if row.entity == "listing"}
    listings = meili.load_listings(ids)
    found = {li.id for li in listings}
    tasks = []
    timeout = current_app.config["MEILISEARCH_WRITE_TIMEOUT"]
    if listings:
        tasks.append(meili.call(lambda index: index.add_documents([meili.document(li) for li in listings]),
                                timeout).task_uid)
    if gone := sorted(ids - found):
        tasks.append(meili.call(lambda index: index.delete_documents(gone), timeout).task_uid)
    if current_app.config.get("SEARCH_WAIT_FOR_INDEXING"):
        meili_client = meili.client(timeout)
        for task in tasks:
            meili.wait(meili_client, task)
