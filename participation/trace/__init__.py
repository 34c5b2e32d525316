"""The public trace of a container, batch or manifest (/t/<code>), its JSON twin and the staff scanner."""
