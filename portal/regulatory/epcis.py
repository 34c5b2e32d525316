"""The ledger of a batch as a GS1 EPCIS 2.0 document (JSON-LD), and its API endpoint.

Identifiers are URIs in the platform's own namespace (ID_BASE), which the EPCIS schema accepts for EPCs,
classes, locations and event IDs: a container is ID_BASE/c/<37-digit code>, the waste of a batch (a lot, a
class in EPCIS terms) ID_BASE/lot/<batch id>. These URIs are a stable contract like the QR codes.
"""
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from flask import jsonify
from flask_login import current_user
from pydantic import BaseModel, Field

from ..api.core import api, token_required
from ..api.schemas import endpoint
from ..extensions import db
from ..types import utcnow
from .batches.models import Batch, Container
from .batches.services import get_batch
from .ledger.models import LedgerEvent
from .ledger.services import events_for

ID_BASE = "https://id.wufei.cn"
VOCABULARY = ID_BASE + "/voc/"
CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", {"wufei": VOCABULARY}]
CHINA_OFFSET = "+08:00"

# event type → (EPCIS type, action, bizStep, disposition); the custody events leave the site behind
OBJECT_EVENTS = {
    "labelled": ("OBSERVE", "encoding", "encoded"),
    "stored": ("OBSERVE", "storing", "container_closed"),
    "retrieved": ("OBSERVE", "picking", "in_progress"),
    "weighed": ("OBSERVE", "inspecting", None),
    "picked_up": ("OBSERVE", "shipping", "in_transit"),
    "handed_over": ("OBSERVE", "transporting", "in_transit"),
    "delivered": ("OBSERVE", "arriving", "in_progress"),
    "received": ("OBSERVE", "receiving", "in_progress"),
    "refused": ("OBSERVE", "receiving", "non_conformant"),
    # refused waste waits at the receiver for its follow-up manifest; a return ends back at the producer
    "rerouted": ("OBSERVE", "holding", "non_conformant"),
    "returned": ("OBSERVE", "receiving", "returned"),
}
IN_TRANSIT = {"picked_up", "handed_over"}
# Recovery (R codes) has no CBV business step; disposal (D codes) is CBV 'destroying'.
RECOVERING = VOCABULARY + "bizStep-recovering"


def container_uri(code: str) -> str:
    return f"{ID_BASE}/c/{code}"


def lot_uri(batch_id: int) -> str:
    return f"{ID_BASE}/lot/{batch_id}"


def org_uri(org) -> str:
    return f"{ID_BASE}/org/{org.uscc}"


def _time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _kg(grams: int):
    """Kilograms as a JSON number: exact for whole kilograms, else the decimal of the gram count."""
    kilograms = Decimal(grams) / 1000
    return int(kilograms) if kilograms == kilograms.to_integral_value() else float(kilograms)


class _Mapper:
    """Turns one batch's ledger events into EPCIS events; keeps the batch's lookups in one place."""

    def __init__(self, batch: Batch, events: list[LedgerEvent]):
        self.batch, self.events = batch, events
        self.by_seq = {e.seq: e for e in events}
        self.codes = {c.id: c.code for c in batch.containers}
        ids = {e.container_id for e in events if e.container_id and e.container_id not in self.codes}
        for container in (db.session.get(Container, i) for i in ids):
            self.codes[container.id] = container.code

    def event_id(self, event: LedgerEvent) -> str:
        return f"{ID_BASE}/event/{event.hash}"

    def quantity(self, grams: int | None) -> list[dict]:
        return [{"epcClass": lot_uri(self.batch.id), "quantity": _kg(grams), "uom": "KGM"}] if grams else []

    def common(self, event: LedgerEvent, kind: str) -> dict:
        return {"type": kind, "eventTime": _time(event.occurred_at), "recordTime": _time(event.recorded_at),
                "eventTimeZoneOffset": CHINA_OFFSET, "eventID": self.event_id(event)}

    def where(self, event: LedgerEvent) -> dict:
        """readPoint: the facility, else a geo: URI; bizLocation: the site, else the organisation."""
        data = event.data or {}
        out = {}
        if data.get("facility_id"):
            out["readPoint"] = {"id": f"{ID_BASE}/facility/{data['facility_id']}"}
        elif event.lat is not None and event.lon is not None:
            out["readPoint"] = {"id": f"geo:{Decimal(event.lat):f},{Decimal(event.lon):f}"}
        if event.event_type in IN_TRANSIT:
            return out
        site_id = data.get("site_id") or (self.batch.site_id if event.organisation_id == self.batch.organisation_id
                                          else None)
        if site_id:
            out["bizLocation"] = {"id": f"{ID_BASE}/site/{site_id}"}
        elif event.organisation is not None:
            out["bizLocation"] = {"id": org_uri(event.organisation)}
        return out

    def extensions(self, event: LedgerEvent) -> dict:
        out = {"wufei:ledgerSeq": event.seq, "wufei:ledgerEventType": event.event_type,
               "wufei:ledgerHash": event.hash, "wufei:prevHash": event.prev_hash}
        if event.place:
            out["wufei:place"] = event.place
        return out

    def parties(self, event: LedgerEvent) -> dict:
        """Custody changes name the owner (the producer) and the party now holding the waste."""
        data = event.data or {}
        out = {}
        if event.event_type in ("picked_up", "handed_over", "delivered", "received", "refused", "rerouted", "returned"):
            out["sourceList"] = [{"type": "owning_party", "source": org_uri(self.batch.organisation)}]
            if event.organisation is not None:
                out["destinationList"] = [{"type": "possessing_party", "destination": org_uri(event.organisation)}]
        manifest = data.get("manifest_number") or data.get("manifest")
        if manifest:
            out["bizTransactionList"] = [{"type": "bol", "bizTransaction": f"{ID_BASE}/manifest/{manifest}"}]
        return out

    # --- one method per shape -------------------------------------------------------------

    def generated(self, event: LedgerEvent) -> dict:
        data = event.data or {}
        ilmd = {"wufei:wasteCode": self.batch.waste_code, "wufei:form": self.batch.form,
                "wufei:hazards": self.batch.hazards or "", "wufei:producer": self.batch.organisation.uscc}
        if data.get("generated_on"):
            ilmd["wufei:generatedOn"] = data["generated_on"]
        return {**self.common(event, "ObjectEvent"), "action": "ADD", "epcList": [],
                "quantityList": self.quantity(event.quantity_g) or self.quantity(self.batch.quantity_g),
                "bizStep": "commissioning", "disposition": "active", **self.where(event), "ilmd": ilmd,
                **self.extensions(event)}

    def split(self, event: LedgerEvent) -> dict:
        """Packing part of the lot into a container: the container aggregates a quantity of the lot."""
        code = self.codes.get(event.container_id) or (event.data or {}).get("container")
        return {**self.common(event, "AggregationEvent"), "parentID": container_uri(code), "action": "ADD",
                "childQuantityList": self.quantity(event.quantity_g), "bizStep": "packing",
                "disposition": "container_closed", **self.where(event), **self.extensions(event)}

    def object_event(self, event: LedgerEvent) -> dict:
        action, biz_step, disposition = OBJECT_EVENTS[event.event_type]
        out = {**self.common(event, "ObjectEvent"), "action": action, "epcList": self.epcs(event)}
        if quantity := self.quantity(event.quantity_g):
            out["quantityList"] = quantity
        elif not out["epcList"]:
            out["quantityList"] = self.quantity(self.batch.quantity_g)
        out["bizStep"] = biz_step
        if disposition:
            out["disposition"] = disposition
        return {**out, **self.where(event), **self.parties(event), **self.extensions(event)}

    def epcs(self, event: LedgerEvent) -> list[str]:
        if event.container_id:
            return [container_uri(self.codes[event.container_id])]
        return []

    def treated(self, event: LedgerEvent) -> dict:
        """Utilisation or disposal: the waste goes in; what comes out is a quantity when one was recorded."""
        data = event.data or {}
        method = str(data.get("method") or "")
        out = {**self.common(event, "TransformationEvent"),
               "transformationID": f"{ID_BASE}/transformation/{event.hash}"}
        if epcs := self.epcs(event):
            out["inputEPCList"] = epcs
        if quantity := self.quantity(event.quantity_g) or ([] if epcs else self.quantity(self.batch.quantity_g)):
            out["inputQuantityList"] = quantity
        output_g = data.get("output_g") or data.get("output_quantity_g")
        if output_g:
            out["outputQuantityList"] = [{"epcClass": f"{ID_BASE}/output/{event.hash}", "quantity": _kg(int(output_g)),
                                          "uom": "KGM"}]
        out["bizStep"] = "destroying" if method.upper().startswith("D") else RECOVERING
        out["disposition"] = "disposed"
        if method:
            out["wufei:method"] = method
        return {**out, **self.where(event), **self.parties(event), **self.extensions(event)}

    def merged(self, event: LedgerEvent) -> dict:
        """A collector's merge, seen from both sides: one transformation ID joins the two documents."""
        data = event.data or {}
        out = self.common(event, "TransformationEvent")
        if "sources" in data:  # the new batch: its containers' sources go in, its lot comes out
            out["transformationID"] = f"{ID_BASE}/merge/{self.batch.id}"
            out["inputEPCList"] = [container_uri(s["container"]) for s in data["sources"]]
            out["outputQuantityList"] = self.quantity(event.quantity_g)
        else:  # a source batch: this container went into the collector's batch
            out["transformationID"] = f"{ID_BASE}/merge/{data['merged_into_batch']}"
            out["inputEPCList"] = self.epcs(event)
        out["bizStep"] = "repackaging"
        return {**out, **self.where(event), **self.extensions(event)}

    def map(self, event: LedgerEvent) -> list[dict]:
        if event.event_type == "corrected":
            return self.corrected(event)
        if event.event_type in OBJECT_EVENTS:
            return [self.object_event(event)]
        return [getattr(self, event.event_type)(event)]

    def corrected(self, event: LedgerEvent) -> list[dict]:
        """EPCIS corrects by declaring the original erroneous and issuing a corrective event."""
        data = event.data or {}
        original = self.by_seq.get(data.get("corrects_seq"))
        if original is None or original.event_type == "corrected":
            return []
        declared = self.map(original)[0]
        declared["errorDeclaration"] = {"declarationTime": _time(event.occurred_at), "reason": "incorrect_data",
                                        "correctiveEventIDs": [self.event_id(event)]}
        corrective = dict(self.map(original)[0])
        changes = data.get("corrections") or {}
        if "occurred_at" in changes:
            corrective["eventTime"] = _time(datetime.fromisoformat(changes["occurred_at"]))
        if "quantity_g" in changes:
            for key in ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList"):
                if corrective.get(key):
                    corrective[key] = self.quantity(int(changes["quantity_g"]))
        if "place" in changes:
            corrective["wufei:place"] = changes["place"]
        corrective.update({"eventID": self.event_id(event), "recordTime": _time(event.recorded_at),
                           **self.extensions(event), "wufei:correctsSeq": original.seq,
                           "wufei:reason": data.get("reason", "")})
        return [declared, corrective]


def batch_epcis_document(batch: Batch) -> dict:
    """The batch's whole ledger as an EPCISDocument (GS1 EPCIS 2.0 JSON-LD)."""
    events = events_for(batch.id)
    mapper = _Mapper(batch, events)
    event_list = [epcis_event for event in events for epcis_event in mapper.map(event)]
    return {
        "@context": CONTEXT,
        "type": "EPCISDocument",
        "id": f"{ID_BASE}/epcis/batch/{batch.id}/{batch.ledger_head_hash}",
        "schemaVersion": "2.0",
        "creationDate": _time(utcnow()),
        "sender": org_uri(batch.organisation),
        "epcisBody": {"eventList": event_list},
    }


class EPCISBody(BaseModel):
    eventList: list[dict[str, Any]]


class EPCISDocument(BaseModel):
    """GS1 EPCIS 2.0 EPCISDocument (JSON-LD); validates against the GS1 EPCIS JSON schema, which owns its
    properties (it is extensible by design, so this model does not forbid extra ones)."""

    context: list[Any] = Field(alias="@context")
    type: str
    schemaVersion: str
    creationDate: datetime
    epcisBody: EPCISBody


@api.get("/batches/<int:batch_id>/epcis")
@endpoint("A batch's ledger as a GS1 EPCIS 2.0 document", tags=["batches"], response=EPCISDocument,
          media_type="application/ld+json", descriptions={200: "EPCISDocument"})
@token_required
def batch_epcis(batch_id: int):
    batch = get_batch(current_user, batch_id)
    response = jsonify(batch_epcis_document(batch))
    response.mimetype = "application/ld+json"
    return response
