"""Photos and reports for the participation tests."""
import io
from decimal import Decimal

from PIL import ExifTags, Image

HUBIN = (Decimal("34.772700"), Decimal("111.200300"))  # 湖滨区 411202
LINGBAO = (Decimal("34.521500"), Decimal("110.894500"))  # 灵宝市 411282
BEIJING = (Decimal("39.900000"), Decimal("116.400000"))


def _dms(value: Decimal) -> tuple[float, float, float]:
    value = abs(float(value))
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60, 4)
    return float(degrees), float(minutes), seconds


def photo_bytes(gps: tuple[Decimal, Decimal] | None = None, fmt: str = "JPEG", size=(320, 240)) -> bytes:
    """A photo as a phone would send it: with the camera model and, if given, the GPS position in EXIF."""
    image = Image.new("RGB", size, (120, 90, 60))
    exif = Image.Exif()
    exif[ExifTags.Base.Model] = "TestPhone 12"
    if gps is not None:
        exif.get_ifd(ExifTags.IFD.GPSInfo).update({
            ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: _dms(gps[0]),
            ExifTags.GPS.GPSLongitudeRef: "E", ExifTags.GPS.GPSLongitude: _dms(gps[1])})
    out = io.BytesIO()
    image.save(out, fmt, exif=exif)
    return out.getvalue()


def has_exif(data: bytes) -> bool:
    image = Image.open(io.BytesIO(data))
    return bool(image.getexif()) or "exif" in image.info


def bomb_png() -> bytes:
    """A tiny file that decodes to 50 million pixels."""
    out = io.BytesIO()
    Image.new("1", (10_000, 5_000)).save(out, "PNG")
    return out.getvalue()


def report_form(**overrides) -> dict:
    data = {"category": "household", "description": "一堆生活垃圾倒在路边", "lat": "", "lon": "",
            "district_code": "", "address": "", "contact_email": "", "contact_phone": "",
            "container_code": "", "manifest_number": "", "website": ""}
    data.update(overrides)
    if "photos" not in data:
        data["photos"] = [(io.BytesIO(photo_bytes(HUBIN)), "dump.jpg")]
    return data
