"""Configuration from environment variables, with embedded defaults that need no server."""
import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _database_url(instance: Path) -> str:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'wufei.db'}"
    # psycopg 3 is the driver we ship; accept the usual postgres:// spellings
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _secret_key(instance: Path) -> str:
    """SECRET_KEY from the environment, else one generated once and kept under instance/."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _trusted_proxy_hops() -> int:
    """TRUSTED_PROXY_HOPS: how many reverse proxies in front of the app set X-Forwarded-For (0: none trusted)."""
    raw = os.environ.get("TRUSTED_PROXY_HOPS", "0").strip()
    if not raw.isdigit():
        raise ValueError(f"TRUSTED_PROXY_HOPS must be a whole number of proxies (0 or more), not {raw!r}")
    return int(raw)


def _jurisdiction_code() -> str:
    """JURISDICTION_CODE: the prefecture-level city the platform's regulators supervise (portal/jurisdiction.py)."""
    from .jurisdiction import DEFAULT_JURISDICTION_CODE, valid_jurisdiction_code

    code = os.environ.get("JURISDICTION_CODE", DEFAULT_JURISDICTION_CODE).strip()
    if not valid_jurisdiction_code(code):
        raise ValueError(f"JURISDICTION_CODE must be a 6-digit prefecture code such as 411200, not {code!r}")
    return code


def from_environment(instance: Path) -> dict:
    env = os.environ.get
    redis_url = env("REDIS_URL")
    return {
        "SECRET_KEY": _secret_key(instance),
        "SQLALCHEMY_DATABASE_URI": _database_url(instance),
        # No ping before each checkout: it costs every request a round trip. A connection the server closed
        # (restart, failover, terminated backend) is discarded at checkout without one (portal/dbpool.py).
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_recycle": 3600},
        "BASE_URL": env("BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "MEILISEARCH_URL": env("MEILISEARCH_URL"),
        "MEILISEARCH_API_KEY": env("MEILISEARCH_API_KEY"),
        "REDIS_URL": redis_url,
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "STRIPE_SECRET_KEY": env("STRIPE_SECRET_KEY"),
        "STRIPE_WEBHOOK_SECRET": env("STRIPE_WEBHOOK_SECRET"),
        "MAIL_SERVER": env("MAIL_SERVER"),
        "MAIL_PORT": int(env("MAIL_PORT", "587")),
        "MAIL_USERNAME": env("MAIL_USERNAME"),
        "MAIL_PASSWORD": env("MAIL_PASSWORD"),
        "MAIL_SENDER": env("MAIL_SENDER", "noreply@wufei.cn"),
        # SMS through 阿里云短信服务 when set (portal/sms.py); without them SMS stay in the outbox
        "SMS_ALIYUN_ACCESS_KEY_ID": env("SMS_ALIYUN_ACCESS_KEY_ID"),
        "SMS_ALIYUN_ACCESS_KEY_SECRET": env("SMS_ALIYUN_ACCESS_KEY_SECRET"),
        "SMS_ALIYUN_SIGN_NAME": env("SMS_ALIYUN_SIGN_NAME"),
        "SMS_ALIYUN_TEMPLATE_CODE": env("SMS_ALIYUN_TEMPLATE_CODE"),
        "SMS_ALIYUN_ENDPOINT": env("SMS_ALIYUN_ENDPOINT", "https://dysmsapi.aliyuncs.com/"),
        # the city's video-conference system, e.g. "https://meet.example.gov.cn/{room}" ({room}: the meeting)
        "VIDEO_CONFERENCE_URL": env("VIDEO_CONFERENCE_URL") or None,
        "UPLOAD_DIR": env("UPLOAD_DIR", str(instance / "uploads")),
        "SESSION_COOKIE_SECURE": env("BASE_URL", "").startswith("https://"),
        "TRUSTED_PROXY_HOPS": _trusted_proxy_hops(),
        # signs the ledger's checkpoints and daily roots; SECRET_KEY when unset (regulatory/ledger/anchors.py)
        "LEDGER_ANCHOR_KEY": env("LEDGER_ANCHOR_KEY"),
        # encrypts organisations' private signing keys at rest; SECRET_KEY when unset (regulatory/signing/)
        "SIGNING_KEY_SECRET": env("SIGNING_KEY_SECRET"),
        "JURISDICTION_CODE": _jurisdiction_code(),
        # an optional tile service beneath the maps' district boundaries, e.g. a government map server
        # ("https://tiles.example.gov.cn/{z}/{x}/{y}.png"); MAP_TILE_GCJ02=1 when it draws in GCJ-02
        "MAP_TILE_URL": env("MAP_TILE_URL") or None,
        "MAP_TILE_GCJ02": env("MAP_TILE_GCJ02", "0") in ("1", "true", "yes"),
        "MAP_TILE_ATTRIBUTION": env("MAP_TILE_ATTRIBUTION", ""),
    }


DEFAULTS = {
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
    "BABEL_DEFAULT_LOCALE": "zh_CN",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
    "BABEL_TRANSLATION_DIRECTORIES": str(ROOT / "translations"),
    "LOCALES": ("zh_CN", "en"),
    "WTF_CSRF_TIME_LIMIT": None,
    "WTF_I18N_ENABLED": True,
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_LOCKOUT_MINUTES": 15,
    "PASSWORD_RESET_MAX_AGE": 3600,
    "API_MAX_PAGE_SIZE": 100,
    "RATELIMIT_HEADERS_ENABLED": True,
    "RATELIMIT_PUBLIC": "120 per minute",
}
