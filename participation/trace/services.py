"""Who sees how much of a trace, the inspectors' signed links, and the landing page's public figures."""
import time
from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_login import current_user
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from portal import auth
from portal.extensions import db
from portal.regulatory.batches.models import Batch, Container
from portal.regulatory.ledger.models import LedgerEvent
from portal.regulatory.trace import Trace, trace
from portal.regulatory.trace_snapshots import build_on_read, public_trace

CONFIG_DEFAULTS = {
    "TRACE_RATE_LIMIT": "30 per minute",  # per address: enough to scan a shelf of labels, too few to enumerate
    "TRACE_INSPECTOR_LINK_SECONDS": 8 * 3600,  # one working day in the field
    # a snapshot's integrity verdict older than this sends the reader to the live, verifying trace; a daily
    # `wufei ledger verify` keeps every verdict younger
    "TRACE_VERIFIED_MAX_AGE": 26 * 3600,
    "TRACE_PUBLIC_MAX_AGE": 60,  # seconds a browser or proxy may reuse the public page before revalidating
    "TRACE_FIGURES_CACHE_SECONDS": 300,
}
_SALT = "trace-inspector"


class LinkRefused(Exception):
    """An inspector link that is expired, forged or made for another code."""

    def __init__(self, expired: bool):
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def inspector_token(code: str) -> str:
    """A signed token that opens the full view of this code, until TRACE_INSPECTOR_LINK_SECONDS pass."""
    return _serializer().dumps({"c": code})


def inspector_link_expiry() -> datetime:
    return datetime.now(UTC) + timedelta(seconds=current_app.config["TRACE_INSPECTOR_LINK_SECONDS"])


def check_inspector_token(code: str, token: str) -> None:
    """Raise LinkRefused unless the token was signed by us for this code and has not expired."""
    try:
        payload = _serializer().loads(token, max_age=current_app.config["TRACE_INSPECTOR_LINK_SECONDS"])
    except SignatureExpired:
        raise LinkRefused(expired=True) from None
    except BadSignature:
        raise LinkRefused(expired=False) from None
    if not isinstance(payload, dict) or payload.get("c") != code:
        raise LinkRefused(expired=False)


def may_see_details(found: Trace) -> bool:
    """Parties to the waste's journey, the regulators of its districts and admins see the full view."""
    return auth.can_view_shared(current_user, found.organisation_ids, found.district_codes)


def may_share_inspector_link() -> bool:
    """Regulators (and admins) hand inspectors a signed link to the full view."""
    return auth.regulator_of(current_user) is not None or auth.is_admin(current_user)


def read_outside_transaction() -> None:
    """The trace is read-only: its queries run without BEGIN and ROLLBACK, two round trips of the five a page
    would otherwise cost. Each query is one snapshot, and the chain's head is read with its events."""
    if not db.session().in_transaction():
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def resolve(code: str, token: str | None) -> tuple[Trace | None, bool]:
    """(trace as the viewer may see it, whether that is the full view). Raises LinkRefused for a bad link."""
    signed_in = current_user.is_authenticated  # past the second factor too (portal.auth's user loader)
    if not token and not signed_in and (found := public_trace(code)) is not None:
        return found, False
    found = trace(code, personal=bool(token) or signed_in)
    if found is None:
        return None, False
    if not token and not signed_in:
        build_on_read(code)  # the snapshot an append deleted: the next anonymous reader gets it
    if token:
        check_inspector_token(found.code, token)
        return found, True
    if signed_in and may_see_details(found):
        return found, True
    return found.public(), False


# --- public figures ------------------------------------------------------------------------------

_figures: dict = {}


def public_figures() -> dict:
    """Containers traced and tonnes treated per waste stream, from the ledger; recomputed every few minutes."""
    ttl = current_app.config["TRACE_FIGURES_CACHE_SECONDS"]
    if _figures and _figures["until"] > time.monotonic() and ttl:
        return _figures["value"]
    treated = db.session.execute(
        select(Batch.stream, func.coalesce(func.sum(LedgerEvent.quantity_g), 0))
        .join(Batch, Batch.id == LedgerEvent.batch_id)
        .where(LedgerEvent.event_type == "treated").group_by(Batch.stream).order_by(Batch.stream)).all()
    value = {
        "containers": db.session.scalar(select(func.count()).select_from(Container)) or 0,
        "treated_by_stream": [(stream, int(grams)) for stream, grams in treated],
    }
    _figures.update(value=value, until=time.monotonic() + ttl)
    return value


def forget_figures() -> None:
    _figures.clear()
