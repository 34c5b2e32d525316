"""The trace page kept with each snapshot: the <article> of every code of a batch in every language, rendered
when the snapshot is built (portal.regulatory.trace_snapshots calls render() through the renderer registered
here), so that an anonymous reader's request is one indexed read and a write of the stored bytes.

The stored article is exactly what page.render makes from the snapshot's body at request time, and holds
nothing that varies per request: no CSP nonce (the policy allows no inline script or style, so no page carries
one), no personal details, no language link (the layout around it, with its link to the other language, is
added per request by views._shared_page). Its version changes with page.py and the compiled catalogues, so
pages rendered by a former deployment are never served (the ledger sweep renders them again).
"""
import hashlib
from pathlib import Path

from flask import current_app
from flask_babel import force_locale, get_locale

from portal.layout import kept
from portal.regulatory import trace_snapshots

from . import page


def version() -> str:
    """Names what a stored page is made from: the assembly code and the compiled catalogues."""
    return kept(("trace stored pages version",), _sources_hash)


def _sources_hash() -> str:
    digest = hashlib.sha256(Path(page.__file__).read_bytes())
    for directory in current_app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";"):
        for catalogue in sorted(Path(directory).glob("*/LC_MESSAGES/*.mo")):
            digest.update(catalogue.read_bytes())
    return digest.hexdigest()[:12]


def render(body: dict, head_hash: str, containers: list[tuple[str, str, int]]) -> dict:
    """{locale: {code: [container state, container grams, article html]}} for the batch and its containers,
    rendered as a request to BASE_URL would (its links carry the deployment's script root)."""
    pages = {}
    with current_app.test_request_context("/", base_url=current_app.config["BASE_URL"]):
        for language in current_app.config["LOCALES"]:
            with force_locale(language):
                locale = str(get_locale())  # as the view names it: zh_CN is zh_Hans_CN to Babel
                batch = trace_snapshots.decode(body, head_hash)
                kept_pages = {batch.code: [None, None, str(page.render(batch, locale, full=False))]}
                for code, state, grams in containers:
                    found = trace_snapshots.decode(body, head_hash, (code, state, grams))
                    kept_pages[code] = [state, grams, str(page.render(found, locale, full=False))]
            pages[locale] = kept_pages
    return pages


def register() -> None:
    trace_snapshots.register_page_renderer(trace_snapshots.PageRenderer(version=version, render=render))
