"""Alerts for regulators and organisations, raised once per dedup key by scanners and services."""
