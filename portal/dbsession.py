"""The app's database session class: Flask-SQLAlchemy's, with a commit that a caller can hold.

An API POST sent with an Idempotency-Key stores its answer in the same transaction as its effect
(portal/api/core.py), but the answer exists only once the view has returned, after the view's commit. While
commits are held, a view's commit() flushes and notes that it was asked for; the request commits the effect and
its answer together afterwards (or rolls both back). Views keep committing once, as everywhere else.
"""
from flask_sqlalchemy.session import Session as FlaskSession

_HELD = "wufei.commit_held"
_ASKED = "wufei.commit_asked"


class Session(FlaskSession):
    def commit(self) -> None:
        if self.info.get(_HELD):
            self.flush()
            self.info[_ASKED] = True
            return
        super().commit()


def hold_commits(session) -> None:
    """From now on, commit() only flushes until release_commits()."""
    session.info[_HELD] = True
    session.info.pop(_ASKED, None)


def release_commits(session) -> bool:
    """Stop holding commits; returns whether a commit was asked for meanwhile (the change is still to commit)."""
    session.info.pop(_HELD, None)
    return session.info.pop(_ASKED, False)
