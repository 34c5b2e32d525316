"""The API's one typed input and output layer: pydantic v2 models validate every request and describe every
response, and the OpenAPI document (portal/api/openapi.py) is generated from the same models, so the
documentation and the validation cannot drift apart.

Why pydantic rather than marshmallow: a model is a typed class (editors and type checkers see the fields a
view receives), its JSON Schema (2020-12, the dialect of OpenAPI 3.1) comes built in with every constraint
(minimum, maximum, pattern, enum, maxLength), its core is compiled and strict about JSON types (a list
where an object is expected, "1e400", a 30-digit integer), and it needs no Flask integration: the small
`endpoint` decorator below is the whole glue. marshmallow would need webargs and apispec as well.

Bounds of numbers, dates and ids come from portal/inputs.py, which the WTForms forms share.

A view declares its operation:

    @api.get("/offers")
    @endpoint("Offers …", tags=["offers"], query=OfferFilter, response=Page[OfferOut], auth=True)
    def offers_index(query: OfferFilter): ...

The decorator parses the query string and the JSON body into the models (400 for what is not a value of
the right type, 422 for a well-formed value that breaks a rule, every bad field named in `fields`), passes
them as `query=` and `body=`, and under TESTING checks each response against its documented model, so a
property that is not in the schema fails the test that produced it.
"""
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Annotated, Any, Generic, TypeVar

from flask import current_app, request
from flask_babel import gettext as _
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from ..errors import DomainError
from ..inputs import MAX_PAGE, has_nul
from .core import api

MAX_JSON_DEPTH = 6  # free-form objects (a listing's quality figures): deeper is not data, it is an attack
MAX_JSON_CHARS = 20_000


class Input(BaseModel):
    """A request's query or body. Unknown properties are ignored (clients may send more than we read);
    infinities and NaN are refused, and strings are bounded so no column overflows."""

    model_config = ConfigDict(extra="ignore", allow_inf_nan=False, str_max_length=20_000,
                              str_strip_whitespace=True)


class Output(BaseModel):
    """A response body: every property it may carry is declared, nothing else is allowed."""

    model_config = ConfigDict(extra="forbid")


class PageQuery(Input):
    page: int = Field(1, ge=1, le=MAX_PAGE, description="Page number, from 1")
    page_size: int = Field(20, ge=1, le=100, description="Entries per page, at most 100")


Item = TypeVar("Item")


class Page(Output, Generic[Item]):
    items: list[Item]
    total: int
    page: int
    page_size: int
    pages: int


class OrgRef(Output):
    """An organisation named in another object."""

    id: int
    name: str
    uscc: str | None = None
    district_code: str | None = None


class ErrorDetail(Output):
    code: str
    message: str
    fields: dict[str, str] = Field(default_factory=dict)


class Error(Output):
    error: ErrorDetail


def _json_depth(value, depth: int = 0) -> int:
    if isinstance(value, dict):
        return max((_json_depth(v, depth + 1) for v in value.values()), default=depth + 1)
    if isinstance(value, list):
        return max((_json_depth(v, depth + 1) for v in value), default=depth + 1)
    return depth


def _small_json(value):
    if _json_depth(value) > MAX_JSON_DEPTH or len(json.dumps(value, default=str)) > MAX_JSON_CHARS:
        raise ValueError(_("Too deeply nested or too large."))
    return value


FreeObject = Annotated[dict[str, Any], AfterValidator(_small_json)]


# --- errors ---------------------------------------------------------------------------------------

def _message(error: dict) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "missing":
        return _("Required.")
    if kind == "value_error":
        return str(ctx.get("error", error["msg"])).removeprefix("Value error, ")
    if kind.startswith("int_") or kind == "int_from_float":
        return _("Must be a whole number.")
    if kind.startswith(("float_", "decimal_")) and kind not in ("decimal_max_digits", "decimal_max_places"):
        return _("Must be a number.")
    if kind in ("decimal_max_digits", "decimal_max_places", "decimal_whole_digits"):
        return _("Too many digits.")
    if kind in ("greater_than", "greater_than_equal"):
        return _("Must be at least %(limit)s.", limit=ctx.get("gt", ctx.get("ge")))
    if kind in ("less_than", "less_than_equal"):
        return _("Must be at most %(limit)s.", limit=ctx.get("lt", ctx.get("le")))
    if kind.startswith("bool_"):
        return _("Must be true or false.")
    if kind.startswith("date_") or kind.startswith("datetime_"):
        return _("Use the date format YYYY-MM-DD (a time as ISO 8601 with its offset).")
    if kind in ("string_type", "string_unicode"):
        return _("Must be a string.")
    if kind == "string_too_long":
        return _("At most %(count)s characters.", count=ctx.get("max_length"))
    if kind == "string_too_short":
        return _("At least %(count)s characters.", count=ctx.get("min_length"))
    if kind == "string_pattern_mismatch":
        return _("Not in the expected format.")
    if kind in ("literal_error", "enum"):
        return _("Must be one of: %(values)s.", values=ctx.get("expected", ""))
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return _("Must be an object.")
    if kind in ("list_type", "tuple_type"):
        return _("Must be a list.")
    if kind == "too_long":
        return _("At most %(count)s items.", count=ctx.get("max_length"))
    if kind == "too_short":
        return _("At least %(count)s items.", count=ctx.get("min_length"))
    return error["msg"]


_UNION_BRANCHES = ("int", "str", "float", "bool", "decimal", "date", "datetime", "dict", "list", "none")


def _field_name(loc: tuple) -> str:
    """lines[0].received_g, as the services name a field inside a list; union branches are left out."""
    name = ""
    for index, part in enumerate(loc):
        if isinstance(part, int):
            name += f"[{part}]"
        elif index == 0 or not ("[" in part or "-" in part or part in _UNION_BRANCHES):
            name += f".{part}" if name else part
    return name


def _is_type_error(error: dict) -> bool:
    """Not a value of the expected JSON type (a list for an object, text for a number): a bad request."""
    kind = error["type"]
    return kind.endswith(("_type", "_parsing")) or kind in ("int_from_float", "json_invalid", "string_unicode")


def validation_error(exc: ValidationError, *, location: str) -> DomainError:
    """One DomainError naming every bad field. 400 when some field has a value of the wrong type for every
    type it may take; 422 when the values are well-formed but break a rule (a bound, an enum, a missing field)."""
    fields: dict[str, str] = {}
    by_field: dict[str, list[dict]] = {}
    for error in exc.errors(include_url=False):
        name = _field_name(error["loc"]) or location
        by_field.setdefault(name, []).append(error)
    for name, errors in by_field.items():
        rule = next((e for e in errors if not _is_type_error(e)), errors[0])
        fields[name] = _message(rule)
    if any(all(_is_type_error(e) for e in errors) for errors in by_field.values()):
        return DomainError(_("Some parameters are not valid."), fields=fields, status=400, code="bad_request")
    return DomainError(_("Some fields are not valid."), fields=fields, status=422, code="invalid")


def bad_body(message=None) -> DomainError:
    return DomainError(message or _("The request body must be a JSON object."), code="bad_request", status=400)


# --- parsing --------------------------------------------------------------------------------------

def parse_query(model: type[Input]) -> Input:
    # an empty ?status= means "no filter", as in the HTML forms
    values = {key: value for key, value in request.args.items() if value.strip() != ""}
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise validation_error(exc, location="query") from None


def request_json() -> Any:
    """The request's JSON, or a 400: not JSON, not UTF-8, or nested deeper than Python's parser goes."""
    if not request.is_json:
        raise bad_body(_("Send the body as application/json."))
    try:
        return json.loads(request.get_data(cache=True))
    except (ValueError, RecursionError):
        raise bad_body(_("The request body is not valid JSON.")) from None


def check_headers():
    """The headers the API stores: an Idempotency-Key is kept in a 255-character column, so a longer or
    unprintable one is a 400 before anything reads it."""
    key = request.headers.get("Idempotency-Key")
    if key is not None and (not key or len(key) > 255 or not key.isprintable()):
        message = _("At most 255 printable characters.")
        raise DomainError(message, fields={"Idempotency-Key": message}, status=400, code="bad_request")


# first of the blueprint's before_request functions: ahead of the bearer authentication and replay
api.before_request_funcs.setdefault(None, []).insert(0, check_headers)


def parse_body(model: type[Input], form: dict | None = None) -> Input:
    """A JSON body is validated strictly (true is not 1, "5" is not 5: JSON has types, a client must use
    them); a multipart form, whose values are all text, is converted."""
    try:
        if form is not None:
            return model.model_validate(form)
        data = request_json()
        if not isinstance(data, dict):
            raise bad_body()
        if has_nul(data):
            raise bad_body(_("Text may not contain NUL characters."))
        return model.model_validate_json(request.get_data(cache=True), strict=True)
    except ValidationError as exc:
        raise validation_error(exc, location="body") from None


# --- the decorator --------------------------------------------------------------------------------

@dataclass
class Operation:
    """What the OpenAPI document says about one view: built from the same models that validate it."""

    summary: str
    tags: list[str]
    query: type[Input] | None = None
    body: type[Input] | None = None
    responses: dict[int, Any] = field(default_factory=dict)
    descriptions: dict[int, str] = field(default_factory=dict)
    path: dict[str, Any] = field(default_factory=dict)
    auth: bool = False
    media_type: str = "application/json"
    body_form: bool = False  # also accepts multipart/form-data with the same fields
    headers: list[dict] = field(default_factory=list)
    links: dict[int, dict] = field(default_factory=dict)
    downloads: tuple[str, ...] = ()  # media types the success response may also take (CSV, XLSX files)


def link(view: str, method: str = "get", **parameters: str) -> dict:
    """An OpenAPI link to the operation of the api blueprint's `view`: {"operationId", "parameters"}."""
    return {"operationId": f"api_{view}_{method}", "parameters": parameters}


def first_item(field: str = "id") -> str:
    """The runtime expression of a list response's first item's field, for links from list operations."""
    return f"$response.body#/items/0/{field}"


def endpoint(summary: str, *, tags: list[str], query: type[Input] | None = None, body: type[Input] | None = None,
             response: Any = None, status: int = 200, responses: dict[int, Any] | None = None,
             descriptions: dict[int, str] | None = None, path: dict[str, Any] | None = None, auth: bool = False,
             media_type: str = "application/json", body_form: bool = False, body_in_view: bool = False,
             headers: list[dict] | None = None, links: dict[int, dict] | None = None,
             downloads: tuple[str, ...] = ()) -> Callable:
    """Declare, validate and document an API operation (see the module docstring).

    response: the model of the success body (with `status`); responses: more {status: model or None};
    path: {name: type} for path parameters that are not ids (an enum of actions); body_in_view: the view
    parses the body itself with parse_body (after its own authentication); links: OpenAPI links
    {status: {name: {"operationId": …, "parameters": {…}}}} for stateful clients and fuzzers; downloads: other
    media types of the success response (a file, sent with send_file, whose body is not checked)."""
    all_responses = {status: response, **(responses or {})}
    operation = Operation(summary, list(tags), query, body, all_responses, descriptions or {}, path or {}, auth,
                          media_type, body_form, headers or [], links or {}, tuple(downloads))
    path_adapters = {name: TypeAdapter(type_) for name, type_ in operation.path.items()}

    def decorate(view):
        operation.auth = operation.auth or getattr(view, "_api_auth", False)

        @wraps(view)
        def wrapped(*args, **kwargs):
            for name, adapter in path_adapters.items():
                kwargs[name] = _path_value(adapter, kwargs[name])
            if query is not None:
                kwargs["query"] = parse_query(query)
            if body is not None and not body_in_view:
                kwargs["body"] = parse_body(body, _form_data() if body_form else None)
            result = current_app.make_response(view(*args, **kwargs))
            if current_app.testing:
                check_response(operation, result)
            return result

        wrapped._endpoint = operation
        return wrapped
    return decorate


def _form_data() -> dict | None:
    if request.mimetype == "multipart/form-data":
        return request.form.to_dict()
    return None


def _path_value(adapter: TypeAdapter, raw: str):
    try:
        return adapter.validate_python(raw)
    except ValidationError:
        raise DomainError(_("The page or object was not found."), status=404, code="not_found") from None


_ADAPTERS: dict[Any, TypeAdapter] = {}


def check_response(operation: Operation, response) -> None:
    """Under TESTING: the body must match the model documented for its status (errors: the Error shape)."""
    if response.direct_passthrough or response.status_code in (204, 304):
        return
    model = operation.responses.get(response.status_code)
    if model is None and response.status_code >= 400:
        model = Error
    if model is None:
        assert response.status_code in operation.responses, (
            f"{request.method} {request.path} answered {response.status_code}, which is not documented")
        return
    adapter = _ADAPTERS.setdefault(model, TypeAdapter(model))
    try:
        adapter.validate_json(response.get_data(), strict=True)
    except ValidationError as exc:
        raise AssertionError(f"{request.method} {request.path} {response.status_code} does not match its "
                             f"schema {getattr(model, '__name__', model)}: {exc}") from None
