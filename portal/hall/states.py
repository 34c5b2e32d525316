"""The hall document's life: draft → published → withdrawn (→ draft again to correct and republish)."""
from flask_babel import lazy_gettext as _l

from .. import auth
from ..workflow import Transition, Workflow
from .models import STATUS_LABELS, DocStatus, HallDocument

DRAFT, PUBLISHED, WITHDRAWN = DocStatus.DRAFT.value, DocStatus.PUBLISHED.value, DocStatus.WITHDRAWN.value


def is_issuer(document: HallDocument, user, _org=None) -> bool:
    """The issuing department's regulators of the document's jurisdiction, and platform administrators."""
    if auth.is_admin(user):
        return True
    regulator = auth.regulator_of(user)
    return (regulator is not None and regulator.department == document.department
            and regulator.jurisdiction_code == document.jurisdiction_code)


WORKFLOW = Workflow(
    "hall_document", HallDocument, tuple(s.value for s in DocStatus),
    [
        Transition(DRAFT, "publish", PUBLISHED, "issuer"),
        Transition(PUBLISHED, "withdraw", WITHDRAWN, "issuer"),
        Transition(WITHDRAWN, "redraft", DRAFT, "issuer"),
    ],
    parties={"issuer": is_issuer}, label=_l("document"),
    state_labels={s.value: label for s, label in STATUS_LABELS.items()},
    refusals={"issuer": _l("Only the issuing department's regulators publish or withdraw its documents.")},
)
