"""JSON API of accounts and organisations."""
