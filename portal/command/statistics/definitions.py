"""The 统计口径 table: for every measure, which ledger events count, on which date, in which unit and for whom.

One place, read by the aggregation (aggregate.py builds its SQL from these rows), the statistics page and the API,
so a figure and the definition printed beside it cannot drift apart. A change of definition is a new VERSION:
the aggregates are rebuilt (`wufei statistics rebuild`) and every answer names the version it was computed with.
"""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

VERSION = "2026.1"
UNIT = "t"

# whose figure an event is: the batch's producer (where the waste arose) or the organisation that recorded the
# event (the store, the receiver, the facility that treated it)
PRODUCER, ACTOR = "producer", "actor"


@dataclass(frozen=True)
class Measure:
    name: str
    label: object
    event_type: str  # the ledger event that counts
    party: str  # PRODUCER or ACTOR: whose organisation, district and township the figure is booked to
    events: object  # the rule in words, as shown in the 统计口径 table
    # a further condition on the event, named here and built by aggregate.py:
    # "method_r"/"method_d" (treatment method R…/D…), "out_of_city"/"out_of_province" (the manifest's
    # destination), "from_outside_city"/"from_outside_province" (the batch's producer), "first_transfer"
    condition: str | None = None
    # arrivals recorded under another system's manifest (IncomingTransfer, by the receiver) count too: the
    # ledger holds no event for waste that travelled outside the platform
    incoming: bool = False


MEASURES_TABLE = (
    Measure("generated", _l("Generated"), "generated", PRODUCER,
            _l("Every 'generated' event: the quantity the producer recorded when the batch arose.")),
    Measure("stored", _l("Put into storage"), "stored", ACTOR,
            _l("Every 'stored' event: waste put into a storage facility, by the organisation that stores it.")),
    Measure("transferred_out", _l("Transferred out of the city"), "picked_up", PRODUCER,
            _l("'picked up' events under a transfer manifest whose destination lies outside the city; a "
               "follow-up manifest for refused waste is not counted again."), "out_of_city"),
    Measure("transferred_in", _l("Transferred into the city"), "received", ACTOR,
            _l("'received' events of receivers in the city for waste whose producer lies outside the city, and "
               "arrivals recorded under another system's manifest."), "from_outside_city", True),
    Measure("cross_province_out", _l("Transferred to other provinces"), "picked_up", PRODUCER,
            _l("'picked up' events under a transfer manifest whose destination lies in another province."),
            "out_of_province"),
    Measure("cross_province_in", _l("Received from other provinces"), "received", ACTOR,
            _l("'received' events for waste whose producer lies in another province, and arrivals from other "
               "provinces recorded under another system's manifest."), "from_outside_province", True),
    Measure("received", lazy_pgettext("quantity", "Received"), "received", ACTOR,
            _l("Every 'received' event: the accepted quantity the receiver confirmed (refused waste is not "
               "received); and arrivals recorded under another system's manifest, on the day received."),
            incoming=True),
    Measure("utilised", _l("Utilised"), "treated", ACTOR,
            _l("'treated' events with a utilisation method (R1–R15)."), "method_r"),
    Measure("disposed", _l("Disposed of"), "treated", ACTOR,
            _l("'treated' events with a disposal method (D1–D17)."), "method_d"),
)
BY_NAME = {m.name: m for m in MEASURES_TABLE}

DATE_RULE = _l("The day the event occurred (occurred_at), in China time, as the enterprise's register counts it.")
QUANTITY_RULE = _l("The event's quantity, else its container's, else its batch's; a later 'corrected' event's "
                   "quantity replaces it. Stored in grams, shown in tonnes.")
PARTY_LABELS = {PRODUCER: _l("The batch's producer, at the district of the site where it arose"),
                ACTOR: _l("The organisation that recorded the event, at its district")}
