"""The files of a listing form, kept on the server while the form is refused (portal/held_uploads.py).

A listing sent back for a missing title must not lose its photos or its lab report: each upload is checked
and cleaned once, kept for the browser that sent it, shown again ticked, and attached when the form succeeds.
"""
import io
from dataclasses import dataclass, field

from flask import request

from portal import held_uploads
from portal.errors import DomainError

from .files import REPORT_MIMETYPES, CleanPhoto, CleanReport, clean_lab_report, clean_photo


@dataclass
class Uploads:
    photos: list[CleanPhoto] = field(default_factory=list)
    photo_tokens: list[str] = field(default_factory=list)
    report: CleanReport | None = None
    report_name: str | None = None
    report_token: str | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def tokens(self) -> list[str]:
        return self.photo_tokens + ([self.report_token] if self.report_token else [])

    def refuse(self, name: str, exc: DomainError) -> None:
        self.errors.setdefault(name, []).append(str(exc.fields.get(name, exc.message)))


def _kept_photos(uploads: Uploads) -> None:
    for token in request.form.getlist("held_photo"):
        if (kept := held_uploads.take(token)) is not None:
            uploads.photos.append(clean_photo(io.BytesIO(kept[0])))  # the thumbnail is made again
            uploads.photo_tokens.append(token)


def _new_photos(uploads: Uploads) -> None:
    for upload in request.files.getlist("photos"):
        if not (upload and upload.filename):
            continue
        try:
            photo = clean_photo(upload.stream)
        except DomainError as exc:
            uploads.refuse("photos", exc)
            continue
        uploads.photos.append(photo)
        uploads.photo_tokens.append(held_uploads.hold(photo.data, {"mimetype": "image/jpeg"}))


def _lab_report(uploads: Uploads) -> None:
    """A new lab report replaces the kept one."""
    upload = request.files.get("lab_report")
    if upload and upload.filename:
        try:
            report = clean_lab_report(upload.stream)
        except DomainError as exc:
            uploads.refuse("lab_report", exc)
            return
        uploads.report, uploads.report_name = report, upload.filename
        uploads.report_token = held_uploads.hold(report.data, {
            "mimetype": REPORT_MIMETYPES[report.extension], "extension": report.extension, "name": upload.filename})
    elif (token := request.form.get("held_lab_report")) and (kept := held_uploads.take(token)) is not None:
        data, meta = kept
        uploads.report, uploads.report_name, uploads.report_token = CleanReport(data, meta["extension"]), \
            meta["name"], token


def submitted_uploads() -> Uploads:
    """The photos and lab report of this submission: those kept from a refused attempt and still ticked, and the
    new uploads (kept at once, so that a refusal of this attempt loses nothing either)."""
    uploads = Uploads()
    if request.method == "POST":
        _kept_photos(uploads)
        _new_photos(uploads)
        _lab_report(uploads)
    return uploads
