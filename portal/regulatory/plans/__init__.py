"""危险废物管理计划: the generator's annual hazardous waste management plan."""
