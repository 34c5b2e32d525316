"""Manifest benchmark on PostgreSQL: state transitions per second through apply_action, each step its own
transaction (lock, guard, signature, ledger events, audit, commit), as a request would do.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/somedb .venv/bin/python bench/manifest_bench.py
Without DATABASE_URL a fresh database is created on 127.0.0.1 and dropped afterwards. It prints figures;
it is not a test. Every manifest runs submit → pick_up → hand_over → deliver → receive → treat, one step at a time
across all of them. An SQLAlchemy before_cursor_execute listener counts the statements each step issues in its
own transaction (its commit is not a statement) and, apart, those of the work deferred to after the commit (the
public trace snapshot rebuild). The reference measured in the same run is the insert-and-commit ceiling: a loop
inserting one row of a scratch table and committing, through the same engine (driver, connection settings).
The last line is `RESULT key=value …`.
"""
import argparse
import os
import sys
import time
import uuid
from collections import defaultdict
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
TONNE = 1_000_000


def _app(url: str):
    from portal import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url.replace("postgresql://", "postgresql+psycopg://", 1),
                       "RATELIMIT_ENABLED": False, "SERVER_NAME": "bench.local"})


def _org(name: str, n: int, **capabilities):
    from portal.accounts.models import Membership, Organisation, OrgStatus, Role, User
    from portal.accounts.uscc import check_character
    from portal.extensions import db

    tag = uuid.uuid4().int % 10**8
    body = f"91411200{tag:08d}B"
    org = Organisation(uscc=body + check_character(body), name=f"{name}{tag}", address="三门峡市基准路1号",
                       district_code="411282", contact_name="基准", contact_phone="0398-0000000",
                       status=OrgStatus.VERIFIED, **capabilities)
    user = User(email=f"bench{tag}-{n}@example.cn", name=name, password_hash="x")
    db.session.add_all([org, user, Membership(user=user, organisation=org, role=Role.ADMIN)])
    db.session.flush()
    return org, user


def _id_number(serial: int) -> str:
    """A well-formed 居民身份证号码 (GB 11643 check character) for a bench driver."""
    body = f"41120219800101{serial:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


def _fleet(office, carrier, n: int) -> None:
    """The carrier's records pick-up and take-over check: licence, vehicle 豫M0000n, driver on 1380000000n."""
    from portal.regulatory.transport import services as transport

    until = date(2035, 12, 31)
    transport.save_licence(office, carrier, {
        "number": f"基准道路运输许可{n}", "issuing_authority": "三门峡市交通运输局", "valid_from": date(2024, 1, 1),
        "valid_until": until, "dangerous_goods": "9", "general_freight": True})
    transport.save_vehicle(office, carrier, {
        "plate": f"豫M0000{n}", "vehicle_type": "van_truck", "rated_load_kg": 10_000,
        "permit_number": f"基准道路运输证{n}", "permit_valid_until": until, "gps_device_id": f"0139000000{n:02d}"})
    transport.save_worker(office, carrier, {
        "kind": "driver", "name": "甲乙"[n - 1], "phone": f"1380000000{n}", "id_number": _id_number(n),
        "certificate_number": f"基准从业资格{n}", "certificate_valid_until": until})


def _setup(app, manifests: int) -> dict:
    """Parties, a licence large enough for the run, one batch with one container per manifest, the drafts."""
    from portal.extensions import db
    from portal.regulatory.batches import services as batches
    from portal.regulatory.licences import services as licences
    from portal.regulatory.manifests import services
    from portal.regulatory.reference import load_reference_data
    from portal.regulatory.signing.services import active_key

    with app.test_request_context():
        db.create_all()
        load_reference_data()
        generator, gen_user = _org("基准产废", 1, is_generator=True)
        carrier1, driver1 = _org("基准运输甲", 2, is_transporter=True)
        carrier2, driver2 = _org("基准运输乙", 3, is_transporter=True)
        receiver, rec_user = _org("基准处置", 4, is_receiver=True)
        admin = _org("基准管理", 5)[1]
        admin.is_platform_admin = True
        licences.record_licence(admin, receiver, scopes=licences.parse_scope_text("HW08 R9 D10"),
                                number=f"基准许可{receiver.id}", kind="comprehensive",
                                issuing_authority="河南省生态环境厅", issued_on=date(2024, 1, 1),
                                valid_from=date(2024, 1, 1), valid_until=date(2035, 12, 31),
                                annual_capacity_g=1_000_000 * TONNE, notes=None)
        _fleet(driver1, carrier1, 1)
        _fleet(driver2, carrier2, 2)
        for org, user in ((generator, gen_user), (carrier1, driver1), (carrier2, driver2), (receiver, rec_user)):
            active_key(org, user)  # an organisation's key is made at its first signature: not a step's cost
        ids = []
        for start in range(0, manifests, 999):
            count = min(999, manifests - start)
            batch = batches.create_batch(generator, gen_user, "900-249-08", str(count * 100), "kg", "liquid",
                                         "铁桶", containers=count)
            for container in batch.containers:
                m = services.create_manifest_draft(
                    generator_org=generator, receiver_org=receiver, actor=gen_user,
                    carriers=[{"organisation_id": carrier1.id, "vehicle_plate": "豫M00001", "driver_name": "甲",
                               "driver_phone": "13800000001"},
                              {"organisation_id": carrier2.id, "vehicle_plate": "豫M00002", "driver_name": "乙",
                               "driver_phone": "13800000002"}],
                    lines=[{"container": container.code}], emergency_measures="吸附棉围堵")
                ids.append((m.id, container.code))
        db.session.commit()
        return {"ids": ids, "gen": (gen_user.id, generator.id), "c1": (driver1.id, carrier1.id),
                "c2": (driver2.id, carrier2.id), "rec": (rec_user.id, receiver.id)}


class StatementCounter:
    """Counts the statements sent to the database while `step` names a step; `phase` tells the step's own
    transaction from the work run after its commit."""

    def __init__(self):
        self.step, self.phase = None, "step"
        self.counts: dict[tuple[str, str], list[int]] = defaultdict(list)
        self.current = 0
        self.first: dict[tuple[str, str], list[str]] = {}  # the statements of each step's first run (--show)
        self.seen: list[str] = []

    def __call__(self, _conn, _cursor, statement, _parameters, _context, _executemany):
        if self.step is not None:
            self.current += 1
            self.seen.append(" ".join(statement.split())[:160])

    def begin(self, step: str) -> None:
        self.step, self.phase, self.current = step, "step", 0

    def committed(self, session) -> None:
        # a savepoint's release is no commit; the deferred work's own commit comes after the step's
        if self.step is not None and self.phase == "step" and not session.in_nested_transaction():
            self.end("step")
            self.phase = "after_commit"

    def end(self, phase: str) -> None:
        self.counts[(self.step, phase)].append(self.current)
        self.first.setdefault((self.step, phase), self.seen)
        self.current, self.seen = 0, []


def _ceiling(app, rows: int) -> float:
    """Rows per second of the database's own limit: insert one row and commit, through the same engine."""
    from sqlalchemy import text

    from portal.extensions import db

    with app.app_context(), db.engine.connect() as conn:
        conn.execute(text("CREATE TABLE bench_ceiling (id bigserial PRIMARY KEY, payload text NOT NULL)"))
        conn.commit()
        started = time.perf_counter()
        for n in range(rows):
            conn.execute(text("INSERT INTO bench_ceiling (payload) VALUES (:p)"), {"p": f"row {n}"})
            conn.commit()
        seconds = time.perf_counter() - started
        conn.execute(text("DROP TABLE bench_ceiling"))
        conn.commit()
    return rows / seconds


def _run(app, setup: dict, counter: StatementCounter) -> tuple[int, float]:
    from portal.accounts.models import Organisation, User
    from portal.extensions import db
    from portal.regulatory.manifests.models import Manifest
    from portal.regulatory.manifests.states import apply_action

    def party(key):
        user_id, org_id = setup[key]
        return db.session.get(User, user_id), db.session.get(Organisation, org_id)

    transitions = 0
    started = time.perf_counter()
    # step by step over all manifests: their containers share batches, and a batch treated under one manifest
    # cannot be picked up under the next
    steps = (("submit", "gen", lambda code: {}), ("pick_up", "c1", lambda code: {"scanned": [code]}),
             ("hand_over", "c2", lambda code: {"scanned": [code]}), ("deliver", "c2", lambda code: {"scanned": [code]}),
             ("receive", "rec", lambda code: None), ("treat", "rec", lambda code: {"method": "D10"}))
    for action, key, fields_of in steps:
        for manifest_id, code in setup["ids"]:
            fields = fields_of(code)
            with app.test_request_context():
                manifest = db.session.get(Manifest, manifest_id)
                if fields is None:
                    line = manifest.lines[0]
                    fields = {"lines": [{"line_id": line.id, "received_g": line.quantity_g}],
                              "gate_net_g": line.quantity_g, "gate_ticket_no": "BENCH"}
                user, org = party(key)
                # the request has loaded the manifest and the acting user and organisation (3 statements the
                # view needs anyway); the step is what apply_action and the commit then issue
                counter.begin(action)
                apply_action(manifest, action, user, org, **fields)
                db.session.commit()  # the after_commit listener closes the step's count; what follows is deferred
                counter.end("after_commit")
                counter.step = None
                transitions += 1
    return transitions, time.perf_counter() - started


def report(app, setup: dict, ceiling_rows: int, show: bool = False) -> None:
    """Ceiling, steps and statement counts, each printed, then the RESULT line."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from portal.extensions import db

    ceiling = _ceiling(app, ceiling_rows)
    print(f"insert-and-commit ceiling: {ceiling:.0f} rows/s ({ceiling_rows} rows, same engine)")
    counter = StatementCounter()
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", counter)
    event.listen(Session, "after_commit", counter.committed)
    try:
        transitions, seconds = _run(app, setup, counter)
    finally:
        event.remove(engine, "before_cursor_execute", counter)
        event.remove(Session, "after_commit", counter.committed)
    per_s = transitions / seconds
    print(f"manifest steps: {transitions} in {seconds:.2f} s = {per_s:.1f} steps/s (one writer, commit per step)")
    print("statements per step (min/max; in the step's transaction | deferred after its commit):")
    worst = 0
    for action in ("submit", "pick_up", "hand_over", "deliver", "receive", "treat"):
        own, later = counter.counts[(action, "step")], counter.counts[(action, "after_commit")]
        worst = max(worst, max(own))
        print(f"  {action:10s} {min(own):3d}/{max(own):3d} | {min(later):3d}/{max(later):3d}")
        for statement in counter.first[(action, "step")] if show else ():
            print(f"      {statement}")
    deferred = max(max(counter.counts[(a, "after_commit")]) for a, _p in list(counter.counts))
    print(f"RESULT manifest_steps_per_s={per_s:.1f} ceiling_per_s={ceiling:.0f} manifest_ratio={per_s / ceiling:.3f} "
          f"statements_per_step_max={worst} deferred_statements_max={deferred}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifests", type=int, default=200)
    parser.add_argument("--ceiling-rows", type=int, default=3000, help="rows of the insert-and-commit reference")
    parser.add_argument("--show", action="store_true", help="print the statements of each step's first run")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL")
    created = None
    if not url:
        import psycopg

        created = f"wufei_manifest_bench_{os.getpid()}"
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {created}")
        url = ADMIN_URL.rsplit("/", 1)[0] + "/" + created
    try:
        app = _app(url)
        t0 = time.perf_counter()
        setup = _setup(app, args.manifests)
        print(f"setup: {args.manifests} drafts in {time.perf_counter() - t0:.1f} s")
        report(app, setup, args.ceiling_rows, args.show)
    finally:
        if created:
            import psycopg

            from portal.extensions import db

            with app.app_context():
                db.engine.dispose()
            with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE {created}")


if __name__ == "__main__":
    main()
