"""Uploaded photos: checked, read for GPS, then re-encoded as JPEG without any metadata.

Pillow parses only the header on open, so the pixel count is checked before any decoding; a
decompression bomb is refused instead of exhausting memory."""
import io
import secrets
import warnings
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pillow_heif
from flask import current_app
from flask_babel import lazy_gettext as _l
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from portal.errors import DomainError

pillow_heif.register_heif_opener()

ACCEPTED_FORMATS = {"JPEG", "PNG", "HEIF"}
MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 40-megapixel phone photo; beyond that it is not a photo of a street
MAX_SIDE = 2048  # stored photos are scaled down to this

Image.MAX_IMAGE_PIXELS = MAX_PIXELS


@dataclass
class CleanPhoto:
    data: bytes
    width: int
    height: int
    gps: tuple[Decimal, Decimal] | None


def _refuse(message, field: str):
    raise DomainError(message, fields={field: message})


def _open(stream, field: str) -> Image.Image:
    raw = stream.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        _refuse(_l("A photo may be at most %(mb)s MB.", mb=MAX_BYTES // (1024 * 1024)), field)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(raw))
            if image.format not in ACCEPTED_FORMATS:
                _refuse(_l("Photos must be JPEG, PNG or HEIC images."), field)
            if image.width * image.height > MAX_PIXELS:
                raise Image.DecompressionBombError("too many pixels")
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        _refuse(_l("This image is too large to process."), field)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        _refuse(_l("This file is not an image we can read (JPEG, PNG or HEIC)."), field)
    return image


def _degrees(value, ref) -> Decimal | None:
    try:
        d, m, s = (Decimal(str(float(x))) for x in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    result = d + m / 60 + s / 3600
    return -result if str(ref).upper() in ("S", "W") else result


def read_gps(image: Image.Image) -> tuple[Decimal, Decimal] | None:
    """The WGS-84 (lat, lon) a phone wrote into the photo's EXIF, if any."""
    gps = image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    if not gps or 2 not in gps or 4 not in gps:
        return None
    lat, lon = _degrees(gps[2], gps.get(1, "N")), _degrees(gps[4], gps.get(3, "E"))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat.quantize(Decimal("0.000001")), lon.quantize(Decimal("0.000001"))


def clean_photo(stream, field: str = "photos") -> CleanPhoto:
    """Validate an uploaded photo and return it re-encoded, upright, scaled and free of metadata."""
    image = _open(stream, field)
    gps = read_gps(image)
    image = ImageOps.exif_transpose(image)
    image = image.convert("RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    # A fresh save with no exif/icc arguments writes pixels only
    image.save(out, "JPEG", quality=85, optimize=True)
    return CleanPhoto(out.getvalue(), image.width, image.height, gps)


def photo_dir() -> Path:
    path = Path(current_app.config["UPLOAD_DIR"]) / "reports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def store_photo(photo: CleanPhoto) -> str:
    """Write the cleaned JPEG under an unguessable name; returns the name."""
    name = secrets.token_hex(16) + ".jpg"
    (photo_dir() / name).write_bytes(photo.data)
    return name
