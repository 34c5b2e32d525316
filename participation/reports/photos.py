"""Uploaded photos: checked, read for GPS, then re-encoded as JPEG without any metadata.

Pillow parses only the header on open, so the pixel count is checked before any decoding; a
decompression bomb is refused instead of exhausting memory."""
import secrets
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pillow_heif
from flask import current_app
from flask_babel import lazy_gettext as _l
from PIL import ExifTags, Image

from portal import images

pillow_heif.register_heif_opener()

ACCEPTED_FORMATS = {"JPEG", "PNG", "HEIF"}
MAX_BYTES = 10 * 1024 * 1024
MAX_SIDE = 2048  # stored photos are scaled down to this

Image.MAX_IMAGE_PIXELS = images.MAX_PIXELS


@dataclass
class CleanPhoto:
    data: bytes
    width: int
    height: int
    gps: tuple[Decimal, Decimal] | None


def _open(stream, field: str) -> Image.Image:
    raw = images.read_upload(stream, MAX_BYTES, field,
                             _l("A photo may be at most %(mb)s MB.", mb=MAX_BYTES // (1024 * 1024)))
    return images.open_image(raw, field, formats=ACCEPTED_FORMATS,
                             not_an_image=_l("This file is not an image we can read (JPEG, PNG or HEIC)."))


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
    gps = read_gps(image)  # read before re-encoding drops it
    data, width, height = images.to_jpeg(images.upright_rgb(image), MAX_SIDE)
    return CleanPhoto(data, width, height, gps)


def photo_dir() -> Path:
    path = Path(current_app.config["UPLOAD_DIR"]) / "reports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def store_photo(photo: CleanPhoto) -> str:
    """Write the cleaned JPEG under an unguessable name; returns the name."""
    name = secrets.token_hex(16) + ".jpg"
    (photo_dir() / name).write_bytes(photo.data)
    return name
