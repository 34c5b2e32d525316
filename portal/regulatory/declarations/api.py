"""JSON API of declarations: list, detail, create (prefilled), submit, review."""
import re
from datetime import datetime
from typing import Annotated, Any, Literal

from flask import jsonify
from flask_babel import gettext as _
from flask_login import current_user
from pydantic import Field

from ... import auth
from ...api import api
from ...api.core import paginate, token_required
from ...api.schemas import Input, Output, Page, PageQuery, endpoint, first_item, link
from ...errors import Forbidden
from ...extensions import db
from ...inputs import Id, RecordGrams
from . import services
from .models import FIGURES, KINDS, STATUSES, Declaration

_PERIOD = re.compile(r"^\d{4}(-(0[1-9]|1[0-2]))?$")

Period = Annotated[str, Field(pattern=_PERIOD.pattern, max_length=7, examples=["2025-05"],
                              description="YYYY-MM (monthly) or YYYY (annual)")]


class FigureOut(Output):
    waste_code: str = Field(examples=["900-249-08"])
    figure: Literal[FIGURES]
    ledger_g: int | None
    declared_g: int | None
    comment: str | None


class DifferenceOut(Output):
    waste_code: str
    figure: Literal[FIGURES]
    declared_g: int
    ledger_g: int
    text: str


class DeclarationOrg(Output):
    id: int
    name: str
    uscc: str


class DeclarationOut(Output):
    id: int
    organisation: DeclarationOrg
    district_code: str | None
    kind: Literal[KINDS]
    period: str = Field(examples=["2025-05"])
    status: Literal[STATUSES]
    note: str | None
    return_reason: str | None
    submitted_at: datetime | None
    reviewed_at: datetime | None
    figures: list[FigureOut]
    differences: list[DifferenceOut]
    manifests: list[dict[str, Any]]
    allowed_actions: list[str]


class DeclarationSummary(Output):
    id: int
    organisation: DeclarationOrg
    district_code: str | None
    kind: Literal[KINDS]
    period: str
    status: Literal[STATUSES]
    differences: int
    submitted_at: datetime | None


class DeclarationQuery(PageQuery):
    status: Literal[STATUSES] | None = None
    kind: Literal[KINDS] | None = None
    period: Period | None = None
    district: str | None = Field(None, max_length=12, description="District code, e.g. 411282")
    organisation: Id | None = Field(None, description="Organisation id")


class NewDeclaration(Input):
    kind: Literal[KINDS]
    period: Period


class FigureInput(Input):
    waste_code: str = Field(max_length=12)
    figure: Literal[FIGURES]
    declared_g: RecordGrams
    comment: str | None = Field(None, max_length=1000)


class Submission(Input):
    figures: list[FigureInput] | None = Field(None, max_length=500)
    note: str | None = Field(None, max_length=2000)


class Review(Input):
    decision: Literal["accept", "return"]
    reason: str | None = Field(None, max_length=2000)


def serialize(declaration: Declaration) -> dict:
    org = declaration.organisation
    differences = (services.balance_differences(declaration) if declaration.status in services.EDITABLE
                   else declaration.differences)
    return {
        "id": declaration.id, "organisation": {"id": org.id, "name": org.name, "uscc": org.uscc},
        "district_code": declaration.district_code, "kind": declaration.kind, "period": declaration.period_label,
        "status": declaration.status, "note": declaration.note, "return_reason": declaration.return_reason,
        "submitted_at": declaration.submitted_at.isoformat() if declaration.submitted_at else None,
        "reviewed_at": declaration.reviewed_at.isoformat() if declaration.reviewed_at else None,
        "figures": [{"waste_code": f.waste_code, "figure": f.figure, "ledger_g": f.ledger_g,
                     "declared_g": f.declared_g, "comment": f.comment} for f in declaration.figures],
        "differences": [{**d, "text": services.difference_text(d)} for d in differences],
        "manifests": declaration.manifests or [],
        "allowed_actions": services.allowed_actions(current_user, declaration),
    }


def _summary(declaration: Declaration) -> dict:
    org = declaration.organisation
    return {"id": declaration.id, "organisation": {"id": org.id, "name": org.name, "uscc": org.uscc},
            "district_code": declaration.district_code, "kind": declaration.kind,
            "period": declaration.period_label, "status": declaration.status,
            "differences": len(declaration.differences or []),
            "submitted_at": declaration.submitted_at.isoformat() if declaration.submitted_at else None}


def _filters(query: DeclarationQuery) -> dict:
    kind, start = query.kind, None
    if query.period is not None:
        kind, start = services.period_filter(query.period)
    return {"status": query.status, "kind": kind, "period_start": start, "district": query.district,
            "organisation_id": query.organisation}


@api.get("/declarations")
@token_required
@endpoint("The declarations visible to the token: its organisation's, or a regulator's district (not drafts)",
          tags=["declarations"], query=DeclarationQuery, response=Page[DeclarationSummary],
          links={200: {"GetDeclaration": link("get_declaration", declaration_id=first_item()),
                       "Review": link("review_declaration", "post", declaration_id=first_item())}})
def list_declarations(query: DeclarationQuery):
    return paginate(services.declarations_query(current_user, **_filters(query)), _summary)


@api.get("/declarations/<int:declaration_id>")
@token_required
@endpoint("One declaration with its figures (ledger and declared) and its mass-balance differences",
          tags=["declarations"], response=DeclarationOut)
def get_declaration(declaration_id: int):
    return jsonify(serialize(services.get_declaration(current_user, declaration_id)))


@api.post("/declarations")
@token_required
@endpoint("Create a declaration for the token's organisation, prefilled from the ledger and the manifests",
          tags=["declarations"], body=NewDeclaration, response=DeclarationOut, status=201,
          descriptions={201: "The draft declaration"},
          links={201: {"GetDeclaration": {"operationId": "api_get_declaration_get",
                                          "parameters": {"declaration_id": "$response.body#/id"}},
                       "Submit": {"operationId": "api_submit_declaration_post",
                                  "parameters": {"declaration_id": "$response.body#/id"}}}})
def create_declaration(body: NewDeclaration):
    org = auth.current_org()
    if org is None:
        raise Forbidden(_("The token does not act for an organisation."))
    declaration = services.create_declaration(current_user, org, body.kind, body.period)
    db.session.commit()
    return jsonify(serialize(declaration)), 201


@api.post("/declarations/<int:declaration_id>/submit")
@token_required
@endpoint("Submit (or resubmit after a return), optionally changing figures; a figure that departs from the "
          "ledger needs a comment. The mass-balance differences are recorded.", tags=["declarations"],
          body=Submission, response=DeclarationOut)
def submit_declaration(declaration_id: int, body: Submission):
    declaration = services.get_declaration(current_user, declaration_id)
    figures = None if body.figures is None else [f.model_dump() for f in body.figures]
    services.submit_declaration(current_user, declaration, figures, body.note)
    db.session.commit()
    return jsonify(serialize(declaration))


@api.post("/declarations/<int:declaration_id>/review")
@token_required
@endpoint("Accept a submitted declaration, or return it with a reason the enterprise sees (regulator of its "
          "district)", tags=["declarations"], body=Review, response=DeclarationOut)
def review_declaration(declaration_id: int, body: Review):
    declaration = services.get_declaration(current_user, declaration_id)
    services.review_declaration(current_user, declaration, body.decision, body.reason)
    db.session.commit()
    return jsonify(serialize(declaration))
