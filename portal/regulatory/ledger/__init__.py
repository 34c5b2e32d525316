"""The append-only, hash-chained event ledger of every batch."""
