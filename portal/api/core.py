"""Blueprint, authentication and the conventions every API endpoint shares."""
import hashlib
import json
from datetime import datetime
from functools import wraps

from flask import Blueprint, current_app, g, jsonify, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from ..dbsession import hold_commits, release_commits
from ..errors import DomainError, error_body
from ..extensions import csrf, db, limiter
from ..inputs import MAX_PAGE
from ..types import UTCDateTime, utcnow

api = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(api)  # bearer tokens, not cookies: no CSRF exposure
limiter.limit(lambda: current_app.config["RATELIMIT_PUBLIC"])(api)


class IdempotencyRecord(db.Model):
    """The stored answer to a POST sent with an Idempotency-Key, replayed when the key comes again."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("token_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id"), index=True)
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- authentication ----------------------------------------------------------------------------

def authenticate_bearer():
    """Resolve Authorization: Bearer <token> into g.api_token, g.api_user and g.api_org."""
    from ..accounts.services import find_api_token

    header = request.headers.get("Authorization", "")
    scheme, _sep, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    token = find_api_token(secret.strip())
    if token is None:
        raise DomainError(_l("The API token is not valid or has been revoked."), code="unauthorized", status=401)
    g.api_token, g.api_user, g.api_org = token, token.user, token.organisation
    return token


def token_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if "api_token" not in g:
            raise DomainError(_l("This endpoint needs an API token: Authorization: Bearer <token>."),
                              code="unauthorized", status=401)
        return view(*args, **kwargs)
    wrapped._api_auth = True
    return wrapped


@api.before_request
def _authenticate_and_replay():
    token = authenticate_bearer()
    if token is not None:
        # Flask-Login reads current_user from here, so permission checks see the token's user
        g._login_user = token.user
    if request.method == "POST" and token is not None and (key := request.headers.get("Idempotency-Key")):
        replayed = _replay(token.id, key)
        if replayed is None:
            g.idempotency_key = key
            hold_commits(db.session)  # the view's commit waits for its answer: both commit in _remember
        return replayed
    return None


def _request_hash() -> str:
    return hashlib.sha256(request.method.encode() + request.path.encode() + request.get_data()).hexdigest()


def _replay(token_id: int, key: str):
    record = db.session.scalar(select(IdempotencyRecord).where(
        IdempotencyRecord.token_id == token_id, IdempotencyRecord.key == key))
    if record is None:
        return None
    if record.request_hash != _request_hash():
        raise DomainError(_l("This Idempotency-Key was already used for a different request."),
                          fields={"Idempotency-Key": _l("already used")}, code="idempotency_conflict")
    response = current_app.response_class(record.body, status=record.status, mimetype="application/json")
    response.headers["Idempotent-Replayed"] = "true"
    return response


@api.after_request
def _remember(response):
    """Commit the view's effect together with its answer, so neither is kept without the other."""
    key = g.pop("idempotency_key", None)
    if key is None:
        return response
    effect = release_commits(db.session)
    if response.status_code >= 500 or response.mimetype != "application/json":
        db.session.rollback()  # no answer worth replaying: the effect goes too, the client may try again
        return response
    if not effect:
        db.session.rollback()  # a refused request keeps nothing of its own but its answer
    db.session.add(IdempotencyRecord(token_id=g.api_token.id, key=key, request_hash=_request_hash(),
                                     status=response.status_code, body=response.get_data()))
    try:
        db.session.commit()
    except IntegrityError:  # a concurrent request with the same key committed first: ours is undone, its answer stands
        db.session.rollback()
        replayed = _replay(g.api_token.id, key)
        if replayed is None:  # not the key: the effect itself was refused, and is undone
            raise
        return replayed
    return response


@api.teardown_request
def _stop_holding(_exc) -> None:
    release_commits(db.session)  # an aborted request must not leave the session holding its commits


# --- request and response helpers --------------------------------------------------------------

def paginate(query, serialize, *, default_size: int = 20):
    """Page-number pagination with a maximum page size: {"items", "total", "page", "page_size", "pages"}."""
    max_size = current_app.config["API_MAX_PAGE_SIZE"]
    page = _int_arg("page", 1, minimum=1, maximum=MAX_PAGE)
    size = _int_arg("page_size", default_size, minimum=1, maximum=max_size)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = db.session.scalars(query.limit(size).offset((page - 1) * size)).all()
    return jsonify(items=[serialize(r) for r in rows], total=total, page=page, page_size=size,
                   pages=(total + size - 1) // size)


def _int_arg(name: str, default: int, minimum: int, maximum: int | None = None) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or value < minimum or (maximum is not None and value > maximum):
        limit = f"{minimum}–{maximum}" if maximum else f">= {minimum}"
        raise DomainError(_("Must be a whole number in the range %(limit)s.", limit=limit),
                          fields={name: _("Must be a whole number in the range %(limit)s.", limit=limit)},
                          status=400, code="bad_request")
    return value


def error_json(code: str, message, fields=None, status: int = 422):
    return jsonify(error_body(code, message, fields)), status


def dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False)
