"""JSON API of the regulatory core."""
