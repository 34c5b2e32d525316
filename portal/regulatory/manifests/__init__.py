"""危险废物电子转移联单: electronic hazardous waste transfer manifests."""
