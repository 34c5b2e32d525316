"""The command centre (指挥中心): the city's statistics, the regulators' dashboards, the big screen (信息大厅) and
the one map (固危废一张图), all computed from the ledger and the registers."""
