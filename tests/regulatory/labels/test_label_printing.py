"""Printing a label is a POST that records the 'labelled' event; a GET of a label shows it and writes nothing."""
import re
from types import SimpleNamespace

import pytest

from portal.extensions import db
from portal.regulatory.ledger.services import events_for
from tests.factories import login
from tests.regulatory.batches.helpers import make_batch, make_generator


@pytest.fixture
def produced(app, factory):
    """A generator signed in on the client, and its batch of three containers: (batch id, container codes)."""
    with app.app_context():
        gen = make_generator(factory)
        batch = make_batch(gen, containers=3, quantity="900", unit="kg")
        result = SimpleNamespace(id=gen.user.id), batch.id, [c.code for c in batch.containers]
        db.session.remove()
    return result


def _labelled(app, batch_id) -> list[str]:
    with app.app_context():
        return [e.data["container"] for e in events_for(batch_id, event_type="labelled")]


def test_getting_labels_in_every_format_writes_no_ledger_event(app, client, produced):
    user, batch_id, codes = produced
    login(client, user)
    for url in (f"/batches/{batch_id}/labels.pdf", f"/batches/{batch_id}/labels.pdf?layout=single",
                f"/containers/{codes[0]}/label.pdf?layout=single", f"/containers/{codes[0]}/label.png",
                f"/containers/{codes[0]}/label.svg"):
        response = client.get(url)
        assert response.status_code == 200 and response.headers["Content-Disposition"].startswith("inline")
        assert client.head(url).status_code == 200
    assert _labelled(app, batch_id) == []


def test_posting_prints_and_records_each_container_once(app, client, produced):
    user, batch_id, codes = produced
    login(client, user)
    printed = client.post(f"/containers/{codes[1]}/label.pdf?layout=single")
    assert printed.status_code == 200 and printed.mimetype == "application/pdf"
    assert printed.headers["Content-Disposition"].startswith("attachment")
    assert _labelled(app, batch_id) == [codes[1]]
    assert client.post(f"/batches/{batch_id}/labels.pdf", data={"layout": "single"}).status_code == 200
    assert sorted(_labelled(app, batch_id)) == sorted(codes)


def test_printing_needs_the_pages_csrf_token(app, client, produced):
    user, batch_id, codes = produced
    login(client, user)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post(f"/containers/{codes[0]}/label.png").status_code == 400
        assert _labelled(app, batch_id) == []
        page = client.get(f"/batches/{batch_id}")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        assert client.post(f"/containers/{codes[0]}/label.png", data={"csrf_token": token}).status_code == 200
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert _labelled(app, batch_id) == [codes[0]]


def test_batch_page_prints_through_forms_and_links_only_to_views(client, produced):
    user, batch_id, codes = produced
    login(client, user)
    page = client.get(f"/batches/{batch_id}").text
    forms = re.findall(r'<form method="post"[^>]*action="([^"]+)"', page)
    assert f"/batches/{batch_id}/labels.pdf" in forms
    assert f"/containers/{codes[0]}/label.pdf?layout=single" in forms
    assert f'formaction="/containers/{codes[0]}/label.png"' in page
    # the one plain link to a label is the preview, which a GET keeps free of side effects
    assert re.findall(r'<a [^>]*href="([^"]*label[^"]*)"', page) == [f"/batches/{batch_id}/labels.pdf"]
