"""The `wufei` command: a Flask CLI group over create_app (wufei run, wufei db upgrade, wufei seed demo …)."""
import click
from flask.cli import FlaskGroup, with_appcontext

from .extensions import db


def _create_app():
    from . import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app)
def main():
    """wufei — the platform of Sanmenxia's zero-waste city."""


@click.group("seed")
def seed():
    """Load reference data and demo data."""


@seed.command("reference")
@with_appcontext
def seed_reference():
    """Load the waste catalogue, Sanmenxia's divisions and the holiday calendar (idempotent)."""
    from .calendar.services import load_bundled_calendar
    from .emergency import services as emergency
    from .regulatory.reference import load_reference_data

    counts = load_reference_data()
    counts["calendar days changed"] = load_bundled_calendar()
    counts["emergency plan templates"] = emergency.load_templates()
    counts["event level rules"] = emergency.load_event_rules()
    db.session.commit()
    for name, number in counts.items():
        click.echo(f"{name}: {number}")


@seed.command("demo")
@with_appcontext
def seed_demo():
    """Load reference data and the demo enterprises and users (idempotent)."""
    from .calendar.services import load_bundled_calendar
    from .demo import seed_demo as load_demo
    from .regulatory.reference import load_reference_data

    load_reference_data()
    load_bundled_calendar()
    summary = load_demo()
    db.session.commit()  # then the work the demo's changes deferred runs (the search outbox drain)
    for name, number in summary.items():
        click.echo(f"{name}: {number}")


@seed.command("bench")
@click.option("--containers", default=1_000_000, show_default=True, help="Containers to add (21 events per four).")
@click.option("--processes", type=int, help="Worker processes hashing the chains (default: one per CPU).")
@with_appcontext
def seed_bench(containers: int, processes: int | None):
    """Fill PostgreSQL with benchmark batches, containers and hash-chained events by COPY (additive)."""
    import time

    from .regulatory.benchdata import fill

    start = time.perf_counter()
    summary = fill(containers, processes=processes)
    for name, value in summary.items():
        click.echo(f"{name}: {value}")
    click.echo(f"took {time.perf_counter() - start:.1f} s")


@click.group("tokens")
def tokens():
    """API tokens for scripts."""


@tokens.command("create")
@click.option("--email", required=True, help="The user the token acts as.")
@click.option("--name", required=True, help="A name to recognise the token by.")
@click.option("--org", "org_uscc", help="USCC of the organisation to act for (default: the user's first).")
@with_appcontext
def tokens_create(email: str, name: str, org_uscc: str | None):
    """Create an API token and print it once."""
    from .accounts.services import create_api_token, find_user
    from .errors import DomainError

    user = find_user(email)
    if user is None:
        raise click.ClickException(f"no user with e-mail {email}")
    orgs = [m.organisation for m in user.memberships]
    org = next((o for o in orgs if o.uscc == org_uscc), None) if org_uscc else (orgs[0] if orgs else None)
    if org_uscc and org is None:
        raise click.ClickException(f"{email} is not a member of {org_uscc}")
    try:
        _token, secret = create_api_token(user, name, org)
    except DomainError as exc:
        raise click.ClickException(str(exc.message)) from exc
    db.session.commit()
    click.echo(secret)


@click.group("ledger")
def ledger():
    """The hash-chained event ledger."""


@ledger.command("verify")
@click.option("--anchor", "anchor_file", type=click.File("r", encoding="utf-8"),
              help="Also compare every chain with a root exported by `wufei ledger checkpoint --export`.")
@with_appcontext
def ledger_verify(anchor_file):
    """Check every event's hash and chain, and every chain against its newest signed checkpoint (a removed tail
    is named as "truncated"); print each problem by event and batch and exit 1 if there is any. The public
    trace pages take their integrity verdict from this sweep: run it daily."""
    from .regulatory.ledger.checkpoints import ExportError, read_export, verify_roots
    from .regulatory.ledger.services import verify_all_counted
    from .regulatory.trace_snapshots import after_sweep
    from .types import utcnow

    exported, notes = {}, []
    if anchor_file is not None:
        try:
            exported, notes = read_export(anchor_file.read())
        except ExportError as exc:
            raise click.ClickException(f"{anchor_file.name}: {exc}") from exc
    started_at = utcnow()
    count, problems = verify_all_counted(exported=exported)
    anchor_findings = verify_roots()
    rebuilt, redated = after_sweep(problems, started_at)
    click.echo(f"trace snapshots: {redated} verdicts renewed, {rebuilt} rebuilt")
    for note in notes:
        click.echo(f"{anchor_file.name}: {note}")
    for problem in problems:
        click.echo(str(problem))
    for finding in anchor_findings:
        click.echo(f"anchors: {finding}")
    if problems or anchor_findings:
        click.echo(f"{len(problems) + len(anchor_findings)} problem(s) in {count} events", err=True)
        raise SystemExit(1)
    click.echo(f"ledger intact: {count} events verified")


@ledger.command("import")
@click.argument("events_file", type=click.File("r", encoding="utf-8"))
@with_appcontext
def ledger_import(events_file):
    """Append the events of a JSON-lines file (one event an object; the format is described in
    portal/regulatory/ledger/bulk.py) to their batches' chains, in the file's order, in one transaction: a
    replay or an import. A bad line is named with its field and nothing is written."""
    from .regulatory.ledger.bulk import ImportProblem, check_references, import_records, read_jsonl

    try:
        records = read_jsonl(events_file)
        check_references(records)
    except ImportProblem as exc:
        raise click.ClickException(f"{events_file.name}: {exc}") from exc
    done = import_records(records, source=events_file.name)
    db.session.commit()
    click.echo(f"imported {done.events} events into {done.batches} batches")


@ledger.command("checkpoint")
@click.option("--export", "export_file", type=click.File("w", encoding="utf-8"),
              help="Write the latest daily root with its heads and signature to this JSON file ('-': stdout).")
@with_appcontext
def ledger_checkpoint(export_file):
    """Sign the head of every batch whose ledger moved, and make the day's Merkle root over all heads (once a
    day); safe to repeat. A head that went back or whose chain fails is not signed: exit 1 naming the batch."""
    from .regulatory.ledger.checkpoints import export_json, latest_root, take_checkpoint

    run = take_checkpoint()
    db.session.commit()
    click.echo(f"checkpoint: {run.signed} head(s) signed, {run.unchanged} unchanged", err=export_file is not None)
    if run.root is not None:
        click.echo(f"root of {run.root.day}: {run.root.root} over {run.root.batch_count} batches",
                   err=export_file is not None)
    for batch_id, problems in run.refused.items():
        click.echo(f"batch {batch_id} not checkpointed: {'; '.join(str(p) for p in problems)}", err=True)
    if export_file is not None:
        root = latest_root()
        export_file.write(export_json(root))
        click.echo(f"exported the root of {root.day} ({root.batch_count} batches) to {export_file.name}", err=True)
    if run.refused:
        raise SystemExit(1)


@click.group("alerts")
def alerts():
    """Alerts raised by scanners."""


@alerts.command("scan")
@with_appcontext
def alerts_scan():
    """Run every alert scanner once; safe to repeat (each finding is raised once)."""
    from .regulatory.alerts.services import scan_all

    results = scan_all()
    db.session.commit()
    for name, number in results.items():
        click.echo(f"{name}: {number}")


@click.group("catalogue")
def catalogue():
    """Waste catalogue editions."""


@catalogue.command("import")
@click.option("--slug", required=True, help="The edition's slug, e.g. hw-2025 (never reused).")
@click.option("--in-force-from", "in_force_from", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="The day the edition comes into force (YYYY-MM-DD); the previous edition ends the day before.")
@click.option("--name", default=None, help="The edition's title as published (default: the slug).")
@click.option("--source", default=None, help="Where the list comes from (order number, file), shown with it.")
@click.option("--general", is_flag=True, help="A non-hazardous edition (codes NNN-NNN-Sxx, no hazards).")
@click.option("--dry-run", is_flag=True, help="Validate and preview only; write nothing.")
@click.argument("file", type=click.File("rb"))
@with_appcontext
def catalogue_import(slug, in_force_from, name, source, general, dry_run, file):
    """Validate a catalogue CSV (the columns of the 2021 file), preview it, and load it as a new edition.
    Any error: the errors with their line numbers, nothing written, exit 2. The last line is JSON counts."""
    import json

    from .errors import DomainError
    from .regulatory.catalogue_import import PREVIEW_ROWS, import_edition, validate_catalogue_csv

    preview = validate_catalogue_csv(file.read(), hazardous=not general)
    counts = {"slug": slug, "hazardous": not general, "in_force_from": in_force_from.date().isoformat(),
              **preview.counts(), "written": 0}
    click.echo(f"{file.name}: {len(preview.rows)} valid rows, {len(preview.categories)} categories, "
               f"{len(preview.errors)} errors")
    for row in preview.rows[:PREVIEW_ROWS]:
        click.echo(f"  {row['waste_code']}  {row['category_code']}  {row['hazard_characteristics'] or '-'}  "
                   f"{row['description'][:40]}")
    for error in preview.errors:
        click.echo(f"line {error.line}: {error.column}: {error.message}", err=True)
    if not preview.ok:
        click.echo(json.dumps(counts, ensure_ascii=False))
        raise SystemExit(2)
    if not dry_run:
        try:
            import_edition(preview, slug=slug, name=name or slug, in_force_from=in_force_from.date(),
                           source=source or f"imported from {file.name}")
        except DomainError as exc:
            db.session.rollback()
            click.echo(f"{exc.message}", err=True)
            click.echo(json.dumps(counts, ensure_ascii=False))
            raise SystemExit(2) from None
        db.session.commit()
        counts["written"] = len(preview.rows)
    click.echo(json.dumps(counts, ensure_ascii=False))


@click.group("statistics")
def statistics():
    """The city's statistics, aggregated from the ledger."""


@statistics.command("rebuild")
@with_appcontext
def statistics_rebuild():
    """Recompute every figure from the whole ledger (after a change of the 统计口径, or to be sure)."""
    import time

    from .command.statistics.aggregate import rebuild

    started = time.perf_counter()
    rows = rebuild()
    db.session.commit()
    click.echo(f"rows: {rows}")
    click.echo(f"seconds: {time.perf_counter() - started:.1f}")


@statistics.command("refresh")
@with_appcontext
def statistics_refresh():
    """Recompute the days of the events appended since the last run: run it every minute from a timer."""
    from .command.statistics.aggregate import refresh_job

    click.echo(f"days: {refresh_job()}")


main.add_command(seed)
main.add_command(statistics)
main.add_command(tokens)
main.add_command(ledger)
main.add_command(alerts)
main.add_command(catalogue)


def register_cli(app):
    """Make the same commands available through `flask --app portal …`."""
    from .emergency.cli import emergency

    for command in (seed, statistics, tokens, ledger, alerts, catalogue, emergency):
        if command.name not in app.cli.commands:
            app.cli.add_command(command)
