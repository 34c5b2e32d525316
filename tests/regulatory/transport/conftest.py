"""The manifest's parties (tests/regulatory/manifests/conftest.py), whose carriers have their records."""
import pytest

from tests.regulatory.manifests.conftest import build_parties


@pytest.fixture
def parties(ctx, factory):
    return build_parties(factory)
