"""Matching: the receivers that may legally take a listing, and the listings that fit a demand post."""
