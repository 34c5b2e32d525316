"""Public reports of illegal dumping and burning: filing, routing, deadlines, the staff workbench."""
