"""Every document type's state machine in one shape, and the one function that takes a step.

A Workflow is a table of Transition rows: (source state, action) → target state, the party allowed (the name
of a predicate on document, user and organisation) and a named guard. `step()` applies a row in a fixed
order — the party (403), the state (409 naming the actions possible now), the guard (422) — then claims the
status and writes one audit entry. The claim is what makes two steps at once safe: either a conditional
`UPDATE … SET status = :target WHERE id = :id AND status = :expected` (nothing updated → 409), or, for
documents whose step changes many rows (manifests), the document re-read under `SELECT … FOR UPDATE` first.

The party "system" is special: only jobs and other services take its rows (`system=True`), never a user.
Every workflow registers itself in WORKFLOWS, so the tests walk every table without a list of their own.
"""
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import CheckConstraint, select, update
from sqlalchemy.orm.attributes import set_committed_value

from . import audit
from .errors import Conflict, Forbidden, NotFound
from .extensions import db

SYSTEM = "system"

# a party predicate: may this user, acting for this organisation (or None), take a step of this document?
Party = Callable[[Any, Any, Any], bool]
# a guard: refuses the step with a DomainError (422) or answers the values the step seals (a dict, or None)
Guard = Callable[[Any, Any, Any, dict], dict | None]


def status_check(states, column: str = "status") -> CheckConstraint:
    """The CHECK constraint listing a status column's states (named ck_<table>_<column>_valid)."""
    listed = ", ".join(f"'{getattr(state, 'value', state)}'" for state in states)
    return CheckConstraint(f"{column} IN ({listed})", name=f"{column}_valid")


def no_guard(_document, _actor, _org, _fields) -> None:
    """The step needs no other condition than its state and party."""
    return None


def all_guards(*guards: Guard) -> Guard:
    """One guard made of several, run in order; the first refusal stands, the sealed values are merged."""
    def guard(document, actor, org, fields: dict) -> dict:
        sealed = {}
        for each in guards:
            sealed.update(each(document, actor, org, fields) or {})
        return sealed
    guard.__name__ = "_and_".join(each.__name__ for each in guards)
    return guard


@dataclass(frozen=True)
class Transition:
    source: str
    action: str
    # the next state; None leaves the state as it is, a callable decides it from the document and sealed values
    target: str | Callable | None
    party: str
    guard: Guard = field(default=no_guard)
    outcomes: tuple[str, ...] = ()  # the states a callable target may answer

    def targets(self) -> tuple[str, ...]:
        """Every state this row may lead to."""
        if self.target is None:
            return (self.source,)
        return self.outcomes if callable(self.target) else (self.target,)

    def target_for(self, document, sealed: dict | None) -> str:
        if self.target is None:
            return self.source
        return self.target(document, sealed or {}) if callable(self.target) else self.target


@dataclass
class Step:
    """What step() did: the states before and after, and the values the guard sealed."""
    document: Any
    action: str
    from_state: str
    to_state: str
    sealed: dict


WORKFLOWS: dict[str, "Workflow"] = {}


class Workflow:
    """One document type's table, its parties and how its status is claimed."""

    def __init__(self, name: str, model, states: tuple[str, ...], transitions: list[Transition], *,
                 parties: dict[str, Party], label=None, column: str = "status", claim: str = "conditional",
                 state_labels: dict | None = None, may_ever: Callable | None = None,
                 conflict: Callable | None = None, refusals: dict | None = None, lock_options: tuple = ()):
        self.name, self.model, self.states, self.column = name, model, tuple(states), column
        self.document_label = label or name
        self.parties, self.claim_by, self.state_labels = parties, claim, state_labels or {}
        self.table = {(t.source, t.action): t for t in transitions}
        self._may_ever, self._conflict = may_ever, conflict
        self.refusals = refusals or {}  # party → the 403 message that names who takes its steps
        self.lock_options = lock_options  # loader options: what a step reads, fetched with the locked row
        self._check_table(transitions)
        WORKFLOWS[name] = self

    def _check_table(self, transitions: list[Transition]) -> None:
        if len(self.table) != len(transitions):
            raise ValueError(f"{self.name}: two rows for one (state, action)")
        for t in transitions:
            if callable(t.target) and not t.outcomes:
                raise ValueError(f"{self.name}: row {t} decides its target without naming the outcomes")
            if {t.source, *t.targets()} - set(self.states) or (t.party != SYSTEM and t.party not in self.parties):
                raise ValueError(f"{self.name}: row {t} names an unknown state or party")

    # --- reading the table -------------------------------------------------------------------

    @property
    def actions(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(action for _state, action in self.table))

    def state_of(self, document) -> str:
        value = getattr(document, self.column)
        return getattr(value, "value", value)  # enum columns hold members of a str enum

    def is_party(self, transition: Transition, document, actor, org, system: bool = False) -> bool:
        if transition.party == SYSTEM:
            return system
        return not system and bool(self.parties[transition.party](document, actor, org))

    def may_ever(self, document, action: str, actor, org, system: bool = False) -> bool:
        """Is the actor the kind of party that takes this action in some state (403 if not, else 409)?"""
        if self._may_ever is not None and not system:
            return self._may_ever(document, action, actor, org)
        return any(self.is_party(t, document, actor, org, system) for (_s, a), t in self.table.items() if a == action)

    def allowed_actions(self, document, actor, org=None, *, system: bool = False) -> list[str]:
        """The actions this actor may take now, by state and party (guards are checked when stepping)."""
        state = self.state_of(document)
        return [t.action for (source, _a), t in self.table.items()
                if source == state and self.is_party(t, document, actor, org, system)]

    # --- refusals ------------------------------------------------------------------------------

    def label(self, state: str) -> str:
        return str(self.state_labels.get(state, state))

    def conflict(self, document, actor, org, system: bool = False, action: str | None = None) -> Conflict:
        """409 naming the state and the actions possible now (in `fields`, for the API)."""
        if self._conflict is not None:
            return self._conflict(document, action, actor, org)
        state = self.state_of(document)
        allowed = self.allowed_actions(document, actor, org, system=system)
        return Conflict(_("This step is not possible while the %(document)s is %(state)s. Possible now: "
                          "%(allowed)s.", document=self.document_label, state=self.label(state),
                          allowed=", ".join(allowed) or "—"),
                        fields={"allowed_actions": ", ".join(allowed), "state": state}, code="invalid_transition")

    def check(self, document, action: str, actor, org=None, *, system: bool = False) -> Transition:
        """The row this actor may take now: unknown action 404, not the party 403, wrong state 409."""
        if action not in self.actions:
            raise NotFound(_("Unknown action %(action)s.", action=action))
        row = self.table.get((self.state_of(document), action))
        if row is None:
            if not self.may_ever(document, action, actor, org, system):
                raise self.forbidden(action)
            raise self.conflict(document, actor, org, system, action)
        if not self.is_party(row, document, actor, org, system):
            raise self.forbidden(action)
        return row

    def forbidden(self, action: str) -> Forbidden:
        party = next(t.party for (_s, a), t in self.table.items() if a == action)
        return Forbidden(self.refusals.get(party) or _("You are not the party that takes this step."))

    # --- claiming the status -----------------------------------------------------------------

    def lock(self, document):
        """Re-read the document under SELECT … FOR UPDATE, so that two steps on it serialise."""
        db.session.flush()
        query = select(self.model).where(self.model.id == document.id).options(*self.lock_options)
        # FOR UPDATE OF the document's table only: eagerly joined rows are read, not locked
        return db.session.execute(query.with_for_update(of=self.model)
                                  .execution_options(populate_existing=True)).unique().scalar_one()

    def claim(self, document, from_state: str, to_state: str, actor=None, org=None, *, system: bool = False,
              **values) -> None:
        """Set the status only if it is still from_state (one conditional UPDATE, with any other values of the
        step); another step that got there first makes it a 409."""
        db.session.flush()  # the row must exist and carry the document's other changes before it is claimed
        table = self.model.__table__
        column = table.c[self.column]
        result = db.session.execute(update(table).where(table.c.id == document.id, column == self._db(from_state))
                                    .values({self.column: self._db(to_state), **values}))
        if result.rowcount != 1:
            db.session.refresh(document)
            raise self.conflict(document, actor, org, system)
        set_committed_value(document, self.column, self._db(to_state))
        for name, value in values.items():
            set_committed_value(document, name, value)

    def _db(self, state: str):
        enum_class = getattr(self.model.__table__.c[self.column].type, "enum_class", None)
        return enum_class(state) if enum_class is not None else state

    # --- the one step --------------------------------------------------------------------------

    def step(self, document, action: str, actor=None, org=None, *, fields: dict | None = None,
             values: dict | None = None, system: bool = False, audit_after: dict | None = None,
             organisation_id: int | None = None, audit_action: str | None = None,
             effect: Callable | None = None) -> Step:
        """Take one step: 403 → 409 (with the allowed actions) → 422 (guard), then claim and audit.
        values are other columns written in the same claim; effect(document, sealed, from_state, to_state),
        for locked documents, does the step's other work before the state changes and answers what the audit
        entry adds (a signature). The caller commits."""
        if self.claim_by == "lock":
            document = self.lock(document)
        row = self.check(document, action, actor, org, system=system)
        sealed = row.guard(document, actor, org, fields or {}) or {}
        from_state = self.state_of(document)
        to_state = row.target_for(document, sealed)
        if effect is not None:
            audit_after = {**(audit_after or {}), **(effect(document, sealed, from_state, to_state) or {})}
        if self.claim_by == "lock":
            setattr(document, self.column, self._db(to_state))
            for name, value in (values or {}).items():
                setattr(document, name, value)
        else:
            self.claim(document, from_state, to_state, actor, org, system=system, **(values or {}))
        audit.record(audit_action or f"{self.name}.{action}", document, actor=actor,
                     organisation_id=organisation_id if organisation_id is not None else getattr(org, "id", None),
                     before={self.column: from_state},
                     after={self.column: to_state, **audit.snapshot(document, values or {}), **(audit_after or {})})
        return Step(document, action, from_state, to_state, sealed)
