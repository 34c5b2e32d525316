"""trace(code): a container's, a batch's or a manifest's story from the ledger, for the public trace page.

The public QR page, its JSON twin and other areas call trace(). A page costs two queries: the subject
(container, batch, waste, producer, district) and the batch's events, whose rows also feed the hash-chain
verification (verify_rows), so integrity costs no query of its own. A Trace carries everything, the personal
details (who signed a step, vehicle plates, drivers) included; `public()` drops those for citizens.
"""
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cache
from operator import itemgetter

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import aliased

from ..accounts.models import Organisation, User
from ..extensions import db
from .batches.models import Batch, Container
from .ledger.models import LedgerEvent
from .ledger.services import HASHED_FIELDS, Problem, verify_rows
from .manifests.followups import awaiting_for_ids, awaiting_g
from .models import Division, WasteCategory, WasteCode

CONTAINER_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}[0-9A-Z]{8}\d{8}\d{3}$")
MANIFEST_NUMBER = re.compile(r"^\d{14}$")
# A batch is addressed by its first container's code: no sequential id appears in a public URL.
BATCH_PREFIX = "B-"
# The steps a citizen follows; weighings and labellings are bookkeeping and stay in the full view only.
PUBLIC_EVENTS = ("generated", "split", "stored", "retrieved", "merged", "picked_up", "handed_over", "delivered",
                 "received", "refused", "treated", "corrected", "rerouted", "returned")


@dataclass(frozen=True)
class Waste:
    code: str
    name: str
    category_code: str
    category_name: str
    hazards: tuple[str, ...]
    stream: str
    form: str


@dataclass(frozen=True)
class Step:
    number: int  # position on the page, 1-based: "record altered at step N" names it
    seq: int  # the event's number in its batch's chain
    event_type: str
    occurred_at: datetime
    place: str | None
    organisation: str  # the enterprise that took the step
    quantity_g: int | None
    container: str | None
    method: str | None = None  # R/D code of a treatment
    manifest: str | None = None
    continued_in: str | None = None  # the container a merged container went into
    altered: bool = False
    # personal details: the full view only
    actor: str | None = None
    vehicle_plate: str | None = None
    driver: str | None = None


@dataclass(frozen=True)
class SignatureCheck:
    """A manifest step's signature and its verdict (verified | invalid | key_revoked | sealed)."""

    seq: int
    action: str
    organisation: str
    status: str
    key_id: str | None


@dataclass(frozen=True)
class Trace:
    kind: str  # container | batch | manifest
    code: str  # the address of this trace: /t/<code>
    wastes: tuple[Waste, ...]
    quantity_g: int
    producer: str
    district: str
    state: str
    steps: tuple[Step, ...]
    problems: tuple[Problem, ...]
    containers: tuple[str, ...] = ()
    manifest: str | None = None
    batch_code: str | None = None  # where the whole batch of a container is traced
    organisation_ids: frozenset[int] = field(default_factory=frozenset)  # for the full-view permission
    district_codes: frozenset[str] = field(default_factory=frozenset)
    full: bool = True
    heads: tuple[str, ...] = ()  # the ledger head hash of each batch concerned: its version, for HTTP caching
    signatures: tuple[SignatureCheck, ...] = ()  # a manifest's signed steps, verified

    @property
    def intact(self) -> bool:
        return not self.problems

    @property
    def altered_step(self) -> int | None:
        """The first step on the page whose record was changed or follows a deleted one."""
        numbers = [s.number for s in self.steps if s.altered]
        return min(numbers) if numbers else None

    @property
    def altered_seq(self) -> int | None:
        """For an alteration outside the steps shown: the ledger entry of the batch concerned."""
        return min((p.seq for p in self.problems), default=None)

    @property
    def hazards(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(h for w in self.wastes for h in w.hazards))

    def public(self) -> "Trace":
        """What a citizen may see: no personal names, no vehicle plates, no bookkeeping steps."""
        steps = [s for s in self.steps if s.event_type in PUBLIC_EVENTS]
        steps = tuple(replace(s, number=i, actor=None, vehicle_plate=None, driver=None)
                      for i, s in enumerate(steps, start=1))
        return replace(self, steps=steps, full=False)

    def to_dict(self) -> dict:
        """The JSON shape of /api/v1/trace/<code>."""
        personal = ("actor", "vehicle_plate", "driver")
        return {
            "kind": self.kind, "code": self.code, "state": self.state, "quantity_g": self.quantity_g,
            "full": self.full,
            "wastes": [{"code": w.code, "name": w.name, "category": w.category_code,
                        "category_name": w.category_name, "hazards": list(w.hazards), "stream": w.stream,
                        "form": w.form} for w in self.wastes],
            "producer": {"name": self.producer, "district": self.district},
            "containers": list(self.containers), "manifest": self.manifest, "batch_code": self.batch_code,
            "steps": [{"number": s.number, "type": s.event_type, "occurred_at": s.occurred_at.isoformat(),
                       "place": s.place, "organisation": s.organisation, "quantity_g": s.quantity_g,
                       "container": s.container, "method": s.method, "manifest": s.manifest,
                       "continued_in": s.continued_in, "altered": s.altered,
                       **({name: getattr(s, name) for name in personal} if self.full else {})}
                      for s in self.steps],
            "integrity": {"intact": self.intact, "altered_step": self.altered_step,
                          "altered_ledger_entry": None if self.intact else self.altered_seq},
            "signatures": [{"seq": c.seq, "action": c.action, "organisation": c.organisation,
                            "verification": c.status, "key_id": c.key_id} for c in self.signatures],
        }


# Spaces, hyphens and the dashes a phone or a word processor substitutes for them (en/em dash, minus,
# full-width hyphen): people paste a label's code as printed, in its four groups.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212\uff0d]+")


def normalise(code: str | None) -> str:
    """A typed or pasted code as stored: separators dropped, upper case, the batch prefix put back."""
    code = _SEPARATORS.sub("", code or "").upper()
    bare_prefix = BATCH_PREFIX.replace("-", "")
    if code.startswith(bare_prefix) and CONTAINER_CODE.match(code[len(bare_prefix):]):
        return BATCH_PREFIX + code[len(bare_prefix):]
    return code


def kind_of(code: str) -> str | None:
    """container, batch or manifest by the code's shape; None for anything else."""
    if CONTAINER_CODE.match(code):
        return "container"
    if code.startswith(BATCH_PREFIX) and CONTAINER_CODE.match(code[len(BATCH_PREFIX):]):
        return "batch"
    if MANIFEST_NUMBER.match(code):
        return "manifest"
    return None


def batch_code(batch: Batch) -> str | None:
    """The public address of a whole batch: its first container's code with the batch prefix."""
    first = db.session.scalar(select(Container.code).where(Container.batch_id == batch.id)
                              .order_by(Container.code).limit(1))
    return BATCH_PREFIX + first if first else None


def trace(code: str | None, *, personal: bool = True) -> Trace | None:
    """The trace of a 37-character container code, a batch code (B-<first container code>) or a 14-digit
    manifest number; None when the code is malformed or unknown. personal=False leaves out who signed each
    step and the drivers (what public() drops anyway), which spares their lookups for anonymous readers."""
    code = normalise(code)
    kind = kind_of(code)
    if kind == "container":
        return _container_trace(code, personal)
    if kind == "batch":
        return _batch_trace(code, personal)
    if kind == "manifest":
        return _manifest_trace(code, personal)
    return None


# Refused waste waiting at a receiver's gate for its return or forwarding shows that state instead of the
# custody status it still has (in transit, received): a refusal leaves the containers where the manifest left them.
REFUSED_AWAITING = "refused_awaiting"


# --- the subject ---------------------------------------------------------------------------------

_SUBJECT = (Batch.id.label("batch_id"), Batch.organisation_id, Batch.waste_code, Batch.stream, Batch.form,
            Batch.hazards, Batch.quantity_g.label("batch_g"), Batch.status.label("batch_status"),
            Batch.ledger_head_seq, Batch.ledger_head_hash, Container.id.label("container_id"), Container.code,
            Container.quantity_g.label("container_g"), Container.status.label("container_status"),
            WasteCode.description.label("waste_name"), WasteCategory.code.label("category_code"),
            WasteCategory.name.label("category_name"), Organisation.name.label("producer"),
            Organisation.district_code, Division.name.label("district_name"))


def _subject_query(where, *extra):
    """Container, batch, waste, producer and district in one query: one row per container, by code."""
    return (select(*_SUBJECT, *extra).select_from(Container)
            .join(Batch, Batch.id == Container.batch_id)
            .join(WasteCode, WasteCode.id == Batch.waste_code_id)
            .join(WasteCategory, WasteCategory.id == WasteCode.category_id)
            .join(Organisation, Organisation.id == Batch.organisation_id)
            .join(Division, Division.code == Organisation.district_code, isouter=True)
            .where(where).order_by(Container.code))


# The page's statements are built once: composing a select of twenty columns and five joins costs more
# than running it.
@cache
def _container_query():
    sibling = aliased(Container)
    first = (select(func.min(sibling.code)).where(sibling.batch_id == Batch.id).correlate(Batch)
             .scalar_subquery().label("first_code"))
    return _subject_query(Container.code == bindparam("code"), first)


@cache
def _batch_query():
    return _subject_query(Batch.id == select(Container.batch_id).where(Container.code == bindparam("code"))
                          .scalar_subquery())


@cache
def _manifest_query():
    return _subject_query(Batch.id.in_(bindparam("batch_ids", expanding=True)))


def _waste(row) -> Waste:
    return Waste(code=row.waste_code, name=row.waste_name, category_code=row.category_code,
                 category_name=row.category_name, hazards=tuple(h for h in (row.hazards or "").split(",") if h),
                 stream=row.stream, form=row.form)


def _heads(rows) -> dict[int, tuple[int, str]]:
    return {r.batch_id: (r.ledger_head_seq, r.ledger_head_hash) for r in rows}


def _container_trace(code: str, personal: bool) -> Trace | None:
    rows = db.session.execute(_container_query(), {"code": code}).all()
    if not rows:
        return None
    row = rows[0]
    heads = _heads(rows)
    steps, problems, orgs = _steps([(row.batch_id, row.container_id)], heads, {row.container_id: code}, personal)
    return Trace(kind="container", code=code, wastes=(_waste(row),), quantity_g=row.container_g,
                 producer=row.producer, district=row.district_name or row.district_code,
                 state=REFUSED_AWAITING if awaiting_for_ids(row.batch_id, row.container_id) else row.container_status,
                 steps=steps, problems=problems, containers=(code,),
                 manifest=_last_manifest(steps), batch_code=BATCH_PREFIX + row.first_code,
                 organisation_ids=frozenset({row.organisation_id, *orgs}),
                 district_codes=frozenset({row.district_code}), heads=_head_hashes(heads))


def _batch_trace(code: str, personal: bool) -> Trace | None:
    first = code[len(BATCH_PREFIX):]
    rows = db.session.execute(_batch_query(), {"code": first}).all()
    if not rows or rows[0].code != first:  # only the first container's code addresses the batch
        return None
    row = rows[0]
    heads = _heads(rows)
    steps, problems, orgs = _steps([(row.batch_id, None)], heads, {r.container_id: r.code for r in rows}, personal)
    return Trace(kind="batch", code=code, wastes=(_waste(row),), quantity_g=row.batch_g,
                 producer=row.producer, district=row.district_name or row.district_code,
                 state=REFUSED_AWAITING if awaiting_for_ids(row.batch_id) else row.batch_status,
                 steps=steps, problems=problems, containers=tuple(r.code for r in rows),
                 manifest=_last_manifest(steps), batch_code=code,
                 organisation_ids=frozenset({row.organisation_id, *orgs}),
                 district_codes=frozenset({row.district_code}), heads=_head_hashes(heads))


def _manifest_trace(number: str, personal: bool) -> Trace | None:
    from .manifests.models import Manifest
    from .manifests.signatures import verdicts

    manifest = db.session.scalar(select(Manifest).where(Manifest.number == number))
    if manifest is None:
        return None
    sources, containers = [], []
    for line in manifest.lines:
        sources.append((line.batch_id, line.container_id))
        containers.extend(line.container_codes)
    rows = db.session.execute(_manifest_query(), {"batch_ids": sorted({b for b, _c in sources})}).all()
    wastes = {}
    for row in rows:
        wastes.setdefault(row.waste_code, _waste(row))
    heads = _heads(rows)
    steps, problems, _orgs = _steps(sources, heads, {r.container_id: r.code for r in rows}, personal)
    generator = manifest.generator
    district = db.session.get(Division, generator.district_code)
    return Trace(kind="manifest", code=number, wastes=tuple(wastes.values()), quantity_g=manifest.total_g,
                 producer=generator.name, district=district.name if district else generator.district_code,
                 state=REFUSED_AWAITING if awaiting_g(manifest) else manifest.state, steps=steps, problems=problems,
                 containers=tuple(dict.fromkeys(containers)),
                 manifest=number, organisation_ids=frozenset(manifest.party_org_ids),
                 district_codes=frozenset({manifest.origin_district_code, manifest.destination_district_code}),
                 heads=_head_hashes(heads), signatures=_signature_checks(manifest, verdicts(manifest)))


def _signature_checks(manifest, verdicts) -> tuple[SignatureCheck, ...]:
    return tuple(SignatureCheck(s.seq, s.action, verdicts[s.id].organisation, verdicts[s.id].status,
                                verdicts[s.id].key_id) for s in manifest.signatures)


def _head_hashes(heads: dict[int, tuple[int, str]]) -> tuple[str, ...]:
    return tuple(heads[batch_id][1] for batch_id in sorted(heads))


def _last_manifest(steps) -> str | None:
    return next((s.manifest for s in reversed(steps) if s.manifest), None)


# --- the steps -----------------------------------------------------------------------------------

# What a step shows plus what the chain's hash covers: the same rows feed the page and the verification.
_EVENT_COLUMNS = [LedgerEvent.__table__.c[name] for name in ("id", "hash", *HASHED_FIELDS)]


@cache
def _events_query(personal: bool):
    # the batch's head comes with its events: one snapshot, so an append between two reads is no "alteration"
    query = (select(*_EVENT_COLUMNS, Organisation.name.label("organisation"), Batch.ledger_head_seq,
                    Batch.ledger_head_hash)
             .join(Organisation, Organisation.id == LedgerEvent.organisation_id)
             .join(Batch, Batch.id == LedgerEvent.batch_id))
    if personal:
        query = query.add_columns(User.name.label("actor")).join(User, User.id == LedgerEvent.actor_id, isouter=True)
    return (query.where(LedgerEvent.batch_id.in_(bindparam("batch_ids", expanding=True)))
            .order_by(LedgerEvent.occurred_at, LedgerEvent.batch_id, LedgerEvent.seq))


def _steps(sources: list[tuple[int, int | None]], heads: dict[int, tuple[int, str]], codes: dict[int, str],
           personal: bool) -> tuple[tuple[Step, ...], tuple[Problem, ...], set[int]]:
    """The events of the batches (of one container where given) in time order, the chains' problems and
    the organisations that took the steps. sources: (batch id, container id or None for the whole batch);
    heads: batch id → (head seq, head hash) as the subject query read them, updated in place with the ones
    read along with the events; codes: container id → code for the containers shown.
    A container's own steps are the batch's steps without a container and those naming it."""
    wanted: dict[int, set] = {}
    for batch_id, container_id in sources:
        wanted.setdefault(batch_id, set()).add(container_id)
    rows = db.session.execute(_events_query(personal), {"batch_ids": sorted(wanted)}).mappings().all()
    heads.update({r["batch_id"]: (r["ledger_head_seq"], r["ledger_head_hash"]) for r in rows})
    problems = tuple(p for batch_id in sorted(wanted) for p in verify_rows(
        batch_id, sorted((r for r in rows if r["batch_id"] == batch_id), key=itemgetter("seq")), heads.get(batch_id)))
    altered = {(p.batch_id, p.seq) for p in problems} | {p.event_id for p in problems}
    shown = [r for r in rows if None in wanted[r["batch_id"]] or r["container_id"] is None
             or r["container_id"] in wanted[r["batch_id"]]]
    unknown = {r["container_id"] for r in shown if r["container_id"] is not None} - codes.keys()
    if unknown:  # an event naming a container of another batch
        codes = {**codes, **dict(db.session.execute(select(Container.id, Container.code)
                                                    .where(Container.id.in_(unknown))).tuples().all())}
    drivers = _drivers(shown) if personal else {}
    steps, orgs = [], set()
    for row in shown:
        data = row["data"] or {}
        steps.append(Step(
            number=len(steps) + 1, seq=row["seq"], event_type=row["event_type"], occurred_at=row["occurred_at"],
            place=row["place"], organisation=row["organisation"], quantity_g=row["quantity_g"],
            container=codes.get(row["container_id"]), method=data.get("method"), manifest=data.get("manifest"),
            continued_in=data.get("merged_into_container"),
            altered=(row["batch_id"], row["seq"]) in altered or row["id"] in altered,
            actor=row["actor"] if personal else None, vehicle_plate=data.get("vehicle_plate"),
            driver=drivers.get((data.get("manifest_id"), data.get("vehicle_plate")))))
        orgs.add(row["organisation_id"])
    return tuple(steps), problems, orgs


def _drivers(rows) -> dict:
    """(manifest id, vehicle plate) → driver name, for the full view of transport steps."""
    from .manifests.models import ManifestCarrier

    manifest_ids = {(r["data"] or {}).get("manifest_id") for r in rows if (r["data"] or {}).get("vehicle_plate")}
    manifest_ids.discard(None)
    if not manifest_ids:
        return {}
    return {(c.manifest_id, c.vehicle_plate): c.driver_name for c in db.session.scalars(
        select(ManifestCarrier).where(ManifestCarrier.manifest_id.in_(manifest_ids)))}
