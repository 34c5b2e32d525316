"""Domain errors raised by services, and the HTML/JSON error responses of the whole portal."""
from flask import current_app, flash, g, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException


class DomainError(Exception):
    """A business rule refused an action. Services raise it; views and the API turn it into a response."""

    status = 422
    code = "invalid"

    def __init__(self, message, fields: dict | None = None, code: str | None = None, status: int | None = None):
        super().__init__(str(message))
        self.message = message
        self.fields = fields or {}
        self.code = code or self.code
        self.status = status or self.status

    def to_dict(self) -> dict:
        return error_body(self.code, self.message, self.fields)


class NotFound(DomainError):
    status, code = 404, "not_found"


class Forbidden(DomainError):
    status, code = 403, "forbidden"


class Conflict(DomainError):
    status, code = 409, "conflict"


HTTP_CODES = {
    400: ("bad_request", _l("The request could not be understood.")),
    401: ("unauthorized", _l("Authentication is required.")),
    403: ("forbidden", _l("You are not allowed to do this.")),
    404: ("not_found", _l("The page or object was not found.")),
    405: ("method_not_allowed", _l("This method is not allowed here.")),
    409: ("conflict", _l("The request conflicts with the current state.")),
    413: ("too_large", _l("The upload is too large.")),
    422: ("invalid", _l("Some fields are not valid.")),
    429: ("rate_limited", _l("Too many requests. Please wait a moment and try again.")),
    500: ("internal", _l("Something went wrong on our side. The error has been logged.")),
    503: ("unavailable", _l("The service is briefly unavailable. Please try again in a minute.")),
}
RETRY_AFTER_SECONDS = 30  # what a 503 asks the client to wait: a database restart or failover takes about that


def error_body(code: str, message, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": str(message), "fields": {k: str(v) for k, v in (fields or {}).items()}}}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def render_error(status: int, message=None, code: str | None = None, fields: dict | None = None):
    default_code, default_message = HTTP_CODES.get(status, HTTP_CODES[500])
    code, message = code or default_code, message or default_message
    if wants_json():
        return jsonify(error_body(code, message, fields)), status
    return render_template("errors/error.html", status=status, message=message), status


def register_error_handlers(app):
    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        return render_error(exc.status, exc.message, exc.code, exc.fields)

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return render_error(400, _l("The form has expired or was not sent from this site. Please try again."))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if database_unreachable(getattr(exc, "original_exception", None)):  # raised after the view (after_request)
            return database_error(exc.original_exception)
        response = render_error(exc.code or 500)
        if exc.code == 429 and getattr(exc, "retry_after", None):
            response[0].headers["Retry-After"] = str(exc.retry_after)
        if exc.code == 405 and getattr(exc, "valid_methods", None):
            response[0].headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(SQLAlchemyError)
    def database_error(exc: SQLAlchemyError):
        if not database_unreachable(exc):
            return unexpected_error(exc)
        current_app.logger.warning("database unreachable on %s %s: %s", request.method, request.path, exc)
        return unavailable()

    @app.errorhandler(Exception)
    def unexpected_error(exc):
        current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
        from .extensions import db

        db.session.rollback()
        return render_error(500)


def database_unreachable(exc: BaseException) -> bool:
    """The database did not answer (down, restarting, connection lost, pool exhausted), as opposed to a
    statement it refused: the request may succeed if tried again."""
    return isinstance(exc, OperationalError | InterfaceError | PoolTimeout) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated)


def unavailable():
    """503 with Retry-After: a JSON error under the API, else a calm page that reads nothing from the database."""
    from .extensions import db, login_manager

    try:
        db.session.rollback()
    except SQLAlchemyError:  # the connection is gone already; the pool discards it
        pass
    g._login_user = login_manager.anonymous_user()  # the page must not load the user from the database
    code, message = HTTP_CODES[503]
    if wants_json():
        response = jsonify(error_body(code, message))
    else:
        response = current_app.make_response(render_template("errors/unavailable.html", message=message))
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def put_errors(form, exc: DomainError, default: str, names: dict | None = None, field_of=None) -> None:
    """Show a service's refusal on the form fields it names (renamed through `names`; `field_of(form, name)`
    finds a field the plain lookup cannot, such as lines[0].received_g); the rest goes on `default`."""
    for name, message in (exc.fields or {default: exc.message}).items():
        name = (names or {}).get(name, name)
        target = field_of(form, name) if field_of else (form[name] if name in form else None)
        target = target if target is not None else form[default]
        target.errors = [*target.errors, str(message)]


def attempt(action, success_message: str) -> bool:
    """Run a button's service call and commit, flashing success_message; a refusal (DomainError) is rolled back
    and flashed instead. True when the action went through."""
    from .extensions import db

    try:
        action()
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return False
    db.session.commit()
    flash(success_message, "success")
    return True
