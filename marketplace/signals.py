"""Marketplace events other parts react to (blinker signals; senders are the changed objects).

listing_published is sent when a listing is published for the first time, demand_published when a demand
post goes live, each once the transaction that published it has committed (portal.after_commit.dispatch);
matching subscribes to both to find and notify the parties that fit.
"""
from blinker import Namespace

_signals = Namespace()

listing_published = _signals.signal("listing_published")
demand_published = _signals.signal("demand_published")
