#!/usr/bin/env python3
"""Screenshots of where each demo role lands after signing in, at 390 px and 1366 px wide, in Chinese and English:

    .venv/bin/python scripts/screenshots.py OUTDIR                      # own portal on a fresh SQLite demo
    .venv/bin/python scripts/screenshots.py OUTDIR --base-url URL       # a running portal with `wufei seed demo`

Without --base-url the script serves the portal itself from a temporary SQLite database loaded with the
reference and demo data (through the services, as `wufei seed demo` does). Each role signs in once in
Chromium (/usr/bin/chromium, or $CHROMIUM), with the TOTP code of portal.demo.DEMO_TOTP_SECRET for staff; a
code is accepted once per account, so a code refused as used is retried in the next 30-second window.
Writes OUTDIR/<role>-<locale>-<width>.png (full pages) and prints one line per file. Not for committing.
"""
import argparse
import logging
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# (file name, login): the demo's roles, staff first (they need the second factor)
ROLES = (("admin", "admin@demo.wufei.cn"), ("regulator", "regulator@demo.wufei.cn"),
         ("regulator-lingbao", "regulator.lingbao@demo.wufei.cn"), ("generator", "generator@demo.wufei.cn"),
         ("receiver", "receiver@demo.wufei.cn"), ("transporter", "transporter@demo.wufei.cn"),
         ("driver", "driver@demo.wufei.cn"), ("recycler", "recycler@demo.wufei.cn"),
         ("applicant", "applicant@demo.wufei.cn"))
LOCALES = ("zh_CN", "en")
WIDTHS = {390: 844, 1366: 768}
TOTP_STEP_S = 30


def serve_demo_portal() -> str:
    """The portal on a free local port over a new SQLite database with the demo data; returns its URL."""
    from werkzeug.serving import make_server

    from portal import create_app
    from portal.calendar.services import load_bundled_calendar
    from portal.demo import seed_demo
    from portal.extensions import db
    from portal.regulatory.reference import load_reference_data

    instance = Path(tempfile.mkdtemp(prefix="wufei-screens-"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'demo.db'}", "SECRET_KEY": os.urandom(16).hex(),
                      "UPLOAD_DIR": str(instance / "uploads"), "RATELIMIT_ENABLED": False, "MEILISEARCH_URL": None,
                      "REDIS_URL": None, "MAIL_SERVER": None, "BASE_URL": "http://127.0.0.1"})
    with app.app_context():
        db.create_all()
        load_reference_data()
        load_bundled_calendar()
        seed_demo()
        db.session.commit()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request among the file names
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}"


def sign_in(page, login: str) -> None:
    """Password, then the TOTP code if asked; a code already used is retried in the next window."""
    import pyotp

    from portal.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET

    page.goto("/accounts/login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.locator("main form [type=submit]").first.click()
    page.wait_for_load_state()
    for _attempt in range(2):
        if "/accounts/totp" not in page.url:
            return
        page.fill("input[name=code]", pyotp.TOTP(DEMO_TOTP_SECRET).now())
        page.locator("main form [type=submit]").first.click()
        page.wait_for_load_state()
        if "/accounts/totp" in page.url:
            time.sleep(TOTP_STEP_S - time.time() % TOTP_STEP_S + 1)
    if "/accounts/totp" in page.url or "/accounts/login" in page.url:
        raise SystemExit(f"{login} could not sign in (still on {page.url})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("outdir", type=Path, help="directory for the PNG files (created)")
    parser.add_argument("--base-url", help="a running portal with the demo data; by default one is served here")
    args = parser.parse_args()
    args.outdir.mkdir(parents=True, exist_ok=True)
    base_url = (args.base_url or serve_demo_portal()).rstrip("/")

    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        for name, login in ROLES:
            context = browser.new_context(base_url=base_url, locale="zh-CN")
            page = context.new_page()
            sign_in(page, login)
            landing = page.url
            for locale in LOCALES:  # the switcher's cookie: the demo users have no saved language
                context.add_cookies([{"name": "lang", "value": locale, "url": base_url}])
                for width, height in WIDTHS.items():
                    page.set_viewport_size({"width": width, "height": height})
                    page.goto(landing)
                    path = args.outdir / f"{name}-{locale}-{width}.png"
                    page.screenshot(path=str(path), full_page=True)
                    print(f"{path}  {landing}")
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
