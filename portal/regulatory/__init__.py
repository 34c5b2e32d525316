"""The regulatory core: catalogue, divisions, batches, ledger, licences, manifests, alerts, declarations."""
