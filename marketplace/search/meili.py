"""The Meilisearch index of listings: client, settings, documents, and the rebuild-and-swap reindex."""
import time
from collections.abc import Callable, Iterable

import click
import meilisearch
import requests
from flask import current_app
from meilisearch.errors import MeilisearchApiError, MeilisearchCommunicationError, MeilisearchTimeoutError
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.extensions import db

from ..listings.models import Listing
from .synonyms import DICTIONARY, meilisearch_synonyms, stream_names

SEARCHABLE = ["title", "codes", "category_name", "stream_name", "waste_description", "description", "district_name"]
FILTERABLE = ["id", "organisation_id", "waste_code", "category_code", "stream", "hazardous", "district_code",
              "form", "price", "quantity", "status", "_geo"]
SORTABLE = ["price", "quantity", "date", "id", "_geo"]
BATCH = 1000


class SearchUnavailable(Exception):
    """Meilisearch did not answer (down, timed out, index missing): the caller falls back to SQL."""


# --- the circuit breaker -------------------------------------------------------------------------------
# After Meilisearch failed to answer (refused, reset, timed out), nobody asks it again for
# MEILISEARCH_BREAKER_SECONDS: searches go straight to SQL instead of each waiting out the timeout. The state
# is kept per process and per server URL: a worker learns of an outage by its own first timeout, which costs
# one request one timeout per worker and period, and needs no shared store that could itself hang.
_COMMUNICATION_ERRORS = (MeilisearchCommunicationError, MeilisearchTimeoutError, requests.RequestException)
_open_until: dict[str, float] = {}


def available() -> bool:
    """False while the breaker of the configured server is open (it failed recently)."""
    return _open_until.get(current_app.config["MEILISEARCH_URL"], 0.0) <= time.monotonic()


def _trip() -> None:
    url = current_app.config["MEILISEARCH_URL"]
    _open_until[url] = time.monotonic() + float(current_app.config["MEILISEARCH_BREAKER_SECONDS"])
    current_app.logger.warning("Meilisearch at %s did not answer: not asked again for %s s", url,
                               current_app.config["MEILISEARCH_BREAKER_SECONDS"])


def _unavailable(exc: Exception) -> SearchUnavailable:
    """The SearchUnavailable for a failure; a failure to communicate opens the breaker."""
    if isinstance(exc, _COMMUNICATION_ERRORS):
        _trip()
    return SearchUnavailable(str(exc))


def _require_available() -> None:
    if not available():
        raise SearchUnavailable("Meilisearch failed recently; its circuit breaker is open")


def settings() -> dict:
    return {
        "searchableAttributes": SEARCHABLE,
        "filterableAttributes": FILTERABLE,
        "sortableAttributes": SORTABLE,
        "displayedAttributes": ["*"],
        # sort first: a user who asks for the cheapest wants the cheapest, not the most relevant
        "rankingRules": ["sort", "words", "typo", "proximity", "attribute", "exactness"],
        "synonyms": meilisearch_synonyms(),
        "dictionary": list(DICTIONARY),
        "localizedAttributes": [{"attributePatterns": ["*"], "locales": ["cmn"]}],
        # a waste code one digit off is another waste, not a typo
        "typoTolerance": {"disableOnAttributes": ["codes"], "disableOnNumbers": True},
        "pagination": {"maxTotalHits": 1_000_000},
        "faceting": {"maxValuesPerFacet": 200},
    }


def client(timeout: float | None = None) -> meilisearch.Client:
    config = current_app.config
    return meilisearch.Client(config["MEILISEARCH_URL"], config.get("MEILISEARCH_API_KEY"),
                              timeout=timeout or config["MEILISEARCH_TIMEOUT"])


def index_uid() -> str:
    return current_app.config["MEILISEARCH_INDEX_PREFIX"] + "listings"


def call(operation: Callable, timeout: float | None = None):
    """Run operation(index), each HTTP call bounded by timeout (default: a search's MEILISEARCH_TIMEOUT); every
    way Meilisearch can fail becomes SearchUnavailable, at once while the breaker is open."""
    _require_available()
    try:
        return operation(client(timeout).index(index_uid()))
    except (MeilisearchApiError, *_COMMUNICATION_ERRORS) as exc:
        raise _unavailable(exc) from exc


def wait(meili: meilisearch.Client, task_uid: int, timeout_s: float | None = None) -> None:
    """Wait until Meilisearch has applied a task (at most timeout_s, default MEILISEARCH_TASK_TIMEOUT)."""
    try:
        task = meili.wait_for_task(task_uid, timeout_in_ms=int((timeout_s or current_app.config[
            "MEILISEARCH_TASK_TIMEOUT"]) * 1000), interval_in_ms=50)
    except (MeilisearchApiError, *_COMMUNICATION_ERRORS) as exc:
        raise _unavailable(exc) from exc
    if task.status != "succeeded":
        raise SearchUnavailable(f"task {task_uid} {task.status}: {task.error}")


def ensure_index(uid: str | None = None) -> None:
    """Create the index with its settings when it does not exist yet (a fresh server)."""
    uid = uid or index_uid()
    _require_available()
    meili = client(current_app.config["MEILISEARCH_WRITE_TIMEOUT"])
    try:
        try:
            meili.get_index(uid)
            return
        except MeilisearchApiError as exc:
            if exc.code != "index_not_found":
                raise
        wait(meili, meili.create_index(uid, {"primaryKey": "id"}).task_uid)
        wait(meili, meili.index(uid).update_settings(settings()).task_uid)
    except (MeilisearchApiError, *_COMMUNICATION_ERRORS) as exc:
        raise _unavailable(exc) from exc


def document(listing: Listing) -> dict:
    """What Meilisearch stores about a listing: searchable text, filter and sort values; no contact."""
    entry = listing.catalogue_entry
    codes = []
    if listing.waste_code:
        codes = list(dict.fromkeys([listing.waste_code, listing.waste_code.replace("-", "")]))
    doc = {
        "id": listing.id, "organisation_id": listing.organisation_id, "title": listing.title,
        "description": listing.description or "", "codes": codes + ([listing.category_code] if listing.category_code else []),
        "category_name": entry.category.name if entry is not None else "",
        "waste_description": entry.description if entry is not None else "",
        "district_name": listing.district.name if listing.district is not None else "",
        "stream_name": stream_names(listing.stream),
        "stream": listing.stream, "hazardous": listing.hazardous, "form": listing.form,
        "status": listing.status, "quantity": listing.available_g,
        "date": int((listing.published_at or listing.created_at).timestamp()),
        "district_code": listing.district_code,
    }
    for key, value in (("waste_code", listing.waste_code), ("category_code", listing.category_code),
                       ("price", listing.price_per_t_fen)):
        if value is not None:
            doc[key] = value
    if listing.lat is not None and listing.lon is not None:
        doc["_geo"] = {"lat": float(listing.lat), "lng": float(listing.lon)}
    return doc


def load_listings(ids: Iterable[int]) -> list[Listing]:
    return list(db.session.scalars(select(Listing).where(Listing.id.in_(list(ids))).options(
        selectinload(Listing.catalogue_entry), selectinload(Listing.district))))


def reindex(echo: bool = True) -> int:
    """Build a fresh index from the database, swap it in for the live one, drop the old one."""
    meili = client(current_app.config["MEILISEARCH_TASK_TIMEOUT"])
    live, fresh = index_uid(), f"{index_uid()}_{int(time.time() * 1000)}"
    ensure_index(live)
    ensure_index(fresh)
    ids = list(db.session.scalars(select(Listing.id).order_by(Listing.id)))
    tasks = []
    with click.progressbar(length=len(ids), label="Indexing listings", file=None if echo else _Null()) as bar:
        for start in range(0, len(ids), BATCH):
            chunk = ids[start:start + BATCH]
            tasks.append(meili.index(fresh).add_documents([document(li) for li in load_listings(chunk)]).task_uid)
            db.session.expunge_all()
            bar.update(len(chunk))
    for task in tasks:
        wait(meili, task, timeout_s=600)
    wait(meili, meili.swap_indexes([{"indexes": [live, fresh]}]).task_uid)
    wait(meili, meili.delete_index(fresh).task_uid)
    return len(ids)


class _Null:
    def write(self, *_args):
        return 0

    def flush(self):
        return None

    def isatty(self):
        return False
