"""The search vocabulary moved to portal.search.vocabulary, which the information hall searches with too;
the marketplace's modules, tests and benches keep importing it from here."""
from portal.search.vocabulary import *  # noqa: F403
from portal.search.vocabulary import _corrections  # noqa: F401  (tests/marketplace/test_search_index.py)
