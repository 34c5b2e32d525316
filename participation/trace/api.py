"""GET /api/v1/trace/<code>: the public trace as JSON (the full one with an inspector's signed link)."""
from datetime import datetime
from typing import Literal

from flask import jsonify
from flask_babel import lazy_gettext as _l
from pydantic import Field

from portal.api import api
from portal.api.schemas import Input, Output, endpoint
from portal.errors import Forbidden, NotFound
from portal.extensions import limiter

from . import services
from .views import trace_limit


class StepOut(Output):
    number: int
    type: str
    occurred_at: datetime
    place: str | None
    organisation: str
    quantity_g: int | None
    container: str | None
    method: str | None = Field(description="R/D code of a treatment")
    manifest: str | None
    continued_in: str | None
    altered: bool
    actor: str | None = Field(None, description="full view only")
    vehicle_plate: str | None = Field(None, description="full view only")
    driver: str | None = Field(None, description="full view only")


class WasteOut(Output):
    code: str
    name: str
    category: str
    category_name: str
    hazards: list[str]
    stream: str
    form: str


class Producer(Output):
    name: str
    district: str | None


class Integrity(Output):
    intact: bool
    altered_step: int | None
    altered_ledger_entry: int | None


class SignatureCheckOut(Output):
    seq: int
    action: str
    organisation: str
    verification: Literal["verified", "invalid", "key_revoked", "sealed"]
    key_id: str | None = Field(description="the key that signed the step (GET /api/v1/signing-keys/<key_id>)")


class TraceOut(Output):
    kind: Literal["container", "batch", "manifest"]
    code: str
    state: str
    quantity_g: int
    full: bool
    wastes: list[WasteOut]
    producer: Producer
    containers: list[str]
    manifest: str | None
    batch_code: str | None
    steps: list[StepOut]
    integrity: Integrity
    signatures: list[SignatureCheckOut] = Field(description="a manifest's signed steps and their verification")


class TraceQuery(Input):
    k: str | None = Field(None, max_length=500, description=(
        "An inspector's signed link token: the full view with names and vehicle plates"))


@api.get("/trace/<code>")
@limiter.shared_limit(trace_limit, scope="trace")
@endpoint("The public trace of a container code (37 characters), a batch (B-<first container code>) or a "
          "manifest number (14 digits): the waste, its producer, every step and the ledger's integrity",
          tags=["trace"], query=TraceQuery, response=TraceOut, responses={403: None, 404: None, 429: None},
          descriptions={403: "The inspector link expired or is not valid for this code",
                        404: "Unknown or malformed code", 429: "Too many requests from this address"})
def trace_json(code, query: TraceQuery):
    try:
        found, full = services.resolve(code, query.k)
    except services.LinkRefused as refused:
        raise Forbidden(_l("This inspector link has expired.") if refused.expired
                        else _l("This inspector link is not valid for this code."),
                        code="link_expired" if refused.expired else "link_invalid") from None
    if found is None:
        raise NotFound(_l("No container, batch or manifest has this code."))
    response = jsonify(found.to_dict())
    if full:
        response.headers["Cache-Control"] = "private, no-store"
    return response
