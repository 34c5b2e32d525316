"""Deals to pay, Stripe's official fixtures served by a local HTTP server, and Stripe-signed webhooks."""
import copy
import hashlib
import hmac
import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl

import pytest

from .helpers import create_deal

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT.parent / "shared" / "data" / "stripe" / "stripe_fixtures_subset.json"
WEBHOOK_SECRET = "whsec_test_wufei"
_ids = itertools.count(1)


@pytest.fixture
def deal_factory(factory, app):
    return lambda **kwargs: create_deal(factory, app, **kwargs)

# --- Stripe ------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def stripe_fixtures():
    if not FIXTURES.exists():
        pytest.skip(f"Stripe's fixtures are not available at {FIXTURES} (../shared is absent)")
    return json.loads(FIXTURES.read_text())["resources"]


class _StripeHandler(BaseHTTPRequestHandler):
    server_version = "stripe-fixtures"

    def log_message(self, *args):
        pass

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        params = dict(parse_qsl(body, keep_blank_values=True))
        self.server.requests.append({"method": "POST", "path": self.path, "params": params,
                                     "headers": {k.lower(): v for k, v in self.headers.items()}})
        answer = self.server.answer(self.path, params)
        data = json.dumps(answer).encode()
        self.send_response(200 if "error" not in answer else 400)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Request-Id", f"req_{next(_ids)}")
        self.end_headers()
        self.wfile.write(data)


class StripeServer(ThreadingHTTPServer):
    """Answers the calls the project makes with Stripe's fixture objects, filled in from the request as
    Stripe's mock server does, and records every request."""

    daemon_threads = True

    def __init__(self, fixtures):
        super().__init__(("127.0.0.1", 0), _StripeHandler)
        self.fixtures, self.requests = fixtures, []

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}"

    def calls(self, path):
        return [r for r in self.requests if r["path"] == path]

    def answer(self, path, params):
        n = next(_ids)
        if path == "/v1/checkout/sessions":
            obj = copy.deepcopy(self.fixtures["checkout.session"])
            obj.update(id=f"cs_test_{n}", url=f"https://checkout.stripe.com/c/pay/cs_test_{n}", status="open",
                       payment_status="unpaid", currency=params.get("line_items[0][price_data][currency]"),
                       amount_total=int(params.get("line_items[0][price_data][unit_amount]", 0)),
                       payment_method_types=[v for k, v in sorted(params.items()) if k.startswith("payment_method_types")],
                       metadata={k[9:-1]: v for k, v in params.items() if k.startswith("metadata[")})
            return obj
        if path == "/v1/refunds":
            obj = copy.deepcopy(self.fixtures["refund"])
            obj.update(id=f"re_test_{n}", amount=int(params["amount"]), payment_intent=params.get("payment_intent"),
                       currency="cny", status="succeeded")
            return obj
        if path == "/v1/transfers":
            obj = copy.deepcopy(self.fixtures["transfer"])
            obj.update(id=f"tr_test_{n}", amount=int(params["amount"]), currency=params["currency"],
                       destination=params["destination"], transfer_group=params.get("transfer_group"))
            return obj
        if path == "/v1/accounts":
            obj = copy.deepcopy(self.fixtures["account"])
            obj.update(id=f"acct_test_{n}", email=params.get("email"), charges_enabled=False, payouts_enabled=False)
            return obj
        if path == "/v1/account_links":
            return {"object": "account_link", "created": int(time.time()), "expires_at": int(time.time()) + 300,
                    "url": f"https://connect.stripe.com/setup/e/{params['account']}/test{n}"}
        return {"error": {"type": "invalid_request_error", "message": f"unrecognised path {path}"}}


@pytest.fixture
def stripe_server(stripe_fixtures):
    server = StripeServer(stripe_fixtures)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def stripe_app(app, stripe_server):
    """The app configured for Stripe in test mode, talking to the local server, with a 2.5 % platform fee."""
    keys = ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE", "PLATFORM_FEE_BP")
    previous = {k: app.config.get(k) for k in keys}
    app.config.update(STRIPE_SECRET_KEY="sk_test_wufei", STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
                      STRIPE_API_BASE=stripe_server.url, PLATFORM_FEE_BP=250)
    yield app
    app.config.update(previous)
    import stripe

    stripe.api_base = "https://api.stripe.com"


def sign(payload: str, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """The Stripe-Signature header exactly as Stripe computes it: HMAC-SHA256 of "{t}.{payload}"."""
    t = timestamp or int(time.time())
    signature = hmac.new(secret.encode(), f"{t}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={signature}"


def make_event(fixtures, type_: str, obj: dict, *, created: int | None = None, livemode=False) -> str:
    event = copy.deepcopy(fixtures["event"])
    event.update(id=f"evt_test_{next(_ids)}", type=type_, created=created or int(time.time()), livemode=livemode,
                 data={"object": obj})
    return json.dumps(event)


def deliver(client, payload: str, signature: str | None = None):
    headers = {"Content-Type": "application/json"}
    if signature is not False:
        headers["Stripe-Signature"] = signature or sign(payload)
    return client.post("/payments/stripe/webhook", data=payload, headers=headers)
