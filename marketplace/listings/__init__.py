"""Listings (supply) and demand posts of the marketplace, with saved searches and their alerts."""
