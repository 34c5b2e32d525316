"""Inquiry threads, offers and counter-offers, deals with their atomic reservation, settlement and ratings."""
