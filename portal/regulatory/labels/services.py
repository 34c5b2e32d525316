"""Labels of containers: what a label shows, its three formats, and the 'labelled' ledger event."""
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from ...auth import is_member
from ...errors import Conflict
from ...extensions import db
from ..batches.models import Batch, Container
from ..ledger.models import LedgerEvent
from ..ledger.services import append_event, events_for
from .layout import LabelData
from .render import render_pdf, render_png, render_svg

LAYOUTS = ("sheet", "single")


def trace_url(code: str) -> str:
    """The public trace page of a container: the URL inside every QR code (a stable contract)."""
    return current_app.config["BASE_URL"].rstrip("/") + "/t/" + code


def _kilograms(grams: int) -> str:
    return f"{(Decimal(grams) / 1000).normalize():f} kg"


def label_data(container: Container) -> LabelData:
    """The fields HJ 1276-2022 asks for, from the container, its batch, producer and catalogue entry."""
    batch = container.batch
    entry, producer = batch.catalogue_entry, batch.organisation
    return LabelData(
        code=container.code, url=trace_url(container.code), waste_name=entry.description,
        category=entry.category.code, category_name=entry.category.name, waste_code=batch.waste_code,
        form=batch.form, hazards=tuple(batch.hazard_list), main_components=batch.main_components or "",
        harmful_components=batch.harmful_components or "", producer=producer.name,
        contact=f"{producer.contact_name} {producer.contact_phone}".strip(),
        generated_on=batch.generated_on.isoformat(), weight=_kilograms(container.quantity_g),
        remark="包装：" + (container.packaging or batch.packaging))


def require_labellable(containers: list[Container]) -> list[Container]:
    """HJ 1276 labels are for hazardous waste; a batch of general waste gets none."""
    if not containers:
        raise Conflict(_("This batch has no containers to label."))
    for container in containers:
        if not container.batch.is_hazardous:
            raise Conflict(_("Hazardous-waste labels are only printed for hazardous waste."))
    return containers


def label_pdf(containers: list[Container], *, layout: str = "sheet") -> bytes:
    """Labels of the containers as one PDF: four to an A4 sheet, or one 100×100 mm label per page."""
    require_labellable(containers)
    return render_pdf([label_data(c) for c in containers], layout=layout)


def label_png(container: Container) -> bytes:
    require_labellable([container])
    return render_png(label_data(container))


def label_svg(container: Container) -> bytes:
    require_labellable([container])
    return render_svg(label_data(container))


def record_labelled(containers: list[Container], *, actor, file_format: str) -> list[LedgerEvent]:
    """A 'labelled' event the first time a container's label is printed by its producer.

    Regulators may download labels too, but only the producer sticks them on containers, so only a member
    of the producing organisation creates the event. The batch rows are locked first so that two printouts
    at the same moment cannot both count as the first.
    """
    events = []
    for batch_id in sorted({c.batch_id for c in containers}):
        batch = db.session.execute(select(Batch).where(Batch.id == batch_id).with_for_update()).scalar_one()
        if not is_member(actor, batch.organisation_id):
            continue
        done = {e.container_id for e in events_for(batch_id, event_type="labelled")}
        for container in (c for c in containers if c.batch_id == batch_id and c.id not in done):
            events.append(append_event(batch, "labelled", actor=actor, organisation=batch.organisation_id,
                                       container=container, data={"container": container.code,
                                                                  "format": file_format}))
    return events
