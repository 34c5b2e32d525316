"""trace(code): a container's, a batch's or a manifest's story from the ledger, for the public trace page.

The public QR page, its JSON twin and other areas call trace(); it reads the ledger only through
events_for-style queries of its own columns and verify_batch. A Trace carries everything, the personal
details (who signed a step, vehicle plates, drivers) included; `public()` drops those for citizens.
"""
import re
import time
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import select

from ..accounts.models import Organisation, User
from ..extensions import db
from .batches.models import Batch, Container
from .ledger.models import LedgerEvent
from .ledger.services import Problem, verify_batch
from .models import Division, WasteCategory, WasteCode

CONTAINER_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}[0-9A-Z]{8}\d{8}\d{3}$")
MANIFEST_NUMBER = re.compile(r"^\d{14}$")
# A batch is addressed by its first container's code: no sequential id appears in a public URL.
BATCH_PREFIX = "B-"
# The steps a citizen follows; weighings and labellings are bookkeeping and stay in the full view only.
PUBLIC_EVENTS = ("generated", "split", "stored", "retrieved", "merged", "picked_up", "handed_over", "delivered",
                 "received", "refused", "treated", "corrected")


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
        }


def normalise(code: str | None) -> str:
    return re.sub(r"\s+", "", code or "").upper()


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


def trace(code: str | None) -> Trace | None:
    """The trace of a 37-character container code, a batch code (B-<first container code>) or a 14-digit
    manifest number; None when the code is malformed or unknown."""
    code = normalise(code)
    kind = kind_of(code)
    if kind == "container":
        return _container_trace(code)
    if kind == "batch":
        return _batch_trace(code)
    if kind == "manifest":
        return _manifest_trace(code)
    return None


# --- the subject ---------------------------------------------------------------------------------

def _batch_rows(where):
    """Batch, container, waste, producer and district in one query."""
    return db.session.execute(
        select(Batch, Container, WasteCode.description, WasteCategory.code, WasteCategory.name, Organisation.name,
               Organisation.district_code, Division.name)
        .join(Container, Container.batch_id == Batch.id)
        .join(WasteCode, WasteCode.id == Batch.waste_code_id)
        .join(WasteCategory, WasteCategory.id == WasteCode.category_id)
        .join(Organisation, Organisation.id == Batch.organisation_id)
        .join(Division, Division.code == Organisation.district_code, isouter=True)
        .where(where).order_by(Container.code)).all()


def _waste(batch: Batch, row) -> Waste:
    return Waste(code=batch.waste_code, name=row[2], category_code=row[3], category_name=row[4],
                 hazards=tuple(batch.hazard_list), stream=batch.stream, form=batch.form)


def _container_trace(code: str) -> Trace | None:
    rows = _batch_rows(Container.code == code)
    if not rows:
        return None
    row = rows[0]
    batch, container = row[0], row[1]
    steps, problems, orgs = _steps([(batch, container.id)])
    first = db.session.scalar(select(Container.code).where(Container.batch_id == batch.id)
                              .order_by(Container.code).limit(1))
    return Trace(kind="container", code=code, wastes=(_waste(batch, row),), quantity_g=container.quantity_g,
                 producer=row[5], district=row[7] or row[6], state=container.status, steps=steps,
                 problems=problems, containers=(code,), manifest=_last_manifest(steps),
                 batch_code=BATCH_PREFIX + first, organisation_ids=frozenset({batch.organisation_id, *orgs}),
                 district_codes=frozenset({row[6]}))


def _batch_trace(code: str) -> Trace | None:
    first = code[len(BATCH_PREFIX):]
    batch_id = db.session.scalar(select(Container.batch_id).where(Container.code == first))
    if batch_id is None:
        return None
    rows = _batch_rows(Batch.id == batch_id)
    if rows[0][1].code != first:  # only the first container's code addresses the batch
        return None
    row, batch = rows[0], rows[0][0]
    steps, problems, orgs = _steps([(batch, None)])
    return Trace(kind="batch", code=code, wastes=(_waste(batch, row),), quantity_g=batch.quantity_g,
                 producer=row[5], district=row[7] or row[6], state=batch.status, steps=steps, problems=problems,
                 containers=tuple(r[1].code for r in rows), manifest=_last_manifest(steps), batch_code=code,
                 organisation_ids=frozenset({batch.organisation_id, *orgs}), district_codes=frozenset({row[6]}))


def _manifest_trace(number: str) -> Trace | None:
    from .manifests.models import Manifest

    manifest = db.session.scalar(select(Manifest).where(Manifest.number == number))
    if manifest is None:
        return None
    sources, wastes, containers, seen = [], {}, [], set()
    for line in manifest.lines:
        batch = line.batch
        sources.append((batch, line.container_id))
        if batch.id not in seen:
            seen.add(batch.id)
            row = _batch_rows(Batch.id == batch.id)[0]
            wastes.setdefault(batch.waste_code, _waste(batch, row))
        containers.extend(line.container_codes)
    steps, problems, _orgs = _steps(sources)
    generator = manifest.generator
    district = db.session.get(Division, generator.district_code)
    return Trace(kind="manifest", code=number, wastes=tuple(wastes.values()), quantity_g=manifest.total_g,
                 producer=generator.name, district=district.name if district else generator.district_code,
                 state=manifest.state, steps=steps, problems=problems, containers=tuple(dict.fromkeys(containers)),
                 manifest=number, organisation_ids=frozenset(manifest.party_org_ids),
                 district_codes=frozenset({manifest.origin_district_code, manifest.destination_district_code}))


def _last_manifest(steps) -> str | None:
    return next((s.manifest for s in reversed(steps) if s.manifest), None)


# --- the steps -----------------------------------------------------------------------------------

def _steps(sources: list[tuple[Batch, int | None]]) -> tuple[tuple[Step, ...], tuple[Problem, ...], set[int]]:
    """The events of the batches (of one container where given) in time order, the chains' problems and
    the organisations that took the steps.
    A container's own steps are the batch's steps without a container and those naming it."""
    batch_ids = sorted({b.id for b, _c in sources})
    wanted = {}
    for batch, container_id in sources:
        wanted.setdefault(batch.id, set()).add(container_id)
    rows = db.session.execute(
        select(LedgerEvent.id, LedgerEvent.batch_id, LedgerEvent.seq, LedgerEvent.event_type,
               LedgerEvent.occurred_at, LedgerEvent.place, LedgerEvent.quantity_g, LedgerEvent.data,
               LedgerEvent.container_id, LedgerEvent.organisation_id, Organisation.name, User.name,
               Container.code)
        .join(Organisation, Organisation.id == LedgerEvent.organisation_id)
        .join(User, User.id == LedgerEvent.actor_id, isouter=True)
        .join(Container, Container.id == LedgerEvent.container_id, isouter=True)
        .where(LedgerEvent.batch_id.in_(batch_ids))
        .order_by(LedgerEvent.occurred_at, LedgerEvent.batch_id, LedgerEvent.seq)).all()
    problems = tuple(p for batch, _c in _unique_batches(sources) for p in integrity(batch))
    altered = {(p.batch_id, p.seq) for p in problems} | {p.event_id for p in problems}
    drivers = _drivers(rows)
    steps, orgs = [], set()
    for row in rows:
        containers = wanted[row.batch_id]
        if None not in containers and row.container_id is not None and row.container_id not in containers:
            continue
        data = row.data or {}
        steps.append(Step(
            number=len(steps) + 1, seq=row.seq, event_type=row.event_type, occurred_at=row.occurred_at,
            place=row.place, organisation=row[10], quantity_g=row.quantity_g, container=row.code,
            method=data.get("method"), manifest=data.get("manifest"),
            continued_in=data.get("merged_into_container"), altered=(row.batch_id, row.seq) in altered or row.id in altered,
            actor=row[11], vehicle_plate=data.get("vehicle_plate"),
            driver=drivers.get((data.get("manifest_id"), data.get("vehicle_plate")))))
        orgs.add(row.organisation_id)
    return tuple(steps), problems, orgs


def _unique_batches(sources):
    seen = set()
    for batch, container_id in sources:
        if batch.id not in seen:
            seen.add(batch.id)
            yield batch, container_id


def _drivers(rows) -> dict:
    """(manifest id, vehicle plate) → driver name, for the full view of transport steps."""
    from .manifests.models import ManifestCarrier

    manifest_ids = {(r.data or {}).get("manifest_id") for r in rows if (r.data or {}).get("vehicle_plate")}
    manifest_ids.discard(None)
    if not manifest_ids:
        return {}
    return {(c.manifest_id, c.vehicle_plate): c.driver_name for c in db.session.scalars(
        select(ManifestCarrier).where(ManifestCarrier.manifest_id.in_(manifest_ids)))}


# --- integrity -----------------------------------------------------------------------------------

# batch id → (head seq, head hash, expiry, problems). Verifying a chain means reading and hashing all of
# its events; a page view repeats it only when the chain grew or the entry expired (a row altered behind
# the ledger's back shows within TRACE_INTEGRITY_CACHE_SECONDS; `wufei ledger verify` reports it at once).
_integrity_cache: dict[int, tuple[int, str, float, tuple[Problem, ...]]] = {}
_CACHE_LIMIT = 50_000


def integrity(batch: Batch) -> tuple[Problem, ...]:
    """verify_batch, remembered per batch by its head (seq, hash) for a short while."""
    from flask import current_app

    ttl = current_app.config.get("TRACE_INTEGRITY_CACHE_SECONDS", 60)
    now = time.monotonic()
    cached = _integrity_cache.get(batch.id)
    if ttl and cached and cached[:2] == (batch.ledger_head_seq, batch.ledger_head_hash) and cached[2] > now:
        return cached[3]
    problems = tuple(verify_batch(batch.id))
    if ttl:
        if len(_integrity_cache) >= _CACHE_LIMIT:
            _integrity_cache.clear()
        _integrity_cache[batch.id] = (batch.ledger_head_seq, batch.ledger_head_hash, now + ttl, problems)
    return problems
