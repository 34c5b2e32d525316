"""The case loop as data (portal/workflow.py's shape): 受理 → 派单 → 办理 → 反馈 → 办结 → 回访 → 评价, with 退单
(return to dispatch), 督办 (escalation), 重办 (redo after review) and reopening.

Parties: the platform (admins: the command centre that dispatches, reviews and calls back), the lead
department (its regulators in the case's district), the co-handling departments, and the citizen who filed the
report (through the follow link) or the platform on the caller's behalf, who rates."""
from flask_babel import lazy_gettext as _l

from .. import auth
from ..errors import DomainError
from ..types import utcnow
from ..workflow import SYSTEM, Transition, Workflow
from .models import OPEN_STATUSES, STATUS_LABELS, Case, Status

# Whoever holds a report's follow link acts as the citizen who filed it (no account is needed).
CITIZEN = object()


def _platform(_case: Case, user, _org) -> bool:
    return user is not CITIZEN and auth.is_admin(user)


def _regulator_of(user):
    return None if user is CITIZEN else auth.regulator_of(user)


def _lead(case: Case, user, _org) -> bool:
    regulator = _regulator_of(user)
    return (regulator is not None and regulator.department == case.lead_department
            and auth.jurisdiction_covers(user, case.district_code))


def _co(case: Case, user, _org) -> bool:
    regulator = _regulator_of(user)
    return (regulator is not None and regulator.department.value in (case.co_departments or [])
            and auth.jurisdiction_covers(user, case.district_code))


def _involved(case: Case, user, org) -> bool:
    return _platform(case, user, org) or _lead(case, user, org) or _co(case, user, org)


def _rater(case: Case, user, org) -> bool:
    return user is CITIZEN or _platform(case, user, org)


def _needs(*names: str):
    """A guard requiring the named inputs of the step (a reason, a result, a rating …)."""
    def guard(_case: Case, _actor, _org, fields: dict) -> dict:
        missing = {name: _l("Required for this step.") for name in names if not fields.get(name)}
        if missing:
            raise DomainError(_l("Some required information is missing."), fields=missing)
        return {}
    guard.__name__ = "needs_" + "_".join(names)
    return guard


def _return_guard(case: Case, actor, org, fields: dict) -> dict:
    """退单: with a reason, before the return limit, and never by a department the platform designated."""
    _needs("note")(case, actor, org, fields)
    if case.designated:
        raise DomainError(_l("The platform designated your department for this case: it cannot be returned."),
                          fields={"note": _l("A designated department cannot return the case.")})
    if case.return_due is not None and utcnow() > case.return_due:
        raise DomainError(_l("The time to return this case has passed."),
                          fields={"note": _l("The time to return this case has passed.")})
    return {}


def _rating_guard(case: Case, actor, org, fields: dict) -> dict:
    _needs("rating")(case, actor, org, fields)
    try:
        rating = int(fields["rating"])
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise DomainError(_l("Rate from 1 to 5."), fields={"rating": _l("Rate from 1 to 5.")})
    return {"rating": rating}


def _dispatch_guard(case: Case, actor, org, fields: dict) -> dict:
    _needs("department")(case, actor, org, fields)
    return {}


def _assign_guard(case: Case, actor, org, fields: dict) -> dict:
    _needs("assignee")(case, actor, org, fields)
    return {}


CASE = Workflow("case", Case, tuple(Status), [
    Transition("received", "route", "dispatched", SYSTEM),
    Transition("received", "dispatch", "dispatched", "platform", _dispatch_guard),
    # 不予受理 (潍坊 第十九条): before dispatch, or withdrawn from the department it was dispatched to
    *(Transition(state, "reject", "rejected", "platform", _needs("note")) for state in ("received", "dispatched")),
    Transition("dispatched", "assign", "handling", "lead", _assign_guard),
    Transition("handling", "assign", None, "lead", _assign_guard),
    Transition("dispatched", "return", "received", "lead", _return_guard),
    Transition("handling", "reply", "replied", "lead", _needs("note")),
    Transition("replied", "redo", "handling", "platform", _needs("note")),
    Transition("replied", "close", "closed", "lead"),
    Transition("closed", "visit", "visited", "platform", _needs("note")),
    Transition("closed", "rate", "rated", "rater", _rating_guard),
    Transition("visited", "rate", "rated", "rater", _rating_guard),
    *(Transition(state, "reopen", "handling", "platform", _needs("note"))
      for state in ("closed", "visited", "rated")),
    *(Transition(state, "comment", None, "involved", _needs("note")) for state in OPEN_STATUSES),
    Transition("handling", "feedback", None, "co", _needs("note")),
    *(Transition(state, "supervise", None, "platform", _needs("note")) for state in ("dispatched", "handling")),
    *(Transition(state, "escalate", None, SYSTEM) for state in ("dispatched", "handling")),
], parties={"platform": _platform, "lead": _lead, "co": _co, "involved": _involved, "rater": _rater},
    label=_l("case"), state_labels=STATUS_LABELS,
    refusals={"platform": _l("Only the command centre takes this step."),
              "lead": _l("Only the lead department takes this step."),
              "co": _l("Only a co-handling department adds feedback."),
              "involved": _l("Only the departments on this case and the command centre comment on it."),
              "rater": _l("Only the citizen who filed the report, or the command centre on the caller's behalf, "
                          "rates the case.")})
