"""Security headers. The Content-Security-Policy allows no inline script or style at all."""
from urllib.parse import urlsplit

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "media-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def _policy(app) -> str:
    """The policy, with the origin of a configured map tile service allowed as an image source."""
    tiles = app.config.get("MAP_TILE_URL")
    if not tiles:
        return CSP
    parts = urlsplit(tiles)
    return CSP.replace("img-src 'self' data: blob:", f"img-src 'self' data: blob: {parts.scheme}://{parts.netloc}")


def init_security_headers(app):
    @app.after_request
    def set_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", _policy(app))
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Permissions-Policy", "camera=(self), geolocation=(self), microphone=()")
        if app.config.get("SESSION_COOKIE_SECURE"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
