"""申报: an enterprise's monthly and annual declarations, prefilled from the ledger, reviewed by its regulator."""
