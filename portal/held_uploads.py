"""Uploads kept between a refused form and its next submission, so that nobody has to pick a photo again.

A form that is sent back with an error cannot re-fill a file input (browsers forbid it). The server therefore
keeps what was uploaded — already cleaned, e.g. a photo re-encoded without its metadata — under an unguessable
token that only the browser session which uploaded it may use: the page shows the kept file and sends its
token back with the next submission. Kept files are deleted when the form succeeds, and any left behind by
abandoned forms after MAX_AGE.
"""
import json
import secrets
import time
from pathlib import Path

from flask import Blueprint, abort, send_file, session

from . import images

SESSION_KEY = "held_uploads"
MAX_HELD = 12  # per browser session: a form's five photos, twice over, and a document
MAX_AGE_SECONDS = 6 * 3600
_TOKEN_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")

bp = Blueprint("held", __name__, url_prefix="/uploads/held")


def _folder() -> Path:
    return images.upload_dir("held")


def _mine(token: str) -> bool:
    return isinstance(token, str) and set(token) <= _TOKEN_CHARS and token in session.get(SESSION_KEY, [])


def hold(data: bytes, meta: dict) -> str:
    """Keep a cleaned upload for this browser session; returns its token."""
    _sweep()
    token = secrets.token_urlsafe(18)
    folder = _folder()
    (folder / f"{token}.bin").write_bytes(data)
    (folder / f"{token}.json").write_text(json.dumps(meta), encoding="utf-8")
    held = [t for t in session.get(SESSION_KEY, []) if (folder / f"{t}.bin").exists()]
    for dropped in held[:-(MAX_HELD - 1)] if len(held) >= MAX_HELD else []:
        _delete(dropped)
    session[SESSION_KEY] = held[-(MAX_HELD - 1):] + [token]
    return token


def take(token: str) -> tuple[bytes, dict] | None:
    """The kept upload and its metadata, when the token is this session's and the file is still there."""
    if not _mine(token):
        return None
    folder = _folder()
    try:
        return (folder / f"{token}.bin").read_bytes(), json.loads((folder / f"{token}.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None


def release(tokens) -> None:
    """Forget kept uploads once their form has succeeded (or they were taken out of it)."""
    mine = [t for t in tokens if _mine(t)]
    for token in mine:
        _delete(token)
    session[SESSION_KEY] = [t for t in session.get(SESSION_KEY, []) if t not in mine]


def _delete(token: str) -> None:
    for suffix in (".bin", ".json"):
        (_folder() / f"{token}{suffix}").unlink(missing_ok=True)


def _sweep() -> None:
    """Delete what abandoned forms left behind."""
    limit = time.time() - MAX_AGE_SECONDS
    for path in _folder().iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
        except OSError:
            continue


@bp.get("/<token>")
def image(token: str):
    """A kept photo, shown again on the form it was sent with; only to the session that uploaded it."""
    kept = take(token)
    if kept is None or not kept[1].get("mimetype", "").startswith("image/"):
        abort(404)
    response = send_file(_folder() / f"{token}.bin", mimetype=kept[1]["mimetype"], max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response
