"""The public trace of every batch, kept ready: what /t/<code> shows an anonymous reader, in one indexed read.

A scanned label is the platform's busiest page. Built live, it reads the batch and its events, hashes the whole
chain and names each party; the snapshot keeps that result per batch, so the page costs one lookup by code
(bench/trace_bench.py measures both). A snapshot is used only while it still tells the truth:

- every append to its batch's ledger deletes it in the append's own statement, and the first public read after
  the commit, answered by the live trace, builds it again (build_on_read: off the ledger's commit path, once
  under the batch row's lock; when that fails, the next read or sweep builds it);
- its integrity verdict is at most TRACE_VERIFIED_MAX_AGE seconds old: the chain is verified whenever the
  snapshot is built and again by every `wufei ledger verify` sweep, which rebuilds the batches it finds altered
  (a row changed behind the ledger's back leaves the head as it was: only hashing finds it);
- its body has the current shape (BODY_VERSION).

Otherwise the reader gets trace(), which reads and verifies the ledger live. Snapshots hold the public view only:
no personal names, no vehicle plates.

The snapshot also keeps the page itself: the HTML of every code of the batch (the batch and each container) in
every language, rendered from the body when the snapshot is built (by the renderer participation.trace registers,
as portal does not import the page). A request for an anonymous reader is then one indexed read of the bytes it
writes (stored_page). The stored pages live in the same row as the body, so deleting the row (mark_stale)
invalidates them with it; they are used only under the body's own rules above, while the renderer's version
(its code, labels and catalogues) is the one that made them, and while the container's state and quantity are
those it was rendered with.
"""
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from sqlalchemy import JSON, ForeignKey, String, Text, bindparam, delete, func, select, union, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..types import UTCDateTime, utcnow
from .batches.models import Batch, Container
from .ledger.models import LedgerEvent
from .ledger.services import Problem
from .trace import BATCH_PREFIX, REFUSED_AWAITING, Step, Trace, Waste, kind_of, normalise, trace

BODY_VERSION = 1
log = logging.getLogger(__name__)


class TraceSnapshot(db.Model):
    __tablename__ = "trace_snapshots"

    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id", ondelete="CASCADE"), primary_key=True)
    head_seq: Mapped[int]
    head_hash: Mapped[str] = mapped_column(String(64))
    verified_at: Mapped[datetime] = mapped_column(UTCDateTime)
    intact: Mapped[bool]
    body: Mapped[str] = mapped_column(Text)
    # {"v": renderer version, locale: {code: [container state, container grams, html]}}; state and grams are
    # null for the batch's own code. JSONB on PostgreSQL: the read takes one page out without parsing the rest.
    pages: Mapped[dict | None] = mapped_column(JSON().with_variant(JSONB(), "postgresql"))


# --- the body: a batch's public trace as JSON -----------------------------------------------------

def encode(found: Trace) -> str:
    """The public trace of a whole batch (kind "batch") as the snapshot's body."""
    return json.dumps({
        "v": BODY_VERSION, "code": found.code, "quantity_g": found.quantity_g, "producer": found.producer,
        "district": found.district, "state": found.state, "containers": found.containers,
        "wastes": [[w.code, w.name, w.category_code, w.category_name, w.hazards, w.stream, w.form]
                   for w in found.wastes],
        "steps": [[s.seq, s.event_type, s.occurred_at.isoformat(), s.place, s.organisation, s.quantity_g, s.container,
                   s.method, s.manifest, s.continued_in, s.altered] for s in found.steps],
        "problems": [[p.event_id, p.seq, p.kind, p.message, p.batch_id] for p in found.problems],
        "organisation_ids": sorted(found.organisation_ids), "district_codes": sorted(found.district_codes),
    }, ensure_ascii=False, separators=(",", ":"))


def _steps(body: dict, container: str | None) -> tuple[Step, ...]:
    """The batch's steps, or those of one container (its own and the batch's), numbered as shown."""
    steps = []
    for seq, kind, at, place, org, grams, code, method, manifest, continued_in, altered in body["steps"]:
        if container is None or code is None or code == container:
            steps.append(Step(number=len(steps) + 1, seq=seq, event_type=kind, occurred_at=datetime.fromisoformat(at),
                              place=place, organisation=org, quantity_g=grams, container=code, method=method,
                              manifest=manifest, continued_in=continued_in, altered=altered))
    return tuple(steps)


def decode(body: dict, head_hash: str, container: tuple[str, str, int] | None = None) -> Trace:
    """The public Trace of the batch, or of one of its containers: (code, status, grams)."""
    code, state, grams = container or (body["code"], body["state"], body["quantity_g"])
    steps = _steps(body, container and code)
    return Trace(
        kind="container" if container else "batch", code=code, quantity_g=grams, state=state,
        wastes=tuple(Waste(c, n, cc, cn, tuple(h), s, f) for c, n, cc, cn, h, s, f in body["wastes"]),
        producer=body["producer"], district=body["district"], steps=steps,
        problems=tuple(Problem(*p) for p in body["problems"]),
        containers=(code,) if container else tuple(body["containers"]),
        manifest=next((s.manifest for s in reversed(steps) if s.manifest), None), batch_code=body["code"],
        organisation_ids=frozenset(body["organisation_ids"]), district_codes=frozenset(body["district_codes"]),
        full=False, heads=(head_hash,))


# --- reading -------------------------------------------------------------------------------------

# The transaction that moves a batch's head deletes its snapshot (mark_stale), so the lookup needs no batch row;
# a head moved behind the ledger's back is the sweep's to find, like any other alteration.
@cache
def _lookup():
    return (select(Container.code, Container.status, Container.quantity_g, TraceSnapshot.head_hash,
                   TraceSnapshot.verified_at, TraceSnapshot.body)
            .join(TraceSnapshot, TraceSnapshot.batch_id == Container.batch_id)
            .where(Container.code == bindparam("code")))


def public_trace(code: str | None) -> Trace | None:
    """The public trace of a container or batch code from its snapshot; None when there is no snapshot that
    still tells the truth (or the code is another kind): the caller then asks trace()."""
    code = normalise(code)
    kind = kind_of(code)
    if kind not in ("container", "batch"):
        return None
    row = snapshot_row(code if kind == "container" else code[len(BATCH_PREFIX):])
    if row is None or row.verified_at < _oldest_verdict():
        return None
    body = json.loads(row.body)
    if body["v"] != BODY_VERSION or (kind == "batch" and body["code"] != code):
        return None
    if kind == "container" and body["state"] == REFUSED_AWAITING:
        return None  # which of the batch's containers were refused is the live trace's to say
    return decode(body, row.head_hash, (code, row.status, row.quantity_g) if kind == "container" else None)


def snapshot_row(container_code: str):
    """The container and its batch's snapshot: (code, status, quantity_g, head_hash, verified_at, body) or None.
    Through Core rather than the ORM session: this is the platform's busiest read."""
    return db.session.connection().execute(_lookup(), {"code": container_code}).first()


def _oldest_verdict() -> datetime:
    return utcnow() - timedelta(seconds=current_app.config["TRACE_VERIFIED_MAX_AGE"])


# --- the stored pages ----------------------------------------------------------------------------

@dataclass(frozen=True)
class PageRenderer:
    """Registered by the trace page: version() names what the pages are made from (it changes with the
    page's code and catalogues); render(body, head_hash, containers) returns {locale: {code: [state, grams,
    html]}} for the batch code and each container code [(code, state, grams)] that may be shown from it."""

    version: Callable[[], str]
    render: Callable[[dict, str, list[tuple[str, str, int]]], dict]


_renderer: list[PageRenderer] = []


def register_page_renderer(renderer: PageRenderer) -> None:
    _renderer[:] = [renderer]


def _pages_version() -> str | None:
    return f"{BODY_VERSION}.{_renderer[0].version()}" if _renderer else None


@cache
def _page_lookup(dialect: str):
    """One page taken out of the snapshot's pages by the database (JSONB path on PostgreSQL, a JSON path
    expression on SQLite), with what decides whether it may be served."""
    if dialect == "postgresql":
        version = func.jsonb_extract_path_text(TraceSnapshot.pages, "v")
        page = func.jsonb_extract_path(TraceSnapshot.pages, bindparam("locale"), bindparam("page_code"), type_=JSONB)
    else:
        version = func.json_extract(TraceSnapshot.pages, "$.v", type_=String)
        page = func.json_extract(TraceSnapshot.pages, bindparam("path"), type_=JSON)
    return (select(Container.status, Container.quantity_g, TraceSnapshot.verified_at, version.label("version"),
                   page.label("page"))
            .join(TraceSnapshot, TraceSnapshot.batch_id == Container.batch_id)
            .where(Container.code == bindparam("code")))


def stored_page(code: str | None, locale: str) -> str | None:
    """The stored HTML of a container or batch code's public page in the locale, when the snapshot still tells
    the truth and the page was rendered by the current renderer for the container as it is; else None (the
    caller builds the page)."""
    code = normalise(code)
    kind = kind_of(code)
    if kind not in ("container", "batch") or not _renderer:
        return None
    container_code = code if kind == "container" else code[len(BATCH_PREFIX):]
    connection = db.session.connection()
    # a locale is letters and "_", a code letters, digits and "-": nothing to quote in the SQLite path
    row = connection.execute(_page_lookup(connection.dialect.name), {
        "code": container_code, "locale": locale, "page_code": code, "path": f'$."{locale}"."{code}"'}).first()
    if row is None or row.page is None or row.version != _pages_version() or row.verified_at < _oldest_verdict():
        return None
    state, grams, html = row.page
    if kind == "container" and (state, grams) != (row.status, row.quantity_g):
        return None  # the container changed since: its page is rendered from the body
    return html


def render_pages(body: dict, head_hash: str, containers: list[tuple[str, str, int]]) -> dict | None:
    """What `pages` keeps for a snapshot body, or None without a renderer (a command run without the pages)."""
    if not _renderer:
        return None
    shown = [] if body["state"] == REFUSED_AWAITING else containers  # as public_trace: the live trace says
    return {"v": _pages_version(), **_renderer[0].render(body, head_hash, shown)}


def _containers(batch_ids: list[int]) -> dict[int, list[tuple[str, str, int]]]:
    """The (code, state, grams) of each batch's containers, in one query."""
    found: dict[int, list[tuple[str, str, int]]] = {batch_id: [] for batch_id in batch_ids}
    for batch_id, code, state, grams in db.session.execute(
            select(Container.batch_id, Container.code, Container.status, Container.quantity_g)
            .where(Container.batch_id.in_(batch_ids)).order_by(Container.batch_id, Container.code)):
        found[batch_id].append((code, state, grams))
    return found


def refresh_pages(limit: int = 500) -> int:
    """Render the pages of up to `limit` snapshots that have none, or pages of another renderer version (after
    a deployment), from their bodies; returns how many. The sweep calls it until none is left."""
    version = _pages_version()
    if version is None:
        return 0
    rows = db.session.execute(select(TraceSnapshot.batch_id, TraceSnapshot.head_hash, TraceSnapshot.body).where(
        (TraceSnapshot.pages.is_(None)) | (TraceSnapshot.pages["v"].as_string() != version))
        .order_by(TraceSnapshot.batch_id).limit(limit)).all()
    containers = _containers([row.batch_id for row in rows])
    rendered = []
    for batch_id, head_hash, body in rows:
        body = json.loads(body)
        if body.get("v") != BODY_VERSION:  # a body of a former shape: the snapshot is built again, pages and all
            refresh([batch_id])
            continue
        rendered.append({"b": batch_id, "rendered": render_pages(body, head_hash, containers[batch_id])})
    if rendered:  # one executemany: a sweep after a deployment renders every snapshot's pages
        db.session.execute(update(TraceSnapshot.__table__).where(TraceSnapshot.batch_id == bindparam("b"))
                           .values(pages=bindparam("rendered")), rendered)
    return len(rows)


# --- building ------------------------------------------------------------------------------------

def refresh(batch_ids) -> int:
    """Build the snapshots of these batches from the ledger, verifying each chain now; returns how many."""
    built = 0
    for batch_id in sorted(set(batch_ids)):
        first, head_seq, head_hash = db.session.execute(
            select(func.min(Container.code), Batch.ledger_head_seq, Batch.ledger_head_hash)
            .outerjoin(Container, Container.batch_id == Batch.id).where(Batch.id == batch_id)
            .group_by(Batch.id)).one()
        db.session.execute(delete(TraceSnapshot).where(TraceSnapshot.batch_id == batch_id))
        if first is None:  # no container, no code to scan: nothing to show
            continue
        found = trace(BATCH_PREFIX + first, personal=False)
        if found is None:  # a code outside HJ 1276 (imported data): no public page to keep, the append goes on
            continue
        body = encode(found.public())
        db.session.add(TraceSnapshot(batch_id=batch_id, head_seq=head_seq, head_hash=head_hash,
                                     verified_at=utcnow(), intact=found.intact, body=body,
                                     pages=render_pages(json.loads(body), head_hash,
                                                        _containers([batch_id])[batch_id])))
        built += 1
    db.session.flush()
    return built


def mark_stale(batch_id: int) -> None:
    """The batch's ledger moved: its snapshot no longer tells the truth. It goes in this transaction, so no
    reader sees it after the commit; the first public read after the commit builds it again (build_on_read).
    The ledger's append does the same DELETE within its own statement."""
    db.session.execute(delete(TraceSnapshot).where(TraceSnapshot.batch_id == batch_id))


def build_on_read(code: str | None) -> bool:
    """Build the missing snapshot of a code's batch, after a public read that found none and was answered by
    the live trace: the ledger's commit path only deletes the snapshot, and the reader who finds it gone builds
    it, verifying the chain, in a transaction of its own. Returns whether it built one.

    One reader builds at a time, and never against an append: the batch row is locked (FOR NO KEY UPDATE SKIP
    LOCKED, the lock an append's head update takes). A reader finding it locked leaves the build to a later read;
    an append that comes after waits for the build's commit and then deletes what it built, so a snapshot never
    outlives the head it was built at. (SQLite has one writer at a time: the build's DELETE waits for it.)"""
    code = normalise(code)
    kind = kind_of(code)
    if kind not in ("container", "batch"):
        return False
    db.session.commit()  # ends the read's autocommit connection: the build is one transaction
    try:
        batch_id = db.session.scalar(
            select(Batch.id).join(Container, Container.batch_id == Batch.id)
            .where(Container.code == (code if kind == "container" else code[len(BATCH_PREFIX):]))
            .with_for_update(of=Batch, skip_locked=True, key_share=True))
        kept = select(TraceSnapshot.batch_id).where(TraceSnapshot.batch_id == batch_id).exists()
        built = refresh([batch_id]) if batch_id is not None and not db.session.scalar(select(kept)) else 0
        db.session.commit()
    except SQLAlchemyError:  # the reader has its page already: a failed build is the next read's or the sweep's
        log.exception("building the trace snapshot of %s failed", code)
        db.session.rollback()
        return False
    return built > 0


def refresh_organisation(organisation_id: int) -> int:
    """A job: an organisation was renamed, so the snapshots naming it (as producer or at a step) are rebuilt."""
    batches = union(select(Batch.id).where(Batch.organisation_id == organisation_id),
                    select(LedgerEvent.batch_id).where(LedgerEvent.organisation_id == organisation_id))
    built = refresh(db.session.scalars(batches))
    db.session.commit()
    return built


def after_sweep(problems: list[Problem], started_at: datetime) -> tuple[int, int]:
    """After `wufei ledger verify`: date the verdict of every intact snapshot whose head the sweep verified, and
    rebuild the snapshots of altered batches, of those no longer altered and the missing ones.
    Returns (rebuilt, re-dated)."""
    altered = {p.batch_id for p in problems if p.batch_id is not None}
    current_head = select(Batch.ledger_head_hash).where(Batch.id == TraceSnapshot.batch_id).scalar_subquery()
    redated = db.session.execute(
        update(TraceSnapshot).where(TraceSnapshot.intact, TraceSnapshot.batch_id.not_in(altered),
                                    TraceSnapshot.head_hash == current_head, TraceSnapshot.verified_at < started_at)
        .values(verified_at=started_at).execution_options(synchronize_session=False)).rowcount
    redo = altered | set(db.session.scalars(select(TraceSnapshot.batch_id).where(~TraceSnapshot.intact)))
    redo |= set(db.session.scalars(select(Batch.id).where(
        select(Container.id).where(Container.batch_id == Batch.id).exists(),
        ~select(TraceSnapshot.batch_id).where(TraceSnapshot.batch_id == Batch.id).exists())))
    rebuilt = refresh(redo)
    db.session.commit()
    while refresh_pages():  # pages of a former renderer, after a deployment
        db.session.commit()
    return rebuilt, redated
