"""A regulator or admin who gave the password but not yet the TOTP code has the rights of no role: every GET
route of the URL map (HTML and /api/v1/), with the ids of real objects only staff may see (a draft listing,
an unmoderated report's photo, a pending organisation, other organisations' batches and manifests …), answers
such a session no more than it answers an anonymous visitor. The same sessions, once past the code, reach
the staff pages: without that half the walk could pass by reaching nothing."""
import io
import itertools
from types import SimpleNamespace

import pyotp
import pytest
from flask import url_for
from PIL import Image
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import select
from werkzeug.routing import AnyConverter

from marketplace.deals.models import Deal, Offer, Thread
from marketplace.listings import services as listings
from marketplace.listings.files import clean_lab_report, clean_photo
from marketplace.listings.models import Demand, Listing
from marketplace.payments.models import Payment
from participation.reports.models import Moderation, Report, ReportPhoto
from portal.accounts.models import Organisation, OrgStatus, User
from portal.audit import AuditEntry
from portal.coordination.models import Case, CaseAttachment, Meeting
from portal.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET
from portal.emergency.models import EmergencyPlan, Incident, PlanTemplate
from portal.extensions import db
from portal.hall.models import HallAttachment
from portal.outbox import OutboxMessage
from portal.regulatory.alerts.models import Alert
from portal.regulatory.batches.models import Batch, Container, Site, StorageFacility
from portal.regulatory.declarations.models import Declaration
from portal.regulatory.licences.models import Licence
from portal.regulatory.manifests.models import Manifest, ManifestScanException
from portal.regulatory.plans.models import ManagementPlan
from portal.regulatory.signing.models import SigningKey
from portal.regulatory.transfers.models import IncomingTransfer, TransferApproval
from portal.regulatory.transport.models import TransportWorker, Vehicle
from portal.regulatory.weighing import services as weighing
from portal.regulatory.weighing.models import Device, WeighingRecord
from tests.test_crawl import _seed_world

# GETs that change the session they are sent in (the language switch) or serve files of the code base
SKIPPED_ENDPOINTS = {"static", "core.switch_language"}
DRAFT_TITLE = "草稿：待发布的脱硫石膏"
# Staff see these on their pages; a public page must not show them to a half-signed-in visitor either
MARKERS = (DRAFT_TITLE, "灵宝市朱阳钼业有限公司")  # a draft listing, the demo's organisation awaiting review
STAFF = ("regulator@demo.wufei.cn", "admin@demo.wufei.cn")
SECOND_FACTOR_PAGE = "/accounts/totp"  # the one page meant for that state: the code form, no data


def _first(model, *where):
    return db.session.scalar(select(model.id).where(*where).order_by(model.id).limit(1))


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "gray").save(buffer, "JPEG")
    return buffer.getvalue()


def _pdf() -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    canvas.drawString(72, 720, "lab report")
    canvas.save()
    return buffer.getvalue()


def _draft_listing() -> Listing:
    """A published demo listing taken back to draft, with a photo and a lab report of its own."""
    draft = db.session.scalars(select(Listing).order_by(Listing.id)).first()
    draft.status, draft.title = "draft", DRAFT_TITLE
    listings.add_photo(draft, clean_photo(io.BytesIO(_jpeg())))
    listings.attach_lab_report(draft, clean_lab_report(io.BytesIO(_pdf())), "检测报告.pdf")
    return draft


def _weighing_with_photo(batch: Batch) -> WeighingRecord:
    """The demo weighs nothing: the batch's owner weighs it on a scale of its own, with a photo."""
    owner = db.session.scalar(select(User).where(User.email == "generator@demo.wufei.cn"))
    device, _secret = weighing.register_device(owner, batch.organisation, kind="scale", name="二号台秤",
                                               serial="SC-0002")
    return weighing.record_weighing(device, {"batch_id": batch.id, "gross_g": 2000, "tare_g": 500}, photo=_jpeg())


def _objects() -> SimpleNamespace:
    """Ids and codes of real objects, the ones only staff may see where there is a choice."""
    draft = _draft_listing()
    demand = db.session.scalars(select(Demand).order_by(Demand.id)).first()
    demand.status = "draft"
    pending_report = db.session.scalar(select(Report).where(Report.moderation == Moderation.PENDING,
                                                            Report.department == "ecology"))
    mine_batch = db.session.scalar(select(Batch).join(Organisation).where(Organisation.name == "灵宝秦岭金矿有限公司"))
    record = _weighing_with_photo(mine_batch)
    db.session.commit()
    return SimpleNamespace(
        listing=draft.id, photo_name=draft.photos[0].filename, report=pending_report, record=record.id,
        photo=_first(ReportPhoto, ReportPhoto.report_id == pending_report.id),
        org=_first(Organisation, Organisation.status == OrgStatus.PENDING),
        user=_first(User, User.email == "generator@demo.wufei.cn"), batch=mine_batch.id,
        container=db.session.scalar(select(Container.code).where(Container.batch_id == mine_batch.id).limit(1)),
        manifest=_first(Manifest), declaration=_first(Declaration), licence=_first(Licence), alert=_first(Alert),
        demand=demand.id, device=_first(Device), site=_first(Site), facility=_first(StorageFacility),
        entry=_first(AuditEntry), message=_first(OutboxMessage), deal=_first(Deal), offer=_first(Offer),
        payment=_first(Payment), thread=_first(Thread), vehicle=_first(Vehicle), worker=_first(TransportWorker),
        approval=_first(TransferApproval), transfer=_first(IncomingTransfer),
        key=db.session.scalar(select(SigningKey.key_id).limit(1)), plan=_first(ManagementPlan),
        exception=_first(ManifestScanException), emergency_plan=_first(EmergencyPlan),
        incident=_first(Incident), template=_first(PlanTemplate),
        hall_attachment=db.session.scalar(select(HallAttachment).order_by(HallAttachment.id).limit(1)),
        case=_first(Case), attachment=_first(CaseAttachment), meeting=_first(Meeting))


def _table(world) -> dict:
    """The value of each URL parameter, by (endpoint, parameter) or by parameter alone.
    A route with a parameter missing here fails the walk, so that a new route cannot be skipped."""
    report = world.report
    return {
        "deal_id": world.deal, "offer_id": world.offer, "payment_id": world.payment, "thread_id": world.thread,
        "record_id": world.record, "listing_id": world.listing, "photo_id": world.photo, "report_id": report.id, "org_id": world.org,
        "user_id": world.user, "batch_id": world.batch, "manifest_id": world.manifest,
        "approval_id": world.approval, "transfer_id": world.transfer, "key_id": world.key, "plan_id": world.plan, "exception_id": world.exception,
        "document_id": world.hall_attachment.document_id, ("hall.attachment", "attachment_id"): world.hall_attachment.id,
        "case_id": world.case, "attachment_id": world.attachment, "meeting_id": world.meeting,
        "declaration_id": world.declaration, "licence_id": world.licence, "alert_id": world.alert,
        "demand_id": world.demand, "device_id": world.device, "site_id": world.site, "facility_id": world.facility,
        "vehicle_id": world.vehicle, "worker_id": world.worker, "entry_id": world.entry, "message_id": world.message, "year": "2026", "stream": "hazardous",
        "action": "pick_up", "name": world.photo_name, "secret": "not-a-secret", "token": report.token,
        "service_code": report.category.value, "service_request_id": report.tracking_code,
        "code": world.container, ("command_map.card", "object_id"): world.facility,
        "incident_id": world.incident, "template_id": world.template,
        ("emergency.plan_detail", "plan_id"): world.emergency_plan, ("emergency.edit_plan", "plan_id"): world.emergency_plan,
        ("regulatory.waste_code", "code"): "900-041-49", ("api.get_waste_code", "code"): "900-041-49",
        ("reports.submitted", "code"): report.tracking_code, ("reports.status", "code"): report.tracking_code,
        ("reports.follow", "code"): report.tracking_code, ("api.report_status", "code"): report.tracking_code,
    }


def _urls(app, table) -> list[str]:
    """Every GET route of the URL map with its parameters filled in; each value of an any() converter."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in SKIPPED_ENDPOINTS:
            continue
        choices = {}
        for name in sorted(rule.arguments):
            converter = rule._converters[name]
            if isinstance(converter, AnyConverter):
                choices[name] = sorted(converter.items)
            else:
                value = table.get((rule.endpoint, name), table.get(name))
                assert value is not None, f"no value for <{name}> of {rule.endpoint}: add one to _table"
                choices[name] = [value]
        for values in itertools.product(*choices.values()):
            urls.append(url_for(rule.endpoint, **dict(zip(choices, values, strict=True))))
    return urls


@pytest.fixture
def walk(app):
    _seed_world(app)
    with app.test_request_context():
        return _urls(app, _table(_objects()))


def _answers(client, urls) -> dict[str, object]:
    return {url: client.get(url) for url in urls}


def _with_data(response) -> bool:
    """A page or document; redirects, 401, 403 and 404 carry none."""
    return response.status_code == 200


def _answers_more(half, anonymous) -> bool:
    """Data an anonymous visitor does not get, or a redirect to anywhere but the sign-in steps."""
    if half.status_code == 302:
        return not ("/accounts/totp" in half.location or "/accounts/login" in half.location
                    or anonymous.status_code == 302)
    return _with_data(half) and not _with_data(anonymous)


def _password_only(app, email):
    client = app.test_client()
    response = client.post("/accounts/login", data={"login": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302 and "/accounts/totp" in response.location
    return client


def _pass_totp(client) -> None:
    response = client.post("/accounts/totp", data={"code": pyotp.TOTP(DEMO_TOTP_SECRET).now()})
    assert response.status_code == 302 and "/accounts/totp" not in response.location


def test_a_password_only_staff_session_sees_what_anonymous_sees_and_no_more(app, walk):
    anonymous = _answers(app.test_client(), walk)
    public = {url for url, response in anonymous.items() if _with_data(response)}
    staff_only, leaks = {}, {}
    for email in STAFF:
        client = _password_only(app, email)
        half = _answers(client, walk)
        leaks[email] = [f"{url} [{response.status_code} {response.location or ''}]".replace(" ]", "]")
                        for url, response in half.items()
                        if url != SECOND_FACTOR_PAGE and _answers_more(response, anonymous[url])]
        assert DEMO_TOTP_SECRET not in half[SECOND_FACTOR_PAGE].get_data(as_text=True)  # enrolled already
        for url in public:  # a public page shows the half-signed-in visitor nothing an anonymous one does not get
            # bytes: public files (the hall's attachments) are walked too
            seen = anonymous[url].get_data()
            assert [m for m in MARKERS if m.encode() in half[url].get_data() and m.encode() not in seen] == [], url

        _pass_totp(client)
        full = _answers(client, walk)
        staff_only[email] = sorted(url for url, response in full.items()
                                   if _with_data(response) and url not in public)
    print(f"\nread without the second factor: {leaks}")
    print(f"{len(walk)} GET URLs walked ({len(public)} public); staff-only pages reached after the code: "
          + ", ".join(f"{email} {len(urls)}" for email, urls in staff_only.items()))
    assert leaks == {email: [] for email in STAFF}, "read without the second factor"
    regulator, admin = staff_only["regulator@demo.wufei.cn"], staff_only["admin@demo.wufei.cn"]
    # the walk reaches what the issue found exposed: draft listings, unmoderated photos, the review queue
    world_listing = next(url for url in walk if url.startswith("/market/listings/") and url.count("/") == 3)
    for url in (world_listing, "/accounts/review", "/staff/reports/"):
        assert url in regulator and url in admin, url
    assert any(url.startswith("/reports/photos/") for url in regulator)
    assert any(url.startswith("/admin/users/") for url in admin)
    assert len(regulator) >= 24 and len(admin) >= 24
