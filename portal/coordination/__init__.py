"""Coordination cases (统一指挥调度): one work order for everything a department must act on."""
