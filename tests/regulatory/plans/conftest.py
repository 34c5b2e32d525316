"""The manifests' parties (a generator with a 5 t batch of 900-249-08, carriers, a licensed receiver, the
district's regulator) serve the management plan tests too."""
from tests.regulatory.manifests.conftest import page_parties, parties  # noqa: F401
