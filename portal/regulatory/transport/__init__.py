"""承运人: a carrier's road transport licence, its vehicles, drivers and escorts as records."""
