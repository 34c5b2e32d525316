"""Each role's home page after sign-in: the figures of its open work, each linking to the list it counts."""
