"""The information hall: writing, publishing and withdrawing, what the public sees, search on both backends,
attachments, refusals."""
import io
import zipfile
from datetime import date

import pytest
from sqlalchemy import select

from portal.audit import AuditEntry
from portal.extensions import db
from portal.hall import search
from portal.hall.models import HallDocument
from tests.documents import small_pdf
from tests.factories import login

PDF = small_pdf("政策全文")
FORM = {"kind": "policy", "title_zh": "危险废物转移管理办法", "title_en": "Measures for hazardous waste transfers",
        "document_number": "生态环境部令第23号", "issued_on": "2021-11-30",
        "body_zh": "危险废物转移应当运行电子转移联单。", "body_en": "Transfers run under electronic manifests."}

# (kind, title, body, year): the fixed documents of the relevance cases
CORPUS = (
    ("policy", "中华人民共和国固体废物污染环境防治法", "规定工业固体废物和危险废物的污染防治责任。", 2020),
    ("policy", "国家危险废物名录（2021年版）", "列出危险废物的废物代码和危险特性，含废矿物油 900-214-08。", 2020),
    ("notice", "关于开展废铅蓄电池集中收集试点的通知", "鼓励回收废电瓶，规范收集转运。", 2024),
    ("guide", "一般工业固体废物台账填写指南", "粉煤灰、煤矸石等一般工业固体废物的台账。", 2025),
    ("notice", "关于加强医疗废物管理的通知", "医疗机构应当及时交由有资质的单位处置医疗废物。", 2025),
)


def write(client, **changes):
    return client.post("/hall/new", data={**FORM, **changes})


def new_document(client, **changes) -> int:
    response = write(client, **changes)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def publish(client, document_id: int):
    return client.post(f"/hall/{document_id}/publish")


def corpus(app, user) -> dict[str, int]:
    """The fixed documents, published through the services; {title: id}."""
    from portal.hall.services import DocumentData, create_document, take_step

    ids = {}
    with app.test_request_context():
        actor = db.session.merge(user)
        for kind, title, body, year in CORPUS:
            document = create_document(actor, DocumentData(kind=kind, title_zh=title, body_zh=body,
                                                           issued_on=date(year, 6, 1)))
            take_step(actor, document, "publish")
            ids[title] = document.id
        db.session.commit()
    return ids


# --- publishing and permissions ---------------------------------------------------------------------------

def test_a_regulator_writes_a_draft_the_public_cannot_see_until_it_is_published(app, client, issuer):
    login(client, issuer)
    document_id = new_document(client)
    public = app.test_client()
    assert public.get(f"/hall/{document_id}").status_code == 404
    assert "危险废物转移管理办法" not in public.get("/hall/").get_data(as_text=True)
    assert publish(client, document_id).status_code == 302
    page = public.get(f"/hall/{document_id}")
    assert page.status_code == 200 and "Measures for hazardous waste transfers" in page.get_data(as_text=True)
    assert "生态环境部令第23号" in public.get("/hall/").get_data(as_text=True)
    with app.app_context():
        actions = list(db.session.scalars(select(AuditEntry.action).where(
            AuditEntry.object_type == "hall_documents", AuditEntry.object_id == str(document_id))
            .order_by(AuditEntry.id)))
    assert actions == ["hall_document.create", "hall_document.publish"]


def test_withdrawn_documents_leave_the_hall_and_the_home_page(app, client, issuer):
    login(client, issuer)
    document_id = new_document(client)
    publish(client, document_id)
    public = app.test_client()
    assert "危险废物转移管理办法" in public.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert client.post(f"/hall/{document_id}/withdraw").status_code == 302
    assert public.get(f"/hall/{document_id}").status_code == 404
    assert "危险废物转移管理办法" not in public.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert client.post(f"/hall/{document_id}/withdraw").status_code == 409  # already withdrawn


def test_only_the_issuing_department_publishes_or_withdraws(app, client, issuer, other_department, factory):
    login(client, issuer)
    document_id = new_document(client)
    other = app.test_client()
    login(other, other_department)
    assert other.post(f"/hall/{document_id}/publish").status_code == 404  # a draft of another department
    publish(client, document_id)
    assert other.post(f"/hall/{document_id}/withdraw").status_code == 403
    county = app.test_client()
    login(county, factory.regulator(jurisdiction="411282"))  # same department, another jurisdiction
    assert county.post(f"/hall/{document_id}/withdraw").status_code == 403
    citizen = app.test_client()
    login(citizen, factory.user())
    assert citizen.get("/hall/new").status_code == 403
    assert citizen.post(f"/hall/{document_id}/withdraw").status_code == 403
    assert app.test_client().post(f"/hall/{document_id}/withdraw").status_code == 302  # to the sign-in


def test_a_published_document_is_not_edited_in_place(client, issuer):
    login(client, issuer)
    document_id = new_document(client)
    publish(client, document_id)
    assert client.post(f"/hall/{document_id}/edit", data=FORM).status_code == 409
    client.post(f"/hall/{document_id}/withdraw")
    client.post(f"/hall/{document_id}/redraft")
    assert client.post(f"/hall/{document_id}/edit", data={**FORM, "title_zh": "危险废物转移管理办法（修订）"}).status_code == 302


@pytest.mark.parametrize(("changes", "field"), [
    ({"title_zh": ""}, "title_zh"), ({"body_zh": " "}, "body_zh"), ({"issued_on": "2999-01-01"}, "issued_on"),
    ({"issued_on": "yesterday"}, "issued_on"), ({"kind": "gossip"}, "kind"), ({"title_zh": "长" * 201}, "title_zh"),
])
def test_bad_input_is_refused_with_422_naming_the_field(client, issuer, changes, field):
    login(client, issuer)
    response = write(client, **changes)
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.get_data(as_text=True)


def test_bad_filters_answer_422_and_never_500(client):
    assert client.get("/hall/?year=abc").status_code == 422
    assert client.get("/hall/?year=99999999999999999999").status_code == 422
    assert client.get("/hall/?kind=nonsense").status_code == 422
    assert client.get("/hall/?page=99999999999999999999&q=%25_%5C").status_code == 200


# --- attachments ------------------------------------------------------------------------------------------

def docx_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


DOCX = docx_bytes()  # once: a ZIP stores the time it was written


def test_attachments_are_checked_by_content_and_downloaded_by_the_public(app, client, issuer):
    login(client, issuer)
    document_id = new_document(client)
    for name, raw in (("办法全文.pdf", PDF), ("申请表.docx", DOCX)):
        response = client.post(f"/hall/{document_id}/attachments",
                               data={"attachment": (io.BytesIO(raw), name)}, content_type="multipart/form-data")
        assert response.status_code == 302
    refused = client.post(f"/hall/{document_id}/attachments", data={"attachment": (io.BytesIO(b"MZ\x90\x00"), "x.pdf")},
                          content_type="multipart/form-data")
    assert refused.status_code == 422 and 'id="attachment-error"' in refused.get_data(as_text=True)
    with app.app_context():
        attachments = db.session.get(HallDocument, document_id).attachments
        pdf_id, docx_id = attachments[0].id, attachments[1].id
    public = app.test_client()
    assert public.get(f"/hall/{document_id}/attachments/{pdf_id}").status_code == 404  # still a draft
    publish(client, document_id)
    pdf = public.get(f"/hall/{document_id}/attachments/{pdf_id}")
    assert pdf.status_code == 200 and pdf.data == PDF and pdf.mimetype == "application/pdf"
    assert "attachment" in pdf.headers["Content-Disposition"]
    docx = public.get(f"/hall/{document_id}/attachments/{docx_id}")
    assert docx.data == DOCX and docx.mimetype.endswith("wordprocessingml.document")
    assert public.get(f"/hall/{document_id}/attachments/{docx_id + 1000}").status_code == 404


# --- search ------------------------------------------------------------------------------------------------

RELEVANCE = (
    ("危险废物", {"国家危险废物名录（2021年版）", "中华人民共和国固体废物污染环境防治法"}),
    ("废电瓶", {"关于开展废铅蓄电池集中收集试点的通知"}),  # a synonym of 废铅蓄电池
    ("废机油", {"国家危险废物名录（2021年版）"}),  # 废矿物油 by its everyday name
    ("90021408", {"国家危险废物名录（2021年版）"}),  # a waste code without its dashes
    ("煤矸石 台账", {"一般工业固体废物台账填写指南"}),
    ("医疗废物", {"关于加强医疗废物管理的通知"}),
)


@pytest.fixture(params=["sql", "meilisearch"])
def backend(request, app, hall_search):
    if request.param == "meilisearch":
        request.getfixturevalue("meilisearch")
        if not app.config.get("MEILISEARCH_URL"):
            pytest.fail("Meilisearch is not running: run `npm ci` so node_modules holds the server binary")
        hall_search["SEARCH_BACKEND"] = "auto"
    return request.param


def found(app, query: str, **filters) -> tuple[list[str], str]:
    with app.test_request_context():
        result = search.search(query, search.Filters(**filters))
        return [d.title_zh for d in result.items], result.backend


def test_chinese_relevance_cases_on_both_backends(app, issuer, backend):
    ids = corpus(app, issuer)
    with app.app_context():
        assert search.drain(wait=True) == len(ids)
    for query, expected in RELEVANCE:
        titles, used = found(app, query)
        assert used == backend
        assert set(titles) == expected, query
    # a title match ranks before a body match
    assert found(app, "危险废物名录")[0][0] == "国家危险废物名录（2021年版）"
    assert found(app, "通知", kind="notice", year=2025)[0] == ["关于加强医疗废物管理的通知"]
    assert found(app, "", department="housing")[0] == []


def test_a_withdrawn_document_is_no_longer_found_on_either_backend(app, client, issuer, backend):
    ids = corpus(app, issuer)
    login(client, issuer)
    client.post(f"/hall/{ids['关于加强医疗废物管理的通知']}/withdraw")
    with app.app_context():
        search.drain(wait=True)
    assert found(app, "医疗废物") == ([], backend)


def test_the_hall_page_searches_and_filters(app, client, issuer):
    corpus(app, issuer)
    page = client.get("/hall/?q=废电瓶").get_data(as_text=True)
    assert "关于开展废铅蓄电池集中收集试点的通知" in page and "医疗废物" not in page
    page = client.get("/hall/?kind=guide").get_data(as_text=True)
    assert "一般工业固体废物台账填写指南" in page and "名录" not in page
    page = client.get("/hall/?year=2024&department=ecology").get_data(as_text=True)
    assert "废铅蓄电池" in page and "医疗废物" not in page


def test_the_home_page_shows_the_latest_documents_beside_the_public_figures(app, client, issuer):
    ids = corpus(app, issuer)
    page = client.get("/").get_data(as_text=True)
    latest = page.index("Information hall")
    assert f'href="/hall/{ids["关于加强医疗废物管理的通知"]}"' in page
    assert latest < page.index("Traced and treated") < page.index("Supply and demand by category")
    assert "Public reports handled on time" in page
