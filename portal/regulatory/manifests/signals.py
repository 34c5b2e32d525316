"""Manifest events other parts react to in the step's own transaction (blinker; the sender is the manifest).

manifest_stepped is sent by apply_action after a step changed the manifest's state, with action, from_state
and to_state. A listener's writes are part of the step: they commit with it or not at all (the marketplace
settles or cancels the deal made for the manifest). The regulatory core does not import its listeners.
"""
from blinker import Namespace

_signals = Namespace()

manifest_stepped = _signals.signal("manifest_stepped")
